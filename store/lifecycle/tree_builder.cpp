#include "store/lifecycle/tree_builder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/core/parallel.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

using sys::errno_text;

fs::path under(const fs::path& root, const std::string& relative)
{
    return relative == "." ? root : root / relative;
}

// A hardlinked object is an environment file: a write in place into that file changes it. Its
// size and mtime tell cheaply that it is as it was ingested; when they differ from the entry's,
// the object is hashed again, and restoring refuses bytes that are not the snapshot's.
Expected<void> check_object(const ObjectKey& key, const struct ::stat& info, const ManifestEntry& entry,
                            const ObjectStore& objects)
{
    const long long mtime_ns = info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec;
    if (info.st_size == entry.size && mtime_ns == entry.mtime_ns)
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

// A file of the target taken from the object store, created as `name` in `directory`;
// hardlinks only an object that carries the entry's permission bits (hardlink-ingested objects
// keep the mode their file had).
Expected<void> from_object(const ManifestEntry& entry, int directory, const std::string& name,
                           const ObjectStore& objects, LinkMode mode)
{
    const ObjectKey key{entry.digest, entry.executable()};
    const auto object = objects.path(key);
    struct ::stat info{};
    if (::lstat(object.c_str(), &info) != 0)
        return fail(ErrorCode::corrupt, "object {} of {} is missing from the store", key.name(), entry.path);
    ENVPIN_TRY(check_object(key, info, entry, objects));
    if (mode == LinkMode::hardlink && (info.st_mode & 07777) == entry.mode &&
        ::linkat(AT_FDCWD, object.c_str(), directory, name.c_str(), 0) == 0)
        return {};
    const LinkMode copy_mode = mode == LinkMode::hardlink ? LinkMode::automatic : mode;
    return objects.materialize(key, directory, name, copy_mode, entry.mode, entry.mtime_ns);
}

struct Counters {
    std::atomic<long long> reused{0}, from_objects{0}, symlinks{0};
};

// The files and symlinks of one directory, placed with descriptors of the directory in the new
// tree and, when it exists, the same directory in the current tree: no path walks, and no two
// workers contend for one directory's lock.
struct DirectoryJob {
    std::string parent;  // relative path of the directory ("." for the root)
    std::vector<const ManifestEntry*> entries;
};

std::string_view base_name(std::string_view path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Expected<void> place_directory(const DirectoryJob& job,
                               const std::unordered_map<std::string_view, const ManifestEntry*>& current_files,
                               const fs::path& current_root, const fs::path& new_root, const ObjectStore& objects,
                               LinkMode mode, Counters& counters)
{
    const auto destination_path = under(new_root, job.parent);
    sys::UniqueFd destination(::open(destination_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!destination)
        return fail(ErrorCode::io, "cannot open {}: {}", destination_path.string(), errno_text(errno));
    sys::UniqueFd source(::open(under(current_root, job.parent).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (const auto* entry : job.entries) {
        const std::string name(base_name(entry->path));
        if (entry->kind == EntryKind::symlink) {
            if (::symlinkat(entry->target.c_str(), destination.get(), name.c_str()) != 0)
                return fail(ErrorCode::io, "cannot create symlink {}: {}", entry->path, errno_text(errno));
            ++counters.symlinks;
            continue;
        }
        // The current tree's copy is the same inode the last snapshot recorded: link it. If it
        // has gone since the drift check, fall back to the object.
        const auto same = current_files.find(entry->path);
        if (source && same != current_files.end() && same_state(*same->second, *entry) &&
            ::linkat(source.get(), name.c_str(), destination.get(), name.c_str(), 0) == 0) {
            ++counters.reused;
            continue;
        }
        ENVPIN_TRY(from_object(*entry, destination.get(), name, objects, mode));
        ++counters.from_objects;
    }
    return {};
}

}  // namespace

Expected<TreeBuild> build_tree(const Manifest& target, const Manifest& current, const fs::path& current_root,
                               const fs::path& new_root, const ObjectStore& objects, LinkMode mode, unsigned threads)
{
    TreeBuild build;
    // Directories first, owner-writable until the end; parents sort before their children.
    std::vector<const ManifestEntry*> directories;
    std::vector<const ManifestEntry*> others;
    for (const auto& entry : target.entries)
        (entry.kind == EntryKind::directory ? directories : others).push_back(&entry);
    for (const auto* entry : directories) {
        const auto path = under(new_root, entry->path);
        if (::mkdir(path.c_str(), 0700) != 0)
            return fail(ErrorCode::io, "cannot create {}: {}", path.string(), errno_text(errno));
        ++build.directories;
    }
    std::unordered_map<std::string_view, const ManifestEntry*> current_files;
    current_files.reserve(current.entries.size());
    for (const auto& entry : current.entries)
        if (entry.kind == EntryKind::file)
            current_files.emplace(entry.path, &entry);
    std::unordered_map<std::string_view, size_t> job_of;
    std::vector<DirectoryJob> jobs;
    for (const auto* entry : others) {
        const size_t slash = entry->path.rfind('/');
        const std::string_view parent = slash == std::string::npos ? std::string_view(".") : std::string_view(entry->path).substr(0, slash);
        auto [it, inserted] = job_of.emplace(parent, jobs.size());
        if (inserted)
            jobs.push_back({std::string(parent), {}});
        jobs[it->second].entries.push_back(entry);
    }
    // Big directories first, so that one does not finish alone at the end.
    std::ranges::sort(jobs, [](const DirectoryJob& a, const DirectoryJob& b) { return a.entries.size() > b.entries.size(); });
    Counters counters;
    ENVPIN_TRY(parallel_for(jobs.size(), threads, [&](size_t index, unsigned) {
        return place_directory(jobs[index], current_files, current_root, new_root, objects, mode, counters);
    }));
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
        const auto path = under(new_root, (*it)->path);
        if (::chmod(path.c_str(), (*it)->mode & 07777) != 0)
            return fail(ErrorCode::io, "cannot set the mode of {}: {}", path.string(), errno_text(errno));
    }
    build.reused = counters.reused;
    build.from_objects = counters.from_objects;
    build.symlinks = counters.symlinks;
    return build;
}

Expected<void> remove_tree(const fs::path& root, unsigned threads)
{
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(root, ec)))
        return {};
    // Collect directories (parents first) without following symlinks.
    std::vector<fs::path> directories{root};
    for (size_t i = 0; i < directories.size(); ++i) {
        ::chmod(directories[i].c_str(), 0700);
        for (const auto& entry : fs::directory_iterator(directories[i], ec))
            if (entry.is_directory(ec) && !entry.is_symlink(ec))
                directories.push_back(entry.path());
        if (ec)
            return fail(ErrorCode::io, "cannot read {}: {}", directories[i].string(), ec.message());
    }
    ENVPIN_TRY(parallel_for(directories.size(), threads, [&](size_t index, unsigned) -> Expected<void> {
        const int fd = ::open(directories[index].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return fail(ErrorCode::io, "cannot open {}: {}", directories[index].string(), errno_text(errno));
        DIR* listing = ::fdopendir(fd);  // owns fd from here
        if (listing == nullptr) {
            ::close(fd);
            return fail(ErrorCode::io, "cannot read {}: {}", directories[index].string(), errno_text(errno));
        }
        std::unique_ptr<DIR, int (*)(DIR*)> closer(listing, ::closedir);
        while (const dirent* item = ::readdir(listing)) {
            if (item->d_type == DT_DIR)
                continue;  // "." and "..", and subdirectories (removed deepest first below)
            if (::unlinkat(fd, item->d_name, 0) != 0 && errno != ENOENT && errno != EISDIR)
                return fail(ErrorCode::io, "cannot remove {}/{}: {}", directories[index].string(), item->d_name,
                            errno_text(errno));
        }
        return {};
    }));
    for (auto it = directories.rbegin(); it != directories.rend(); ++it)
        if (::rmdir(it->c_str()) != 0 && errno != ENOENT)
            return fail(ErrorCode::io, "cannot remove {}: {}", it->string(), errno_text(errno));
    return {};
}

}  // namespace envpin::store
