// The advice attached to known GPU failure signatures.
#include <gtest/gtest.h>

#include "verify/gpu_hints.hpp"

namespace envpin::verify {
namespace {

TEST(GpuHints, NamesEachKnownCudaSignature)
{
    EXPECT_NE(gpu_hint("cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER (35): CUDA driver version is "
                       "insufficient for CUDA runtime version")
                  .find("driver is older"),
              std::string::npos);
    EXPECT_NE(
        gpu_hint("cudaSetDevice: cudaErrorInsufficientDriver (35): ...").find("driver is older"),
        std::string::npos);
    EXPECT_NE(gpu_hint("cuModuleLoadData: CUDA_ERROR_NO_BINARY_FOR_GPU (209): no kernel image")
                  .find("arch list"),
              std::string::npos);
    EXPECT_NE(gpu_hint("cudaErrorNoKernelImageForDevice (209)").find("arch list"),
              std::string::npos);
    EXPECT_NE(gpu_hint("cuInit: CUDA_ERROR_SYSTEM_NOT_READY (802): system not yet initialized")
                  .find("Fabric Manager"),
              std::string::npos);
    EXPECT_NE(
        gpu_hint("CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (804)").find("forward compatibility"),
        std::string::npos);
    EXPECT_NE(
        gpu_hint("cudaErrorNoDevice (100): no CUDA-capable device").find("CUDA_VISIBLE_DEVICES"),
        std::string::npos);
    EXPECT_NE(
        gpu_hint("cudaMalloc: cudaErrorMemoryAllocation (2): out of memory").find("out of memory"),
        std::string::npos);
}

TEST(GpuHints, NamesLibrarySignatures)
{
    EXPECT_NE(gpu_hint("cublasCreate: CUBLAS_STATUS_NOT_INITIALIZED (1): the library was not "
                       "initialized")
                  .find("out of GPU memory"),
              std::string::npos);
    EXPECT_NE(gpu_hint("cublasGemmEx: CUBLAS_STATUS_ARCH_MISMATCH (8)").find("architecture"),
              std::string::npos);
    EXPECT_EQ(gpu_hint("cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (1001)"),
              "cuDNN could not initialise: often out of GPU memory at handle creation, or a "
              "cuDNN/driver mismatch");
    EXPECT_NE(gpu_hint("CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH (1002)").find("LD_LIBRARY_PATH"),
              std::string::npos);
    EXPECT_NE(gpu_hint("ncclCommInitAll: unhandled cuda error (run with NCCL_DEBUG=INFO for "
                       "details) (1)")
                  .find("NCCL_DEBUG=WARN"),
              std::string::npos);
}

TEST(GpuHints, RootCauseBeatsTheWrapperWhateverTheOrderInTheText)
{
    const auto hint = gpu_hint("ncclCommInitAll: unhandled cuda error (1); one layer down: "
                               "cudaSetDevice: cudaErrorInsufficientDriver (35): ...");
    EXPECT_NE(hint.find("driver is older"), std::string::npos) << hint;
    EXPECT_EQ(gpu_hint("cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (1001): cudaErrorNoDevice"),
              gpu_hint("cudaErrorNoDevice"));
}

TEST(GpuHints, UnknownTextsGetNoAdvice)
{
    EXPECT_EQ(gpu_hint(""), "");
    EXPECT_EQ(
        gpu_hint("cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED (719): unspecified launch failure"), "");
}

TEST(GpuHints, ByCudaErrorNumber)
{
    EXPECT_EQ(cuda_error_hint(35), gpu_hint("CUDA_ERROR_INSUFFICIENT_DRIVER"));
    EXPECT_EQ(cuda_error_hint(209), gpu_hint("cudaErrorNoKernelImageForDevice"));
    EXPECT_EQ(cuda_error_hint(802), gpu_hint("cudaErrorSystemNotReady"));
    EXPECT_EQ(cuda_error_hint(804), gpu_hint("cudaErrorCompatNotSupportedOnDevice"));
    EXPECT_EQ(cuda_error_hint(100), gpu_hint("CUDA_ERROR_NO_DEVICE"));
    EXPECT_EQ(cuda_error_hint(719), "");
    EXPECT_EQ(cuda_error_hint(0), "");
}

} // namespace
} // namespace envpin::verify
