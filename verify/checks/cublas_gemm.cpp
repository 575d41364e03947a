#include "verify/checks/cublas_gemm.hpp"

#include <memory>
#include <vector>

#include "kernels/kernels.hpp"
#include "verify/checks/kernel_launches.hpp"

namespace envpin::verify {

const GemmKind bf16_gemm{"bf16", "BF16", GemmInput::bf16, CUDA_R_16BF, CUDA_R_16BF, 2, 2, CUBLAS_COMPUTE_32F,
                         1e-2, kernels::fill_uniform_bf16, "reference_bf16_tflops"};
const GemmKind tf32_gemm{"tf32", "TF32", GemmInput::fp32, CUDA_R_32F, CUDA_R_32F, 4, 4,
                         CUBLAS_COMPUTE_32F_FAST_TF32, 1e-3, kernels::fill_uniform_f32, "reference_tf32_tflops"};
const GemmKind fp32_gemm{"fp32", "FP32", GemmInput::fp32, CUDA_R_32F, CUDA_R_32F, 4, 4, CUBLAS_COMPUTE_32F,
                         1e-5, kernels::fill_uniform_f32, "reference_fp32_tflops"};
const GemmKind fp8_gemm{"fp8", "FP8", GemmInput::e4m3, CUDA_R_8F_E4M3, CUDA_R_16BF, 1, 2, CUBLAS_COMPUTE_32F,
                        1e-2, kernels::fill_uniform_e4m3, "reference_fp8_tflops"};

nlohmann::json GemmOutcome::json() const
{
    return {{"tflops", tflops},
            {"median_ms", median_ms},
            {"samples", error.samples},
            {"relative_error", error.relative},
            {"non_finite", error.non_finite},
            {"mismatched_words", mismatched_words}};
}

namespace {

// The GPU's sampled elements of `c`, widened to double.
Expected<std::vector<double>> download_samples(const CudaRuntime& rt, const RuntimeBuffer& c, const GemmKind& kind,
                                               int n, const std::vector<std::pair<int, int>>& positions)
{
    std::vector<double> values;
    for (const auto& [row, column] : positions) {
        const size_t offset = (static_cast<size_t>(row) + static_cast<size_t>(column) * n) * kind.output_bytes;
        const auto* source = static_cast<const char*>(c.get()) + offset;
        if (kind.output_type == CUDA_R_16BF) {
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

// Median of `repeats` GEMMs, each between its own pair of events (the two correctness runs
// before were the warm-up).
Expected<double> time_gemms(const GemmContext& context, const GemmCall& call, const RuntimeBuffer& a,
                            const RuntimeBuffer& b, const RuntimeBuffer& c)
{
    const auto& rt = context.stack.runtime;
    std::vector<RuntimeEvent> starts, stops;
    for (int i = 0; i < context.settings.repeats; ++i) {
        starts.push_back(ENVPIN_TRY(rt.create_event()));
        stops.push_back(ENVPIN_TRY(rt.create_event()));
        ENVPIN_TRY(rt.record(starts.back(), context.stream));
        ENVPIN_TRY(call(a, b, c));
        ENVPIN_TRY(rt.record(stops.back(), context.stream));
    }
    std::vector<double> times;
    for (int i = 0; i < context.settings.repeats; ++i)
        times.push_back(ENVPIN_TRY(rt.elapsed(starts[i], stops[i])));
    return median(times);
}

} // namespace

Expected<GemmOutcome> measure_gemm(const GemmContext& context, const GemmKind& kind, const GemmCall& call)
{
    const auto& rt = context.stack.runtime;
    const auto& settings = context.settings;
    const size_t n = static_cast<size_t>(settings.n);
    const auto a = ENVPIN_TRY(rt.allocate(n * n * kind.input_bytes)), b = ENVPIN_TRY(rt.allocate(n * n * kind.input_bytes));
    const size_t out_bytes = n * n * kind.output_bytes;
    const auto c1 = ENVPIN_TRY(rt.allocate(out_bytes)), c2 = ENVPIN_TRY(rt.allocate(out_bytes));
    const auto seed_a = settings.seed * 4 + 1, seed_b = settings.seed * 4 + 2;
    ENVPIN_TRY(launch_fill(context.session, kind.fill_kernel, a.address(), n * n, seed_a));
    ENVPIN_TRY(launch_fill(context.session, kind.fill_kernel, b.address(), n * n, seed_b));
    // Different poisons: an element neither run writes shows as a repeatability mismatch.
    ENVPIN_TRY(rt.fill_bytes(c1, 0xff));
    ENVPIN_TRY(rt.fill_bytes(c2, 0xfe));
    ENVPIN_TRY(rt.synchronize_device());
    ENVPIN_TRY(call(a, b, c1));
    ENVPIN_TRY(call(a, b, c2));
    ENVPIN_TRY(rt.synchronize_device());
    GemmOutcome outcome;
    outcome.mismatched_words = ENVPIN_TRY(run_counting_kernel(context.session, kernels::count_mismatch, c1.address(),
                                                              c2.address(),
                                                              static_cast<unsigned long long>(out_bytes / 4)))
                                   .count;
    const auto positions = sample_positions(settings.n, settings.samples, settings.seed);
    const auto got = ENVPIN_TRY(download_samples(rt, c1, kind, settings.n, positions));
    std::vector<double> want;
    for (const auto& [row, column] : positions)
        want.push_back(gemm_reference(kind.input, seed_a, seed_b, settings.n, row, column));
    outcome.error = compare_samples(got, want);
    outcome.median_ms = ENVPIN_TRY(time_gemms(context, call, a, b, c1));
    outcome.tflops = teraflops(gemm_flops(n, n, n), outcome.median_ms);
    return outcome;
}

GemmCall gemm_ex_call(const CublasStack& stack, const CublasHandle& handle, const GemmKind& kind, int n)
{
    return [&stack, &handle, &kind, n](const RuntimeBuffer& a, const RuntimeBuffer& b,
                                       const RuntimeBuffer& c) -> Expected<void> {
        const float alpha = 1, beta = 0;
        if (auto status = stack.cublas.cublasGemmEx(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.get(),
                                                    kind.input_type, n, b.get(), kind.input_type, n, &beta, c.get(),
                                                    kind.output_type, n, kind.compute_type, CUBLAS_GEMM_DEFAULT);
            status != 0)
            return std::unexpected(stack.cublas.error("cublasGemmEx", status));
        return {};
    };
}

namespace {

// What cuBLASLt needs for every call of one FP8 GEMM shape, made once.
struct Fp8Plan {
    CublasLtHandle handle;
    LtMatmulDesc desc;
    LtLayout a, b, c;
    cublasLtMatmulAlgo_t algo{};
    RuntimeBuffer workspace;
    size_t workspace_bytes = 0;
};

constexpr std::uint64_t fp8_workspace_limit = 32u << 20;

Expected<std::shared_ptr<Fp8Plan>> plan_fp8(const CublasStack& stack, int n)
{
    const auto& lt = stack.cublas;
    auto plan = std::make_shared<Fp8Plan>();
    plan->handle = ENVPIN_TRY(lt.create_lt_handle());
    plan->desc = ENVPIN_TRY(lt.create_matmul_desc(CUBLAS_COMPUTE_32F, CUDA_R_32F, CUBLAS_OP_T, CUBLAS_OP_N));
    const auto size = static_cast<std::uint64_t>(n);
    plan->a = ENVPIN_TRY(lt.create_layout(CUDA_R_8F_E4M3, size, size, n)); // stored k×m, used transposed
    plan->b = ENVPIN_TRY(lt.create_layout(CUDA_R_8F_E4M3, size, size, n));
    plan->c = ENVPIN_TRY(lt.create_layout(CUDA_R_16BF, size, size, n));
    const auto preference = ENVPIN_TRY(lt.create_preference(fp8_workspace_limit));
    cublasLtMatmulHeuristicResult_t found{};
    int returned = 0;
    if (auto status = lt.cublasLtMatmulAlgoGetHeuristic(plan->handle.get(), plan->desc.get(), plan->a.get(),
                                                        plan->b.get(), plan->c.get(), plan->c.get(), preference.get(),
                                                        1, &found, &returned);
        status != 0)
        return std::unexpected(lt.error("cublasLtMatmulAlgoGetHeuristic", status));
    if (returned == 0)
        return fail(ErrorCode::cuda, "cublasLtMatmulAlgoGetHeuristic: no FP8 (E4M3) algorithm for a {0}x{0}x{0} GEMM", n);
    plan->algo = found.algo;
    plan->workspace_bytes = found.workspaceSize;
    if (plan->workspace_bytes > 0)
        plan->workspace = ENVPIN_TRY(stack.runtime.allocate(plan->workspace_bytes));
    return plan;
}

} // namespace

Expected<GemmCall> fp8_lt_call(const CublasStack& stack, cudaStream_t stream, int n)
{
    auto plan = ENVPIN_TRY(plan_fp8(stack, n));
    return GemmCall([&stack, stream, plan](const RuntimeBuffer& a, const RuntimeBuffer& b,
                                           const RuntimeBuffer& c) -> Expected<void> {
        const float alpha = 1, beta = 0;
        const auto& lt = stack.cublas;
        if (auto status = lt.cublasLtMatmul(plan->handle.get(), plan->desc.get(), &alpha, a.get(), plan->a.get(),
                                            b.get(), plan->b.get(), &beta, c.get(), plan->c.get(), c.get(),
                                            plan->c.get(), &plan->algo, plan->workspace.get(), plan->workspace_bytes,
                                            stream);
            status != 0)
            return std::unexpected(lt.error("cublasLtMatmul", status));
        return {};
    });
}

bool has_fp8_tensor_cores(int major, int minor)
{
    return major > 8 || (major == 8 && minor >= 9);
}

} // namespace envpin::verify
