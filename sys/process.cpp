#include "sys/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

extern char** environ;

namespace envpin::sys {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
};

Expected<Pipe> make_pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return fail(ErrorCode::io, "cannot create a pipe: {}", errno_text(errno));
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child's environment: ours, minus unset_env, plus set_env.
std::vector<std::string> build_environment(const ProcessSpec& spec)
{
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        const size_t eq = text.find('=');
        if (eq != std::string_view::npos)
            variables[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
    }
    for (const auto& name : spec.unset_env)
        variables.erase(name);
    for (const auto& [name, value] : spec.set_env)
        variables[name] = value;
    std::vector<std::string> result;
    for (const auto& [name, value] : variables)
        result.push_back(name + "=" + value);
    return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings)
{
    std::vector<char*> pointers;
    for (auto& s : strings)
        pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Reads what is available from `fd` into `sink`, keeping at most `limit` bytes: the first ones,
// or with `keep_tail` the last ones. Returns false at end of file.
bool drain(int fd, std::string& sink, bool& truncated, size_t limit, bool keep_tail)
{
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    if (keep_tail) {
        sink.append(buffer, static_cast<size_t>(n));
        if (sink.size() > limit) {
            sink.erase(0, sink.size() - limit);
            truncated = true;
        }
        return true;
    }
    const size_t room = sink.size() < limit ? limit - sink.size() : 0;
    sink.append(buffer, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room)
        truncated = true;
    return true;
}

// A child that exits while we write its stdin must not kill us with SIGPIPE: it is blocked for
// this thread while one lives, and one raised meanwhile is consumed before the mask is put back.
// Per thread, so threads running children at once cannot undo each other (a process-wide
// SIG_IGN saved and restored by each could).
class BlockSigpipe {
public:
    BlockSigpipe()
    {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    }
    BlockSigpipe(const BlockSigpipe&) = delete;
    BlockSigpipe& operator=(const BlockSigpipe&) = delete;
    ~BlockSigpipe()
    {
        if (sigismember(&previous_, SIGPIPE) == 0) {
            const timespec now{};
            while (::sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }

private:
    sigset_t pipe_{};
    sigset_t previous_{};
};

class Spawner {
public:
    explicit Spawner(const ProcessSpec& spec) : spec_(spec) {}
    Expected<ProcessResult> run();

private:
    Expected<pid_t> spawn(Pipe& out, Pipe& err, Pipe& in);
    void pump(pid_t pid, Pipe& out, Pipe& err, Pipe& in, ProcessResult& result);

    const ProcessSpec& spec_;
};

Expected<pid_t> Spawner::spawn(Pipe& out, Pipe& err, Pipe& in)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    if (spec_.stdin_data)
        posix_spawn_file_actions_adddup2(&actions, in.read_end.get(), 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (spec_.stdout_to_our_stderr)
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    else
        posix_spawn_file_actions_adddup2(&actions, out.write_end.get(), 1);
    if (!spec_.pass_stderr_through)
        posix_spawn_file_actions_adddup2(&actions, err.write_end.get(), 2);
    if (spec_.cwd)
        posix_spawn_file_actions_addchdir_np(&actions, spec_.cwd->c_str());
    // A new process group, so the watchdog can kill the child together with its children;
    // signals reset to defaults and unblocked.
    sigset_t no_signals, all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &all_signals);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                              POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_strings = spec_.argv;
    std::vector<std::string> env_strings = build_environment(spec_);
    auto argv = c_strings(argv_strings);
    auto envp = c_strings(env_strings);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0)
        return fail(rc == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot run {}: {}",
                    spec_.argv[0], errno_text(rc));
    return pid;
}

void Spawner::pump(pid_t pid, Pipe& out, Pipe& err, Pipe& in, ProcessResult& result)
{
    const auto start = Clock::now();
    const bool has_deadline = spec_.timeout.count() > 0;
    const auto deadline = start + spec_.timeout;
    std::string_view to_write = spec_.stdin_data ? std::string_view(*spec_.stdin_data) : "";
    bool out_open = !spec_.stdout_to_our_stderr, err_open = !spec_.pass_stderr_through, child_running = true;
    int status = 0;
    std::optional<Clock::time_point> drain_deadline;

    while (out_open || err_open || child_running) {
        if (child_running) {
            const pid_t done = ::waitpid(pid, &status, WNOHANG);
            if (done == pid) {
                child_running = false;
                // Orphaned grandchildren may hold our pipes open: end the whole group and
                // give the pipes a short grace period to deliver what is buffered.
                ::kill(-pid, SIGKILL);
                drain_deadline = Clock::now() + std::chrono::milliseconds(500);
            }
        }
        const auto now = Clock::now();
        if (child_running && has_deadline && now >= deadline) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            result.timed_out = true;
            child_running = false;
            drain_deadline = now + std::chrono::milliseconds(500);
        }
        if (!child_running && drain_deadline && now >= *drain_deadline)
            break;

        pollfd fds[3];
        int count = 0;
        int out_index = -1, err_index = -1, in_index = -1;
        if (out_open) {
            out_index = count;
            fds[count++] = {out.read_end.get(), POLLIN, 0};
        }
        if (err_open) {
            err_index = count;
            fds[count++] = {err.read_end.get(), POLLIN, 0};
        }
        if (in.write_end) {
            in_index = count;
            fds[count++] = {in.write_end.get(), POLLOUT, 0};
        }
        ::poll(fds, static_cast<nfds_t>(count), 20);
        if (out_index >= 0 && (fds[out_index].revents & (POLLIN | POLLHUP | POLLERR)))
            out_open = drain(out.read_end.get(), result.out, result.out_truncated,
                             spec_.max_output_bytes, spec_.keep_tail);
        if (err_index >= 0 && (fds[err_index].revents & (POLLIN | POLLHUP | POLLERR)))
            err_open = drain(err.read_end.get(), result.err, result.err_truncated,
                             spec_.max_output_bytes, spec_.keep_tail);
        if (in_index >= 0 && (fds[in_index].revents & (POLLOUT | POLLERR | POLLHUP))) {
            const ssize_t n = ::write(in.write_end.get(), to_write.data(), to_write.size());
            if (n > 0)
                to_write.remove_prefix(static_cast<size_t>(n));
            if (n < 0 || to_write.empty())
                in.write_end.reset();
        }
    }
    if (WIFEXITED(status) && !result.timed_out)
        result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status) && !result.timed_out)
        result.term_signal = WTERMSIG(status);
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

