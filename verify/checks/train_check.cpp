// The `train` check: runs the LibTorch training probe (built by the parent, see
// train_probe.hpp) under a watchdog and judges what it prints: no NaN/Inf, and the loss below
// the threshold after the configured steps. BF16 autocast on the GPU, fp32 on the CPU.
#include "base/strings.hpp"
#include "sys/process.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/shadowing.hpp"
#include "verify/runner/hints.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

struct TrainSettings {
    std::string device;  // "cpu" | "cuda"
    long steps = 0;
    long batch = 0;
    double learning_rate = 0.05;
    double loss_threshold = 0.1;
};

// GPU: 300 steps of 512 (well under a second on an H100); CPU: 60 of 128, enough to fall
// from ln(10) = 2.30 to about 0.002 on a healthy build. Parameters override each figure.
TrainSettings settings_for(const ProbeRequest& request)
{
    const auto device = requested_device(request);
    const bool gpu = device == "gpu" || (device == "auto" && request.number(param::gpu_count, 0) > 0);
    TrainSettings s;
    s.device = gpu ? "cuda" : "cpu";
    s.steps = static_cast<long>(request.number("train_steps", gpu ? 300 : 60));
    s.batch = static_cast<long>(request.number("train_batch", gpu ? 512 : 128));
    s.learning_rate = request.number("train_learning_rate", 0.05);
    s.loss_threshold = request.number("train_loss_threshold", 0.1);
    return s;
}

// The last line of `text` that parses as a JSON object.
std::optional<nlohmann::json> last_json_line(std::string_view text)
{
    const auto lines = split(text, '\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        auto document = nlohmann::json::parse(trim(*it), nullptr, false);
        if (!document.is_discarded() && document.is_object())
            return document;
    }
    return std::nullopt;
}

CheckResult judge(const nlohmann::json& probe, const TrainSettings& s)
{
    CheckResult result{.name = "train", .status = CheckStatus::pass};
    result.unit = "loss";
    result.threshold = s.loss_threshold;
    result.measurements = probe;
    result.measurements["loss_threshold"] = s.loss_threshold;
    const auto number = [&](const char* key) {
        return probe.contains(key) && probe[key].is_number() ? probe[key].get<double>() : std::nan("");
    };
    const double initial = number("initial_loss"), final = number("final_loss");
    if (!std::isnan(final))
        result.value = final;
    const auto run = fmt::format("{} steps of {} on {} (autocast {}, torch {})", s.steps, s.batch, s.device,
                                 probe.value("autocast", "?"), probe.value("torch", "?"));
    if (probe.contains("nonfinite_step") && !probe["nonfinite_step"].is_null()) {
        result.status = CheckStatus::fail;
        result.detail = fmt::format("the loss became NaN/Inf at step {} of {} (learning rate {})",
                                    probe["nonfinite_step"].dump(), run, s.learning_rate);
        result.hint = hint_for("NaN");
        return result;
    }
    const auto figures = fmt::format("loss {:.4g} -> {:.4g} in {}, {:.0f} samples/s", initial, final, run,
                                     number("samples_per_s"));
    if (std::isnan(final) || final > s.loss_threshold) {
        result.status = CheckStatus::fail;
        result.detail = fmt::format("{}: above the threshold {}", figures, s.loss_threshold);
        result.hint = "The training did not converge on data a healthy stack learns in a few steps: look at the "
                      "cublas and cudnn checks for wrong results, or reset the environment.";
        return result;
    }
    result.detail = figures;
    return result;
}

// When the probe runs on the environment's own LibTorch, the CUDA libraries it mapped must be
// the environment's too: another copy means LD_LIBRARY_PATH or the system paths won.
void check_library_origins(const ProbeRequest& request, CheckResult& result)
{
    std::vector<fs::path> mapped;
    for (const auto& file : result.measurements.value("libraries", nlohmann::json::array()))
        if (file.is_string())
            mapped.emplace_back(file.get<std::string>());
    result.measurements.erase("libraries");  // every mapped file: too much to keep
    const auto torch_dir = request.parameter(param::train_torch_dir);
    std::error_code ec;
    const auto environment = fs::canonical(request.environment, ec);
    if (!torch_dir || ec || !fs::path(*torch_dir).string().starts_with(environment.string() + "/"))
        return;  // a LibTorch from elsewhere (--torch-dir) brings its own libraries
    std::vector<std::string> foreign;
    for (const auto& file : foreign_cuda_libraries(request.environment, mapped))
        foreign.push_back(file.string());
    if (foreign.empty())
        return;
    result.status = CheckStatus::fail;
    result.detail += "; LibTorch loaded from outside the environment: " + join(foreign, ", ");
    result.hint = hint_for("undefined symbol");
}

}  // namespace

CheckResult run_train_check(const ProbeRequest& request)
{
    Stopwatch clock;
    const auto binary = request.parameter(param::train_binary);
    if (!binary || binary->empty())
        return {.name = "train", .status = CheckStatus::skip, .detail = "the training probe was not built"};
    const auto s = settings_for(request);
    sys::ProcessSpec spec;
    spec.argv = {*binary, "--device", s.device, "--steps", std::to_string(s.steps), "--batch",
                 std::to_string(s.batch), "--lr", fmt::format("{}", s.learning_rate)};
    spec.timeout = inner_timeout(request);
    spec.max_output_bytes = 1u << 20;
    const auto run = sys::run_process(spec);
    CheckResult result{.name = "train", .status = CheckStatus::fail};
    if (!run) {
        result.status = CheckStatus::error;
        result.detail = run.error().describe();
    } else if (!run->exited()) {
        result.detail = "the training probe " + run->describe_status() + ": " + std::string(trim(run->err)).substr(0, 2000);
        result.hint = hint_for(result.detail);
    } else if (const auto probe = last_json_line(run->out); !probe) {
        // Typically the loader refusing the environment's LibTorch (a missing or damaged
        // library): the environment is broken, so this is a failure, not envpin's error.
        result.detail = fmt::format("the training probe printed no result ({}): {}", run->describe_status(),
                                    std::string(trim(run->err + run->out)).substr(0, 2000));
        result.hint = hint_for(result.detail);
    } else if (probe->contains("error")) {
        result.detail = "the training probe failed: " + probe->value("error", "");
        result.hint = hint_for(result.detail);
        if (result.hint.empty())
            result.hint = "LibTorch could not run the training step: see the python and libs checks.";
    } else {
        result = judge(*probe, s);
        check_library_origins(request, result);
    }
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
