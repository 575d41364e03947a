// What a run did not prove, on values: the GPU checks that were skipped or left out, the
// reason, and the words and mark verify and log show.
#include <gtest/gtest.h>

#include "verify/runner/not_proven.hpp"

namespace envpin::verify {
namespace {

CheckResult check(std::string name, CheckStatus status, std::string detail = "")
{
    CheckResult result{.name = std::move(name), .status = status};
    result.detail = std::move(detail);
    return result;
}

std::vector<CheckResult> suite(CheckStatus gpu_status, const std::string& detail)
{
    std::vector<CheckResult> checks{check("host", CheckStatus::pass), check("libs", CheckStatus::pass)};
    for (const char* name : {"kernels", "cublas", "cudnn", "nccl"})
        checks.push_back(check(name, gpu_status, detail));
    checks.push_back(check("python", CheckStatus::pass));
    return checks;
}

TEST(NotProven, EveryGpuCheckRunMeansNothingUnproven)
{
    EXPECT_FALSE(not_proven(suite(CheckStatus::pass, "")));
    EXPECT_FALSE(not_proven(suite(CheckStatus::fail, "wrong results")));
}

TEST(NotProven, GpuChecksSkippedForWantOfADriverAreNamed)
{
    const auto unproven = not_proven(suite(CheckStatus::skip, "no NVIDIA driver on this host"));
    ASSERT_TRUE(unproven);
    EXPECT_EQ(*unproven, (NotProven{"no NVIDIA driver on this host", {"kernels", "cublas", "cudnn", "nccl"}}));
    EXPECT_EQ(describe(*unproven), "GPU checks not run: no NVIDIA driver on this host (kernels, cublas, cudnn, nccl skipped)");
    EXPECT_EQ(mark(*unproven), "GPU not proven");
    EXPECT_EQ(to_json(unproven), (nlohmann::json{{"reason", "no NVIDIA driver on this host"},
                                                 {"checks", {"kernels", "cublas", "cudnn", "nccl"}}}));
    EXPECT_TRUE(to_json(std::nullopt).is_null());
}

TEST(NotProven, SomeGpuChecksSkippedAreMarkedByName)
{
    auto checks = suite(CheckStatus::pass, "");
    checks[4] = check("cudnn", CheckStatus::skip, "libcudnn: not in the environment");
    const auto unproven = not_proven(checks);
    ASSERT_TRUE(unproven);
    EXPECT_EQ(mark(*unproven), "cudnn not proven");
    EXPECT_EQ(describe(*unproven), "GPU checks not run: libcudnn: not in the environment (cudnn skipped)");
}

TEST(NotProven, ChecksLeftOutCountWithTheirOwnReason)
{
    const auto unproven = not_proven({check("host", CheckStatus::pass), check("nccl", CheckStatus::skip, "--device cpu: GPU checks do not run")});
    ASSERT_TRUE(unproven);
    EXPECT_EQ(unproven->reason, "not selected (--only); --device cpu: GPU checks do not run");
    EXPECT_EQ(unproven->checks, (std::vector<std::string>{"kernels", "cublas", "cudnn", "nccl"}));
}

}  // namespace
}  // namespace envpin::verify
