// Orphans a watched child leaves behind, even outside its process group, are found and ended.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>

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

}  // namespace
}  // namespace envpin::sys
