// Loading the real CUDA libraries (the toolkit's copies in /usr/local/cuda/lib64, when this
// machine has them) without a GPU: versions, mapped files, and the error paths a machine
// without a driver takes. Skips where the toolkit is absent.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/runner/hints.hpp"
#include "verify/vendor/cublas_api.hpp"
#include "verify/vendor/cuda_driver.hpp"
#include "verify/vendor/cudnn_api.hpp"
#include "verify/vendor/nccl_api.hpp"

namespace envpin::verify {
namespace {

namespace fs = std::filesystem;

const fs::path toolkit_lib = "/usr/local/cuda/lib64";

ProbeRequest toolkit_request()
{
    return ProbeRequest{.check = "cublas",
                        .environment = "",
                        .parameters = {{"library_dir", toolkit_lib.string()}}};
}

// The toolkit's copy of lib<stem>, or a skip. `variable` is the name it declares, which cannot
// be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define REQUIRE_TOOLKIT_LIBRARY(variable, stem)                                                    \
    const auto variable = locate_library(toolkit_request(), stem);                                 \
    if (!variable)                                                                                 \
        GTEST_SKIP() << "no CUDA toolkit library here: " << variable.error().describe();
// NOLINTEND(bugprone-macro-parentheses)

bool driver_present()
{
    return CudaDriver::load().has_value();
}

TEST(GpuLibraries, LocatesLibrariesInADirectoryAndInAnEnvironment)
{
    test::TempDir env;
    const auto lib = env / "lib/python3.12/site-packages/nvidia/nccl/lib";
    test::write_text(lib / "libnccl.so.2", "");
    ProbeRequest request{.check = "nccl", .environment = env.path(), .parameters = {}};
    EXPECT_EQ(locate_library(request, "nccl")->filename(), "libnccl.so.2");
    const auto missing = locate_library(request, "cudnn");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
    EXPECT_NE(missing.error().message.find("libcudnn"), std::string::npos);

    request.parameters["library_dir"] = lib.string();
    EXPECT_EQ(locate_library(request, "nccl")->filename(), "libnccl.so.2");
    EXPECT_EQ(locate_library(request, "cudart").error().code, ErrorCode::not_found);
    request.parameters.clear();
    request.environment.clear();
    EXPECT_EQ(locate_library(request, "nccl").error().code, ErrorCode::not_found);
}

TEST(GpuLibraries, AFileThatIsNoLibraryIsAnErrorNotASkip)
{
    test::TempDir dir;
    test::write_text(dir / "libcudart.so.13", "not an ELF file");
    const auto runtime = CudaRuntime::load(dir / "libcudart.so.13");
    ASSERT_FALSE(runtime);
    EXPECT_EQ(runtime.error().code, ErrorCode::io);
    EXPECT_NE(runtime.error().message.find("libcudart.so.13"), std::string::npos);
}

TEST(GpuLibraries, RuntimeReportsItsVersionAndFile)
{
    REQUIRE_TOOLKIT_LIBRARY(file, "cudart");
    const auto runtime = CudaRuntime::load(*file);
    ASSERT_TRUE(runtime) << runtime.error().describe();
    EXPECT_GE(runtime->version(), 12000);
    EXPECT_EQ(fs::path(runtime->library.mapped_path()).filename(), file->filename());
    EXPECT_NE(runtime->describe(35).find("cudaErrorInsufficientDriver (35)"), std::string::npos);
}

TEST(GpuLibraries, WithoutADriverTheRootCauseIsNamed)
{
    if (driver_present())
        GTEST_SKIP() << "a driver is present: the gpu tier covers this machine";
    REQUIRE_TOOLKIT_LIBRARY(file, "cudart");
    const auto runtime = CudaRuntime::load(*file);
    ASSERT_TRUE(runtime);
    const auto failure = first_cuda_failure(*runtime, 1);
    ASSERT_TRUE(failure);
    EXPECT_NE(failure->message.find("cudaGetDeviceCount: cudaErrorInsufficientDriver"),
              std::string::npos)
        << failure->message;
}

TEST(GpuLibraries, CublasLoadsItsOwnLtAndReportsItsVersion)
{
    REQUIRE_TOOLKIT_LIBRARY(cublas, "cublas");
    REQUIRE_TOOLKIT_LIBRARY(lt, "cublasLt");
    const auto api = CublasApi::load(*cublas, *lt);
    ASSERT_TRUE(api) << api.error().describe();
    EXPECT_GE(api->version(), 120000);
    EXPECT_EQ(fs::path(api->lt.mapped_path()).filename(), lt->filename());
    EXPECT_NE(api->describe(1).find("CUBLAS_STATUS_NOT_INITIALIZED (1)"), std::string::npos);
    if (!driver_present()) {
        const auto handle = api->create_handle();
        ASSERT_FALSE(handle);
        EXPECT_NE(handle.error().message.find("cublasCreate: CUBLAS_STATUS_NOT_INITIALIZED"),
                  std::string::npos);
        EXPECT_NE(hint_for(handle.error().message).find("cuBLAS could not create its handle"), std::string::npos);
    }
}

TEST(GpuLibraries, CudnnLoadsAndBuildsDescriptorsWithoutAGpu)
{
    REQUIRE_TOOLKIT_LIBRARY(file, "cudnn");
    const auto api = CudnnApi::load(*file);
    ASSERT_TRUE(api) << api.error().describe();
    EXPECT_GE(api->version(), 90000);
    EXPECT_TRUE(api->tensor(2, 8, 16, 16)) << "descriptors are host objects";
    EXPECT_TRUE(api->filter(16, 8, 3, 3));
    EXPECT_TRUE(api->convolution(ConvShape{}));
    const auto bad = api->tensor(-1, 8, 16, 16);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("cudnnSetTensor4dDescriptor: CUDNN_STATUS_BAD_PARAM"),
              std::string::npos)
        << bad.error().message;
    if (!driver_present()) {
        const auto handle = api->create_handle(nullptr);
        ASSERT_FALSE(handle);
        EXPECT_NE(handle.error().message.find("CUDNN_STATUS_NOT_INITIALIZED"), std::string::npos);
        EXPECT_NE(hint_for(handle.error().message).find("cuDNN could not create its handle"),
                  std::string::npos);
    }
}

TEST(GpuLibraries, NcclReportsItsVersionAndItsCudaFailureIsExplainedOneLayerDown)
{
    REQUIRE_TOOLKIT_LIBRARY(nccl_file, "nccl");
    REQUIRE_TOOLKIT_LIBRARY(cudart_file, "cudart");
    const auto nccl = NcclApi::load(*nccl_file);
    const auto runtime = CudaRuntime::load(*cudart_file);
    ASSERT_TRUE(nccl && runtime);
    EXPECT_GE(nccl->version(), 21000);
    if (driver_present())
        GTEST_SKIP() << "a driver is present: the gpu tier covers this machine";
    auto comms = nccl->init_all(1);
    ASSERT_FALSE(comms);
    const auto explained = explain_nccl_failure(comms.error(), *runtime, 1);
    EXPECT_NE(explained.message.find("unhandled cuda error"), std::string::npos)
        << explained.message;
    EXPECT_NE(
        explained.message.find("one layer down: cudaGetDeviceCount: cudaErrorInsufficientDriver"),
        std::string::npos)
        << explained.message;
    EXPECT_NE(hint_for(explained.message).find("driver is older"), std::string::npos);
}

TEST(GpuLibraries, OtherNcclFailuresAreLeftAlone)
{
    REQUIRE_TOOLKIT_LIBRARY(cudart_file, "cudart");
    const auto runtime = CudaRuntime::load(*cudart_file);
    ASSERT_TRUE(runtime);
    const Error invalid{ErrorCode::cuda, "ncclAllReduce: invalid argument (4)", {}};
    EXPECT_EQ(explain_nccl_failure(invalid, *runtime, 1), invalid);
}

TEST(GpuLibraries, NvlsStaysOffUnlessTheUserSaidOtherwise)
{
    const char* saved = std::getenv("NCCL_NVLS_ENABLE");
    const std::string before = saved != nullptr ? saved : "";
    ::unsetenv("NCCL_NVLS_ENABLE");
    keep_nvls_off();
    EXPECT_STREQ(std::getenv("NCCL_NVLS_ENABLE"), "0");
    ::setenv("NCCL_NVLS_ENABLE", "1", 1);
    keep_nvls_off();
    EXPECT_STREQ(std::getenv("NCCL_NVLS_ENABLE"), "1");
    if (saved != nullptr)
        ::setenv("NCCL_NVLS_ENABLE", before.c_str(), 1);
    else
        ::unsetenv("NCCL_NVLS_ENABLE");
}

TEST(OwnedHandle, ReleasesOnceAndMovesOwnership)
{
    int released = 0;
    {
        OwnedHandle<int*> first(reinterpret_cast<int*>(0x10), [&](int*) { ++released; });
        OwnedHandle<int*> second(std::move(first));
        EXPECT_EQ(first.get(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
        OwnedHandle<int*> third;
        third = std::move(second);
        EXPECT_EQ(third.get(), reinterpret_cast<int*>(0x10));
        EXPECT_EQ(released, 0);
    }
    EXPECT_EQ(released, 1);
}

// One table: every suite check in order, the GPU ones marked, and the probe child's lookup
// (which also knows "project" and, only while enabled, the self-tests).
TEST(CheckRegistry, OneTableInSuiteOrder)
{
    std::vector<std::string_view> names, gpu;
    for (const auto& entry : suite_checks()) {
        names.push_back(entry.name);
        if (entry.needs_gpu)
            gpu.push_back(entry.name);
        EXPECT_NE(entry.run, nullptr) << entry.name;
        EXPECT_FALSE(entry.summary.empty()) << entry.name;
    }
    EXPECT_EQ(names, (std::vector<std::string_view>{"host", "libs", "kernels", "cublas", "cudnn", "nccl", "train",
                                                    "python"}));
    EXPECT_EQ(gpu, (std::vector<std::string_view>{"kernels", "cublas", "cudnn", "nccl"}));
    EXPECT_TRUE(std::ranges::equal(suite_check_names(), names));
    EXPECT_EQ(find_check_function("cudnn"), &run_cudnn_check);
    EXPECT_EQ(find_check_function("project"), &run_project_check);
    EXPECT_EQ(find_check_function(""), nullptr);
    ::unsetenv("ENVPIN_PROBE_SELFTEST");
    EXPECT_EQ(find_check_function("selftest-hang"), nullptr);
    ::setenv("ENVPIN_PROBE_SELFTEST", "1", 1);
    EXPECT_EQ(find_check_function("selftest-hang"), &run_selftest_check);
    ::unsetenv("ENVPIN_PROBE_SELFTEST");
}

} // namespace
} // namespace envpin::verify
