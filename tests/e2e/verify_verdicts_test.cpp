// Verdicts that are never lost, through the built binary on this machine: an environment whose
// Python trains on the CPU (a venv that sees Debian's python3-torch) passes `verify`, then fails
// under a memory limit (`ulimit -v`) with its bytes unchanged. The pass stays: `log` shows
// verified:pass with both runs, `status` names the verdict, `reset` still goes back to it, and
// the failing run's report says first that these bytes passed here, naming what differs.
#include <gtest/gtest.h>

#include "tests/support/sanitizer.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/verify_envs.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

// Enough for envpin and its probe children, too little for Python to import torch (it maps
// about 640 MB).
constexpr std::string_view memory_limit = "ulimit -v 400000";  // KiB: 390.6 MB

const nlohmann::json& difference(const nlohmann::json& report, std::string_view what)
{
    for (const auto& entry : report["passed_before"]["context_differences"])
        if (entry["what"] == what)
            return entry;
    throw std::runtime_error("no context difference " + std::string(what) + " in " + report["passed_before"].dump());
}

const nlohmann::json& entry_of(const nlohmann::json& log, long long seq)
{
    for (const auto& entry : log)
        if (entry["seq"] == seq)
            return entry;
    throw std::runtime_error("no snapshot " + std::to_string(seq) + " in the log");
}

class VerdictsTest : public StoreTest {
protected:
    void SetUp() override
    {
        if (!system_python_has_torch())
            GTEST_SKIP() << "/usr/bin/python3 cannot import torch (Debian's python3-torch is not installed)";
        ASSERT_TRUE(make_venv(venv, true));
        const auto adopt = envpin({"adopt", venv.string(), "--name", "train"});
        ASSERT_EQ(adopt.exit_code, 0) << adopt.err;
        const auto pass = verify("unset CUDA_VISIBLE_DEVICES", {"--json"});
        ASSERT_EQ(pass.exit_code, 0) << pass.out << pass.err;
        ASSERT_TRUE(pass.json()["passed_before"].is_null());
        ASSERT_FALSE(pass.json()["context"]["variables"].contains("CUDA_VISIBLE_DEVICES"));
    }

