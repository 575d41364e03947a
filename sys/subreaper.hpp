#pragma once
// Catches the processes a watched child leaves behind. While a Subreaper lives, this process
// is the "child subreaper" (prctl PR_SET_CHILD_SUBREAPER): descendants orphaned by a child
// that exited or was killed are re-parented to us instead of init, even those that left the
// child's process group with setsid(), so end_adopted() can find and end them.
#include <sys/types.h>

#include <span>
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
    // order found. A child that another thread runs must be named in `spare` (it cannot tell
    // those apart otherwise); call it between two run_process calls of this thread.
    [[nodiscard]] std::vector<pid_t> end_adopted(std::span<const pid_t> spare = {}) const;

private:
    int previous_ = 0;
};

}  // namespace envpin::sys
