// `envpin gate` through the built binary, on environments that `create` installs from real
// indexes on 127.0.0.1 (the stand-in torch family, tests/support/stand_in_stack.hpp): a passing
// gate that runs verify itself, then one that finds the recorded pass; each step's "no" with its
// exit code and message; bad input (exit 2) that still leaves a JUnit report; JUnit files
// validated against tests/data/junit.xsd with xmllint.
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

const nlohmann::json& step_of(const nlohmann::json& report, std::string_view name)
{
    for (const auto& step : report["steps"])
        if (step["name"] == name)
            return step;
    throw std::runtime_error("no step " + std::string(name) + " in " + report.dump());
}

class GateTest : public CreateTest {
protected:
    void SetUp() override
    {
        CreateTest::SetUp();
        const auto created = create(stack_flags("train", "uv"));
        ASSERT_EQ(created.exit_code, 0) << created.err << created.out;
        ASSERT_TRUE(fs::exists(lock));
    }

    // `envpin gate --lock <lock> --env <name> --json` with `extra`, on the stand-in host.
    EnvpinRun gate(std::vector<std::string> extra = {}, const std::string& name = "train") const
    {
        std::vector<std::string> arguments{"gate", "--lock", lock.string(), "--env", name, "--json"};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return envpin(arguments);
    }

    fs::path env = dir / "train";
    fs::path junit = dir / "gate.xml";
};

TEST_F(GateTest, PassesRunningVerifyThenFindsThePassItRecorded)
{
    const auto first = gate({"--only", "host", "--junit", junit.string()});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    const auto report = first.json();
    EXPECT_EQ(report["status"], "pass");
    EXPECT_TRUE(report["stopped_at"].is_null());
    ASSERT_EQ(report["steps"].size(), 4u);
    for (const auto& step : report["steps"])
        EXPECT_EQ(step["status"], "pass") << step.dump(2);
    EXPECT_TRUE(has(step_of(report, "environment")["detail"], "exactly the lock's set"));
    EXPECT_TRUE(has(step_of(report, "verified")["detail"], "passed verify now"));
    EXPECT_EQ(report["verify"]["status"], "pass");
    EXPECT_EQ(junit_problems(junit), "");
    const auto xml = read_text(junit);
    EXPECT_TRUE(has(xml, R"(classname="envpin.gate" name="verified")")) << xml;
    EXPECT_TRUE(has(xml, R"(classname="envpin.verify" name="host")")) << xml;

    const auto second = gate({"--no-verify"});
    ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_TRUE(has(step_of(second.json(), "verified")["detail"], "passed verify on this host at")) << second.out;
    EXPECT_TRUE(second.json()["verify"].is_null());
}

