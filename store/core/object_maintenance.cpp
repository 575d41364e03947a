// ObjectStore: restoring objects into a tree, re-hashing, listing and removing them.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

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

// Copies all of `source` into the empty `target`, holes kept (sys::copy_keeping_holes).
Expected<void> copy_bytes(int source, int target, std::string_view what)
{
    return sys::copy_keeping_holes(source, target, std::string(what));
}

long long mtime_of(const struct ::stat& info)
{
    return info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec;
}

Expected<void> set_mode_and_time(int fd, unsigned file_mode, long long mtime_ns, std::string_view what)
{
    const timespec times[2] = {{0, UTIME_OMIT}, {mtime_ns / 1'000'000'000, mtime_ns % 1'000'000'000}};
    if (::fchmod(fd, file_mode & 07777) != 0 || ::futimens(fd, times) != 0)
        return fail(ErrorCode::io, "cannot set mode and time of {}: {}", what, errno_text(errno));
    return {};
}

// An object that shares its inode with an environment file may have been written through it:
// its size and mtime tell cheaply that it is as it was ingested; when they differ from the
// entry's, it is hashed again, and restoring refuses bytes that are not the snapshot's.
Expected<void> check_shared(const ObjectStore& objects, const ObjectKey& key, const struct ::stat& info,
                            const ManifestEntry& entry, unsigned own_links)
{
    if (info.st_nlink <= 1 + own_links || (info.st_size == entry.size && mtime_of(info) == entry.mtime_ns))
        return {};
    Sha256 hasher;
    std::vector<char> buffer(1 << 20);
    const auto actual = ENVPIN_TRY(objects.rehash(key, hasher, buffer));
    if (actual != entry.digest)
        return fail(ErrorCode::corrupt,
                    "object {} for {} no longer holds the snapshot's bytes (sha256 {}): a file that shared it was "
                    "written in place; run `envpin fsck`",
                    key.name(), entry.path, actual.hex());
    return {};
}

}  // namespace

