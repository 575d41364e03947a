// The `cublas` check: BF16 and TF32 GEMMs through the environment's own cuBLAS on every GPU.
#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "kernels/kernels.hpp"
#include "verify/cublas_api.hpp"
#include "verify/gemm_reference.hpp"
#include "verify/gpu_check_support.hpp"
#include "verify/gpu_checks.hpp"
#include "verify/gpu_figures.hpp"
#include "verify/gpu_session.hpp"
#include "verify/kernel_checks.hpp"

namespace envpin::verify {
namespace {

struct GemmKind {
    const char* name;
    GemmInput input;
    int data_type; // of A, B and C
    int compute_type;
    size_t element_bytes;
    double error_limit; // norm-wise relative error against the double reference
    const char* fill_kernel;
    const char* reference_parameter;
};

// BF16 inputs and output with FP32 accumulation; FP32 inputs on TF32 tensor cores.
constexpr GemmKind bf16_gemm{"bf16",
                             GemmInput::bf16,
                             CUDA_R_16BF,
                             CUBLAS_COMPUTE_32F,
                             2,
                             1e-2,
                             kernels::fill_uniform_bf16,
                             "reference_bf16_tflops"};
constexpr GemmKind tf32_gemm{"tf32",
                             GemmInput::fp32,
                             CUDA_R_32F,
                             CUBLAS_COMPUTE_32F_FAST_TF32,
                             4,
                             1e-3,
                             kernels::fill_uniform_f32,
                             "reference_tf32_tflops"};

struct CublasSettings {
    int n = 8192;
    int repeats = 10;
    size_t samples = 256;
    double floor_fraction = 0.6;
    unsigned long long seed = 0;
};

struct CublasStack {
    CudaRuntime runtime;
    CublasApi cublas;
};

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

// What one GEMM kind measured on one GPU.
struct GemmOutcome {
    double tflops = 0;
    double median_ms = 0;
    SampleError error;
    unsigned long long mismatched_words = 0; // between two identical runs
    nlohmann::json json() const
    {
        return {{"tflops", tflops},
                {"median_ms", median_ms},
                {"samples", error.samples},
                {"relative_error", error.relative},
                {"non_finite", error.non_finite},
                {"mismatched_words", mismatched_words}};
    }
};

// The GPU's sampled elements of `c`, widened to double.
Expected<std::vector<double>> download_samples(const CudaRuntime& rt, const RuntimeBuffer& c,
                                               const GemmKind& kind, int n,
                                               const std::vector<std::pair<int, int>>& positions)
{
    std::vector<double> values;
    for (const auto& [row, column] : positions) {
        const size_t offset =
            (static_cast<size_t>(row) + static_cast<size_t>(column) * n) * kind.element_bytes;
        const auto* source = static_cast<const char*>(c.get()) + offset;
        if (kind.input == GemmInput::bf16) {
            std::uint16_t bits = 0;
            ENVPIN_TRY(rt.download(&bits, source, sizeof bits));
            values.push_back(bf16_to_float(bits));
        } else {
            float value = 0;
            ENVPIN_TRY(rt.download(&value, source, sizeof value));
            values.push_back(value);
        }
    }
    return values;
}

class GemmRun {
  public:
    GemmRun(const CublasStack& stack, const GpuSession& session, const CublasHandle& handle,
            cudaStream_t stream, const GemmKind& kind, const CublasSettings& settings)
        : stack_(stack), session_(session), handle_(handle), stream_(stream), kind_(kind),
          settings_(settings)
    {
    }

    [[nodiscard]] Expected<GemmOutcome> run()
    {
        const auto& rt = stack_.runtime;
        const size_t n = static_cast<size_t>(settings_.n), bytes = n * n * kind_.element_bytes;
        const auto a = ENVPIN_TRY(rt.allocate(bytes)), b = ENVPIN_TRY(rt.allocate(bytes));
        const auto c1 = ENVPIN_TRY(rt.allocate(bytes)), c2 = ENVPIN_TRY(rt.allocate(bytes));
        const auto seed_a = settings_.seed * 4 + 1, seed_b = settings_.seed * 4 + 2;
        ENVPIN_TRY(launch_fill(session_, kind_.fill_kernel, a.address(), n * n, seed_a));
        ENVPIN_TRY(launch_fill(session_, kind_.fill_kernel, b.address(), n * n, seed_b));
        // Different poisons: an element neither run writes shows as a repeatability mismatch.
        ENVPIN_TRY(rt.fill_bytes(c1, 0xff));
        ENVPIN_TRY(rt.fill_bytes(c2, 0xfe));
        ENVPIN_TRY(rt.synchronize_device());
        ENVPIN_TRY(gemm(a, b, c1));
        ENVPIN_TRY(gemm(a, b, c2));
        ENVPIN_TRY(rt.synchronize_device());
        GemmOutcome outcome;
        outcome.mismatched_words =
            ENVPIN_TRY(run_counting_kernel(session_, kernels::count_mismatch, c1.address(),
                                           c2.address(),
                                           static_cast<unsigned long long>(bytes / 4)))
                .count;
        const auto positions = sample_positions(settings_.n, settings_.samples, settings_.seed);
        const auto got = ENVPIN_TRY(download_samples(rt, c1, kind_, settings_.n, positions));
        std::vector<double> want;
        for (const auto& [row, column] : positions)
            want.push_back(gemm_reference(kind_.input, seed_a, seed_b, settings_.n, row, column));
        outcome.error = compare_samples(got, want);
        outcome.median_ms = ENVPIN_TRY(time_gemms(a, b, c1));
        outcome.tflops = teraflops(gemm_flops(n, n, n), outcome.median_ms);
        return outcome;
    }

