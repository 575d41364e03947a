// The `cublas` check: BF16, TF32 and strict FP32 GEMMs through the environment's own cuBLAS,
// and FP8 through its cuBLASLt where the GPU has FP8 tensor cores, on every GPU.
#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "kernels/kernels.hpp"
#include "verify/checks/cublas_gemm.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/kernel_launches.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/gpu_health.hpp"
#include "verify/host/nvml.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {
namespace {

Expected<CublasStack> load_stack(const ProbeRequest& request)
{
    const auto cudart = ENVPIN_TRY(locate_library(request, "cudart"));
    const auto cublas_lt = ENVPIN_TRY(locate_library(request, "cublasLt"));
    const auto cublas = ENVPIN_TRY(locate_library(request, "cublas"));
    return CublasStack{ENVPIN_TRY(CudaRuntime::load(cudart)),
                       ENVPIN_TRY(CublasApi::load(cublas, cublas_lt))};
}

nlohmann::json libraries_json(const CublasStack& stack)
{
    const int runtime = stack.runtime.version(), cublas = stack.cublas.version();
    return {{"cudart", library_json(stack.runtime.library, runtime, cuda_version_text(runtime))},
            {"cublas", library_json(stack.cublas.library, cublas, dotted_version(cublas))},
            {"cublasLt", {{"file", stack.cublas.lt.mapped_path()}}}};
}

// What the GEMMs measured on one GPU; fp8 is empty where the GPU has no FP8 tensor cores
// (fp8_skipped says why).
struct GpuGemms {
    GemmOutcome bf16, tf32, fp32;
    std::optional<GemmOutcome> fp8;
    std::string fp8_skipped;
    nlohmann::json clocks; // the SM clock while they ran (NVML), or why it was not read
};

// Samples GPU `index`'s SM clock while it lives (every 5 ms); its JSON, or why there is none.
class GemmClocks {
public:
    GemmClocks(const CudaDriver& driver, int index)
        : sampler_(NvmlClockSampler::start(gpu_uuid(driver, index), std::chrono::milliseconds(5)))
    {
    }
    [[nodiscard]] nlohmann::json finish()
    {
        if (!sampler_)
            return {{"not_measured", sampler_.error().describe()}};
        const auto clocks = sampler_->stop();
        nlohmann::json reasons = nlohmann::json::array();
        if (clocks.reasons_seen)
            reasons = clock_event_names(*clocks.reasons_seen);
        return {{"samples", clocks.samples},         {"min_mhz", clocks.min_mhz},
                {"median_mhz", clocks.median_mhz},   {"max_mhz", clocks.max_mhz},
                {"max_clock_mhz", clocks.max_clock_mhz ? nlohmann::json(*clocks.max_clock_mhz) : nlohmann::json()},
                {"events", reasons},                 {"held_back_by", clocks_held_back_by(clocks)},
                {"text", describe_clock_samples(clocks, "the GEMMs")}};
    }

private:
    Expected<NvmlClockSampler> sampler_;
};

std::pair<int, int> compute_capability(const CudaDriver& driver, int index)
{
    int major = 0, minor = 0;
    CUdevice device = 0;
    if (driver.cuDeviceGet(&device, index) == CUDA_SUCCESS) {
        driver.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        driver.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
    }
    return {major, minor};
}

Expected<GpuGemms> run_gpu(const CublasStack& stack, const GpuInventory& inventory, int index,
                           const CublasSettings& settings)
{
    auto session = ENVPIN_TRY(GpuSession::open(inventory.driver, index));
    const auto stream = ENVPIN_TRY(stack.runtime.create_stream(index));
    ENVPIN_TRY(session.activate());
    const auto handle = ENVPIN_TRY(stack.cublas.create_handle());
    ENVPIN_TRY(stack.cublas.set_stream(handle, stream.get()));
    const GemmContext context{stack, session, stream.get(), settings};
    const auto ex = [&](const GemmKind& kind) {
        return measure_gemm(context, kind, gemm_ex_call(stack, handle, kind, settings.n));
    };
    GpuGemms gemms;
    GemmClocks clocks(inventory.driver, index);
    gemms.bf16 = ENVPIN_TRY_CTX("BF16 GEMM", ex(bf16_gemm));
    gemms.tf32 = ENVPIN_TRY_CTX("TF32 GEMM", ex(tf32_gemm));
    gemms.fp32 = ENVPIN_TRY_CTX("FP32 GEMM", ex(fp32_gemm));
    const auto [major, minor] = compute_capability(inventory.driver, index);
    if (has_fp8_tensor_cores(major, minor)) {
        const auto fp8 = ENVPIN_TRY_CTX("FP8 GEMM", fp8_lt_call(stack, stream.get(), settings.n));
        gemms.fp8 = ENVPIN_TRY_CTX("FP8 GEMM", measure_gemm(context, fp8_gemm, fp8));
    } else {
        gemms.fp8_skipped = fmt::format("sm_{}{} has no FP8 tensor cores (sm_89 and newer have)", major, minor);
    }
    gemms.clocks = clocks.finish();
    return gemms;
}

// What is wrong across the GPUs: sentences, and which kind of wrong (for the hint).
struct Judgement {
    std::vector<std::string> problems;
    bool wrong = false;         // results not right or not repeatable
    bool slow = false;          // below a floor
    bool tf32_not_faster = false;
};

// Sentences for what is wrong with one kind's outcome on GPU `index`.
void judge(Judgement& judgement, int index, const GemmKind& kind, const GemmOutcome& outcome, const Floor& floor)
{
    auto& problems = judgement.problems;
    const auto say = [&](std::string text) {
        problems.push_back(fmt::format("GPU {} {}: {}", index, kind.name, text));
    };
    const size_t before = problems.size();
    if (outcome.error.non_finite > 0)
        say(fmt::format("{} of {} sampled outputs are NaN or infinite", outcome.error.non_finite,
                        outcome.error.samples));
    if (!outcome.error.within(kind.error_limit))
        say(fmt::format("relative error {:.3g} exceeds {:.0e}", outcome.error.relative,
                        kind.error_limit));
    if (outcome.mismatched_words > 0)
        say(fmt::format("two identical runs differ in {} words", outcome.mismatched_words));
    judgement.wrong = judgement.wrong || problems.size() > before;
    if (!floor.passes(outcome.tflops)) {
        judgement.slow = true;
        say(fmt::format("{:.0f} TFLOP/s is below the floor {:.0f} ({:.0f}% of {:.0f})",
                        outcome.tflops, *floor.threshold, 100 * *floor.threshold / *floor.reference,
                        *floor.reference));
    }
}

CublasSettings read_settings(const ProbeRequest& request)
{
    CublasSettings settings;
    settings.n =
        std::clamp(static_cast<int>(request.number("gemm_size", 8192)), 64, 32768) / 64 * 64;
    settings.repeats = std::max(1, static_cast<int>(request.number("repeats", 10)));
    settings.samples = static_cast<size_t>(std::max(1.0, request.number("samples", 256)));
    settings.floor_fraction = request.number("tflops_floor", 0.6);
    settings.seed = std::random_device{}();
    return settings;
}

Floor kind_floor(const ProbeRequest& request, const GemmKind& kind, double fraction)
{
    std::optional<double> reference;
    if (request.parameter(kind.reference_parameter))
        reference = request.number(kind.reference_parameter, 0);
    return rate_floor(reference, fraction);
}

nlohmann::json gpu_json(const GpuInventory& inventory, int index, const GpuGemms& gemms,
                        const std::vector<GpuInfo>& host)
{
    nlohmann::json gpu{{"index", index},
                       {"name", gpu_label(inventory.driver, index, host)},
                       {"bf16", gemms.bf16.json()},
                       {"tf32", gemms.tf32.json()},
                       {"fp32", gemms.fp32.json()},
                       {"tf32_speedup", gemms.fp32.tflops > 0 ? gemms.tf32.tflops / gemms.fp32.tflops : 0.0}};
    gpu["fp8"] = gemms.fp8 ? gemms.fp8->json() : nlohmann::json{{"skipped", gemms.fp8_skipped}};
    gpu["clocks"] = gemms.clocks;
    return gpu;
}

void judge_gpu(Judgement& judgement, const ProbeRequest& request, const CublasSettings& settings, int index,
               const GpuGemms& gemms)
{
    for (const auto& [kind, outcome] : {std::pair{&bf16_gemm, &gemms.bf16}, std::pair{&tf32_gemm, &gemms.tf32},
                                        std::pair{&fp32_gemm, &gemms.fp32}})
        judge(judgement, index, *kind, *outcome, kind_floor(request, *kind, settings.floor_fraction));
    if (gemms.fp8)
        judge(judgement, index, fp8_gemm, *gemms.fp8, kind_floor(request, fp8_gemm, settings.floor_fraction));
    if (gemms.tf32.tflops <= gemms.fp32.tflops) {
        judgement.tf32_not_faster = true;
        judgement.problems.push_back(fmt::format("GPU {} tf32: {:.0f} TFLOP/s is not faster than strict FP32's {:.0f}: "
                                                 "the TF32 GEMM did not run on tensor cores",
                                                 index, gemms.tf32.tflops, gemms.fp32.tflops));
    }
}

// "; SM clock 1980 MHz during the GEMMs (...)": what NVML saw while they ran, when it could.
std::string clocks_text(const nlohmann::json& clocks)
{
    return clocks.contains("text") ? "; " + clocks["text"].get<std::string>() : "";
}

std::string pass_detail(const CublasSettings& settings, int count, const nlohmann::json& first, double slowest)
{
    const auto& fp8 = first["fp8"];
    const auto fp8_figure = fp8.contains("tflops") ? fmt::format(", FP8 {:.0f}", fp8["tflops"].get<double>()) : "";
    const auto fp8_skipped =
        fp8.contains("skipped") ? fmt::format("; FP8 not run: {}", fp8["skipped"].get<std::string>()) : "";
    return fmt::format("{0}x{0}x{0} GEMM on {1} GPU{2} ({3}): BF16 {4:.0f}, TF32 {5:.0f} ({6:.1f}x strict FP32's "
                       "{7:.0f}){8} TFLOP/s; {9} samples of each within its limit (BF16 and FP8 1e-2, TF32 1e-3, "
                       "FP32 1e-5); bit-repeatable{10}",
                       settings.n, count, count == 1 ? "" : "s", first["name"].get<std::string>(), slowest,
                       first["tf32"]["tflops"].get<double>(), first["tf32_speedup"].get<double>(),
                       first["fp32"]["tflops"].get<double>(), fp8_figure, settings.samples, fp8_skipped) +
           clocks_text(first["clocks"]);
}

std::string hint_for_judgement(const Judgement& judgement)
{
    if (judgement.wrong)
        return "cuBLAS computed wrong or unrepeatable results: suspect the GPU (run DCGM diagnostics, dcgmi diag -r "
               "3) or a damaged cuBLAS (restore the environment)";
    if (judgement.tf32_not_faster)
        return "TF32 ran no faster than strict FP32: the environment's cuBLAS did not use tensor cores for it "
               "(NVIDIA_TF32_OVERRIDE=0 in the environment turns them off; a cuBLAS without kernels for this GPU "
               "falls back too)";
    if (judgement.slow)
        return "GEMM throughput is low: look for other processes on the GPU (nvidia-smi) and for clock or power "
               "throttling (the SM clock during the GEMMs is in this check's measurements; nvidia-smi -q -d "
               "PERFORMANCE)";
    return "";
}

} // namespace

