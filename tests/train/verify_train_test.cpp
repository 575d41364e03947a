// The train check end to end: envpin writes out and builds its LibTorch training probe
// against Debian's libtorch-dev (cached in the build tree), runs it on the CPU, and judges
// the loss; a diverging run fails naming NaN.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

const fs::path debian_torch = "/usr/lib/x86_64-linux-gnu/cmake/Torch";

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

// `envpin verify --only train` on an environment without torch, with Debian's LibTorch.
nlohmann::json train_check(const std::vector<std::string>& extra = {}, int* exit_code = nullptr)
{
    TempDir env;
    std::vector<std::string> args{"verify",      "--path",    env.path().string(), "--only",
                                  "train",       "--json",    "--torch-dir",      debian_torch.string(),
                                  "--store",     ENVPIN_TRAIN_STORE, "--timeout", "300"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_envpin(args, {}, 1800);
    if (exit_code != nullptr)
        *exit_code = run.exit_code;
    const auto report = run.json();
    return report["checks"][0];
}

bool have_libtorch()
{
    std::error_code ec;
    return fs::exists(debian_torch / "TorchConfig.cmake", ec);
}

// The fixture (ctest runs it first): builds the probe into the cache, or finds it there.
TEST(TrainProbeBuild, BuildsAgainstDebianLibTorchAndTrainsOnTheCpu)
{
    if (!have_libtorch())
        GTEST_SKIP() << "Debian's libtorch-dev is not installed (" << debian_torch << ")";
    int exit_code = -1;
    const auto check = train_check({"--device", "cpu"}, &exit_code);
    ASSERT_EQ(check["status"], "pass") << check.dump(2);
    EXPECT_EQ(exit_code, 0);
    const auto& build = check["measurements"]["probe_build"];
    std::cout << "training probe: " << (build["built_now"].get<bool>() ? "built" : "cached") << " in "
              << build["build_ms"] << " ms; " << check["detail"].get<std::string>() << '\n';
}

class Train : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!have_libtorch())
            GTEST_SKIP() << "Debian's libtorch-dev is not installed (" << debian_torch << ")";
    }
};

TEST_F(Train, TheLossFallsBelowTheThresholdAndTheProbeComesFromTheCache)
{
    const auto check = train_check({"--device", "cpu"});
    ASSERT_EQ(check["status"], "pass") << check.dump(2);
    EXPECT_EQ(check["unit"], "loss");
    EXPECT_LT(check["value"].get<double>(), check["threshold"].get<double>());
    const auto& m = check["measurements"];
    EXPECT_LT(m["final_loss"].get<double>(), m["initial_loss"].get<double>());
    EXPECT_TRUE(m["nonfinite_step"].is_null());
    EXPECT_EQ(m["device"], "cpu");
    EXPECT_EQ(m["steps"], 60);
    EXPECT_GT(m["samples_per_s"].get<double>(), 0);
    EXPECT_FALSE(m["probe_build"]["built_now"].get<bool>());
    EXPECT_TRUE(fs::exists(m["probe_build"]["binary"].get<std::string>()));
}

TEST_F(Train, DivergenceFailsNamingNaN)
{
    int exit_code = -1;
    const auto check = train_check({"--device", "cpu", "--set", "train_learning_rate=1e10"}, &exit_code);
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "NaN/Inf at step")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "NaN")) << check["hint"];
    EXPECT_EQ(exit_code, 1);
}

TEST_F(Train, TooFewStepsMissTheThreshold)
{
    const auto check = train_check({"--device", "cpu", "--set", "train_steps=20", "--set", "train_loss_threshold=0.001"});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "above the threshold 0.001")) << check["detail"];
}

TEST_F(Train, AskingForTheGpuOfACpuOnlyLibTorchFails)
{
    const auto check = train_check({"--device", "gpu"});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "CUDA is not available to LibTorch")) << check["detail"];
}

}  // namespace
}  // namespace envpin::test
