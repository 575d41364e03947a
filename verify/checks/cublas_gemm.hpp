#pragma once
// The GEMMs of the cublas check, one kind at a time on one GPU: A and B filled on the GPU from
// fill_values.h's streams, two runs into differently poisoned outputs (repeatability), sampled
// outputs against the double reference, then `repeats` timed runs. How one GEMM is called is
// the kind's own: cublasGemmEx for BF16, TF32 and strict FP32, cuBLASLt for FP8.
#include <cstddef>
#include <functional>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "verify/checks/gemm_reference.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/vendor/cublas_api.hpp"
#include "verify/vendor/cuda_runtime.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {

struct GemmKind {
    const char* name;  // "bf16": the key in the check's JSON
    const char* label; // "BF16": in sentences
    GemmInput input;
    int input_type;  // CUDA data type of A and B
    int output_type; // of C
    size_t input_bytes;
    size_t output_bytes;
    int compute_type;
    double error_limit; // norm-wise relative error against the double reference
    const char* fill_kernel;
    const char* reference_parameter; // the request parameter holding the GPU's peak
};

// BF16 inputs and output with FP32 accumulation; FP32 inputs on TF32 tensor cores; strict FP32
// (no tensor cores: what TF32 must beat); E4M3 inputs with BF16 output (cuBLASLt).
extern const GemmKind bf16_gemm, tf32_gemm, fp32_gemm, fp8_gemm;

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

// What one GEMM kind measured on one GPU.
struct GemmOutcome {
    double tflops = 0;
    double median_ms = 0;
    SampleError error;
    unsigned long long mismatched_words = 0; // between two identical runs
    [[nodiscard]] nlohmann::json json() const;
};

// One GEMM, C = op(A)·B, enqueued on the check's stream.
using GemmCall = std::function<Expected<void>(const RuntimeBuffer& a, const RuntimeBuffer& b,
                                              const RuntimeBuffer& c)>;

struct GemmContext {
    const CublasStack& stack;
    const GpuSession& session;
    cudaStream_t stream;
    const CublasSettings& settings;
};

[[nodiscard]] Expected<GemmOutcome> measure_gemm(const GemmContext& context, const GemmKind& kind,
                                                 const GemmCall& call);

// cublasGemmEx of `kind` (both operands as they are) on `handle`.
[[nodiscard]] GemmCall gemm_ex_call(const CublasStack& stack, const CublasHandle& handle, const GemmKind& kind,
                                    int n);

// cuBLASLt's FP8 GEMM of n×n operands: E4M3 A (transposed) and B, BF16 C, FP32 compute, the
// first algorithm its heuristic offers for a 32 MiB workspace. cuda when cuBLASLt offers none.
[[nodiscard]] Expected<GemmCall> fp8_lt_call(const CublasStack& stack, cudaStream_t stream, int n);

// Whether a GPU of compute capability major.minor has FP8 tensor cores (sm_89 and sm_90 on,
// what cuBLASLt's E4M3 GEMM needs).
[[nodiscard]] bool has_fp8_tensor_cores(int major, int minor);

} // namespace envpin::verify