Expected<ObjectStore::Placed> ObjectStore::place(const ManifestEntry& entry, int dir_fd, const std::string& name,
                                                 LinkMode mode, bool may_link, unsigned own_links) const
{
    const ObjectKey key{entry.digest, entry.executable()};
    const auto object = key.name();
    struct ::stat info{};
    if (::fstatat(objects_fd_.get(), object.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode))
        return fail(ErrorCode::corrupt, "object {} of {} is missing from the store", object, entry.path);
    ENVPIN_TRY(check_shared(*this, key, info, entry, own_links));
    auto object_before = stamp_of(info);
    object_before.dev = 0;
    const bool link = (mode == LinkMode::hardlink && (info.st_mode & 07777) == entry.mode) ||
                      (mode == LinkMode::link_then_copy && may_link && info.st_nlink == 1);
    if (link && ::linkat(objects_fd_.get(), object.c_str(), dir_fd, name.c_str(), 0) == 0) {
        Placed placed{{}, true, object_before};
        if (mode == LinkMode::link_then_copy && ((info.st_mode & 07777) != entry.mode || mtime_of(info) != entry.mtime_ns)) {
            UniqueFd linked(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!linked)
                return fail(ErrorCode::io, "cannot open {}: {}", name, errno_text(errno));
            ENVPIN_TRY(set_mode_and_time(linked.get(), entry.mode, entry.mtime_ns, name));
        }
        if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
            return fail(ErrorCode::io, "cannot stat {}: {}", name, errno_text(errno));
        placed.stamp = stamp_of(info);
        return placed;
    }
    UniqueFd source(::openat(objects_fd_.get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!source)
        return fail(errno == ENOENT ? ErrorCode::corrupt : ErrorCode::io, "cannot open object {}: {}", path(key).string(),
                    errno_text(errno));
    UniqueFd target(::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!target)
        return fail(ErrorCode::io, "cannot create {}: {}", name, errno_text(errno));
    const bool cloned = mode != LinkMode::copy && ::ioctl(target.get(), FICLONE, source.get()) == 0;
    if (!cloned && mode == LinkMode::reflink)
        return fail(ErrorCode::io, "cannot clone object {}: {}", object, errno_text(errno));
    if (!cloned)
        ENVPIN_TRY(copy_bytes(source.get(), target.get(), object));
    ENVPIN_TRY(set_mode_and_time(target.get(), entry.mode, entry.mtime_ns, name));
    if (!cloned)  // writeback starts now; the caller's sync of the filesystem waits for it
        ::sync_file_range(target.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    if (::fstat(target.get(), &info) != 0)
        return fail(ErrorCode::io, "cannot stat {}: {}", name, errno_text(errno));
    return Placed{stamp_of(info), false, object_before};
}

Expected<std::optional<StatStamp>> ObjectStore::stamp(const ObjectKey& key) const
{
    struct ::stat info{};
    if (::fstatat(objects_fd_.get(), key.name().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return std::optional<StatStamp>();
        return fail(ErrorCode::io, "cannot stat object {}: {}", key.name(), errno_text(errno));
    }
    auto found = stamp_of(info);
    found.dev = 0;
    return std::optional<StatStamp>(found);
}

Expected<std::optional<ObjectStore::SharedCopy>> ObjectStore::copy_shared(const ObjectKey& key, int staging_fd,
                                                                          const std::string& name, Sha256& hasher,
                                                                          std::span<char> buffer) const
{
    const auto object = key.name();
    UniqueFd source(::openat(objects_fd_.get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!source && (errno == ENOENT || errno == ELOOP))
        return std::optional<SharedCopy>();
    struct ::stat info{};
    if (!source || ::fstat(source.get(), &info) != 0)
        return fail(ErrorCode::io, "cannot open object {}: {}", path(key).string(), errno_text(errno));
    if (!S_ISREG(info.st_mode) || info.st_nlink <= 1)
        return std::optional<SharedCopy>();
    UniqueFd target(::openat(staging_fd, name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!target)
        return fail(ErrorCode::io, "cannot create a copy of object {}: {}", object, errno_text(errno));
    SharedCopy copy{key, name, static_cast<unsigned long long>(info.st_dev), static_cast<unsigned long long>(info.st_ino),
                    info.st_size, false};
    auto made = [&]() -> Expected<void> {
        ENVPIN_TRY(copy_bytes(source.get(), target.get(), object));
        // Writeback starts now, beside the other copies, instead of all at the final sync.
        ::sync_file_range(target.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
        // The copy is what the store keeps: its own bytes are checked, not the source's.
        if (::lseek(target.get(), 0, SEEK_SET) != 0)
            return fail(ErrorCode::io, "cannot read the copy of object {}: {}", object, errno_text(errno));
        struct ::stat copied{};
        if (::fstat(target.get(), &copied) != 0)
            return fail(ErrorCode::io, "cannot stat the copy of object {}: {}", object, errno_text(errno));
        copy.size = copied.st_size;
        copy.intact = ENVPIN_TRY(sha256_fd(target.get(), hasher, buffer, object, copied.st_size)) == key.digest;
        return set_mode_and_time(target.get(), info.st_mode & 0777, mtime_of(info), object);
    }();
    if (!made) {
        ::unlinkat(staging_fd, name.c_str(), 0);
        return std::unexpected(std::move(made.error()));
    }
    return std::optional<SharedCopy>(std::move(copy));
}

Expected<bool> ObjectStore::replace_shared(const SharedCopy& copy, int staging_fd) const
{
    const auto object = copy.key.name();
    struct ::stat info{};
    const bool same = ::fstatat(objects_fd_.get(), object.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
                      static_cast<unsigned long long>(info.st_dev) == copy.dev &&
                      static_cast<unsigned long long>(info.st_ino) == copy.ino && info.st_nlink > 1;
    if (!copy.intact || !same) {
        ::unlinkat(staging_fd, copy.name.c_str(), 0);
        return false;
    }
    if (::renameat(staging_fd, copy.name.c_str(), objects_fd_.get(), object.c_str()) != 0)
        return fail(ErrorCode::io, "cannot put the copy of object {} in place: {}", object, errno_text(errno));
    return true;
}

Expected<bool> ObjectStore::remove_if_inode(const SharedCopy& copy) const
{
    const auto object = copy.key.name();
    struct ::stat info{};
    if (::fstatat(objects_fd_.get(), object.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        static_cast<unsigned long long>(info.st_dev) != copy.dev || static_cast<unsigned long long>(info.st_ino) != copy.ino)
        return false;
    if (::unlinkat(objects_fd_.get(), object.c_str(), 0) != 0)
        return fail(ErrorCode::io, "cannot remove object {}: {}", object, errno_text(errno));
    return true;
}

Expected<bool> ObjectStore::restore_from(const ObjectKey& key, int source_fd, int staging_fd, Sha256& hasher,
                                         std::span<char> buffer) const
{
    const auto name = key.staging_name();
    ::unlinkat(staging_fd, name.c_str(), 0);
    UniqueFd target(::openat(staging_fd, name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!target)
        return fail(ErrorCode::io, "cannot create a copy for object {}: {}", key.name(), errno_text(errno));
    auto restored = [&]() -> Expected<bool> {
        if (::lseek(source_fd, 0, SEEK_SET) != 0)
            return fail(ErrorCode::io, "cannot read a copy for object {}: {}", key.name(), errno_text(errno));
        ENVPIN_TRY(copy_bytes(source_fd, target.get(), key.name()));
        struct ::stat info{};
        if (::fstat(target.get(), &info) != 0 || ::lseek(target.get(), 0, SEEK_SET) != 0)
            return fail(ErrorCode::io, "cannot read the copy for object {}: {}", key.name(), errno_text(errno));
        if (ENVPIN_TRY(sha256_fd(target.get(), hasher, buffer, key.name(), info.st_size)) != key.digest)
            return false;
        ENVPIN_TRY(set_mode_and_time(target.get(), key.executable ? 0555 : 0444, mtime_of(info), key.name()));
        if (::fdatasync(target.get()) != 0)
            return fail(ErrorCode::io, "cannot sync the copy for object {}: {}", key.name(), errno_text(errno));
        const auto object = key.name();
        if (::mkdirat(objects_fd_.get(), object.substr(0, 2).c_str(), 0755) != 0 && errno != EEXIST)
            return fail(ErrorCode::io, "cannot create objects/{}: {}", object.substr(0, 2), errno_text(errno));
        if (::renameat(staging_fd, name.c_str(), objects_fd_.get(), object.c_str()) != 0)
            return fail(ErrorCode::io, "cannot put object {} in place: {}", object, errno_text(errno));
        return true;
    }();
    if (!restored || !*restored)
        ::unlinkat(staging_fd, name.c_str(), 0);
    return restored;
}

Expected<UniqueFd> ObjectStore::open_staging(std::string_view name) const
{
    const std::string directory(name);
    if (::mkdirat(tmp_fd_.get(), directory.c_str(), 0700) != 0 && errno != EEXIST)
        return fail(ErrorCode::io, "cannot create tmp/{}: {}", directory, errno_text(errno));
    UniqueFd fd(::openat(tmp_fd_.get(), directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(ErrorCode::io, "cannot open tmp/{}: {}", directory, errno_text(errno));
    return fd;
}

Expected<Digest> ObjectStore::rehash(const ObjectKey& key, Sha256& hasher, std::span<char> buffer) const
{
    const auto object = key.name();
    UniqueFd fd(::openat(objects_fd_.get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot open object {}: {}", path(key).string(),
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
            // Only what is not a directory is a stray; a directory that cannot be read now is
            // an error (gc removes strays: it must never take an unreadable shard for one).
            if (errno != ENOTDIR && errno != ELOOP)
                return fail(ErrorCode::io, "cannot read {}: {}", (objects_dir_ / shard_name).string(), errno_text(errno));
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
            if (key && ::fstatat(shard_fd.get(), file.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno == ENOENT)
                    continue;  // removed meanwhile
                return fail(ErrorCode::io, "cannot stat {}: {}", (objects_dir_ / shard_name / file).string(), errno_text(errno));
            }
            if (!key || !S_ISREG(info.st_mode)) {
                if (strays != nullptr)
                    strays->push_back(shard_name + "/" + file);
                continue;
            }
            objects.push_back({*key, info.st_size, static_cast<unsigned>(info.st_mode & 07777),
                               static_cast<unsigned long long>(info.st_nlink)});
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

namespace {

// Removes the entries of the directory `fd` (files, and directories when empty) but `keep`;
// returns how many.
Expected<size_t> clear_directory(int fd, std::string_view what, std::string_view keep = {})
{
    auto dir = ENVPIN_TRY(read_directory(fd, what));
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string name = entry->d_name;
        if (name != "." && name != ".." && name != keep)
            names.push_back(name);
    }
    size_t removed = 0;
    for (const auto& name : names) {
        if (::unlinkat(fd, name.c_str(), 0) == 0 || ::unlinkat(fd, name.c_str(), AT_REMOVEDIR) == 0)
            ++removed;
    }
    return removed;
}

}  // namespace

Expected<size_t> ObjectStore::clear_tmp() const
{
    return clear_directory(tmp_fd_.get(), "tmp/", detach_staging);
}

Expected<void> ObjectStore::clear_staging(int staging_fd) const
{
    ENVPIN_TRY(clear_directory(staging_fd, "a staging directory in tmp/"));
    return {};
}

}  // namespace envpin::store
