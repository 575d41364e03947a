// The kernels, cublas, cudnn and nccl checks on the real GPU, each through the probe child as
// the suite runs it, against an environment with nvidia-* wheels: $ENVPIN_TEST_ENV, else the
// prefix of the python3 on PATH. Skips with the reason where there is no driver, GPU or
// environment. No timing is asserted: only that the figures exist and make sense.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "tests/support/run_envpin.hpp"
#include "verify/vendor/cuda_driver.hpp"

namespace envpin::test {
namespace {

std::string test_environment()
{
    if (const char* env = std::getenv("ENVPIN_TEST_ENV"); env != nullptr && *env != '\0')
        return env;
    sys::ProcessSpec spec;
    spec.argv = {"python3", "-c", "import sys; print(sys.prefix)"};
    spec.timeout = std::chrono::seconds(30);
    const auto run = sys::run_process(spec);
    return run && run->success() ? std::string(trim(run->out)) : std::string();
}

class GpuChecks : public ::testing::Test {
  protected:
    void SetUp() override
    {
        if (!verify::CudaDriver::load())
            GTEST_SKIP() << "no NVIDIA driver";
        environment_ = test_environment();
        if (environment_.empty())
            GTEST_SKIP() << "no environment: set ENVPIN_TEST_ENV or put a venv's python3 on PATH";
    }

    // Runs `check` through `envpin probe check`; skips when the check itself skipped.
    nlohmann::json run_check(const std::string& check,
                             const nlohmann::json& parameters = nlohmann::json::object(),
                             const std::vector<std::pair<std::string, std::string>>& env = {})
    {
        const nlohmann::json request = {
            {"check", check}, {"environment", environment_}, {"parameters", parameters}};
        const auto run = run_envpin({"probe", "check"}, env, 300, request.dump());
        EXPECT_EQ(run.exit_code, 0) << run.err;
        auto result = nlohmann::json::parse(run.out);
        std::cout << check << ": " << result["status"] << " " << result["detail"] << " ("
                  << result["duration_ms"] << " ms)\n";
        return result;
    }

