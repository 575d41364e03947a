// Orphans a watched child leaves behind, even outside its process group, are found and ended.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <future>

#include "base/strings.hpp"
#include "sys/process.hpp"
#include "sys/subreaper.hpp"

namespace envpin::sys {
namespace {

TEST(Subreaper, EndsOrphansThatLeftTheProcessGroup)
{
    const Subreaper reaper;
    ProcessSpec spec;
    // One helper stays in the child's group (run_process ends it), one escapes with setsid.
    spec.argv = {"/bin/sh", "-c", "sleep 60 & echo $!; setsid sleep 60 & echo $!; exit 0"};
    spec.timeout = std::chrono::seconds(20);
    const auto run = run_process(spec);
    ASSERT_TRUE(run);
    ASSERT_TRUE(run->success());
    std::vector<pid_t> started;
    for (auto line : split(trim(run->out), '\n'))
        started.push_back(static_cast<pid_t>(*parse_integer(trim(line))));
    ASSERT_EQ(started.size(), 2u);
    const auto ended = reaper.end_adopted();
    for (const pid_t pid : started) {
        EXPECT_NE(std::ranges::find(ended, pid), ended.end()) << pid;
        EXPECT_EQ(::kill(pid, 0), -1) << "pid " << pid << " is still there";
        EXPECT_EQ(errno, ESRCH);
    }
    EXPECT_TRUE(reaper.end_adopted().empty());
}

// A child that another thread is running, named as spare, is left alone; an orphan beside it
// is still ended.
TEST(Subreaper, SparesTheChildAnotherThreadRuns)
{
    const Subreaper reaper;
    std::promise<pid_t> started;
    auto running = std::async(std::launch::async, [&] {
        ProcessSpec spec;
        spec.argv = {"/bin/sh", "-c", "sleep 2; echo done"};
        spec.timeout = std::chrono::seconds(20);
        spec.on_started = [&](pid_t pid) { started.set_value(pid); };
        return run_process(spec);
    });
    const pid_t sibling = started.get_future().get();
    ProcessSpec orphaning;
    orphaning.argv = {"/bin/sh", "-c", "sleep 60 & echo $!; exit 0"};
    const auto orphan = run_process(orphaning);
    ASSERT_TRUE(orphan && orphan->success());
    const auto orphan_pid = static_cast<pid_t>(*parse_integer(trim(orphan->out)));
    const pid_t spare[] = {sibling};
    const auto ended = reaper.end_adopted(spare);
    EXPECT_NE(std::ranges::find(ended, orphan_pid), ended.end());
    EXPECT_EQ(std::ranges::find(ended, sibling), ended.end());
    const auto sibling_run = running.get();
    ASSERT_TRUE(sibling_run);
    EXPECT_TRUE(sibling_run->success()) << sibling_run->describe_status();
    EXPECT_EQ(trim(sibling_run->out), "done");
}

}  // namespace
}  // namespace envpin::sys
