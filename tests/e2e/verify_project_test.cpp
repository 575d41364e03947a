// A project's own checks ([verify] checks in envpin.toml) through the built binary: found
// beside the environment, run with the environment's python under the watchdog, judged by
// exit status (pass, fail with the output's tail, timeout, a flood kept to its tail), listed in
// JUnit, and a malformed table refused as bad input naming the file and the key. Also what a
// run did not prove: GPU checks skipped for want of a driver are named in the summary, the JSON
// and `log`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/verify_envs.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

const nlohmann::json& find_check(const nlohmann::json& report, std::string_view name)
{
    for (const auto& check : report["checks"])
        if (check["name"] == name)
            return check;
    throw std::runtime_error("no check " + std::string(name) + " in " + report["checks"].dump());
}

// A project directory: envpin.toml with `checks` under [verify], and .venv whose bin/python is
// the system's python3.
class ProjectChecks : public ::testing::Test {
protected:
    void write_spec(std::string_view checks) const
    {
        write_text(project / "envpin.toml",
                   fmt::format("[environment]\nname = \"proj\"\npath = \".venv\"\n\n[verify]\nchecks = [\n{}\n]\n",
                               checks));
    }

    void SetUp() override
    {
        fs::create_directories(project / ".venv" / "bin");
        fs::create_symlink("/usr/bin/python3", project / ".venv" / "bin" / "python");
    }

