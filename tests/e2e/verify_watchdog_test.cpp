// The suite's watchdog against probes that misbehave on purpose (ENVPIN_PROBE_SELFTEST=1):
// each hang, crash, fork, flood and garbage output becomes a failed (or errored) check that
// names what happened, the suite goes on, and no process is left behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

// One suite run holds every misbehaviour (each test case here is a process of its own, and
// the hang and the flood each take the 2 s timeout).
class Watchdog {
public:
    Watchdog()
    {
        TempDir env;
        const auto run = run_envpin(
            {"verify", "--path", env.path().string(), "--timeout", "2", "--json", "--only",
             "selftest-hang,selftest-crash,selftest-fork,selftest-flood,selftest-garbage,selftest-exit,selftest-pass"},
            {{"ENVPIN_PROBE_SELFTEST", "1"}});
        exit_code = run.exit_code;
        report = run.json();
    }
    [[nodiscard]] const nlohmann::json& check(std::string_view name) const
    {
        for (const auto& entry : report["checks"])
            if (entry["name"] == name)
                return entry;
        throw std::runtime_error("no check " + std::string(name));
    }
    int exit_code = -1;
    nlohmann::json report;
};

void expect_hang_is_a_timeout(const Watchdog& w)
{
    const auto& hang = w.check("selftest-hang");
    EXPECT_EQ(hang["status"], "fail");
    EXPECT_TRUE(has(hang["detail"], "timed out after 2")) << hang["detail"];
    EXPECT_TRUE(has(hang["hint"], "hung")) << hang["hint"];
}

void expect_forks_are_ended(const Watchdog& w)
{
    const auto& fork = w.check("selftest-fork");
    EXPECT_EQ(fork["status"], "fail");
    EXPECT_TRUE(has(fork["detail"], "left 2 process(es) running")) << fork["detail"];
    const auto& pids = fork["measurements"]["pids"];
    ASSERT_EQ(pids.size(), 2u);
    for (const auto& pid : pids) {
        errno = 0;
        EXPECT_EQ(::kill(pid.get<pid_t>(), 0), -1) << "process " << pid << " outlived the suite";
        EXPECT_EQ(errno, ESRCH);
    }
}

void expect_flood_is_bounded(const Watchdog& w)
{
    const auto& flood = w.check("selftest-flood");
    EXPECT_EQ(flood["status"], "fail");
    EXPECT_TRUE(has(flood["detail"], "timed out")) << flood["detail"];
    EXPECT_TRUE(has(flood["detail"], "flooding stdout")) << flood["detail"];
}

void expect_no_result_is_an_error(const Watchdog& w)
{
    EXPECT_EQ(w.check("selftest-garbage")["status"], "error");
    EXPECT_TRUE(has(w.check("selftest-garbage")["detail"], "printed no check result"));
    const auto& exit = w.check("selftest-exit");
    EXPECT_EQ(exit["status"], "error");
    EXPECT_TRUE(has(exit["detail"], "exit status 3")) << exit["detail"];
    EXPECT_TRUE(has(exit["detail"], "giving up without a result")) << exit["detail"];
}

TEST(Watchdog, EachMisbehaviourIsANamedFailureAndNothingOutlivesTheSuite)
{
    const Watchdog w;
    expect_hang_is_a_timeout(w);
    EXPECT_EQ(w.check("selftest-crash")["status"], "fail");
    EXPECT_TRUE(has(w.check("selftest-crash")["detail"], "killed by SIGSEGV")) << w.check("selftest-crash")["detail"];
    expect_forks_are_ended(w);
    expect_flood_is_bounded(w);
    expect_no_result_is_an_error(w);
    // The suite went on after each of them, and fails.
    EXPECT_EQ(w.check("selftest-pass")["status"], "pass");
    EXPECT_EQ(w.report["checks"].size(), 7u);
    EXPECT_EQ(w.report["status"], "fail");
    EXPECT_EQ(w.exit_code, 1);
}

TEST(WatchdogSelftests, AreUnknownWithoutTheSwitch)
{
    TempDir env;
    const auto run = run_envpin({"verify", "--path", env.path().string(), "--only", "selftest-hang"},
                                {{"ENVPIN_PROBE_SELFTEST", "0"}});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(has(run.err, "unknown check 'selftest-hang'")) << run.err;
}

}  // namespace
}  // namespace envpin::test