    // `envpin verify train --only python --device cpu` after the shell's `setup`.
    EnvpinRun verify(const std::string& setup, std::vector<std::string> extra) const
    {
        std::vector<std::string> args{"--store", store().string(), "verify", "train", "--only", "python",
                                      "--device", "cpu", "--color", "never"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_envpin_after(setup, args, 300);
    }

    fs::path venv = dir / "venv";
};

TEST_F(VerdictsTest, AFailureOfBytesThatPassedSaysSoFirstAndNamesWhatDiffers)
{
    ENVPIN_SKIP_UNDER_ASAN("an address-space limit stops its shadow-memory reservation before envpin runs");
    const auto failed = verify(std::string(memory_limit) + "; export CUDA_VISIBLE_DEVICES=", {"--json"});
    ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    const auto report = failed.json();
    EXPECT_EQ(report["checks"][0]["status"], "fail") << report["checks"][0].dump(2);
    EXPECT_EQ(report["snapshot"]["ref"], "train@1");  // the same bytes: no new snapshot
    ASSERT_TRUE(report["passed_before"].is_object()) << report.dump(2);
    EXPECT_EQ(report["passed_before"]["ref"], "train@1");
    EXPECT_FALSE(report["passed_before"]["at"].get<std::string>().empty());
    const auto& limit = difference(report, "memory limit (ulimit -v)");
    EXPECT_EQ(limit["after"], "390.6 MB");
    EXPECT_NE(limit["before"], limit["after"]);
    const auto& hidden = difference(report, "CUDA_VISIBLE_DEVICES");
    EXPECT_EQ(hidden["before"], "unset");
    EXPECT_EQ(hidden["after"], "'' (empty)");
    EXPECT_EQ(report["context"]["variables"]["CUDA_VISIBLE_DEVICES"], "");
    EXPECT_EQ(report["context"]["memory_limits"]["address_space"], 400000LL * 1024);

    // As text: the report after the check's block starts with it.
    const auto text = verify(std::string(memory_limit), {});
    ASSERT_EQ(text.exit_code, 1) << text.out << text.err;
    const auto report_start = text.out.find("\n\nthese exact bytes passed here at ");
    ASSERT_NE(report_start, std::string::npos) << text.out;
    EXPECT_TRUE(has(text.out.substr(0, report_start), "python   fail")) << text.out;  // only the check before it
    const auto summary = text.out.substr(report_start + 2);
    const auto first_line = summary.substr(0, summary.find('\n'));
    EXPECT_TRUE(first_line.ends_with("(train@1): the cause is outside the environment")) << first_line;
    EXPECT_TRUE(has(summary, "\n  memory limit (ulimit -v): ")) << summary;
    EXPECT_LT(summary.find("memory limit"), summary.find("verify: FAIL")) << summary;
}

// Other bytes than those that passed: the failure starts with what changed since that pass.
TEST_F(VerdictsTest, AFailureOfChangedBytesNamesWhatChangedSinceThePass)
{
    // A torch package in the environment that shadows the working one and cannot be imported.
    const auto site = [&] {
        for (const auto& entry : fs::directory_iterator(venv / "lib"))
            return entry.path() / "site-packages";
        return fs::path();
    }();
    write_text(site / "torch" / "__init__.py", "raise ImportError('damaged on purpose')\n");
    const auto failed = verify("true", {"--json"});
    ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    const auto report = failed.json();
    EXPECT_EQ(report["snapshot"]["ref"], "train@2");  // the drift was saved first
    EXPECT_TRUE(report["passed_before"].is_null());
    ASSERT_TRUE(report["changed_since"].is_object()) << report.dump(2);
    EXPECT_EQ(report["changed_since"]["ref"], "train@1");
    EXPECT_GE(report["changed_since"]["files"]["added"].get<int>(), 1);
    EXPECT_EQ(report["changed_since"]["files"]["modified"], 0);
    const auto paths = report["changed_since"]["paths"].dump();
    EXPECT_TRUE(has(paths, "\"torch/__init__.py\"")) << paths;

    const auto text = verify("true", {});
    ASSERT_EQ(text.exit_code, 1) << text.out << text.err;
    EXPECT_TRUE(has(text.out, "\nchanged since train@1, which passed here: ")) << text.out;
    EXPECT_TRUE(has(text.out, "torch/__init__.py")) << text.out;
}

TEST_F(VerdictsTest, LogStatusAndResetKeepThePassAfterTheFailure)
{
    ENVPIN_SKIP_UNDER_ASAN("an address-space limit stops its shadow-memory reservation before envpin runs");
    ASSERT_EQ(verify(std::string(memory_limit), {"--json"}).exit_code, 1);

    const auto log = envpin({"log", "train", "--json"});
    ASSERT_EQ(log.exit_code, 0) << log.err;
    const auto entries = log.json()["snapshots"];
    const auto& first = entry_of(entries, 1);
    EXPECT_EQ(first["verified"], "pass");
    ASSERT_EQ(first["runs"].size(), 2u) << first.dump(2);
    EXPECT_EQ(first["runs"][0]["status"], "pass");
    EXPECT_EQ(first["runs"][1]["status"], "fail");
    EXPECT_EQ(first["runs"][1]["ref"], "train@1");
    const auto text = envpin({"log", "train"});
    // This machine has no GPU: the verdict says so before the runs behind it.
    EXPECT_TRUE(has(text.out, "verified:pass (GPU not proven; pass ")) << text.out;
    EXPECT_TRUE(has(text.out, ", fail ")) << text.out;

    const auto status = envpin({"status", "train"});
    EXPECT_TRUE(has(status.out, "train: clean (at train@1, ")) << status.out;
    EXPECT_TRUE(has(status.out, "; verified on this host)")) << status.out;
    EXPECT_EQ(envpin({"status", "train", "--json"}).json()["verified"], "pass");

    // Unsaved changes: reset saves them (train@2) and goes back to the verified train@1.
    write_text(venv / "drift.txt", "unsaved\n");
    const auto reset = envpin({"reset", "train", "--json"});
    ASSERT_EQ(reset.exit_code, 0) << reset.out << reset.err;
    EXPECT_EQ(reset.json()["to"], "train@1");
    EXPECT_EQ(reset.json()["saved"], "train@2");
    EXPECT_EQ(reset.json()["target_verified"], true);
    EXPECT_FALSE(fs::exists(venv / "drift.txt"));
}

}  // namespace
}  // namespace envpin::test
