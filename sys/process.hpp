#pragma once
// Runs a child process under a watchdog: its own process group, bounded output capture,
// a deadline after which the whole group is killed. Used for installer subprocesses and
// for every GPU check (the parent never loads CUDA itself).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace envpin::sys {

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no '/'
    std::vector<std::pair<std::string, std::string>> set_env;  // added or replaced
    std::vector<std::string> unset_env;
    std::optional<std::filesystem::path> cwd;
    std::chrono::milliseconds timeout{0};  // 0: no deadline
    size_t max_output_bytes = 16u << 20;   // per stream; the excess is read and dropped
    bool keep_tail = false;                // drop the oldest output instead: the last bytes are kept
    std::optional<std::string> stdin_data; // nullopt: stdin is /dev/null
    bool pass_stderr_through = false;      // child's stderr goes to ours (installer progress)
    bool stdout_to_our_stderr = false;     // child's stdout goes to our stderr (pip's progress)
    // Called with the child's pid as soon as it exists (from the thread that runs it), so a
    // caller running children on two threads can tell its own apart.
    std::function<void(pid_t)> on_started;
};

struct ProcessResult {
    int exit_code = -1;     // valid when exited()
    int term_signal = 0;    // signal that ended it, 0 when it exited
    bool timed_out = false; // the watchdog killed it at the deadline
    std::string out;
    std::string err;
    bool out_truncated = false;
    bool err_truncated = false;
    std::chrono::milliseconds duration{0};

    [[nodiscard]] bool exited() const { return term_signal == 0 && !timed_out; }
    [[nodiscard]] bool success() const { return exited() && exit_code == 0; }
    // "exit status 1", "killed by SIGSEGV (Segmentation fault)", "timed out after 5.0 s".
    [[nodiscard]] std::string describe_status() const;
};

// Fails only when the process could not be started (not found, not executable); a child that
// fails, crashes or times out is a successful call with that outcome in the result. After the
// child exits, its process group is killed so that forked helpers cannot linger.
[[nodiscard]] Expected<ProcessResult> run_process(const ProcessSpec& spec);

// Starts `argv` in a new session with stdin/stdout/stderr on /dev/null and does not wait for
// it: background work that must outlive this process (the detach of link-then-copy, removing
// a reset's old entries). It is not a child of this process.
[[nodiscard]] Expected<void> spawn_detached(const std::vector<std::string>& argv);

// Finds an executable on PATH; nullopt when absent.
[[nodiscard]] std::optional<std::filesystem::path> find_on_path(const std::string& name);

}  // namespace envpin::sys