Expected<ProcessResult> Spawner::run()
{
    if (spec_.argv.empty())
        return fail(ErrorCode::internal, "run_process: empty argv");
    auto out = ENVPIN_TRY(make_pipe());
    auto err = ENVPIN_TRY(make_pipe());
    Pipe in;
    if (spec_.stdin_data)
        in = ENVPIN_TRY(make_pipe());
    const pid_t pid = ENVPIN_TRY(spawn(out, err, in));
    if (spec_.on_started)
        spec_.on_started(pid);
    out.write_end.reset();
    err.write_end.reset();
    in.read_end.reset();
    if (in.write_end)
        ::fcntl(in.write_end.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(out.read_end.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(err.read_end.get(), F_SETFL, O_NONBLOCK);
    const BlockSigpipe no_sigpipe;
    ProcessResult result;
    pump(pid, out, err, in, result);
    return result;
}

}  // namespace

std::string ProcessResult::describe_status() const
{
    if (timed_out)
        return fmt::format("timed out after {:.1f} s", static_cast<double>(duration.count()) / 1000);
    if (term_signal != 0)
        return fmt::format("killed by SIG{} ({})", sigabbrev_np(term_signal) ? sigabbrev_np(term_signal) : "?",
                           strsignal(term_signal));
    return fmt::format("exit status {}", exit_code);
}

Expected<ProcessResult> run_process(const ProcessSpec& spec)
{
    return Spawner(spec).run();
}

Expected<void> spawn_detached(const std::vector<std::string>& argv)
{
    if (argv.empty())
        return fail(ErrorCode::internal, "spawn_detached: empty argv");
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    for (int fd = 0; fd <= 2; ++fd)
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
    sigset_t no_signals, all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &all_signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    // Through a shell that starts the command in the background and exits at once: waiting for
    // the shell makes the command nobody's child here (a later verify, which reaps and kills what
    // its checks leave behind, must never see it).
    std::vector<std::string> strings = {"/bin/sh", "-c", "\"$0\" \"$@\" &"};
    strings.insert(strings.end(), argv.begin(), argv.end());
    auto pointers = c_strings(strings);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, pointers[0], &actions, &attributes, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0)
        return fail(ErrorCode::io, "cannot start {}: {}", argv[0], errno_text(rc));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {};
}

std::optional<std::filesystem::path> find_on_path(const std::string& name)
{
    const char* path_variable = std::getenv("PATH");
    if (path_variable == nullptr)
        return std::nullopt;
    for (auto directory : split(path_variable, ':')) {
        if (directory.empty())
            continue;
        std::filesystem::path candidate = std::filesystem::path(directory) / name;
        if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate))
            return candidate;
    }
    return std::nullopt;
}

}  // namespace envpin::sys
