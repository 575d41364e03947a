// The libs check against an environment whose wheel directories link to the CUDA toolkit's
// real libraries (real versions, loaded without a GPU): versions, mapped files, missing and
// shadowed libraries.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/verify_envs.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

nlohmann::json check_of(const EnvpinRun& run, std::string_view name)
{
    const auto report = run.json();
    for (const auto& check : report["checks"])
        if (check["name"] == name)
            return check;
    ADD_FAILURE() << "no check " << name << " in " << run.out << run.err;
    return {};
}

class LibsCheck : public ::testing::Test {
protected:
    void SetUp() override
    {
        cuda_ = cuda_library_dir();
        if (!cuda_)
            GTEST_SKIP() << "no CUDA toolkit libraries (libcudart, libcublas, libcudnn, libnccl) under /usr/local/cuda/lib64";
    }
    // `envpin verify --only libs` with an empty LD_LIBRARY_PATH, whatever the test runner has.
    static EnvpinRun verify(const fs::path& env, const std::vector<std::string>& extra = {})
    {
        std::vector<std::string> args{"verify", "--path", env.string(), "--only", "libs", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_envpin(args, {{"LD_LIBRARY_PATH", ""}});
    }
    std::optional<fs::path> cuda_;
    TempDir dir_;
};

TEST_F(LibsCheck, LoadsTheEnvironmentsOwnLibrariesAndReportsVersionsAndFiles)
{
    const auto env = dir_ / "env";
    make_cuda_wheel_env(env);
    const auto run = verify(env);
    const auto check = check_of(run, "libs");
    EXPECT_EQ(check["status"], "pass") << check["detail"];
    EXPECT_EQ(run.exit_code, 0);
    const auto& libraries = check["measurements"]["libraries"];
    for (const auto& [library, file] : {std::pair{"libcudart", "libcudart.so.13"}, std::pair{"libcublas", "libcublas.so.13"},
                                        std::pair{"libcudnn", "libcudnn.so.9"}, std::pair{"libnccl", "libnccl.so.2"}}) {
        ASSERT_TRUE(libraries.contains(library)) << library;
        EXPECT_FALSE(libraries[library]["version"].get<std::string>().empty()) << library;
        EXPECT_EQ(libraries[library]["mapped"], fs::canonical(*cuda_ / file).string()) << library;
    }
    EXPECT_TRUE(libraries["libcudart"]["version"].get<std::string>().starts_with("13."));
    EXPECT_TRUE(has(check["detail"], "no distribution to compare with")) << check["detail"];
}

TEST_F(LibsCheck, ComparesVersionsWithTheDistributions)
{
    const auto env = dir_ / "env";
    make_cuda_wheel_env(env);
    const auto versions = check_of(verify(env), "libs")["measurements"]["libraries"];
    const auto cudnn = versions["libcudnn"]["version"].get<std::string>();  // "9.19.0"
    const auto nccl = versions["libnccl"]["version"].get<std::string>();    // "2.28.9"
    add_distribution(env, "nvidia_cudnn_cu13", cudnn + ".56");
    add_distribution(env, "nvidia_nccl_cu13", nccl);
    const auto agree = check_of(verify(env), "libs");
    EXPECT_EQ(agree["status"], "pass") << agree["detail"];
    EXPECT_TRUE(has(agree["detail"], "matches nvidia-cudnn-cu13 " + cudnn + ".56")) << agree["detail"];
    // The stack's pin (what the lead passes from the snapshot) wins over what is installed.
    const auto pinned = check_of(verify(env, {"--set", "dist:nvidia-nccl-cu13=2.27.3"}), "libs");
    EXPECT_EQ(pinned["status"], "fail");
    EXPECT_TRUE(has(pinned["detail"], "but the stack has nvidia-nccl-cu13 2.27.3")) << pinned["detail"];
    EXPECT_TRUE(has(pinned["hint"], "reset")) << pinned["hint"];
}

TEST_F(LibsCheck, AMissingLibraryIsNamed)
{
    const auto env = dir_ / "env";
    make_cuda_wheel_env(env, {"nccl"});
    const auto run = verify(env);
    const auto check = check_of(run, "libs");
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "libnccl: missing from the environment")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "libnccl.so is missing")) << check["hint"];
    EXPECT_EQ(run.exit_code, 1);
}

TEST_F(LibsCheck, AShadowingLdLibraryPathIsNamedByLibsAndHost)
{
    const auto env = dir_ / "env";
    make_cuda_wheel_env(env);
    const auto shadow = dir_ / "wrong-cuda";
    fs::create_directories(shadow);
    fs::copy_file(*cuda_ / "libcudart.so.13", shadow / "libcudnn.so.9");  // a wrong copy under cuDNN's name
    const auto run = run_envpin({"verify", "--path", env.string(), "--only", "host,libs", "--json"},
                                {{"LD_LIBRARY_PATH", shadow.string()}});
    const auto libs = check_of(run, "libs");
    EXPECT_EQ(libs["status"], "fail");
    EXPECT_TRUE(has(libs["detail"], "libcudnn.so.9: shadowed by the copy in " + shadow.string())) << libs["detail"];
    const auto host = check_of(run, "host");
    EXPECT_EQ(host["status"], "fail");
    EXPECT_TRUE(has(host["detail"], "LD_LIBRARY_PATH: shadows the environment's own libcudnn.so.9")) << host["detail"];
    EXPECT_TRUE(has(host["hint"], "LD_LIBRARY_PATH")) << host["hint"];
}

TEST_F(LibsCheck, ADependencyLoadedFromOutsideTheEnvironmentIsNamed)
{
    // No libcublasLt in the environment: libcublas pulls the toolkit's through the loader's
    // paths (or cannot load at all); either way the check fails naming libcublasLt.
    const auto env = dir_ / "env";
    make_cuda_wheel_env(env, {"cublasLt"});
    const auto check = check_of(verify(env), "libs");
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "libcublasLt")) << check["detail"];
}

TEST_F(LibsCheck, AnEnvironmentWithoutCudaLibrariesSkips)
{
    fs::create_directories(dir_ / "cpu-env/lib/python3.12/site-packages");
    const auto check = check_of(verify(dir_ / "cpu-env"), "libs");
    EXPECT_EQ(check["status"], "skip");
    EXPECT_TRUE(has(check["detail"], "no CUDA libraries")) << check["detail"];
}

}  // namespace
}  // namespace envpin::test
