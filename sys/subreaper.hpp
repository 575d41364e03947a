#pragma once
// Catches the processes a watched child leaves behind. While a Subreaper lives, this process
// is the "child subreaper" (prctl PR_SET_CHILD_SUBREAPER): descendants orphaned by a child
// that exited or was killed are re-parented to us instead of init, even those that left the
// child's process group with setsid(), so end_adopted() can find and end them.
#include <sys/types.h>

#include <vector>

namespace envpin::sys {

class Subreaper {
public:
    Subreaper();   // becomes the subreaper (a no-op where the kernel lacks it)
    ~Subreaper();  // restores the previous setting
    Subreaper(const Subreaper&) = delete;
    Subreaper& operator=(const Subreaper&) = delete;

    // Kills (SIGKILL) and reaps every child process we have now: the orphans re-parented to
    // us and their own children as they get re-parented in turn. Returns their pids, in the
    // order found. Call it only while no other thread has a child process of its own
    // running (it cannot tell those apart), i.e. between two run_process calls.
    [[nodiscard]] std::vector<pid_t> end_adopted() const;

private:
    int previous_ = 0;
};

}  // namespace envpin::sys
