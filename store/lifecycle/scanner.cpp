#include "store/lifecycle/scanner.hpp"

#include <sys/syscall.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "base/trace.hpp"
#include "store/core/object_store.hpp"
#include "store/core/parallel.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {
namespace {

using sys::errno_text;

std::string_view special_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device file";
    return "an unknown kind of file";
}

// One directory still to read: its path and, once opened, its descriptor (owned).
struct Task {
    std::string path;
    int fd = -1;
};

// The kernel's directory record (getdents64(2)); read directly, without a DIR stream, which
// would cost an fstat and two fcntl calls per directory.
struct LinuxDirent {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
};

// Shared state of one walk. Each worker walks depth-first through descriptors opened relative
// to their parent (one path component per lookup) and hands subdirectories to the shared queue
// only while it runs low, so open descriptors stay bounded by depth plus the queue.
class Walk {
public:
    Walk(const std::filesystem::path& root, unsigned workers) : root_(root), workers_(workers) {}

    void push(Task task)
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
        ++pending_;
        ready_.notify_one();
    }

    // Runs on each worker until the walk is done or failed.
    void work(Scan& out)
    {
        while (auto task = next()) {
            auto done = read_directory(task->path, task->fd, out);
            std::lock_guard lock(mutex_);
            if (!done && !error_)
                error_ = std::move(done.error());
            if (--pending_ == 0 || error_)
                ready_.notify_all();
        }
    }

    std::optional<Error> error() { return error_; }

    ~Walk()
    {
        for (auto& task : queue_)
            ::close(task.fd);
    }

private:
    std::optional<Task> next()
    {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || pending_ == 0 || error_; });
        if (queue_.empty() || error_)
            return std::nullopt;
        auto task = std::move(queue_.front());
        queue_.pop_front();
        return task;
    }

    bool queue_is_low()
    {
        std::lock_guard lock(mutex_);
        return queue_.size() < 2 * workers_;
    }

    // Reads the directory open as `fd` (closing it), recursing into subdirectories.
    Expected<void> read_directory(const std::string& directory, int fd, Scan& out)
    {
        sys::UniqueFd owned(fd);
        alignas(8) char buffer[32768];
        while (true) {
            const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
            if (n < 0)
                return fail(ErrorCode::io, "cannot read directory {}: {}", (root_ / directory).string(), errno_text(errno));
            if (n == 0)
                return {};
            for (long offset = 0; offset < n;) {
                const auto* item = reinterpret_cast<const LinuxDirent*>(buffer + offset);
                offset += item->d_reclen;
                const std::string_view name = item->d_name;
                if (name != "." && name != "..")
                    ENVPIN_TRY(add_entry(fd, directory, std::string(name), out));
            }
        }
    }

    Expected<void> add_entry(int dir_fd, const std::string& directory, const std::string& name, Scan& out)
    {
        struct ::stat info{};
        if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                return {};
            return fail(ErrorCode::io, "cannot stat {}: {}", (root_ / directory / name).string(), errno_text(errno));
        }
        ManifestEntry entry;
        entry.path = directory == "." ? name : directory + "/" + name;
        entry.mode = info.st_mode & 07777;
        if (S_ISDIR(info.st_mode)) {
            entry.kind = EntryKind::directory;
        } else if (S_ISREG(info.st_mode)) {
            entry.kind = EntryKind::file;
            entry.size = info.st_size;
            entry.mtime_ns = stamp_of(info).mtime_ns;
        } else if (S_ISLNK(info.st_mode)) {
            entry.kind = EntryKind::symlink;
            entry.mode = 0;
            ENVPIN_TRY(read_target(dir_fd, name, info, entry));
        } else {
            return fail(ErrorCode::bad_input, "{} is {}: envpin records only files, directories and symlinks",
                        (root_ / entry.path).string(), special_kind(info.st_mode));
        }
        const bool directory_entry = entry.kind == EntryKind::directory;
        const std::string path = directory_entry ? entry.path : std::string();
        out.entries.push_back(std::move(entry));
        out.stamps.push_back(stamp_of(info));
        return directory_entry ? enter(dir_fd, name, path, out) : Expected<void>();
    }

    Expected<void> enter(int dir_fd, const std::string& name, const std::string& path, Scan& out)
    {
        const int child = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0 && errno == ENOENT)
            return {};  // removed while we walked
        if (child < 0)
            return fail(ErrorCode::io, "cannot open directory {}: {}", (root_ / path).string(), errno_text(errno));
        if (queue_is_low()) {
            push({path, child});
            return {};
        }
        return read_directory(path, child, out);
    }

    Expected<void> read_target(int dir_fd, const std::string& name, const struct ::stat& info, ManifestEntry& entry)
    {
        std::string target(static_cast<size_t>(std::max<off_t>(info.st_size, 0)) + 1, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0 || static_cast<size_t>(n) >= target.size())
            return fail(ErrorCode::io, "cannot read symlink {}: {}", (root_ / entry.path).string(),
                        n < 0 ? errno_text(errno) : std::string("it changed while being read"));
        target.resize(static_cast<size_t>(n));
        entry.target = std::move(target);
        entry.size = static_cast<long long>(entry.target.size());
        return {};
    }

    const std::filesystem::path& root_;
    const unsigned workers_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Task> queue_;
    size_t pending_ = 0;  // tasks queued or being read
    std::optional<Error> error_;
};

