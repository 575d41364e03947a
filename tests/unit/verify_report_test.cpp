// The verify report as a value: its JSON contract, round trip, host fingerprint, regression
// warnings, and the JUnit XML form parsed back by a real XML parser.
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "verify/runner/junit.hpp"
#include "verify/runner/report.hpp"

namespace envpin::verify {
namespace {

HostFacts h200_host()
{
    HostFacts host;
    host.driver = "580.159.04";
    host.gpus.push_back({0, "NVIDIA H200", "GPU-f003b975", {9, 0}, 143771, false});
    host.glibc = "2.39";
    host.arch = "x86_64";
    host.os = "Ubuntu 24.04.3 LTS";
    return host;
}

CheckResult check(std::string name, CheckStatus status, std::optional<double> value = std::nullopt,
                  std::string unit = "")
{
    CheckResult result{.name = std::move(name), .status = status, .value = value, .unit = std::move(unit)};
    result.duration_ms = 1234;
    result.detail = "detail of " + result.name;
    return result;
}

Report sample_report()
{
    Report report;
    report.host = h200_host();
    report.fingerprint = host_fingerprint(report.host, suite_version);
    report.checks = {check("host", CheckStatus::pass), check("kernels", CheckStatus::pass, 4270, "GB/s"),
                     check("nccl", CheckStatus::skip), check("train", CheckStatus::fail, 2.1, "loss")};
    report.checks[3].hint = "lower the <learning rate> & retry";
    report.checks[3].measurements["samples_per_s"] = 380000;
    report.passed = suite_passed(report.checks);
    report.duration_ms = 4200;
    return report;
}

TEST(VerifyReport, JsonHasTheContractKeys)
{
    const auto json = to_json(sample_report());
    for (const char* key : {"status", "host", "snapshot", "checks"})
        EXPECT_TRUE(json.contains(key)) << key;
    EXPECT_EQ(json["status"], "fail");
    ASSERT_EQ(json["checks"].size(), 4u);
    for (const auto& entry : json["checks"])
        for (const char* key : {"name", "status", "value", "unit", "reference", "threshold", "duration_ms", "detail", "hint"})
            EXPECT_TRUE(entry.contains(key)) << key;
    EXPECT_EQ(json["checks"][1]["value"], 4270);
    EXPECT_TRUE(json["checks"][0]["value"].is_null());
    EXPECT_EQ(json["host"]["gpus"][0]["cc"], "9.0");
}

TEST(VerifyReport, PassesIffNothingFailedOrErrored)
{
    EXPECT_TRUE(suite_passed({check("a", CheckStatus::pass), check("b", CheckStatus::skip)}));
    EXPECT_FALSE(suite_passed({check("a", CheckStatus::pass), check("b", CheckStatus::error)}));
    EXPECT_FALSE(suite_passed({check("a", CheckStatus::fail)}));
    EXPECT_TRUE(suite_passed({}));
}

TEST(VerifyReport, RoundTripsThroughJson)
{
    const auto report = sample_report();
    const auto back = report_from_json(to_json(report));
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->host, report.host);
    EXPECT_EQ(back->fingerprint, report.fingerprint);
    EXPECT_EQ(back->checks.size(), report.checks.size());
    EXPECT_EQ(back->checks[3].hint, report.checks[3].hint);
    EXPECT_EQ(back->passed, report.passed);
    EXPECT_FALSE(report_from_json(nlohmann::json::array()));
}

TEST(VerifyReport, ContextAndPassedBeforeRoundTripThroughJson)
{
    auto report = sample_report();
    report.context.variables = {{"CUDA_VISIBLE_DEVICES", ""}, {"NCCL_DEBUG", "INFO"}};
    report.context.visible_gpus = 0;
    report.context.memory.address_space = 2LL << 30;
    report.passed_before = PassedBefore{"train@1", "2026-11-27T15:19:02Z",
                                        std::vector<ContextDifference>{{"visible GPUs", "1", "0"}}};
    const auto json = to_json(report);
    EXPECT_EQ(json["passed_before"]["ref"], "train@1");
    EXPECT_EQ(json["passed_before"]["context_differences"][0]["what"], "visible GPUs");
    EXPECT_EQ(json["context"]["variables"]["CUDA_VISIBLE_DEVICES"], "");
    const auto back = report_from_json(json);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->context, report.context);
    EXPECT_EQ(back->passed_before, report.passed_before);