TEST_F(GateTest, TextOutputShowsEachStepAndTheVerdict)
{
    ASSERT_EQ(envpin({"verify", "train", "--only", "host"}).exit_code, 0);
    const auto run = envpin({"gate", "--lock", lock.string(), "--env", "train", "--no-verify", "--color", "never"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_TRUE(has(run.out, "lock        pass")) << run.out;
    EXPECT_TRUE(has(run.out, "environment pass")) << run.out;
    EXPECT_TRUE(has(run.out, "gate: PASS  4 steps")) << run.out;
}

TEST_F(GateTest, AHostWithoutTheDriverTheLockNeedsStopsAtLock)
{
    const auto run = gate({"--driver", "none", "--junit", junit.string()});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto report = run.json();
    EXPECT_EQ(report["stopped_at"], "lock");
    EXPECT_TRUE(has(step_of(report, "lock")["detail"], "no NVIDIA driver")) << report.dump(2);
    EXPECT_EQ(step_of(report, "environment")["status"], "skip");
    EXPECT_TRUE(has(step_of(report, "drift")["detail"], "not run: the gate stopped at lock"));
    EXPECT_EQ(junit_problems(junit), "");
    EXPECT_TRUE(has(read_text(junit), "<failure message=\"no NVIDIA driver")) << read_text(junit);
}

TEST_F(GateTest, AnUnknownEnvironmentAndAMissingOneStopAtEnvironment)
{
    const auto unknown = gate({}, "other");
    EXPECT_EQ(unknown.exit_code, 1) << unknown.out << unknown.err;
    EXPECT_EQ(unknown.json()["stopped_at"], "environment");
    EXPECT_TRUE(has(step_of(unknown.json(), "environment")["hint"], "envpin create --from-lock")) << unknown.out;

    fs::rename(env, dir / "elsewhere");
    const auto missing = gate();
    EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
    EXPECT_TRUE(has(step_of(missing.json(), "environment")["detail"], "is missing")) << missing.out;
}

TEST_F(GateTest, ADistributionThatIsNotTheLocksStopsAtEnvironmentNamingIt)
{
    // An installer run outside envpin replaces triton with another version.
    const auto site = site_packages(env);
    fs::path triton;
    for (const auto& entry : fs::directory_iterator(site))
        if (entry.path().filename().string().starts_with("triton-"))
            triton = entry.path();
    ASSERT_FALSE(triton.empty());
    auto metadata = read_text(triton / "METADATA");
    metadata.replace(metadata.find("Version: 3.3.1"), 14, "Version: 3.4.0");
    write_text(triton / "METADATA", metadata);
    const auto run = gate();
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto report = run.json();
    const auto& step = step_of(report, "environment");
    EXPECT_TRUE(has(step["detail"], "triton: the lock pins 3.3.1, 3.4.0 is installed")) << step.dump(2);
}

TEST_F(GateTest, AStackOnlyLockChecksTheStackAsCreateDoes)
{
    // A lock written by `envpin lock` pins the stack, not the whole environment.
    auto text = read_text(lock);
    text.erase(text.find("\n[[installed]]"));
    write_text(lock, text + "\n");
    const auto run = gate({"--no-verify"});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;  // no pass recorded: it stops at verified
    EXPECT_TRUE(has(step_of(run.json(), "environment")["detail"], "the lock's stack pins hold")) << run.out;

    const auto cudnn = site_packages(env) / "nvidia_cudnn_cu12-9.7.1.26.dist-info";
    ASSERT_TRUE(fs::exists(cudnn));
    fs::remove_all(cudnn);
    const auto changed = gate();
    EXPECT_EQ(changed.exit_code, 1) << changed.out << changed.err;
    const auto report = changed.json();
    EXPECT_TRUE(has(step_of(report, "environment")["detail"], "nvidia-cudnn-cu12: plan 9.7.1.26, not installed"))
        << report.dump(2);
}

TEST_F(GateTest, AChangedFileStopsAtDriftNamingIt)
{
    write_text(env / "bin" / "added-by-hand", "#!/bin/sh\n");
    const auto run = gate();
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto report = run.json();
    const auto& step = step_of(report, "drift");
    EXPECT_TRUE(has(step["detail"], "bin/added-by-hand")) << step.dump(2);
    EXPECT_TRUE(has(step["hint"], "envpin reset train")) << step.dump(2);
}

TEST_F(GateTest, NoVerifyStopsAtVerifiedWhenNoPassIsRecorded)
{
    const auto run = gate({"--no-verify"});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_EQ(run.json()["stopped_at"], "verified");
    EXPECT_TRUE(has(step_of(run.json(), "verified")["detail"], "never verified on this host")) << run.out;
}

TEST_F(GateTest, AFailingVerifyStopsAtVerifiedWithItsChecksInTheJUnitReport)
{
    // The stand-in torch is not a real PyTorch: the python check fails.
    const auto run = gate({"--only", "host,python", "--junit", junit.string()});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto report = run.json();
    EXPECT_EQ(report["stopped_at"], "verified");
    EXPECT_TRUE(has(step_of(report, "verified")["detail"], "failed verify now: python")) << report.dump(2);
    EXPECT_EQ(report["verify"]["status"], "fail");
    EXPECT_EQ(junit_problems(junit), "");
    const auto xml = read_text(junit);
    EXPECT_TRUE(has(xml, R"(tests="6" failures="2")")) << xml;  // 4 steps + 2 checks; verified and python failed
}

TEST_F(GateTest, BadInputExitsTwoNamingItAndStillWritesTheReport)
{
    write_text(dir / "bad.lock", read_text(lock) + "\n[[package]]\nname = 3\n");
    const auto run = envpin({"gate", "--lock", (dir / "bad.lock").string(), "--env", "train", "--junit", junit.string()});
    EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
    EXPECT_TRUE(has(run.err, "bad.lock")) << run.err;
    EXPECT_EQ(junit_problems(junit), "");
    EXPECT_TRUE(has(read_text(junit), R"(<error message=")")) << read_text(junit);

    const auto absent = envpin({"gate", "--lock", (dir / "absent.lock").string(), "--json"});
    EXPECT_EQ(absent.exit_code, 2) << absent.out << absent.err;
    EXPECT_EQ(absent.json()["error"]["exit_code"], 2);
    EXPECT_TRUE(has(absent.json()["error"]["message"], "absent.lock: no such file")) << absent.out;

    const auto unnamed = envpin({"gate", "--lock", lock.string()});  // no envpin.toml beside it names one
    EXPECT_EQ(unnamed.exit_code, 2) << unnamed.out << unnamed.err;
    EXPECT_TRUE(has(unnamed.err, "--env NAME")) << unnamed.err;
}

}  // namespace
}  // namespace envpin::test