// Merges the workers' outputs into one scan sorted by path: each part sorted on its own core,
// merged pairwise in parallel, then the entries moved into place.
Scan merge(std::vector<Scan>& parts)
{
    std::vector<std::vector<PathKey>> runs(parts.size());
    (void)parallel_for(parts.size(), static_cast<unsigned>(parts.size()), [&](size_t p, unsigned) -> Expected<void> {
        auto& run = runs[p];
        run.reserve(parts[p].entries.size());
        for (size_t i = 0; i < parts[p].entries.size(); ++i)
            run.push_back({parts[p].entries[i].path, static_cast<unsigned>(p), static_cast<unsigned>(i)});
        std::ranges::sort(run, {}, &PathKey::path);
        return {};
    });
    const auto order = merge_path_runs(std::move(runs));
    // Moved into place in slices on all cores: one core took as long as the sorting.
    Scan sorted;
    sorted.entries.resize(order.size());
    sorted.stamps.resize(order.size());
    constexpr size_t slice = 4096;
    (void)parallel_for((order.size() + slice - 1) / slice, static_cast<unsigned>(parts.size()), [&](size_t s, unsigned) -> Expected<void> {
        for (size_t k = s * slice; k < std::min(order.size(), (s + 1) * slice); ++k) {
            const auto& key = order[k];
            sorted.entries[k] = std::move(parts[key.run].entries[key.index]);
            sorted.stamps[k] = parts[key.run].stamps[key.index];
        }
        return {};
    });
    return sorted;
}

}  // namespace

Expected<Scan> scan_tree(int root_fd, const std::filesystem::path& root, unsigned threads)
{
    struct ::stat info{};
    if (::fstat(root_fd, &info) != 0)
        return fail(ErrorCode::io, "cannot stat {}: {}", root.string(), errno_text(errno));
    const unsigned workers = std::max(2u, worker_count(threads, 64));
    std::vector<Scan> parts(workers);
    parts[0].entries.push_back(ManifestEntry{".", EntryKind::directory, info.st_mode & 07777u, 0, 0, {}, {}});
    parts[0].stamps.push_back(stamp_of(info));
    const int first = ::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (first < 0)
        return fail(ErrorCode::io, "cannot open {}: {}", root.string(), errno_text(errno));
    Walk walk(root, workers);
    walk.push({".", first});
    {
        TraceSpan span("walk");
        std::vector<std::jthread> pool;
        for (unsigned i = 0; i < workers; ++i)
            pool.emplace_back([&walk, &parts, i] { walk.work(parts[i]); });
    }
    if (auto error = walk.error())
        return std::unexpected(std::move(*error));
    return traced("merge and sort", [&] { return merge(parts); });
}

}  // namespace envpin::store
