// The `python` check: the environment's own interpreter imports torch, must see every GPU the
// host has (torch turns several CUDA failures into a warning plus is_available() == False, so
// that is a failure here, with torch's warning kept), and trains a few steps. This runs the
// environment's code, so it runs under the watchdog like everything else.
#include <cmath>
#include <cstdlib>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/env_distributions.hpp"
#include "verify/host/shadowing.hpp"
#include "verify/runner/embedded_sources.hpp"
#include "verify/runner/hints.hpp"
#include "verify/runner/run_context.hpp"

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
    const auto host = static_cast<long long>(request.number(param::gpu_count, 0));
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    if (visible != nullptr)
        note = fmt::format(" (CUDA_VISIBLE_DEVICES={})", visible);
    return static_cast<long>(
        visible_gpu_count(host, visible != nullptr ? std::optional<std::string>(visible) : std::nullopt));
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

std::string text_or(const nlohmann::json& probe, const char* key, const char* fallback)
{
    const auto it = probe.find(key);
    return it != probe.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double number_or_nan(const nlohmann::json& probe, const char* key)
{
    const auto it = probe.find(key);
    return it != probe.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// GPU visibility: a GPU host where torch sees no GPU (or fewer) fails, keeping torch's warning.
Finding visibility_finding(const nlohmann::json& probe, const ProbeRequest& request)
{
    std::string note;
    const auto device = requested_device(request);
    const long expected = device == "cpu" ? 0 : expected_gpus(request, note);
    const bool available = probe.value("cuda_available", false);
    const long seen = probe.value("device_count", 0L);
    Finding f{"GPUs"};
    if (device == "gpu" && expected == 0 && !available) {
        f.status = CheckStatus::fail;
        f.detail = "--device gpu, but neither the host nor torch sees a GPU";
        return f;
    }
    if (expected == 0 || (available && seen == expected)) {
        f.detail = fmt::format("torch sees {} GPU(s){}", seen, note);
        return f;
    }
    f.status = CheckStatus::fail;
    const auto warnings = warnings_text(probe);
    f.detail = available ? fmt::format("torch sees {} of the host's {} GPUs{}", seen, expected, note)
                         : fmt::format("torch.cuda.is_available() is False on a host with {} GPU(s){}", expected, note);
    if (!warnings.empty())
        f.detail += "; torch warned: " + warnings;
    f.hint = hint_for(warnings);
    if (f.hint.empty())
        f.hint = "torch cannot reach the GPU: a CPU-only torch build, a driver older than its CUDA, or "
                 "CUDA_VISIBLE_DEVICES hiding devices; see the host and libs checks.";
    return f;
}

Finding training_finding(const nlohmann::json& probe, double threshold)
{
    Finding f{"training"};
    const double final = number_or_nan(probe, "final_loss");
    const auto run = fmt::format("{} steps of {} on {}", probe.value("steps", 0), probe.value("batch", 0),
                                 text_or(probe, "device", "?"));
    if (!probe.value("nonfinite_step", nlohmann::json()).is_null()) {
        f.status = CheckStatus::fail;
        f.detail = fmt::format("the loss became NaN/Inf at step {} of {}", probe["nonfinite_step"].dump(), run);
        f.hint = hint_for("NaN");
    } else if (std::isnan(final) || final > threshold) {
        f.status = CheckStatus::fail;
        f.detail = fmt::format("loss {:.4g} after {}: above the threshold {}", final, run, threshold);
        f.hint = "The environment's torch did not learn an easy task: see the train, cublas and cudnn checks.";
    } else
        f.detail = fmt::format("loss {:.4g} -> {:.4g} in {}, {:.0f} samples/s", number_or_nan(probe, "initial_loss"),
                               final, run, number_or_nan(probe, "samples_per_s"));
    return f;
}

// What torch loaded against what the stack pins: cuDNN (runtime against the pin and against
// the version torch was built with) and NCCL. Absent figures (a CPU torch) say nothing.
std::vector<Finding> version_findings(const nlohmann::json& probe, const ProbeRequest& request)
{
    std::vector<Finding> findings;
    const auto installed = installed_distributions(request.environment);
    const auto compare = [&](const char* name, const std::string& loaded, const char* prefix) {
        Finding f{name, CheckStatus::pass, "torch loaded " + loaded};
        if (const auto expected = expected_distribution(prefix, request, installed)) {
            const bool agree = versions_agree(loaded, expected->second);
            f.detail += fmt::format("{} {} {}", agree ? ", matches" : ", but the stack has", expected->first,
                                    expected->second);
            if (!agree) {
                f.status = CheckStatus::fail;
                f.hint = "torch loaded another copy than the environment's own (LD_LIBRARY_PATH, or files replaced): "
                         "see the libs check; unset LD_LIBRARY_PATH or reset the environment.";
            }
        }
        return f;
    };
    if (const auto it = probe.find("cudnn"); it != probe.end() && it->is_number_integer()) {
        auto f = compare("cuDNN", cudnn_version_text(it->get<long long>()), "nvidia-cudnn");
        const auto built = probe.value("cudnn_compile", nlohmann::json::array());
        if (built.size() == 3 && built[0].is_number_integer()) {
            const long long runtime = it->get<long long>();
            const long long compile = built[0].get<long long>() * 10000 + built[1].get<long long>() * 100 + built[2].get<long long>();
            f.detail += fmt::format(" (torch was built with {})", cudnn_version_text(compile));
            if (runtime / 10000 != compile / 10000 || runtime < compile) {
                f.status = CheckStatus::fail;
                f.hint = "The cuDNN torch loaded is older than, or of another major version than, the one torch was "
                         "built with: reinstall the nvidia-cudnn wheel the torch release pins, or reset.";
            }
        }
        findings.push_back(std::move(f));
    }
    if (const auto it = probe.find("nccl"); it != probe.end() && it->is_string())
        findings.push_back(compare("NCCL", it->get<std::string>(), "nvidia-nccl"));
    return findings;
}

// CUDA libraries the Python process mapped from outside the environment.
std::optional<Finding> foreign_library_finding(const nlohmann::json& probe, const ProbeRequest& request)
{
    std::vector<fs::path> mapped;
    for (const auto& file : probe.value("libraries", nlohmann::json::array()))
        if (file.is_string())
            mapped.emplace_back(file.get<std::string>());
    std::vector<std::string> foreign;
    for (const auto& file : foreign_cuda_libraries(request.environment, mapped))
        foreign.push_back(file.string());
    if (foreign.empty())
        return std::nullopt;
    return Finding{"libraries", CheckStatus::fail, "torch loaded from outside the environment: " + join(foreign, ", "),
                   hint_for("undefined symbol")};
}

// An environment that never held torch has nothing to import: its Python started and ran the
// probe, which is all there is to prove. Where torch is expected, a missing torch fails.
std::optional<CheckResult> no_torch_stack(const nlohmann::json& probe, const ProbeRequest& request)
{
    if (request.parameter(param::torch_stack) != "none" ||
        probe.value("error", "").find("No module named 'torch'") == std::string::npos)
        return std::nullopt;
    CheckResult result{.name = "python", .status = CheckStatus::skip};
    result.detail = fmt::format("Python {} starts; the environment has no torch stack (none of its snapshots "
                                "held torch), so there is nothing to import or train",
                                text_or(probe, "python", "?"));
    return result;
}

// "; FP32 matmuls strict (torch.backends.cuda.matmul.allow_tf32 False, precision "highest"),
// cuDNN TF32 on": what this torch does with FP32 matrix work unless the program says otherwise.
std::string tf32_text(const nlohmann::json& probe)
{
    const auto it = probe.find("tf32");
    if (it == probe.end() || !it->is_object())
        return "";
    const bool matmul = it->value("matmul_allow_tf32", false), cudnn = it->value("cudnn_allow_tf32", false);
    return fmt::format("; FP32 matmuls {} (torch.backends.cuda.matmul.allow_tf32 {}, precision \"{}\"), cuDNN TF32 {}",
                       matmul ? "on TF32" : "strict", matmul ? "True" : "False",
                       it->value("float32_matmul_precision", "?"), cudnn ? "on" : "off");
}

CheckResult judge(const nlohmann::json& probe, const ProbeRequest& request)
{
    if (auto result = no_torch_stack(probe, request))
        return *result;
    if (probe.contains("error")) {
        CheckResult result{.name = "python", .status = CheckStatus::fail};
        result.detail = probe.value("error", "");
        result.hint = hint_for(result.detail + "\n" + probe.value("traceback", ""));
        return result;
    }
    const double threshold = request.number("python_loss_threshold", 0.5);
    std::vector<Finding> findings{
        {"torch", CheckStatus::pass,
         fmt::format("{} (CUDA {}) from {}{}", text_or(probe, "torch", "?"), text_or(probe, "cuda_build", "none"),
                     text_or(probe, "torch_file", "?"), tf32_text(probe))},
        visibility_finding(probe, request), training_finding(probe, threshold)};
    for (auto& f : version_findings(probe, request))
        findings.push_back(std::move(f));
    if (auto f = foreign_library_finding(probe, request))
        findings.push_back(std::move(*f));
    auto result = combine_findings("python", findings);
    result.unit = "loss";
    result.threshold = threshold;
    if (const double final = number_or_nan(probe, "final_loss"); !std::isnan(final))
        result.value = final;
    return result;
}

// What a dead interpreter left on stderr: with faulthandler's report, its first line and the
// innermost Python frames ("Fatal Python error: Segmentation fault; in File \".../linear.py\",
// line 9 in <module>; ..."); otherwise the start of the text.
std::string crash_text(std::string_view err)
{
    const auto fatal = err.find("Fatal Python error:");
    if (fatal == std::string_view::npos)
        return std::string(trim(err)).substr(0, 2000);
    const auto lines = split(err.substr(fatal), '\n');
    std::vector<std::string> frames;
    for (const auto line : lines)
        if (trim(line).starts_with("File \"") && frames.size() < 4)
            frames.emplace_back(trim(line));
    auto text = std::string(trim(lines.front()));
    if (!frames.empty())
        text += "; in " + join(frames, "; ");
    return text;
}

// The probe reported, then the interpreter died on its way out (a half-imported torch can crash
// in its teardown): the report stays the cause, told first, and the crash makes it a failure.
void add_crash_after_result(CheckResult& result, const fs::path& python, const sys::ProcessResult& run)
{
    result.detail += fmt::format("; then {} {} on its way out: {}", python.string(), run.describe_status(),
                                 crash_text(run.err));
    if (result.status == CheckStatus::pass || result.status == CheckStatus::skip) {
        result.status = CheckStatus::fail;
        result.hint = hint_for(result.detail);
    }
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
    // -X faulthandler: a crash inside the interpreter still names the Python frames it was in.
    spec.argv = {python->string(), "-X", "faulthandler", "-c", std::string(embedded::python_probe()), gpu ? "cuda" : "cpu",
                 fmt::format("{}", static_cast<long>(request.number("python_steps", gpu ? 50 : 30))),
                 fmt::format("{}", static_cast<long>(request.number("python_batch", gpu ? 512 : 128))),
                 fmt::format("{}", request.number("python_learning_rate", 0.05)),
                 request.parameter(param::python_gate).value_or(""),
                 fmt::format("{}", request.number(param::python_gate_limit_ms, 0) / 1000)};
    spec.timeout = inner_timeout(request);
    spec.max_output_bytes = 1u << 20;
    const auto run = sys::run_process(spec);
    if (!run) {
        result.status = CheckStatus::error;
        result.detail = run.error().describe();
    } else if (const auto probe = find_result(run->out); probe) {
        result = judge(*probe, request);
        auto findings = result.measurements.value("findings", nlohmann::json::array());
        result.measurements = *probe;
        result.measurements["findings"] = std::move(findings);
        result.measurements.erase("traceback");
        result.measurements.erase("libraries");  // every mapped file: too much to keep
        if (!run->exited())
            add_crash_after_result(result, *python, *run);
    } else {
        result.detail = fmt::format("{} {}: {}", python->string(), run->describe_status(), crash_text(run->err));
        result.hint = hint_for(result.detail);
    }
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
