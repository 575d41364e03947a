// ObjectStore: restoring objects into a tree, re-hashing, listing and removing them.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "store/core/object_store.hpp"
#include "sys/file.hpp"

namespace envpin::store {
using sys::errno_text;
using sys::UniqueFd;

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

// Opens a directory stream on a duplicate of `fd` (closedir closes its descriptor).
Expected<DirHandle> read_directory(int fd, std::string_view what)
{
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR* dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
    if (dir == nullptr) {
        const int error = errno;
        if (copy >= 0)
            ::close(copy);
        return fail(ErrorCode::io, "cannot read {}: {}", what, errno_text(error));
    }
    ::rewinddir(dir);
    return DirHandle(dir);
}

Expected<void> copy_range(int source, int target, std::string_view what)
{
    while (true) {
        const ssize_t n = ::copy_file_range(source, nullptr, target, nullptr, 1u << 30, 0);
        if (n == 0)
            return {};
        if (n < 0 && errno != EINTR)
            return fail(ErrorCode::io, "cannot copy {}: {}", what, errno_text(errno));
    }
}

}  // namespace

Expected<void> ObjectStore::materialize(const ObjectKey& key, int dir_fd, const std::string& name, LinkMode mode,
                                        unsigned file_mode, long long mtime_ns) const
{
    const auto object = key.name();
    if (mode == LinkMode::hardlink) {
        if (::linkat(objects_fd_.get(), object.c_str(), dir_fd, name.c_str(), 0) != 0)
            return fail(ErrorCode::io, "cannot link object {} to {}: {}", object, name, errno_text(errno));
        return {};
    }
    UniqueFd source(::openat(objects_fd_.get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!source)
        return fail(errno == ENOENT ? ErrorCode::corrupt : ErrorCode::io, "cannot open object {}: {}", object,
                    errno_text(errno));
    UniqueFd target(::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!target)
        return fail(ErrorCode::io, "cannot create {}: {}", name, errno_text(errno));
    const bool cloned = mode != LinkMode::copy && ::ioctl(target.get(), FICLONE, source.get()) == 0;
    if (!cloned && mode == LinkMode::reflink)
        return fail(ErrorCode::io, "cannot clone object {}: {}", object, errno_text(errno));
    if (!cloned)
        ENVPIN_TRY(copy_range(source.get(), target.get(), object));
    const timespec times[2] = {{0, UTIME_OMIT}, {mtime_ns / 1'000'000'000, mtime_ns % 1'000'000'000}};
    if (::fchmod(target.get(), file_mode & 07777) != 0 || ::futimens(target.get(), times) != 0)
        return fail(ErrorCode::io, "cannot set mode and time of {}: {}", name, errno_text(errno));
    return {};
}

Expected<Digest> ObjectStore::rehash(const ObjectKey& key, Sha256& hasher, std::span<char> buffer) const
{
    const auto object = key.name();
    UniqueFd fd(::openat(objects_fd_.get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot open object {}: {}", object,
                    errno_text(errno));
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    return sha256_fd(fd.get(), hasher, buffer, object);
}

Expected<std::vector<ObjectStore::Listed>> ObjectStore::list(std::vector<std::string>* strays) const
{
    std::vector<Listed> objects;
    auto top = ENVPIN_TRY(read_directory(objects_fd_.get(), "objects/"));
    while (const dirent* shard = ::readdir(top.get())) {
        const std::string shard_name = shard->d_name;
        if (shard_name == "." || shard_name == "..")
            continue;
        UniqueFd shard_fd(::openat(objects_fd_.get(), shard_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!shard_fd) {
            if (strays != nullptr)
                strays->push_back(shard_name);
            continue;
        }
        auto entries = ENVPIN_TRY(read_directory(shard_fd.get(), "objects/" + shard_name));
        while (const dirent* entry = ::readdir(entries.get())) {
            const std::string file = entry->d_name;
            if (file == "." || file == "..")
                continue;
            struct ::stat info{};
            const auto key = ObjectKey::from_name(shard_name, file);
            if (!key || ::fstatat(shard_fd.get(), file.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode)) {
                if (strays != nullptr)
                    strays->push_back(shard_name + "/" + file);
                continue;
            }
            objects.push_back({*key, info.st_size, static_cast<unsigned>(info.st_mode & 07777)});
        }
    }
    return objects;
}

Expected<void> ObjectStore::remove(const ObjectKey& key) const
{
    if (::unlinkat(objects_fd_.get(), key.name().c_str(), 0) != 0 && errno != ENOENT)
        return fail(ErrorCode::io, "cannot remove object {}: {}", key.name(), errno_text(errno));
    return {};
}

Expected<void> ObjectStore::remove_stray(const std::string& name) const
{
    if (::unlinkat(objects_fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT)
        return fail(ErrorCode::io, "cannot remove objects/{}: {}", name, errno_text(errno));
    return {};
}

Expected<size_t> ObjectStore::clear_tmp() const
{
    auto dir = ENVPIN_TRY(read_directory(tmp_fd_.get(), "tmp/"));
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    size_t removed = 0;
    for (const auto& name : names) {
        if (::unlinkat(tmp_fd_.get(), name.c_str(), 0) == 0 || ::unlinkat(tmp_fd_.get(), name.c_str(), AT_REMOVEDIR) == 0)
            ++removed;
    }
    return removed;
}

}  // namespace envpin::store
