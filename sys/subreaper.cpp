#include "sys/subreaper.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "base/strings.hpp"
#include "sys/file.hpp"

namespace envpin::sys {
namespace {

// Our direct children, from /proc/<pid>/stat ("pid (comm) state ppid ..."; the command name
// may hold spaces and parentheses, so fields are read after the last ')').
std::vector<pid_t> list_children()
{
    const pid_t self = ::getpid();
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (!all_digits(name))
            continue;
        auto stat = read_file(entry.path() / "stat", 4096);
        if (!stat)
            continue;  // it ended meanwhile
        const size_t paren = stat->rfind(')');
        if (paren == std::string::npos)
            continue;
        const auto fields = split_whitespace(std::string_view(*stat).substr(paren + 1));
        if (fields.size() > 2 && parse_integer(fields[1]) == self)
            children.push_back(static_cast<pid_t>(*parse_integer(name)));
    }
    return children;
}

}  // namespace

Subreaper::Subreaper()
{
    ::prctl(PR_GET_CHILD_SUBREAPER, &previous_, 0, 0, 0);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

Subreaper::~Subreaper()
{
    ::prctl(PR_SET_CHILD_SUBREAPER, previous_, 0, 0, 0);
}

std::vector<pid_t> Subreaper::end_adopted(std::span<const pid_t> spare) const
{
    using Clock = std::chrono::steady_clock;
    std::vector<pid_t> ended;
    // A killed process's own children are re-parented to us a moment later: scan again until
    // a scan finds nobody. A process stuck in the kernel (a GPU driver call) may take a while
    // to die; we give up waiting after a few seconds rather than hang the suite.
    const auto give_up = Clock::now() + std::chrono::seconds(5);
    std::vector<pid_t> pending;
    while (Clock::now() < give_up) {
        for (const pid_t pid : list_children()) {
            if (std::ranges::find(pending, pid) == pending.end() &&
                std::ranges::find(spare, pid) == spare.end()) {
                ::kill(pid, SIGKILL);
                pending.push_back(pid);
                ended.push_back(pid);
            }
        }
        std::erase_if(pending, [](pid_t pid) {
            int status = 0;
            const pid_t done = ::waitpid(pid, &status, WNOHANG);
            return done == pid || (done < 0 && errno == ECHILD);
        });
        if (pending.empty() && std::ranges::all_of(list_children(), [&](pid_t pid) {
                return std::ranges::find(spare, pid) != spare.end();
            }))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ended;
}

}  // namespace envpin::sys
