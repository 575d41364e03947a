// Error signatures -> what the user should do (verify/runner/hints.hpp), on the exact strings the
// libraries print.
#include <gtest/gtest.h>

#include "verify/runner/hints.hpp"

namespace envpin::verify {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

TEST(Hints, DriverTooOld)
{
    for (const char* text : {"cudaGetDeviceCount returned 35 -> CUDA driver version is insufficient for CUDA runtime version",
                             "cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER (35)",
                             "The NVIDIA driver on your system is too old (found version 11040)"})
        EXPECT_TRUE(has(hint_for(text), "upgrade the driver")) << text;
}

TEST(Hints, NoKernelImage)
{
    EXPECT_TRUE(has(hint_for("CUDA error: no kernel image is available for execution on the device"), "arch list"));
    EXPECT_TRUE(has(hint_for("cuModuleLoadData: CUDA_ERROR_NO_BINARY_FOR_GPU (209)"), "209"));
    EXPECT_TRUE(has(hint_for("NVIDIA H100 with CUDA capability sm_90 is not compatible with the current PyTorch installation"),
                    "arch list"));
}

TEST(Hints, HostMemoryRefusedPointsAtTheLimitNotTheGpu)
{
    for (const char* text : {"ImportError: libgdal.so.32: failed to map segment from shared object",
                             "MemoryError", "terminate called after throwing an instance of 'std::bad_alloc'",
                             "DefaultCPUAllocator: can't allocate memory: you tried to allocate 4096 bytes. Error code "
                             "12 (Cannot allocate memory)"}) {
        EXPECT_TRUE(has(hint_for(text), "ulimit -v")) << text;
        EXPECT_FALSE(has(hint_for(text), "nvidia-smi")) << text;
    }
    EXPECT_TRUE(has(hint_for("torch.cuda.OutOfMemoryError: CUDA out of memory"), "nvidia-smi"));
}

TEST(Hints, FabricManagerAndForwardCompatibility)
{
    EXPECT_TRUE(has(hint_for("cuInit: Error 802: system not yet initialized"), "nvidia-fabricmanager"));
    EXPECT_TRUE(has(hint_for("CUDA_ERROR_SYSTEM_NOT_READY"), "Fabric Manager"));
    EXPECT_TRUE(has(hint_for("Error 804: forward compatibility was attempted on non supported HW"), "cuda-compat"));
}

TEST(Hints, WrappersPointOneLayerDown)
{
    EXPECT_TRUE(has(hint_for("NCCL error: unhandled cuda error (run with NCCL_DEBUG=INFO for details)"), "NCCL_DEBUG=WARN"));
    EXPECT_TRUE(has(hint_for("cuDNN error: CUDNN_STATUS_NOT_INITIALIZED"), "out of memory"));
    // When the root cause is in the text too, it wins over the wrapper.
    EXPECT_TRUE(has(hint_for("unhandled cuda error: CUDA driver version is insufficient"), "upgrade the driver"));
}

TEST(Hints, LoaderProblemsNameTheLibrary)
{
    const auto missing = hint_for("OSError: libnccl.so.2: cannot open shared object file: No such file or directory");
    EXPECT_TRUE(has(missing, "libnccl.so.2 is missing")) << missing;
    const auto shadowed = hint_for(
        "ImportError: /opt/venv/lib/python3.12/site-packages/nvidia/cusparse/lib/libcusparse.so.12: undefined symbol: "
        "__nvJitLinkAddData_12_1, version libnvJitLink.so.12");
    EXPECT_TRUE(has(shadowed, "libcusparse.so.12")) << shadowed;
    EXPECT_TRUE(has(shadowed, "LD_LIBRARY_PATH")) << shadowed;
    EXPECT_TRUE(has(hint_for("libtorch_cuda.so: invalid ELF header"), "damaged"));
}

TEST(Hints, TrainingAndProbeFailures)
{
    EXPECT_TRUE(has(hint_for("the loss became NaN/Inf at step 2"), "NaN"));
    EXPECT_TRUE(has(hint_for("ModuleNotFoundError: No module named 'torch'"), "torch is not installed"));
    EXPECT_TRUE(has(hint_for("the probe timed out after 5.0 s"), "hung"));
    EXPECT_TRUE(has(hint_for("the probe killed by SIGSEGV (Segmentation fault)"), "crashed"));
    EXPECT_TRUE(has(hint_for("torch.cuda.OutOfMemoryError: CUDA out of memory"), "out of memory"));
}

// The GPU checks' own failures: the call, the library's error name and number, as the checks
// print them.
TEST(Hints, GpuCallFailuresByTheirErrorNames)
{
    EXPECT_TRUE(has(hint_for("cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER (35): CUDA driver version is insufficient"),
                    "driver is older"));
    EXPECT_TRUE(has(hint_for("cudaSetDevice: cudaErrorInsufficientDriver (35): ..."), "driver is older"));
    EXPECT_TRUE(has(hint_for("cudaErrorNoKernelImageForDevice (209)"), "arch list"));
    EXPECT_TRUE(has(hint_for("CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (804)"), "cuda-compat"));
    EXPECT_TRUE(has(hint_for("cuModuleLoadData: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"), "PTX"));
    EXPECT_TRUE(has(hint_for("cudaErrorNoDevice (100): no CUDA-capable device"), "CUDA_VISIBLE_DEVICES"));
    EXPECT_TRUE(has(hint_for("cudaMalloc: cudaErrorMemoryAllocation (2): out of memory"), "nvidia-smi"));
    EXPECT_TRUE(has(hint_for("cublasGemmEx: CUBLAS_STATUS_ARCH_MISMATCH (8)"), "architecture"));
    EXPECT_TRUE(has(hint_for("cublasCreate: CUBLAS_STATUS_NOT_INITIALIZED (1)"), "cuBLAS could not create its handle"));
    EXPECT_TRUE(has(hint_for("cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (1001)"), "cuDNN could not create its handle"));
    EXPECT_TRUE(has(hint_for("CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH (1002)"), "LD_LIBRARY_PATH"));
    EXPECT_EQ(hint_for("cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED (719): unspecified launch failure"), "");
}

// One table: a root cause found anywhere in the text beats the wrapper that carried it.
TEST(Hints, RootCauseBeatsTheWrapperWhateverTheOrderInTheText)
{
    EXPECT_TRUE(has(hint_for("ncclCommInitAll: unhandled cuda error (1); one layer down: "
                             "cudaSetDevice: cudaErrorInsufficientDriver (35): ..."),
                    "driver is older"));
    EXPECT_EQ(hint_for("cudnnCreate: CUDNN_STATUS_NOT_INITIALIZED (1001): cudaErrorNoDevice"),
              hint_for("cudaErrorNoDevice"));
}

TEST(Hints, UnknownTextHasNoHint)
{
    EXPECT_EQ(hint_for(""), "");
    EXPECT_EQ(hint_for("everything is fine"), "");
    EXPECT_EQ(hint_for("took 3500 ms"), "");  // a number alone is not an error code
}

TEST(Hints, ResetSuggestionIsAppendedOnlyWhenGiven)
{
    EXPECT_EQ(with_reset_suggestion("Do this.", std::nullopt), "Do this.");
    EXPECT_EQ(with_reset_suggestion("Do this.", std::string("train@3")),
              "Do this. Reset to train@3, which passed on this host: envpin reset train train@3.");
    EXPECT_EQ(with_reset_suggestion("", std::string("train@3")),
              "Reset to train@3, which passed on this host: envpin reset train train@3.");
}

}  // namespace
}  // namespace envpin::verify

namespace envpin::verify {
namespace {

// A truncated torch source file: the import error names the file, and so does the hint, ahead
// of the crash that followed on the interpreter's way out.
TEST(Hints, AnImportOfANameAModuleLacksNamesTheFile)
{
    const auto hint = hint_for("ImportError: cannot import name 'Bilinear' from 'torch.nn.modules.linear' "
                               "(/envs/a/lib/python3.12/site-packages/torch/nn/modules/linear.py); then "
                               "/envs/a/bin/python killed by SIGSEGV (Segmentation fault) on its way out");
    EXPECT_NE(hint.find("/envs/a/lib/python3.12/site-packages/torch/nn/modules/linear.py does not define"),
              std::string::npos)
        << hint;
    EXPECT_NE(hint.find("envpin reset"), std::string::npos) << hint;
    EXPECT_EQ(hint.find("The check crashed"), std::string::npos) << hint;
}

}  // namespace
}  // namespace envpin::verify
