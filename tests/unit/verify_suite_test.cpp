// Pure parts of the suite: check selection and findings combined into one result.
#include <gtest/gtest.h>

#include <cstdlib>

#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/runner/suite.hpp"

namespace envpin::verify {
namespace {

TEST(SuiteSelection, RunsEveryCheckInSuiteOrder)
{
    const auto all = select_checks({}, {});
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, (std::vector<std::string>{"host", "libs", "kernels", "cublas", "cudnn", "nccl", "train", "python"}));
    const auto some = select_checks({"python", "host"}, {"host"});
    ASSERT_TRUE(some);
    EXPECT_EQ(*some, (std::vector<std::string>{"host", "python"}));  // --skip'ed ones are reported as skipped
}

TEST(SuiteSelection, UnknownNamesAreBadInputNamingThem)
{
    const auto only = select_checks({"host", "gpuburn"}, {});
    ASSERT_FALSE(only);
    EXPECT_EQ(only.error().code, ErrorCode::bad_input);
    EXPECT_NE(only.error().message.find("'gpuburn' in --only"), std::string::npos) << only.error().message;
    const auto skip = select_checks({}, {"nope"});
    ASSERT_FALSE(skip);
    EXPECT_NE(skip.error().message.find("--skip"), std::string::npos);
    ::unsetenv("ENVPIN_PROBE_SELFTEST");
    EXPECT_FALSE(select_checks({"selftest-hang"}, {}));  // self-tests exist only when enabled
}

TEST(SuiteSelection, DevicesRoundTrip)
{
    for (auto device : {Device::auto_select, Device::cpu, Device::gpu})
        EXPECT_EQ(parse_device(to_string(device)), device);
    EXPECT_FALSE(parse_device("tpu"));
    EXPECT_TRUE(is_gpu_check("nccl"));
    EXPECT_FALSE(is_gpu_check("train"));
}

TEST(Findings, FailureWinsAndEverythingIsSaid)
{
    const auto result = combine_findings(
        "host", {{"driver", CheckStatus::pass, "580 >= 575", ""},
                 {"GPU 0", CheckStatus::fail, "sm_70 not covered", "install another build"},
                 {"LD_LIBRARY_PATH", CheckStatus::fail, "shadows libcudnn", "unset it"},
                 {"Fabric Manager", CheckStatus::skip, "container", ""}});
    EXPECT_EQ(result.status, CheckStatus::fail);
    EXPECT_TRUE(result.detail.starts_with("GPU 0: sm_70 not covered; LD_LIBRARY_PATH: shadows libcudnn")) << result.detail;
    EXPECT_EQ(result.hint, "install another build unset it");
    EXPECT_EQ(result.measurements["findings"].size(), 4u);
}

TEST(Findings, SkipsAloneSkipAndPassesWithSkipsPass)
{
    EXPECT_EQ(combine_findings("x", {{"a", CheckStatus::skip, "no GPU", ""}}).status, CheckStatus::skip);
    EXPECT_EQ(combine_findings("x", {{"a", CheckStatus::skip, "", ""}, {"b", CheckStatus::pass, "", ""}}).status,
              CheckStatus::pass);
    EXPECT_EQ(combine_findings("x", {{"a", CheckStatus::error, "", ""}, {"b", CheckStatus::pass, "", ""}}).status,
              CheckStatus::error);
}

TEST(Findings, InnerTimeoutLeavesTheOuterWatchdogAMargin)
{
    ProbeRequest request{"train", "", {{"timeout_ms", "60000"}}};
    EXPECT_EQ(inner_timeout(request), std::chrono::milliseconds(55000));
    request.parameters["timeout_ms"] = "2000";
    EXPECT_EQ(inner_timeout(request), std::chrono::milliseconds(1600));
}

}  // namespace
}  // namespace envpin::verify
