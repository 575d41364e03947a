// Self-test checks: probes that misbehave on purpose, so the tests can prove the watchdog
// turns each misbehaviour into a failed check and leaves no process behind. Reachable only
// while ENVPIN_PROBE_SELFTEST=1 (suite_checks.cpp); never part of the suite.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "verify/checks/registry.hpp"

namespace envpin::verify {
namespace {

// Starts `sleep 300` in a child; with `leave_group` the child first leaves our process group
// (setsid), as a daemonizing helper would, so only the subreaper can find it.
pid_t start_sleeper(bool leave_group)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (leave_group)
            ::setsid();
        ::execl("/bin/sleep", "sleep", "300", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

[[noreturn]] void flood_stdout()
{
    static char block[65536];
    std::memset(block, 'x', sizeof block);
    for (;;)
        if (::write(STDOUT_FILENO, block, sizeof block) < 0)
            ::pause();
}

}  // namespace

CheckResult run_selftest_check(const ProbeRequest& request)
{
    const auto& name = request.check;
    if (name == "selftest-hang")
        for (;;)
            ::pause();
    if (name == "selftest-crash") {
        ::signal(SIGSEGV, SIG_DFL);
        ::raise(SIGSEGV);
    }
    if (name == "selftest-flood")
        flood_stdout();
    if (name == "selftest-garbage") {
        std::fputs("this is not a check result\n", stdout);
        std::fflush(stdout);
        std::_Exit(0);
    }
    if (name == "selftest-exit") {
        std::fputs("selftest: giving up without a result\n", stderr);
        std::_Exit(3);
    }
    CheckResult result{.name = name, .status = CheckStatus::pass};
    if (name == "selftest-fork") {
        // Both outlive this probe: one in its process group, one in a session of its own.
        result.measurements["pids"] = {start_sleeper(false), start_sleeper(true)};
        result.detail = "left two sleeping children behind";
    } else
        result.detail = "self-test probe ran";
    return result;
}

}  // namespace envpin::verify
