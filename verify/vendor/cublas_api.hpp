#pragma once
// cuBLAS of an environment (libcublas and the libcublasLt it needs, from the nvidia-cublas
// wheel), loaded at run time by path. Declarations mirror cublas_api.h's and cublasLt.h's
// stable C ABI; this file is the only owner of cublasHandle_t and of cuBLASLt's handle and
// descriptors.
#include <cstdint>
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "verify/vendor/cuda_runtime.hpp"

namespace envpin::verify {

using cublasStatus_t = int;
using cublasHandle_t = struct cublasContext*;
using CublasHandle = OwnedHandle<cublasHandle_t>;

using cublasLtHandle_t = struct cublasLtContext*;
using cublasLtMatmulDesc_t = struct cublasLtMatmulDescOpaque*;
using cublasLtMatrixLayout_t = struct cublasLtMatrixLayoutOpaque*;
using cublasLtMatmulPreference_t = struct cublasLtMatmulPreferenceOpaque*;
struct cublasLtMatmulAlgo_t {
    std::uint64_t data[8];
};
struct cublasLtMatmulHeuristicResult_t {
    cublasLtMatmulAlgo_t algo;
    size_t workspaceSize;
    cublasStatus_t state;
    float wavesCount;
    int reserved[4];
};
using CublasLtHandle = OwnedHandle<cublasLtHandle_t>;
using LtMatmulDesc = OwnedHandle<cublasLtMatmulDesc_t>;
using LtLayout = OwnedHandle<cublasLtMatrixLayout_t>;
using LtPreference = OwnedHandle<cublasLtMatmulPreference_t>;

inline constexpr int CUBLAS_OP_N = 0;
inline constexpr int CUBLAS_OP_T = 1;
inline constexpr int CUDA_R_32F = 0;
inline constexpr int CUDA_R_16BF = 14;
inline constexpr int CUDA_R_8F_E4M3 = 28;
inline constexpr int CUBLASLT_MATMUL_DESC_TRANSA = 3;
inline constexpr int CUBLASLT_MATMUL_DESC_TRANSB = 4;
inline constexpr int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
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

    // cuBLASLt: a handle, a matmul descriptor (compute and scale types, op(A), op(B)), a
    // column-major matrix layout, a heuristic preference with a workspace limit.
    [[nodiscard]] Expected<CublasLtHandle> create_lt_handle() const;
    [[nodiscard]] Expected<LtMatmulDesc> create_matmul_desc(int compute_type, int scale_type,
                                                            int transa, int transb) const;
    [[nodiscard]] Expected<LtLayout> create_layout(int type, std::uint64_t rows, std::uint64_t columns,
                                                   std::int64_t leading) const;
    [[nodiscard]] Expected<LtPreference> create_preference(std::uint64_t workspace_bytes) const;

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
    cublasStatus_t (*cublasLtCreate)(cublasLtHandle_t*) = nullptr;
    cublasStatus_t (*cublasLtDestroy)(cublasLtHandle_t) = nullptr;
    cublasStatus_t (*cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t*, int compute_type,
                                               int scale_type) = nullptr;
    cublasStatus_t (*cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t) = nullptr;
    cublasStatus_t (*cublasLtMatmulDescSetAttribute)(cublasLtMatmulDesc_t, int attribute,
                                                     const void* value, size_t bytes) = nullptr;
    cublasStatus_t (*cublasLtMatrixLayoutCreate)(cublasLtMatrixLayout_t*, int type, std::uint64_t rows,
                                                 std::uint64_t columns, std::int64_t leading) = nullptr;
    cublasStatus_t (*cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t) = nullptr;
    cublasStatus_t (*cublasLtMatmulPreferenceCreate)(cublasLtMatmulPreference_t*) = nullptr;
    cublasStatus_t (*cublasLtMatmulPreferenceDestroy)(cublasLtMatmulPreference_t) = nullptr;
    cublasStatus_t (*cublasLtMatmulPreferenceSetAttribute)(cublasLtMatmulPreference_t, int attribute,
                                                           const void* value, size_t bytes) = nullptr;
    cublasStatus_t (*cublasLtMatmulAlgoGetHeuristic)(cublasLtHandle_t, cublasLtMatmulDesc_t,
                                                     cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                                     cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d,
                                                     cublasLtMatmulPreference_t, int requested,
                                                     cublasLtMatmulHeuristicResult_t* results,
                                                     int* returned) = nullptr;
    cublasStatus_t (*cublasLtMatmul)(cublasLtHandle_t, cublasLtMatmulDesc_t, const void* alpha,
                                     const void* a, cublasLtMatrixLayout_t a_layout, const void* b,
                                     cublasLtMatrixLayout_t b_layout, const void* beta, const void* c,
                                     cublasLtMatrixLayout_t c_layout, void* d,
                                     cublasLtMatrixLayout_t d_layout, const cublasLtMatmulAlgo_t* algo,
                                     void* workspace, size_t workspace_bytes, cudaStream_t stream) = nullptr;
    const char* (*cublasGetStatusName)(cublasStatus_t) = nullptr;
    const char* (*cublasGetStatusString)(cublasStatus_t) = nullptr;
};

} // namespace envpin::verify
