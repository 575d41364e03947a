#pragma once
// cuBLAS of an environment (libcublas and the libcublasLt it needs, from the nvidia-cublas
// wheel), loaded at run time by path. Declarations mirror cublas_api.h's stable C ABI; this
// file is the only owner of cublasHandle_t.
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "verify/cuda_runtime.hpp"

namespace envpin::verify {

using cublasStatus_t = int;
using cublasHandle_t = struct cublasContext*;
using CublasHandle = OwnedHandle<cublasHandle_t>;

inline constexpr int CUBLAS_OP_N = 0;
inline constexpr int CUDA_R_32F = 0;
inline constexpr int CUDA_R_16BF = 14;
inline constexpr int CUBLAS_COMPUTE_32F = 68;
inline constexpr int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
inline constexpr int CUBLAS_GEMM_DEFAULT = -1;

struct CublasApi {
    // Loads `cublas_lt` first, then `cublas`: libcublas then binds to that very libcublasLt
    // (the loader matches its soname), never to one on LD_LIBRARY_PATH. io on failure.
    [[nodiscard]] static Expected<CublasApi> load(const std::filesystem::path& cublas,
                                                  const std::filesystem::path& cublas_lt);

    // "CUBLAS_STATUS_NOT_INITIALIZED (1): the library was not initialized"
    [[nodiscard]] std::string describe(cublasStatus_t status) const;
    [[nodiscard]] Error error(const char* call, cublasStatus_t status) const;
    // cublasGetVersion: 130100 for 13.1.0; needs no GPU.
    [[nodiscard]] int version() const;
    // A handle on the current device (cublasCreate), destroyed with cublasDestroy.
    [[nodiscard]] Expected<CublasHandle> create_handle() const;
    [[nodiscard]] Expected<void> set_stream(const CublasHandle& handle, cudaStream_t stream) const;

    SharedLibrary lt; // declared first: closed after libcublas, which depends on it
    SharedLibrary library;
    cublasStatus_t (*cublasCreate_v2)(cublasHandle_t*) = nullptr;
    cublasStatus_t (*cublasDestroy_v2)(cublasHandle_t) = nullptr;
    cublasStatus_t (*cublasSetStream_v2)(cublasHandle_t, cudaStream_t) = nullptr;
    cublasStatus_t (*cublasGetVersion_v2)(cublasHandle_t, int*) = nullptr;
    cublasStatus_t (*cublasGemmEx)(cublasHandle_t, int transa, int transb, int m, int n, int k,
                                   const void* alpha, const void* a, int a_type, int lda,
                                   const void* b, int b_type, int ldb, const void* beta, void* c,
                                   int c_type, int ldc, int compute_type, int algo) = nullptr;
    const char* (*cublasGetStatusName)(cublasStatus_t) = nullptr;
    const char* (*cublasGetStatusString)(cublasStatus_t) = nullptr;
};

} // namespace envpin::verify