  private:
    Expected<void> gemm(const RuntimeBuffer& a, const RuntimeBuffer& b,
                        const RuntimeBuffer& c) const
    {
        const float alpha = 1, beta = 0;
        const int n = settings_.n, type = kind_.data_type;
        if (auto status = stack_.cublas.cublasGemmEx(
                handle_.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.get(), type, n, b.get(),
                type, n, &beta, c.get(), type, n, kind_.compute_type, CUBLAS_GEMM_DEFAULT);
            status != 0)
            return std::unexpected(stack_.cublas.error("cublasGemmEx", status));
        return {};
    }

    // Median of `repeats` GEMMs, each between its own pair of events (the two correctness
    // runs before were the warm-up).
    Expected<double> time_gemms(const RuntimeBuffer& a, const RuntimeBuffer& b,
                                const RuntimeBuffer& c) const
    {
        const auto& rt = stack_.runtime;
        std::vector<RuntimeEvent> starts, stops;
        for (int i = 0; i < settings_.repeats; ++i) {
            starts.push_back(ENVPIN_TRY(rt.create_event()));
            stops.push_back(ENVPIN_TRY(rt.create_event()));
            ENVPIN_TRY(rt.record(starts.back(), stream_));
            ENVPIN_TRY(gemm(a, b, c));
            ENVPIN_TRY(rt.record(stops.back(), stream_));
        }
        std::vector<double> times;
        for (int i = 0; i < settings_.repeats; ++i)
            times.push_back(ENVPIN_TRY(rt.elapsed(starts[i], stops[i])));
        return median(times);
    }

    const CublasStack& stack_;
    const GpuSession& session_;
    const CublasHandle& handle_;
    cudaStream_t stream_;
    const GemmKind& kind_;
    const CublasSettings& settings_;
};

struct GpuGemms {
    GemmOutcome bf16, tf32;
};

Expected<GpuGemms> run_gpu(const CublasStack& stack, const GpuInventory& inventory, int index,
                           const CublasSettings& settings)
{
    auto session = ENVPIN_TRY(GpuSession::open(inventory.driver, index));
    const auto stream = ENVPIN_TRY(stack.runtime.create_stream(index));
    ENVPIN_TRY(session.activate());
    const auto handle = ENVPIN_TRY(stack.cublas.create_handle());
    ENVPIN_TRY(stack.cublas.set_stream(handle, stream.get()));
    GpuGemms gemms;
    gemms.bf16 = ENVPIN_TRY_CTX(
        "BF16 GEMM", GemmRun(stack, session, handle, stream.get(), bf16_gemm, settings).run());
    gemms.tf32 = ENVPIN_TRY_CTX(
        "TF32 GEMM", GemmRun(stack, session, handle, stream.get(), tf32_gemm, settings).run());
    return gemms;
}

// Sentences for what is wrong with one kind's outcome on GPU `index`.
void judge(std::vector<std::string>& problems, int index, const GemmKind& kind,
           const GemmOutcome& outcome, const Floor& floor, bool& wrong, bool& slow)
{
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
    wrong = wrong || problems.size() > before;
    if (!floor.passes(outcome.tflops)) {
        slow = true;
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

} // namespace

CheckResult check_cublas(const ProbeRequest& request)
{
    CheckResult result;
    result.unit = "TFLOP/s";
    const auto settings = read_settings(request);
    const auto bf16_floor = kind_floor(request, bf16_gemm, settings.floor_fraction);
    const auto tf32_floor = kind_floor(request, tf32_gemm, settings.floor_fraction);
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
    std::vector<std::string> problems;
    bool wrong = false, slow = false;
    double slowest = std::numeric_limits<double>::infinity();
    for (int index = 0; index < inventory->count; ++index) {
        auto gemms = run_gpu(*stack, *inventory, index, settings);
        if (!gemms)
            return finish_with(std::move(result),
                               gemms.error().with_context(fmt::format("GPU {}", index)));
        result.measurements["gpus"].push_back({{"index", index},
                                               {"name", gpu_name(inventory->driver, index)},
                                               {"bf16", gemms->bf16.json()},
                                               {"tf32", gemms->tf32.json()}});
        judge(problems, index, bf16_gemm, gemms->bf16, bf16_floor, wrong, slow);
        judge(problems, index, tf32_gemm, gemms->tf32, tf32_floor, wrong, slow);
        slowest = std::min(slowest, gemms->bf16.tflops);
    }
    result.value = slowest;
    result.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
    const auto& first = result.measurements["gpus"][0];
    result.detail =
        problems.empty()
            ? fmt::format(
                  "{0}x{0}x{0} GEMM on {1} GPU{2} ({3}): BF16 {4:.0f} TFLOP/s, TF32 {5:.0f} "
                  "TFLOP/s; {6} samples within 1e-2 / 1e-3 of the reference; "
                  "bit-repeatable",
                  settings.n, inventory->count, inventory->count == 1 ? "" : "s",
                  first["name"].get<std::string>(), slowest, first["tf32"]["tflops"].get<double>(),
                  settings.samples)
            : join(problems, "; ");
    if (wrong)
        result.hint = "cuBLAS computed wrong or unrepeatable results: suspect the GPU (run DCGM "
                      "diagnostics, dcgmi diag -r 3) or a damaged cuBLAS (restore the environment)";
    else if (slow)
        result.hint = "GEMM throughput is low: look for other processes on the GPU (nvidia-smi) "
                      "and for clock or power throttling (nvidia-smi -q -d PERFORMANCE)";
    return result;
}

} // namespace envpin::verify
