#include "store/scanner.hpp"

#include <dirent.h>
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

#include "store/object_store.hpp"
#include "store/parallel.hpp"
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

// Shared state of one walk: a queue of directories still to read.
class Walk {
public:
    Walk(int root_fd, const std::filesystem::path& root) : root_fd_(root_fd), root_(root) {}

    void push(std::string directory)
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(directory));
        ++pending_;
        ready_.notify_one();
    }

    // Runs on each worker until the walk is done or failed.
    void work(Scan& out)
    {
        while (auto directory = next()) {
            auto done = read_directory(*directory, out);
            std::lock_guard lock(mutex_);
            if (!done && !error_)
                error_ = std::move(done.error());
            if (--pending_ == 0 || error_)
                ready_.notify_all();
        }
    }

    std::optional<Error> error() { return error_; }

private:
    std::optional<std::string> next()
    {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || pending_ == 0 || error_; });
        if (queue_.empty() || error_)
            return std::nullopt;
        auto directory = std::move(queue_.front());
        queue_.pop_front();
        return directory;
    }

    Expected<void> read_directory(const std::string& directory, Scan& out)
    {
        const int fd = directory == "." ? ::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0)
                                        : ::openat(root_fd_, directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            return {};  // removed while we walked
        DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
        if (dir == nullptr) {
            const int error = errno;
            if (fd >= 0)
                ::close(fd);
            return fail(ErrorCode::io, "cannot read directory {}: {}", (root_ / directory).string(), errno_text(error));
        }
        std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
        if (directory == ".")
            ::rewinddir(dir);
        while (const dirent* item = ::readdir(dir)) {
            const std::string_view name = item->d_name;
            if (name == "." || name == "..")
                continue;
            ENVPIN_TRY(add_entry(::dirfd(dir), directory, std::string(name), out));
        }
        return {};
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
            push(entry.path);
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
        out.entries.push_back(std::move(entry));
        out.stamps.push_back(stamp_of(info));
        return {};
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

    int root_fd_;
    const std::filesystem::path& root_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> queue_;
    size_t pending_ = 0;  // directories queued or being read
    std::optional<Error> error_;
};

// Merges the workers' outputs into one scan sorted by path.
Scan merge(std::vector<Scan>& parts)
{
    Scan all;
    for (auto& part : parts) {
        std::move(part.entries.begin(), part.entries.end(), std::back_inserter(all.entries));
        all.stamps.insert(all.stamps.end(), part.stamps.begin(), part.stamps.end());
    }
    std::vector<size_t> order(all.entries.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::ranges::sort(order, [&](size_t a, size_t b) { return all.entries[a].path < all.entries[b].path; });
    Scan sorted;
    sorted.entries.reserve(order.size());
    sorted.stamps.reserve(order.size());
    for (const size_t index : order) {
        sorted.entries.push_back(std::move(all.entries[index]));
        sorted.stamps.push_back(all.stamps[index]);
    }
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
    Walk walk(root_fd, root);
    walk.push(".");
    {
        std::vector<std::jthread> pool;
        for (unsigned i = 0; i < workers; ++i)
            pool.emplace_back([&walk, &parts, i] { walk.work(parts[i]); });
    }
    if (auto error = walk.error())
        return std::unexpected(std::move(*error));
    return merge(parts);
}

}  // namespace envpin::store
