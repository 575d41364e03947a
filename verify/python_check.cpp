// The `python` check: the environment's own interpreter imports torch, must see every GPU the
// host has (torch turns several CUDA failures into a warning plus is_available() == False, so
// that is a failure here, with torch's warning kept), and trains a few steps. This runs the
// environment's code, so it runs under the watchdog like everything else.
#include <cmath>
#include <cstdlib>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "verify/check_support.hpp"
#include "verify/embedded_sources.hpp"
#include "verify/hints.hpp"
#include "verify/suite_checks.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view result_marker = "ENVPIN_RESULT ";

std::optional<fs::path> find_interpreter(const fs::path& environment)
{
    for (const char* name : {"bin/python", "bin/python3"}) {
        std::error_code ec;
        if (fs::exists(environment / name, ec))
            return environment / name;
    }
    return std::nullopt;
}

// GPUs torch should see: the host's, or fewer when CUDA_VISIBLE_DEVICES narrows them.
long expected_gpus(const ProbeRequest& request, std::string& note)
{
    const auto host = static_cast<long>(request.number(param::gpu_count, 0));
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    if (visible == nullptr)
        return host;
    long listed = 0;
    for (auto entry : split(visible, ','))
        if (!trim(entry).empty() && trim(entry) != "-1")
            ++listed;
    note = fmt::format(" (CUDA_VISIBLE_DEVICES={})", visible);
    return std::min(host, listed);
}

std::optional<nlohmann::json> find_result(std::string_view out)
{
    for (const auto line : split(out, '\n')) {
        if (!line.starts_with(result_marker))
            continue;
        auto document = nlohmann::json::parse(line.substr(result_marker.size()), nullptr, false);
        if (!document.is_discarded() && document.is_object())
            return document;
    }
    return std::nullopt;
}

std::string warnings_text(const nlohmann::json& probe)
{
    std::vector<std::string> texts;
    for (const auto& w : probe.value("warnings", nlohmann::json::array()))
        if (w.is_string())
            texts.push_back(std::string(trim(w.get<std::string>())));
    return join(texts, " | ");
}

// GPU visibility: a GPU host where torch sees no GPU (or fewer) fails, keeping torch's warning.
std::optional<CheckResult> judge_visibility(const nlohmann::json& probe, const ProbeRequest& request)
{
    std::string note;
    const auto device = requested_device(request);
    const long expected = device == "cpu" ? 0 : expected_gpus(request, note);
    const bool available = probe.value("cuda_available", false);
    const long seen = probe.value("device_count", 0L);
    if (device == "gpu" && expected == 0 && !available)
        return CheckResult{.name = "python", .status = CheckStatus::fail,
                           .detail = "--device gpu, but neither the host nor torch sees a GPU"};
    if (expected == 0 || (available && seen == expected))
        return std::nullopt;
    CheckResult result{.name = "python", .status = CheckStatus::fail};
    const auto warnings = warnings_text(probe);
    result.detail = available ? fmt::format("torch sees {} of the host's {} GPUs{}", seen, expected, note)
                              : fmt::format("torch.cuda.is_available() is False on a host with {} GPU(s){}", expected, note);
    if (!warnings.empty())
        result.detail += "; torch warned: " + warnings;
    result.hint = hint_for(warnings);
    if (result.hint.empty())
        result.hint = "torch cannot reach the GPU: a CPU-only torch build, a driver older than its CUDA, or "
                      "CUDA_VISIBLE_DEVICES hiding devices; see the host and libs checks.";
    return result;
}

CheckResult judge(const nlohmann::json& probe, const ProbeRequest& request)
{
    if (probe.contains("error")) {
        CheckResult result{.name = "python", .status = CheckStatus::fail};
        result.detail = probe.value("error", "");
        result.hint = hint_for(result.detail + "\n" + probe.value("traceback", ""));
        return result;
    }
    if (auto visibility = judge_visibility(probe, request))
        return *visibility;
    CheckResult result{.name = "python", .status = CheckStatus::pass};
    result.unit = "loss";
    result.threshold = request.number("python_loss_threshold", 0.5);
    const auto final = probe.value("final_loss", nlohmann::json()).is_number() ? probe["final_loss"].get<double>()
                                                                              : std::nan("");
    if (!std::isnan(final))
        result.value = final;
    const auto where = fmt::format("torch {} (CUDA {}) from {}, {} steps on {}", probe.value("torch", "?"),
                                   probe.value("cuda_build", nlohmann::json()).is_string() ? probe["cuda_build"].get<std::string>() : "none",
                                   probe.value("torch_file", "?"), probe.value("steps", 0), probe.value("device", "?"));
    if (!probe.value("nonfinite_step", nlohmann::json()).is_null()) {
        result.status = CheckStatus::fail;
        result.detail = fmt::format("the loss became NaN/Inf at step {}: {}", probe["nonfinite_step"].dump(), where);
        result.hint = hint_for("NaN");
    } else if (std::isnan(final) || final > *result.threshold) {
        result.status = CheckStatus::fail;
        result.detail = fmt::format("loss {:.4g} after {}: above the threshold {}", final, where, *result.threshold);
        result.hint = "The environment's torch did not learn an easy task: see the train, cublas and cudnn checks.";
    } else {
        result.detail = fmt::format("loss {:.4g} -> {:.4g}, {:.0f} samples/s; {}; sees {} GPU(s)",
                                    probe.value("initial_loss", 0.0), final, probe.value("samples_per_s", 0.0), where,
                                    probe.value("device_count", 0));
    }
    return result;
}

}  // namespace

CheckResult run_python_check(const ProbeRequest& request)
{
    Stopwatch clock;
    CheckResult result{.name = "python", .status = CheckStatus::fail};
    const auto python = find_interpreter(request.environment);
    if (!python) {
        result.detail = "no interpreter at " + (request.environment / "bin/python").string();
        result.hint = "The environment has no Python of its own: it is not a virtual environment, or it was "
                      "damaged; reset it to a verified snapshot (`envpin reset`).";
        result.duration_ms = clock.elapsed_ms();
        return result;
    }
    const bool gpu = requested_device(request) != "cpu" && request.number(param::gpu_count, 0) > 0;
    sys::ProcessSpec spec;
    spec.argv = {python->string(), "-c", std::string(embedded::python_probe()), gpu ? "cuda" : "cpu",
                 fmt::format("{}", static_cast<long>(request.number("python_steps", gpu ? 50 : 30))),
                 fmt::format("{}", static_cast<long>(request.number("python_batch", gpu ? 512 : 128))),
                 fmt::format("{}", request.number("python_learning_rate", 0.05))};
    spec.timeout = inner_timeout(request);
    spec.max_output_bytes = 1u << 20;
    const auto run = sys::run_process(spec);
    if (!run) {
        result.status = CheckStatus::error;
        result.detail = run.error().describe();
    } else if (const auto probe = find_result(run->out); probe && run->exited()) {
        result = judge(*probe, request);
        result.measurements = *probe;
        result.measurements.erase("traceback");
    } else {
        result.detail = fmt::format("{} {}: {}", python->string(), run->describe_status(),
                                    std::string(trim(run->err)).substr(0, 2000));
        result.hint = hint_for(result.detail);
    }
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
