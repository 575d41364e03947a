// The subprocess watchdog against real children: hangs, crashes, forks and floods.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <string>

#include "sys/process.hpp"

namespace envpin::sys {
namespace {

ProcessResult run_shell(const std::string& script, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                        size_t max_output = 16u << 20)
{
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.timeout = timeout;
    spec.max_output_bytes = max_output;
    auto result = run_process(spec);
    EXPECT_TRUE(result.has_value());
    return result.value_or(ProcessResult{});
}

TEST(Process, CapturesOutputAndExitCode)
{
    const auto result = run_shell("echo out; echo err >&2; exit 7");
    EXPECT_TRUE(result.exited());
    EXPECT_EQ(result.exit_code, 7);
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
    EXPECT_EQ(result.describe_status(), "exit status 7");
}

TEST(Process, KillsAHangAtTheDeadline)
{
    const auto result = run_shell("sleep 30", std::chrono::milliseconds(300));
    EXPECT_TRUE(result.timed_out);
    EXPECT_FALSE(result.success());
    EXPECT_LT(result.duration, std::chrono::seconds(5));
    EXPECT_NE(result.describe_status().find("timed out"), std::string::npos);
}

TEST(Process, ReportsTheSignalOfACrash)
{
    const auto result = run_shell("kill -SEGV $$");
    EXPECT_EQ(result.term_signal, SIGSEGV);
    EXPECT_NE(result.describe_status().find("SIGSEGV"), std::string::npos);
}

TEST(Process, ForkedChildrenDoNotOutliveTheWatchdog)
{
    // The grandchild keeps stdout open and would block a naive reader for 30 s.
    const auto result = run_shell("(sleep 30; echo late) & echo early", std::chrono::seconds(20));
    EXPECT_TRUE(result.success());
    EXPECT_EQ(result.out, "early\n");
    EXPECT_LT(result.duration, std::chrono::seconds(5));
}

TEST(Process, BoundsAFloodOfOutput)
{
    const auto result = run_shell("head -c 5000000 /dev/zero", std::chrono::seconds(20), 1000);
    EXPECT_TRUE(result.success());
    EXPECT_EQ(result.out.size(), 1000u);
    EXPECT_TRUE(result.out_truncated);
}

TEST(Process, KeepsTheTailOfAFloodWhenAsked)
{
    ProcessSpec spec;
    spec.argv = {"sh", "-c", "seq 1 200000; echo last"};
    spec.max_output_bytes = 1000;
    spec.keep_tail = true;
    const auto result = run_process(spec);
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->success());
    EXPECT_EQ(result->out.size(), 1000u);
    EXPECT_TRUE(result->out_truncated);
    EXPECT_TRUE(result->out.ends_with("199999\n200000\nlast\n")) << result->out;
}

TEST(Process, FeedsStdin)
{
    ProcessSpec spec;
    spec.argv = {"cat"};
    spec.stdin_data = std::string(200000, 'x');
    auto result = run_process(spec);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->out.size(), 200000u);
}

// A child that exits without reading its stdin must not kill us with SIGPIPE, also while
// another thread does the same; afterwards SIGPIPE is as blocked as it was before.
TEST(Process, AChildThatIgnoresItsStdinKillsNobodyOnAnyThread)
{
    const auto run_many = [] {
        for (int i = 0; i < 20; ++i) {
            ProcessSpec spec;
            spec.argv = {"true"};
            spec.stdin_data = std::string(4u << 20, 'x');
            const auto result = run_process(spec);
            if (!result || !result->success())
                return false;
        }
        return true;
    };
    auto other = std::async(std::launch::async, run_many);
    EXPECT_TRUE(run_many());
    EXPECT_TRUE(other.get());
    sigset_t mask;
    ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    EXPECT_EQ(sigismember(&mask, SIGPIPE), 0);
}

TEST(Process, SetsAndUnsetsEnvironment)
{
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "echo \"$ENVPIN_A/${HOME:-unset}\""};
    spec.set_env = {{"ENVPIN_A", "a"}};
    spec.unset_env = {"HOME"};
    auto result = run_process(spec);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->out, "a/unset\n");
}

TEST(Process, MissingProgramIsAnError)
{
    ProcessSpec spec;
    spec.argv = {"envpin-no-such-program"};
    auto result = run_process(spec);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace envpin::sys