CheckResult run_cublas_check(const ProbeRequest& request)
{
    CheckResult result;
    result.unit = "TFLOP/s";
    const auto settings = read_settings(request);
    const auto bf16_floor = kind_floor(request, bf16_gemm, settings.floor_fraction);
    result.reference = bf16_floor.reference;
    result.threshold = bf16_floor.threshold;
    auto stack = load_stack(request);
    if (!stack)
        return finish_with(std::move(result), stack.error());
    result.measurements = {{"libraries", libraries_json(*stack)},
                           {"gemm_size", settings.n},
                           {"seed", settings.seed},
                           {"gpus", nlohmann::json::array()}};
    auto inventory = open_gpus(UsesTestKernels::yes);
    if (!inventory)
        return finish_with(std::move(result), inventory.error());
    const auto host = host_gpus(request);
    Judgement judgement;
    double slowest = std::numeric_limits<double>::infinity();
    for (int index = 0; index < inventory->count; ++index) {
        auto gemms = run_gpu(*stack, *inventory, index, settings);
        if (!gemms)
            return finish_with(std::move(result), gemms.error().with_context(fmt::format("GPU {}", index)));
        result.measurements["gpus"].push_back(gpu_json(*inventory, index, *gemms, host));
        judge_gpu(judgement, request, settings, index, *gemms);
        slowest = std::min(slowest, gemms->bf16.tflops);
    }
    result.value = slowest;
    result.status = judgement.problems.empty() ? CheckStatus::pass : CheckStatus::fail;
    result.detail = judgement.problems.empty()
                        ? pass_detail(settings, inventory->count, result.measurements["gpus"][0], slowest)
                        : join(judgement.problems, "; ") + clocks_text(result.measurements["gpus"][0]["clocks"]);
    result.hint = hint_for_judgement(judgement);
    return result;
}

} // namespace envpin::verify