    report.passed_before->differences.reset();  // the earlier run recorded no context
    EXPECT_TRUE(to_json(report)["passed_before"]["context_differences"].is_null());
    EXPECT_EQ(report_from_json(to_json(report))->passed_before, report.passed_before);
    EXPECT_TRUE(to_json(sample_report())["passed_before"].is_null());
}

TEST(HostFingerprint, DependsOnDriverGpuModelsAndSuite)
{
    const auto host = h200_host();
    const auto base = host_fingerprint(host, "1");
    EXPECT_EQ(base.size(), 16u);
    EXPECT_EQ(host_fingerprint(host, "1"), base);
    auto other_driver = host;
    other_driver.driver = "580.95.05";
    EXPECT_NE(host_fingerprint(other_driver, "1"), base);
    EXPECT_NE(host_fingerprint(host, "2"), base);
    auto two = host;
    two.gpus.push_back({1, "NVIDIA H200", "GPU-2", {9, 0}, 143771, false});
    EXPECT_NE(host_fingerprint(two, "1"), base);
    auto renumbered = host;  // UUIDs, memory and indices are not part of the identity
    renumbered.gpus[0].uuid = "GPU-other";
    renumbered.gpus[0].memory_mib = 140000;
    EXPECT_EQ(host_fingerprint(renumbered, "1"), base);
}

TEST(Regressions, FlagsRatesWorseThanTheMargin)
{
    auto baseline = sample_report();
    baseline.checks[3].status = CheckStatus::pass;
    auto current = baseline;
    current.checks[1].value = 3500;                          // 18% lower bandwidth
    current.checks[3].measurements["samples_per_s"] = 350000;  // 8% lower: within the margin
    const auto found = find_regressions(current, baseline);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].check, "kernels");
    EXPECT_EQ(found[0].unit, "GB/s");
    EXPECT_NEAR(found[0].change, -0.18, 0.001);
    current.checks[3].measurements["samples_per_s"] = 300000;
    EXPECT_EQ(find_regressions(current, baseline).size(), 2u);
    EXPECT_EQ(find_regressions(current, baseline, 0.25).size(), 0u);
}

TEST(Regressions, OnlyOnTheSameHostAndBetweenPassingChecks)
{
    auto baseline = sample_report();
    auto current = baseline;
    current.checks[1].value = 1000;
    auto elsewhere = baseline;
    elsewhere.fingerprint = "0000000000000000";
    EXPECT_TRUE(find_regressions(current, elsewhere).empty());
    current.checks[1].status = CheckStatus::fail;
    EXPECT_TRUE(find_regressions(current, baseline).empty());  // a failure is reported as such
    current.checks[1].status = CheckStatus::pass;
    current.checks[1].unit = "loss";
    baseline.checks[1].unit = "loss";
    EXPECT_TRUE(find_regressions(current, baseline).empty());  // not a rate
}

TEST(JUnit, EscapesAndRepairsText)
{
    EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    EXPECT_EQ(xml_escape("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(xml_escape(std::string("x\x01y\xffz")), "x\xef\xbf\xbdy\xef\xbf\xbdz");
}

TEST(JUnit, IsWellFormedAndCountsOutcomes)
{
    auto report = sample_report();
    report.checks.push_back(check("python", CheckStatus::error));
    report.checks.back().detail = std::string("crashed: \x1b[31m\xfe garbage <tags> & ]]>");
    // Parse it back with Python's XML parser: well-formed, and the counts add up.
    sys::ProcessSpec spec;
    spec.argv = {"python3", "-c",
                 "import sys, xml.etree.ElementTree as ET\n"
                 "root = ET.fromstring(sys.stdin.buffer.read())\n"
                 "suite = root.find('testsuite')\n"
                 "cases = suite.findall('testcase')\n"
                 "print(root.tag, suite.get('tests'), suite.get('failures'), suite.get('errors'), suite.get('skipped'),\n"
                 "      len(cases), len(suite.findall('testcase/failure')), len(suite.findall('testcase/skipped')),\n"
                 "      cases[3].find('failure').get('message'), cases[1].get('time'))\n"};
    spec.stdin_data = to_junit_xml(report);
    const auto run = sys::run_process(spec);
    ASSERT_TRUE(run);
    ASSERT_TRUE(run->success()) << run->err << "\n" << *spec.stdin_data;
    EXPECT_EQ(run->out, "testsuites 5 1 1 1 5 1 1 detail of train 1.234\n");
}

}  // namespace
}  // namespace envpin::verify