    // `envpin verify --path <project>/.venv --only <only> ...`, from another directory.
    [[nodiscard]] EnvpinRun verify(const std::string& only, std::vector<std::string> extra = {}) const
    {
        std::vector<std::string> args{"verify", "--path", (project / ".venv").string(), "--only", only,
                                      "--color", "never"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_envpin(args, {}, 120, std::nullopt, elsewhere.path());
    }

    TempDir project;
    TempDir elsewhere;
};

TEST_F(ProjectChecks, APassingCheckRunsWithTheEnvironmentsPythonInTheProjectDirectory)
{
    write_spec(R"S(  { name = "smoke", run = ["python", "-c", "import os, sys; print(sys.executable, os.getcwd())"], timeout = 60 },)S");
    const auto run = verify("project:smoke", {"--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto report = run.json();
    const auto& check = find_check(report, "project:smoke");
    EXPECT_EQ(check["status"], "pass");
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(has(detail, (project / ".venv" / "bin" / "python").string() + " " + project.path().string()))
        << detail;
    EXPECT_EQ(check["measurements"]["exit_code"], 0);
}

TEST_F(ProjectChecks, AFailingCheckExitsOneWithTheTailOfItsOutput)
{
    write_spec(R"S(  { name = "selftest", run = ["python", "-c", "import sys; print('boom: widget mismatch', file=sys.stderr); sys.exit(3)"] },)S");
    const auto run = verify("project:selftest");
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_TRUE(has(run.out, "project:selftest fail")) << run.out;
    EXPECT_TRUE(has(run.out, "exit status 3")) << run.out;
    EXPECT_TRUE(has(run.out, "boom: widget mismatch")) << run.out;
    EXPECT_TRUE(has(run.out, "verify: FAIL")) << run.out;
}

TEST_F(ProjectChecks, ACheckPastItsTimeoutIsKilledAndReportedAsATimeout)
{
    write_spec(R"S(  { name = "hang", run = ["python", "-c", "import time; print('waiting', flush=True); time.sleep(600)"], timeout = 1 },)S");
    const auto run = verify("project:hang", {"--json"});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto report = run.json();
    const auto& check = find_check(report, "project:hang");
    EXPECT_EQ(check["status"], "fail");
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(has(detail, "was killed: timed out after ")) << detail;
    EXPECT_TRUE(has(detail, "waiting")) << detail;
}

TEST_F(ProjectChecks, AFloodIsReportedWithItsTail)
{
    // About 30 MB on stdout, then a last line and a failure.
    write_spec(R"S(  { name = "flood", run = ["python", "-c", "import sys\nfor i in range(2000000): print('line', i)\nprint('THE END')\nsys.exit(1)"] },)S");
    const auto run = verify("project:flood", {"--json"});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    const auto report = run.json();
    const auto& check = find_check(report, "project:flood");
    EXPECT_EQ(check["status"], "fail");
    const auto detail = check["detail"].get<std::string>();
    EXPECT_TRUE(has(detail, "line 1999999\nTHE END")) << detail;
    EXPECT_TRUE(has(detail, "earlier output dropped")) << detail;
    EXPECT_EQ(check["measurements"]["output_truncated"], true);
    EXPECT_LE(check["measurements"]["stdout_tail"].get<std::string>().size(), 64u << 10);
}

TEST_F(ProjectChecks, JUnitListsProjectChecksAndValidates)
{
    write_spec(R"S(  { name = "smoke", run = ["python", "-c", "print('ok')"] },
  { name = "broken", run = ["python", "-c", "raise SystemExit(2)"] },)S");
    const auto junit = elsewhere / "verify.xml";
    const auto run = verify("host,project:smoke,project:broken", {"--junit", junit.string()});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_EQ(junit_problems(junit), "");
    const auto xml = read_text(junit);
    EXPECT_TRUE(has(xml, R"(name="project:smoke")")) << xml;
    EXPECT_TRUE(has(xml, R"(name="project:broken")")) << xml;
    EXPECT_TRUE(has(xml, "exit status 2")) << xml;
}

TEST_F(ProjectChecks, SpecFlagAndTheCurrentDirectoryAreFoundToo)
{
    write_text(elsewhere / "other.toml", "[environment]\nname = \"x\"\n[verify]\nchecks = [{ name = \"given\", run = "
                                          "[\"python\", \"-c\", \"print(1)\"] }]\n");
    const auto given = run_envpin({"verify", "--path", (project / ".venv").string(), "--only", "project:given",
                                   "--spec", (elsewhere / "other.toml").string(), "--json"});
    EXPECT_EQ(given.exit_code, 0) << given.out << given.err;
    write_text(elsewhere / "envpin.toml", "[environment]\nname = \"x\"\n[verify]\nchecks = [{ name = \"here\", run = "
                                            "[\"python\", \"-c\", \"print(1)\"] }]\n");
    const auto here = verify("project:here", {"--json"});  // the project has no envpin.toml of its own
    EXPECT_EQ(here.exit_code, 0) << here.out << here.err;
    const auto missing = verify("host", {"--spec", (elsewhere / "absent.toml").string()});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_TRUE(has(missing.err, "absent.toml")) << missing.err;
}

TEST_F(ProjectChecks, AMalformedTableIsBadInputNamingTheFileAndTheKey)
{
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"(  { name = "a", run = ["python"], timout = 5 },)", "unknown key 'timout'"},
        {R"(  { name = "a", run = [] },)", "'run' must list the command"},
        {R"(  { name = "a", run = ["python"] }, { name = "a", run = ["python"] },)", "the name 'a' appears twice"},
        {R"(  { name = "host", run = ["python"] },)", "the name 'host' is a built-in check's"},
        {R"(  { name = "a", run = ["python"], timeout = 0 },)", "'timeout' must be a number of seconds > 0"},
        {R"(  { name = "a", run = ["python"], timeout = -3 },)", "'timeout' must be a number of seconds > 0"},
    };
    for (const auto& [checks, message] : cases) {
        write_spec(checks);
        const auto run = verify("host");
        EXPECT_EQ(run.exit_code, 2) << checks << "\n" << run.out << run.err;
        EXPECT_TRUE(has(run.err, "envpin.toml")) << run.err;
        EXPECT_TRUE(has(run.err, message)) << checks << "\n" << run.err;
        EXPECT_FALSE(has(run.out, "host ")) << "no check ran: " << run.out;
    }
}

// Without a driver the GPU checks skip, and the run says what it did not prove.
TEST(VerifyNotProven, TheSummaryAndTheJsonNameTheGpuChecksThatDidNotRun)
{
    TempDir env;
    const std::vector<std::pair<std::string, std::string>> no_driver{{"ENVPIN_DRIVER_VERSION", "none"}};
    const auto json = run_envpin({"verify", "--path", env.path().string(), "--only", "host,kernels,cublas,cudnn,nccl",
                                  "--json"},
                                 no_driver);
    ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
    const auto report = json.json();
    EXPECT_EQ(report["status"], "pass");
    EXPECT_EQ(report["not_proven"]["reason"], "no NVIDIA driver on this host");
    EXPECT_EQ(report["not_proven"]["checks"], (nlohmann::json{"kernels", "cublas", "cudnn", "nccl"}));
    const auto text = run_envpin({"verify", "--path", env.path().string(), "--only", "host,kernels,cublas,cudnn,nccl",
                                  "--color", "never"},
                                 no_driver);
    EXPECT_TRUE(has(text.out, "GPU checks not run: no NVIDIA driver on this host (kernels, cublas, cudnn, nccl "
                              "skipped)\nverify: PASS (GPU not proven)  "))
        << text.out;
}

TEST(VerifyNotProven, ChecksLeftOutByOnlyAreNotProvenEither)
{
    TempDir env;
    const auto report = run_envpin({"verify", "--path", env.path().string(), "--only", "host,cudnn", "--json"},
                                   {{"ENVPIN_DRIVER_VERSION", "none"}})
                            .json();
    EXPECT_EQ(report["not_proven"]["reason"], "not selected (--only); no NVIDIA driver on this host");
    EXPECT_EQ(report["not_proven"]["checks"], (nlohmann::json{"kernels", "cublas", "cudnn", "nccl"}));
}

class NotProvenLog : public StoreTest {};

TEST_F(NotProvenLog, LogMarksAPassThatRanNoGpuCheck)
{
    const auto venv = dir / "venv";
    ASSERT_TRUE(make_venv(venv, false));
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    // The same host facts for every command: runs count on this host's fingerprint.
    const std::vector<std::pair<std::string, std::string>> no_driver{{"ENVPIN_DRIVER_VERSION", "none"}};
    const auto store_flag = store().string();
    const auto verify = run_envpin({"--store", store_flag, "verify", "train", "--only", "kernels,cublas,cudnn,nccl"},
                                   no_driver);
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    const auto log = run_envpin({"--store", store_flag, "log", "train", "--color", "never"}, no_driver);
    EXPECT_TRUE(has(log.out, "verified:pass (GPU not proven; pass ")) << log.out;
    const auto json = run_envpin({"--store", store_flag, "log", "train", "--json"}, no_driver).json();
    EXPECT_EQ(json["snapshots"][0]["verified"], "pass");
    EXPECT_EQ(json["snapshots"][0]["not_proven"]["checks"], (nlohmann::json{"kernels", "cublas", "cudnn", "nccl"}));
    EXPECT_EQ(json["snapshots"][0]["not_proven"]["reason"], "no NVIDIA driver on this host");
}

}  // namespace
}  // namespace envpin::test
