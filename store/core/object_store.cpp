#include "store/core/object_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "store/core/parallel.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
using sys::errno_text;
using sys::UniqueFd;

namespace {

constexpr std::string_view exec_suffix = ".x";

std::string temporary_name()
{
    static std::atomic<unsigned long long> counter{0};
    return fmt::format("{}.{}", ::getpid(), counter.fetch_add(1));
}

Expected<UniqueFd> open_directory(const fs::path& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return fail(ErrorCode::io, "cannot open {}: {}", path.string(), errno_text(errno));
    return fd;
}

Expected<void> sync_filesystem(int fd, const fs::path& where)
{
    if (::syncfs(fd) != 0)
        return fail(ErrorCode::io, "cannot sync the store's filesystem ({}): {}", where.string(), errno_text(errno));
    return {};
}

// Copies `source_fd` (from offset 0) into `target_fd`, hashing on the way; returns the digest.
Expected<Digest> copy_hashing(int source_fd, int target_fd, std::span<char> buffer, std::string_view what)
{
    Sha256 hasher;
    if (::lseek(source_fd, 0, SEEK_SET) != 0)
        return fail(ErrorCode::io, "cannot rewind {}: {}", what, errno_text(errno));
    while (true) {
        const ssize_t n = ::read(source_fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ErrorCode::io, "cannot read {}: {}", what, errno_text(errno));
        if (n == 0) {
            ENVPIN_TRY(sys::end_keeping_holes(target_fd, std::string(what)));
            return hasher.finish();
        }
        hasher.update(buffer.data(), static_cast<size_t>(n));
        ENVPIN_TRY(sys::write_keeping_holes(target_fd, std::string_view(buffer.data(), static_cast<size_t>(n)), std::string(what)));
    }
}

Error changed_while_recording(std::string_view path)
{
    return Error{ErrorCode::io, fmt::format("{} changed while it was being recorded; run the command again", path), {}};
}

// Sets the read-only mode (keeping the exec bits apart) and the mtime of a new object file.
Expected<void> seal(int fd, const ObjectKey& key, long long mtime_ns)
{
    const timespec times[2] = {{0, UTIME_OMIT}, {mtime_ns / 1'000'000'000, mtime_ns % 1'000'000'000}};
    if (::fchmod(fd, key.executable ? 0555 : 0444) != 0 || ::futimens(fd, times) != 0)
        return fail(ErrorCode::io, "cannot seal a staged object: {}", errno_text(errno));
    return {};
}

}  // namespace

long long copy_below_bytes()
{
    static const long long bytes = setting_or_fallback(copy_below_setting);
    return bytes;
}

LinkMode for_bytes(LinkMode effective, long long bytes)
{
    return effective == LinkMode::link_then_copy && bytes < copy_below_bytes() ? LinkMode::copy : effective;
}