    std::string environment_;
};

#define SKIP_IF_SKIPPED(result)                                                                    \
    if ((result)["status"] == "skip")                                                              \
        GTEST_SKIP() << (result)["detail"];

void expect_from_environment(const nlohmann::json& library, const std::string& environment)
{
    const auto file = library["file"].get<std::string>();
    EXPECT_TRUE(file.starts_with(environment)) << file << " is not the environment's own";
}

TEST_F(GpuChecks, KernelsPassWithExactResultsAndABandwidth)
{
    const auto result = run_check("kernels");
    SKIP_IF_SKIPPED(result);
    ASSERT_EQ(result["status"], "pass") << result.dump(2);
    EXPECT_GT(result["value"].get<double>(), 0);
    ASSERT_FALSE(result["measurements"]["gpus"].empty());
    for (const auto& gpu : result["measurements"]["gpus"]) {
        EXPECT_EQ(gpu["vector_add"]["wrong"], 0);
        EXPECT_EQ(gpu["memory"]["bad_words"], 0);
        EXPECT_GT(gpu["memory"]["tested_bytes"].get<double>(),
                  0.5 * gpu["memory"]["free_bytes"].get<double>());
        EXPECT_EQ(gpu["copy"]["wrong_words"], 0);
        EXPECT_GE(gpu["copy"]["buffer_bytes"].get<double>(), double(1u << 30));
        EXPECT_EQ(gpu["reduce"]["sum"], gpu["reduce"]["expected"]);
        const auto& host = gpu["host_copies"];
        ASSERT_TRUE(host["pinned"].is_object()) << host.dump(2);
        for (const auto* kind : {"pinned", "pageable"}) {
            EXPECT_EQ(host[kind]["wrong_words"], 0) << kind;
            EXPECT_GT(host[kind]["h2d_gbs"].get<double>(), 0) << kind;
            EXPECT_GT(host[kind]["d2h_gbs"].get<double>(), 0) << kind;
        }
    }
    EXPECT_NE(result["detail"].get<std::string>().find("host copies (H2D/D2H): pinned "),
              std::string::npos);
}

TEST_F(GpuChecks, KernelsFailBelowTheBandwidthFloor)
{
    // A reference no GPU reaches: the same measurement must now fail, naming the floor.
    const auto result =
        run_check("kernels", {{"reference_bandwidth_gbs", "1e9"}, {"memory_fraction", "0.05"}});
    SKIP_IF_SKIPPED(result);
    EXPECT_EQ(result["status"], "fail") << result.dump(2);
    EXPECT_NE(result["detail"].get<std::string>().find("below the floor"), std::string::npos);
    EXPECT_EQ(result["threshold"].get<double>(), 0.75e9);
    EXPECT_FALSE(result["hint"].get<std::string>().empty());
}

TEST_F(GpuChecks, CublasGemmsMatchTheReferenceAndRepeat)
{
    const auto result = run_check("cublas");
    SKIP_IF_SKIPPED(result);
    ASSERT_EQ(result["status"], "pass") << result.dump(2);
    EXPECT_GT(result["value"].get<double>(), 0);
    expect_from_environment(result["measurements"]["libraries"]["cublas"], environment_);
    expect_from_environment(result["measurements"]["libraries"]["cudart"], environment_);
    for (const auto& gpu : result["measurements"]["gpus"]) {
        EXPECT_LT(gpu["bf16"]["relative_error"].get<double>(), 1e-2);
        EXPECT_LT(gpu["tf32"]["relative_error"].get<double>(), 1e-3);
        EXPECT_GT(gpu["tf32"]["relative_error"].get<double>(), 1e-5)
            << "TF32 rounding shows (about 3e-4); plain FP32 would land near 1e-6";
        EXPECT_EQ(gpu["bf16"]["mismatched_words"], 0);
        EXPECT_EQ(gpu["tf32"]["mismatched_words"], 0);
        EXPECT_EQ(gpu["bf16"]["non_finite"], 0);
        EXPECT_LT(gpu["fp32"]["relative_error"].get<double>(), 1e-5) << "strict FP32: no TF32 rounding";
        // NVML's SM clock while the GEMMs ran, where NVML answers.
        if (!gpu["clocks"].contains("not_measured")) {
            EXPECT_GT(gpu["clocks"]["samples"].get<unsigned>(), 0u) << gpu["clocks"];
            EXPECT_GT(gpu["clocks"]["max_mhz"].get<unsigned>(), 0u) << gpu["clocks"];
        }
        EXPECT_GT(gpu["tf32_speedup"].get<double>(), 1.0) << gpu.dump(2);
        // FP8 on sm_89 and newer: E4M3 inputs whose products sum exactly in FP32, so only the
        // BF16 output's rounding shows; on older GPUs the reason it did not run.
        const auto& fp8 = gpu["fp8"];
        if (fp8.contains("skipped")) {
            EXPECT_NE(fp8["skipped"].get<std::string>().find("no FP8 tensor cores"), std::string::npos) << fp8;
        } else {
            EXPECT_LT(fp8["relative_error"].get<double>(), 1e-2);
            EXPECT_EQ(fp8["mismatched_words"], 0);
            EXPECT_GT(fp8["tflops"].get<double>(), gpu["bf16"]["tflops"].get<double>())
                << "FP8 tensor cores do twice BF16's work per clock";
        }
    }
}

TEST_F(GpuChecks, CublasFailsWhenTf32IsForcedOff)
{
    // NVIDIA_TF32_OVERRIDE=0 makes cuBLAS run TF32 requests as strict FP32: the check must see
    // that TF32 is no faster and say so.
    const auto result = run_check("cublas", {{"gemm_size", "4096"}}, {{"NVIDIA_TF32_OVERRIDE", "0"}});
    SKIP_IF_SKIPPED(result);
    EXPECT_EQ(result["status"], "fail") << result.dump(2);
    EXPECT_NE(result["detail"].get<std::string>().find("not faster than strict FP32"), std::string::npos)
        << result["detail"];
    EXPECT_NE(result["hint"].get<std::string>().find("NVIDIA_TF32_OVERRIDE"), std::string::npos) << result["hint"];
}

TEST_F(GpuChecks, CudnnConvolutionMatchesTheReference)
{
    const auto result = run_check("cudnn");
    SKIP_IF_SKIPPED(result);
    ASSERT_EQ(result["status"], "pass") << result.dump(2);
    EXPECT_LT(result["value"].get<double>(), 1e-3);
    expect_from_environment(result["measurements"]["libraries"]["cudnn"], environment_);
    EXPECT_GT(result["measurements"]["libraries"]["cudnn"]["mapped"].size(), 1u)
        << "the sub-libraries cuDNN loaded show up";
    for (const auto& gpu : result["measurements"]["gpus"])
        for (const char* pass : {"forward", "backward_data", "backward_filter"})
            EXPECT_EQ(gpu[pass]["non_finite"], 0) << pass;
}

TEST_F(GpuChecks, NcclAllReduceIsExactOnEveryGpu)
{
    const auto result = run_check("nccl");
    SKIP_IF_SKIPPED(result);
    ASSERT_EQ(result["status"], "pass") << result.dump(2);
    EXPECT_GT(result["value"].get<double>(), 0);
    EXPECT_EQ(result["measurements"]["nccl_nvls_enable"], "0");
    expect_from_environment(result["measurements"]["libraries"]["nccl"], environment_);
    ASSERT_FALSE(result["measurements"]["sizes"].empty());
    for (const auto& size : result["measurements"]["sizes"])
        EXPECT_EQ(size["wrong"], 0) << size.dump();
    if (result["measurements"]["ranks"] == 1) {
        EXPECT_NE(result["detail"].get<std::string>().find("1 GPU"), std::string::npos);
    }
}

} // namespace
} // namespace envpin::test
