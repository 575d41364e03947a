// `envpin probe check`, the suite runner's child, through the built binary: a ProbeRequest on
// stdin, one CheckResult on stdout, exit 0 whatever the status. On a machine without a GPU
// every GPU check skips and says why.
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

nlohmann::json probe_check(const nlohmann::json& request)
{
    const auto run = run_envpin({"probe", "check"}, {}, 120, request.dump());
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.json();
}

bool driver_present()
{
    return std::filesystem::exists("/dev/nvidiactl") ||
           std::filesystem::exists("/proc/driver/nvidia/version");
}

const char* toolkit_lib = "/usr/local/cuda/lib64";

TEST(ProbeCheck, EachGpuCheckSkipsWithAReasonWithoutADriver)
{
    if (driver_present())
        GTEST_SKIP() << "this machine has an NVIDIA driver: the gpu tier runs the checks";
    for (const char* check : {"kernels", "cublas", "cudnn", "nccl"}) {
        const auto result = probe_check({{"check", check},
                                         {"environment", ""},
                                         {"parameters", {{"library_dir", toolkit_lib}}}});
        EXPECT_EQ(result["name"], check);
        EXPECT_EQ(result["status"], "skip") << result.dump();
        EXPECT_FALSE(result["detail"].get<std::string>().empty()) << check;
        EXPECT_TRUE(result["value"].is_null());
        for (const char* key :
             {"unit", "reference", "threshold", "duration_ms", "hint", "measurements"})
            EXPECT_TRUE(result.contains(key)) << check << " lacks " << key;
    }
}

TEST(ProbeCheck, LibraryChecksReportTheLibrariesTheyLoadedEvenWhenSkipping)
{
    if (!std::filesystem::exists(std::filesystem::path(toolkit_lib) / "libnccl.so.2"))
        GTEST_SKIP() << "no CUDA toolkit libraries in " << toolkit_lib;
    const auto result = probe_check(
        {{"check", "nccl"}, {"environment", ""}, {"parameters", {{"library_dir", toolkit_lib}}}});
    const auto& nccl = result["measurements"]["libraries"]["nccl"];
    EXPECT_TRUE(nccl["version_text"].get<std::string>().starts_with("2.")) << result.dump();
    EXPECT_NE(nccl["file"].get<std::string>().find("libnccl.so"), std::string::npos);
    EXPECT_EQ(result["measurements"]["nccl_nvls_enable"], "0") << "NVLink multicast stays off";
    const auto cublas = probe_check(
        {{"check", "cublas"}, {"environment", ""}, {"parameters", {{"library_dir", toolkit_lib}}}});
    EXPECT_GE(cublas["measurements"]["libraries"]["cublas"]["version"].get<int>(), 120000);
    EXPECT_GE(cublas["measurements"]["libraries"]["cudart"]["version"].get<int>(), 12000);
}

TEST(ProbeCheck, AnEnvironmentWithoutTheLibrarySkipsNamingIt)
{
    TempDir env;
    std::filesystem::create_directories(env / "lib/python3.12/site-packages");
    for (const char* check : {"cublas", "cudnn", "nccl"}) {
        const auto result = probe_check({{"check", check}, {"environment", env.path().string()}});
        EXPECT_EQ(result["status"], "skip") << result.dump();
        EXPECT_NE(result["detail"].get<std::string>().find("has no libcudart"), std::string::npos)
            << result.dump();
    }
}

TEST(ProbeCheck, ABrokenLibraryIsAnErrorWithTheLoadersReason)
{
    TempDir env;
    write_text(env / "lib/python3.12/site-packages/nvidia/cuda_runtime/lib/libcudart.so.13",
               "garbage");
    write_text(env / "lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2", "garbage");
    const auto result = probe_check({{"check", "nccl"}, {"environment", env.path().string()}});
    EXPECT_EQ(result["status"], "error") << result.dump();
    EXPECT_NE(result["detail"].get<std::string>().find("libcudart.so.13"), std::string::npos);
}

TEST(ProbeCheck, UnknownChecksAndMalformedRequestsAreErrorsNotCrashes)
{
    const auto unknown = probe_check({{"check", "warp-drive"}});
    EXPECT_EQ(unknown["status"], "error");
    EXPECT_NE(unknown["detail"].get<std::string>().find("unknown check 'warp-drive'"),
              std::string::npos);
    EXPECT_NE(unknown["detail"].get<std::string>().find("cublas"), std::string::npos)
        << "lists the known checks";
    const auto run = run_envpin({"probe", "check"}, {}, 120, std::string("{not json"));
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.json()["status"], "error");
    const auto empty = run_envpin({"probe", "check"});
    EXPECT_EQ(empty.json()["status"], "error") << "no stdin at all";
}

} // namespace
} // namespace envpin::test