StatStamp stamp_of(const struct ::stat& info)
{
    return {static_cast<unsigned long long>(info.st_dev), static_cast<unsigned long long>(info.st_ino), info.st_size,
            info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec,
            info.st_ctim.tv_sec * 1'000'000'000LL + info.st_ctim.tv_nsec};
}

std::string ObjectKey::name() const
{
    const auto hex = digest.hex();
    return hex.substr(0, 2) + "/" + hex.substr(2) + (executable ? std::string(exec_suffix) : "");
}

std::string ObjectKey::staging_name() const
{
    auto flat = name();
    flat[2] = '-';
    return flat;
}

std::optional<ObjectKey> ObjectKey::from_name(std::string_view shard, std::string_view file)
{
    ObjectKey key;
    if (file.ends_with(exec_suffix)) {
        key.executable = true;
        file.remove_suffix(exec_suffix.size());
    }
    const auto digest = Digest::from_hex(std::string(shard) + std::string(file));
    if (shard.size() != 2 || !digest || digest->hex() != std::string(shard) + std::string(file))
        return std::nullopt;  // also refuses upper-case names, which name() never makes
    key.digest = *digest;
    return key;
}

Expected<ObjectStore> ObjectStore::open(const fs::path& objects_dir, const fs::path& tmp_dir)
{
    auto objects_fd = ENVPIN_TRY(open_directory(objects_dir));
    auto tmp_fd = ENVPIN_TRY(open_directory(tmp_dir));
    return ObjectStore(objects_dir, std::move(objects_fd), std::move(tmp_fd));
}

bool ObjectStore::contains(const ObjectKey& key) const
{
    struct ::stat info{};
    return ::fstatat(objects_fd_.get(), key.name().c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode);
}

Expected<LinkMode> ObjectStore::effective_mode(int root_fd, const fs::path& root, LinkMode requested) const
{
    struct ::stat root_info{}, store_info{};
    if (::fstat(root_fd, &root_info) != 0 || ::fstat(tmp_fd_.get(), &store_info) != 0)
        return fail(ErrorCode::io, "cannot stat {}: {}", root.string(), errno_text(errno));
    const bool same_filesystem = root_info.st_dev == store_info.st_dev;
    if (requested == LinkMode::copy)
        return LinkMode::copy;
    if (requested == LinkMode::hardlink && !same_filesystem)
        return fail(ErrorCode::bad_input, "--link-mode hardlink: {} and the store are on different filesystems",
                    root.string());
    if (requested == LinkMode::hardlink)
        return LinkMode::hardlink;
    // Probe cloning with a scratch file in tmp/: FICLONE of an empty file onto another.
    const auto probe_name = temporary_name();
    UniqueFd source(::openat(tmp_fd_.get(), probe_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
    const auto target_name = probe_name + ".clone";
    UniqueFd target(::openat(tmp_fd_.get(), target_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
    const bool clones = source && target && same_filesystem && ::ioctl(target.get(), FICLONE, source.get()) == 0;
    ::unlinkat(tmp_fd_.get(), probe_name.c_str(), 0);
    ::unlinkat(tmp_fd_.get(), target_name.c_str(), 0);
    if (clones)
        return LinkMode::reflink;
    if (requested == LinkMode::reflink)
        return fail(ErrorCode::bad_input, "--link-mode reflink: the filesystem of {} and the store cannot clone files",
                    root.string());
    return same_filesystem ? LinkMode::link_then_copy : LinkMode::copy;
}

Expected<StagedObject> ObjectStore::stage(int source_fd, const std::string& relative_path, const ObjectKey& key,
                                          const StatStamp& stamp, LinkMode mode, std::span<char> buffer)
{
    if (links(mode))
        return StagedObject{key, StagedObject::Method::hardlink, relative_path, stamp};
    StagedObject staged{key, StagedObject::Method::temporary, temporary_name(), stamp};
    UniqueFd target(::openat(tmp_fd_.get(), staged.source.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    if (!target)
        return fail(ErrorCode::io, "cannot create a file in the store's tmp/: {}", errno_text(errno));
    auto result = [&]() -> Expected<void> {
        if (mode == LinkMode::reflink) {
            if (::ioctl(target.get(), FICLONE, source_fd) != 0)
                return fail(ErrorCode::io, "cannot clone {}: {}", relative_path, errno_text(errno));
            struct ::stat after{};
            if (::fstat(source_fd, &after) != 0 || after.st_size != stamp.size ||
                stamp_of(after).mtime_ns != stamp.mtime_ns)
                return std::unexpected(changed_while_recording(relative_path));
        } else if (ENVPIN_TRY(copy_hashing(source_fd, target.get(), buffer, relative_path)) != key.digest) {
            return std::unexpected(changed_while_recording(relative_path));
        }
        return seal(target.get(), key, stamp.mtime_ns);
    }();
    if (!result) {
        ::unlinkat(tmp_fd_.get(), staged.source.c_str(), 0);
        return std::unexpected(std::move(result.error()));
    }
    return staged;
}

namespace {

// Links one staged object to its final name; true when this call made the name.
Expected<bool> link_into_place(int root_fd, int tmp_fd, int objects_fd, const StagedObject& staged,
                               const std::string& name)
{
    const bool hardlink = staged.method == StagedObject::Method::hardlink;
    for (int attempt = 0; attempt < 2; ++attempt) {
        int status = hardlink ? ::linkat(root_fd, staged.source.c_str(), objects_fd, name.c_str(), 0)
                              : ::renameat2(tmp_fd, staged.source.c_str(), objects_fd, name.c_str(), RENAME_NOREPLACE);
        if (status != 0 && errno == EINVAL && !hardlink)  // no RENAME_NOREPLACE here: link, then unlink
            status = ::linkat(tmp_fd, staged.source.c_str(), objects_fd, name.c_str(), 0);
        if (status == 0)
            return true;
        if (errno == EEXIST)
            return false;
        // A missing shard directory (another thread may be creating it at the same moment).
        if (errno == ENOENT && attempt == 0 &&
            (::mkdirat(objects_fd, name.substr(0, 2).c_str(), 0755) == 0 || errno == EEXIST))
            continue;
        return fail(ErrorCode::io, "cannot put object {} in place: {}", name, errno_text(errno));
    }
    return fail(ErrorCode::io, "cannot put object {} in place", name);
}

}  // namespace

Expected<void> ObjectStore::publish_one(int root_fd, StagedObject& staged) const
{
    const auto name = staged.key.name();
    const bool created = ENVPIN_TRY_CTX(fmt::format("in the store's objects {}", objects_dir_.string()),
                                        link_into_place(root_fd, tmp_fd_.get(), objects_fd_.get(), staged, name));
    staged.published = created;
    if (staged.method == StagedObject::Method::temporary) {
        ::unlinkat(tmp_fd_.get(), staged.source.c_str(), 0);  // left behind when the object existed
        return {};
    }
    if (!created) {
        struct ::stat object{};
        staged.existed_shared = ::fstatat(objects_fd_.get(), name.c_str(), &object, AT_SYMLINK_NOFOLLOW) == 0 &&
                                object.st_nlink > 1;
        return {};
    }
    // The new link must be the inode that was hashed, unchanged since; else take it back out.
    struct ::stat info{};
    if (::fstatat(objects_fd_.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(ErrorCode::io, "cannot stat object {}: {}", name, errno_text(errno));
    const auto now = stamp_of(info);
    if (!S_ISREG(info.st_mode) || now.dev != staged.stamp.dev || now.ino != staged.stamp.ino ||
        now.size != staged.stamp.size || now.mtime_ns != staged.stamp.mtime_ns) {
        ::unlinkat(objects_fd_.get(), name.c_str(), 0);
        return std::unexpected(changed_while_recording(staged.source));
    }
    staged.linked = now;
    return {};
}

namespace {

// Linking by descriptor (AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; without it the kernel says
// ENOENT, which a missing object directory also says. Once the /proc path succeeds where the
// descriptor did not, the process links through /proc only.
std::atomic<bool> link_by_descriptor_refused{false};

int link_descriptor(int source_fd, int directory_fd, const char* name, const std::string& proc_path)
{
    if (!link_by_descriptor_refused.load(std::memory_order_relaxed)) {
        if (::linkat(source_fd, "", directory_fd, name, AT_EMPTY_PATH) == 0)
            return 0;
        if (errno != ENOENT)
            return -1;
    }
    const bool descriptor_failed = !link_by_descriptor_refused.load(std::memory_order_relaxed);
    const int done = ::linkat(AT_FDCWD, proc_path.c_str(), directory_fd, name, AT_SYMLINK_FOLLOW);
    if (done == 0 && descriptor_failed)
        link_by_descriptor_refused.store(true, std::memory_order_relaxed);
    return done;
}

}  // namespace

Expected<std::optional<StagedObject>> ObjectStore::link_durable(int source_fd, const std::string& relative_path,
                                                                const ObjectKey& key, const StatStamp& stamp) const
{
    const auto name = key.name();
    const auto proc = fmt::format("/proc/self/fd/{}", source_fd);
    StagedObject staged{key, StagedObject::Method::linked, relative_path, stamp};
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (link_descriptor(source_fd, objects_fd_.get(), name.c_str(), proc) == 0) {
            staged.published = true;
            break;
        }
        if (errno == EEXIST) {
            struct ::stat object{};
            staged.existed_shared = ::fstatat(objects_fd_.get(), name.c_str(), &object, AT_SYMLINK_NOFOLLOW) == 0 &&
                                    object.st_nlink > 1;
            return staged;
        }
        if (errno == ENOENT && attempt == 0 &&
            (::mkdirat(objects_fd_.get(), name.substr(0, 2).c_str(), 0755) == 0 || errno == EEXIST))
            continue;
        if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOENT)
            return std::optional<StagedObject>();  // no /proc, protected hardlinks, link limit
        return fail(ErrorCode::io, "cannot put object {} in place: {}", (objects_dir_ / name).string(), errno_text(errno));
    }
    struct ::stat info{};
    if (::fstat(source_fd, &info) != 0 || info.st_size != stamp.size || stamp_of(info).mtime_ns != stamp.mtime_ns) {
        ::unlinkat(objects_fd_.get(), name.c_str(), 0);
        return std::unexpected(changed_while_recording(relative_path));
    }
    staged.linked = stamp_of(info);  // the link moved its ctime
    return staged;
}

Expected<void> ObjectStore::sync() const
{
    return sync_filesystem(objects_fd_.get(), objects_dir_);
}

Expected<void> ObjectStore::publish(int root_fd, std::vector<StagedObject>& staged, unsigned threads)
{
    if (staged.empty())
        return {};
    std::vector<size_t> pending;
    for (size_t i = 0; i < staged.size(); ++i) {
        if (staged[i].method != StagedObject::Method::linked)
            pending.push_back(i);
    }
    // First barrier: the bytes (tmp files, or the environment's own files) are on disk before
    // any name in objects/ can point at them.
    if (!pending.empty())
        ENVPIN_TRY(sync_filesystem(tmp_fd_.get(), objects_dir_));
    ENVPIN_TRY(parallel_for(pending.size(), threads, [&](size_t i, unsigned) { return publish_one(root_fd, staged[pending[i]]); }));
    // Second barrier: the names are on disk before the snapshot that refers to them is committed.
    return sync_filesystem(objects_fd_.get(), objects_dir_);
}

void ObjectStore::discard(const std::vector<StagedObject>& staged) const
{
    for (const auto& object : staged) {
        if (object.method == StagedObject::Method::temporary)
            ::unlinkat(tmp_fd_.get(), object.source.c_str(), 0);
    }
}

}  // namespace envpin::store
