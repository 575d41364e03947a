#include "store/lifecycle/tree_builder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <optional>
#include <thread>
#include <memory>
#include <mutex>
#include <iterator>
#include <unordered_map>
#include <unordered_set>

#include "base/trace.hpp"
#include "store/core/parallel.hpp"
#include "store/lifecycle/tree_verify.hpp"
#include "sys/beneath.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

using sys::errno_text;

// What one build shares between its workers.
struct BuildState {
    const Manifest& target;
    const ObjectStore& objects;
    const BuildOptions& options;
    std::mutex mutex;  // guards the claims and the results below
    std::unordered_set<ObjectKey, ObjectKeyHash> claimed;
    std::unordered_set<ObjectKey, ObjectKeyHash> linked;  // objects this build linked into its tree
    TreeBuild result;

    // True for the first file of this build with these bytes: only it may link the object.
    bool claim(const ObjectKey& key)
    {
        std::lock_guard lock(mutex);
        return claimed.insert(key).second;
    }

    // The links to the object that this build made (0 or 1): ObjectStore::place's own_links.
    unsigned own_links(const ObjectKey& key)
    {
        std::lock_guard lock(mutex);
        return linked.contains(key) ? 1 : 0;
    }

    void note_linked(const ObjectKey& key)
    {
        std::lock_guard lock(mutex);
        linked.insert(key);
    }
};

// The files and symlinks of one directory of the new tree, placed through one descriptor of it.
struct DirectoryJob {
    fs::path directory;
    std::vector<std::pair<const ManifestEntry*, std::string>> entries;  // entry, name in the directory
    size_t ready_after = 0;  // how many of the build's directories must exist before it (its own is the last)
};

Expected<void> place_entries(const DirectoryJob& job, BuildState& state)
{
    sys::UniqueFd directory(::open(job.directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!directory)
        return fail(ErrorCode::io, "cannot open {}: {}", job.directory.string(), errno_text(errno));
    TreeBuild mine;
    for (const auto& [entry, name] : job.entries) {
        if (entry->kind == EntryKind::symlink) {
            if (::symlinkat(entry->target.c_str(), directory.get(), name.c_str()) != 0)
                return fail(ErrorCode::io, "cannot create symlink {}: {}", entry->path, errno_text(errno));
            ++mine.symlinks;
            continue;
        }
        const ObjectKey key{entry->digest, entry->executable()};
        const bool may_link = state.options.mode == LinkMode::link_then_copy && state.claim(key);
        const auto placed = ENVPIN_TRY_CTX(fmt::format("building {}", (job.directory / name).string()),
                                           state.objects.place(*entry, directory.get(), name, state.options.mode, may_link,
                                                               may_link ? 0 : state.own_links(key)));
        if (placed.linked && may_link)
            state.note_linked(key);
        ++mine.files;
        mine.built_files.push_back({entry->path, placed.stamp, entry->digest, job.directory / name, entry->size, entry->executable(),
                                   placed.linked, placed.object_before,
                                   static_cast<size_t>(entry - state.target.entries.data())});
        if (placed.linked) {
            ++mine.linked;
            mine.linked_bytes += entry->size;
            if (may_link)  // link_then_copy: the detach gives the object its own inode again
                mine.linked_objects.push_back(key);
        }
    }
    std::lock_guard lock(state.mutex);
    auto& all = state.result;
    all.files += mine.files;
    all.symlinks += mine.symlinks;
    all.linked += mine.linked;
    all.linked_bytes += mine.linked_bytes;
    all.linked_objects.insert(all.linked_objects.end(), mine.linked_objects.begin(), mine.linked_objects.end());
    std::ranges::move(mine.built_files, std::back_inserter(all.built_files));
    return {};
}

// The entry at `path` and every entry below it (a contiguous range of the sorted list).
std::vector<const ManifestEntry*> subtree_of(const Manifest& target, const std::string& path)
{
    std::vector<const ManifestEntry*> found;
    const auto& entries = target.entries;
    const auto self = std::ranges::lower_bound(entries, path, {}, &ManifestEntry::path);
    if (self == entries.end() || self->path != path)
        return found;
    found.push_back(&*self);
    if (self->kind != EntryKind::directory)
        return found;
    if (path == ".") {
        for (const auto& entry : entries)
            if (entry.path != ".")
                found.push_back(&entry);
        return found;
    }
    const std::string prefix = path + "/";
    for (auto it = std::ranges::lower_bound(entries, prefix, {}, &ManifestEntry::path);
         it != entries.end() && it->path.starts_with(prefix); ++it)
        found.push_back(&*it);
    return found;
}

// Where `path` goes: strings, not paths (70,000 entries planned in milliseconds).
std::string destination_of(const SubtreeJob& job, const std::string& root, const std::string& path)
{
    if (path == job.path)
        return root;
    std::string destination;
    const std::string_view relative = job.path == "." ? std::string_view(path) : std::string_view(path).substr(job.path.size() + 1);
    destination.reserve(root.size() + 1 + relative.size());
    return destination.append(root).append("/").append(relative);
}

// The directories of every job (in the manifest's order: a parent before its children), and the
// other entries grouped by the directory they go into, each group knowing which directory it
// waits for.
Expected<std::vector<DirectoryJob>> plan_directories(const Manifest& target, const std::vector<SubtreeJob>& jobs,
                                                     std::vector<std::pair<fs::path, unsigned>>& made)
{
    std::vector<DirectoryJob> groups;
    for (const auto& job : jobs) {
        const auto entries = subtree_of(target, job.path);
        if (entries.empty())
            return fail(ErrorCode::internal, "{} is not in the manifest", job.path);
        if (entries.front()->kind != EntryKind::directory) {  // a file or symlink is the job's own entry
            groups.push_back({job.destination.parent_path(), {{entries.front(), job.destination.filename().string()}}, 0});
            continue;
        }
        // Keyed by the manifest's paths (views into `target`): a destination is spelled out once
        // per directory, not once per file.
        std::unordered_map<std::string_view, size_t> made_at;  // directory -> its position in `made`, plus one
        std::unordered_map<std::string_view, size_t> group_of;  // directory -> its group
        const auto root = job.destination.string();
        std::string_view last_parent;  // most files follow a sibling: no lookup for them
        size_t last_group = 0;
        for (const auto* entry : entries) {
            if (entry->kind == EntryKind::directory) {
                made_at.emplace(entry->path, made.size() + 1);
                made.emplace_back(destination_of(job, root, entry->path), entry->mode);
                continue;
            }
            const std::string_view path = entry->path;
            const auto slash = path.rfind('/');
            const auto parent = slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash);
            if (!groups.empty() && parent == last_parent) {
                groups[last_group].entries.emplace_back(entry, std::string(path.substr(slash + 1)));
                continue;
            }
            auto [it, inserted] = group_of.emplace(parent, groups.size());
            if (inserted) {
                const auto at = made_at.find(parent);
                if (at == made_at.end())
                    return fail(ErrorCode::corrupt, "the manifest lists {} but not its directory", entry->path);
                groups.push_back({made[at->second - 1].first, {}, at->second});
            }
            groups[it->second].entries.emplace_back(entry, std::string(path.substr(slash + 1)));
            last_parent = parent;
            last_group = it->second;
        }
    }
    return groups;
}

// Makes the build's directories (owner-writable, in order) on a thread of its own while the
// workers fill those already made: what mkdir costs on ext4 is kernel CPU that depends on the
// filesystem's history (the same 15,800 directories took a plain loop from 0.3 to 2.6 s on the
// development VM), and making them on all cores, one worker per parent, changed nothing
// measurable; placing files beside it hides the placing instead.
class DirectoryMaker {
public:
    // `moved_in`: most of them may exist already (a spare was renamed in): one that does is
    // kept if it is a directory.
    DirectoryMaker(const std::vector<std::pair<fs::path, unsigned>>& made, bool moved_in)
        : made_(made), moved_in_(moved_in), thread_([this] { run(); })
    {
    }
    DirectoryMaker(const DirectoryMaker&) = delete;
    DirectoryMaker& operator=(const DirectoryMaker&) = delete;
    ~DirectoryMaker()
    {
        stop_.store(true);
        thread_.join();
    }

    // Waits until the first `count` directories exist; the maker's error if it stopped before.
    Expected<void> wait_for(size_t count)
    {
        for (size_t now = done_.load(std::memory_order_acquire);; now = done_.load(std::memory_order_acquire)) {
            if (now == failed)
                return std::unexpected(*error_);
            if (now >= count)
                return {};
            done_.wait(now, std::memory_order_acquire);
        }
    }

    // Waits for all of them.
    Expected<void> finish() { return wait_for(made_.size()); }

private:
    static constexpr size_t failed = static_cast<size_t>(-1);

    void run()
    {
        TraceSpan span("mkdir (beside)");
        for (size_t i = 0; i < made_.size() && !stop_.load(std::memory_order_relaxed); ++i) {
            if (::mkdir(made_[i].first.c_str(), 0700) != 0 && !(moved_in_ && errno == EEXIST && keep_or_replace(made_[i].first))) {
                error_ = Error{ErrorCode::io, fmt::format("cannot create {}: {}", made_[i].first.string(), errno_text(errno)), {}};
                done_.store(failed, std::memory_order_release);
                done_.notify_all();
                return;
            }
            done_.store(i + 1, std::memory_order_release);
            done_.notify_all();
        }
    }

    // What stands at `path` in a spare moved in: kept if it is a directory, else (nothing of the
    // user's: the spare is envpin's, now inside the private staging directory) unlinked and
    // made one. False with errno set when that fails.
    static bool keep_or_replace(const fs::path& path)
    {
        struct ::stat info{};
        if (::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
            return true;
        return ::unlink(path.c_str()) == 0 && ::mkdir(path.c_str(), 0700) == 0;
    }

    const std::vector<std::pair<fs::path, unsigned>>& made_;
    const bool moved_in_;
    std::optional<Error> error_;  // written before done_ becomes `failed`
    std::atomic<size_t> done_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Modes deepest first (a read-only directory is filled before it is closed).
Expected<void> seal_directories(const std::vector<std::pair<fs::path, unsigned>>& made)
{
    for (auto it = made.rbegin(); it != made.rend(); ++it)
        if (::chmod(it->first.c_str(), it->second & 07777) != 0)
            return fail(ErrorCode::io, "cannot set the mode of {}: {}", it->first.string(), errno_text(errno));
    return {};
}

// The names of the objects the groups' files come from.
std::vector<std::string> object_names(const std::vector<DirectoryJob>& groups)
{
    std::vector<std::string> names;
    for (const auto& group : groups)
        for (const auto& [entry, name] : group.entries)
            if (entry->kind == EntryKind::file)
                names.push_back(ObjectKey{entry->digest, entry->executable()}.name());
    return names;
}

}  // namespace

Expected<TreeBuild> build_subtrees(const Manifest& target, const std::vector<SubtreeJob>& jobs,
                                   const ObjectStore& objects, const BuildOptions& options)
{
    std::vector<std::pair<fs::path, unsigned>> made;
    auto groups = ENVPIN_TRY(traced("plan directories", [&] { return plan_directories(target, jobs, made); }));
    // In the order their directories are made; big directories first among those ready together,
    // so that one does not finish alone at the end.
    std::ranges::sort(groups, [](const DirectoryJob& a, const DirectoryJob& b) {
        return a.ready_after != b.ready_after ? a.ready_after < b.ready_after : a.entries.size() > b.entries.size();
    });
    // The verified stamps of the objects the build uses, asked for while it builds.
    std::future<Expected<VerifiedStamps>> asking;
    if (options.verified)
        asking = std::async(std::launch::async, [&]() -> Expected<VerifiedStamps> {
            return traced("verified stamps (beside)", [&] { return options.verified(object_names(groups)); });
        });
    BuildState state{target, objects, options, {}, {}, {}, {}};
    if (!options.directories_from.empty() && jobs.size() == 1 && jobs.front().path == ".")
        state.result.spare_used = traced("spare directories (renamed in)", [&] {
            return ::rename(options.directories_from.c_str(), jobs.front().destination.c_str()) == 0;
        });
    {
        DirectoryMaker maker(made, state.result.spare_used);
        ENVPIN_TRY(traced("directories and files", [&] {
            return parallel_for(groups.size(), options.threads, [&](size_t i, unsigned) -> Expected<void> {
                ENVPIN_TRY(maker.wait_for(groups[i].ready_after));
                return place_entries(groups[i], state);
            });
        }));
        ENVPIN_TRY(maker.finish());  // directories holding no file
    }
    ENVPIN_TRY(seal_directories(made));
    std::future<void> beside;  // waited for by its destructor on every return
    if (options.while_syncing)
        beside = std::async(std::launch::async, [&] { options.while_syncing(state.result); });
    const auto verified = asking.valid() ? ENVPIN_TRY(asking.get()) : VerifiedStamps();
    ENVPIN_TRY(traced("verify bytes", [&] { return verify_built(state.result, objects, options, verified); }));
    // One sync of the filesystem makes the copies' bytes and every new name durable: thousands
    // of fsyncs (a journal commit each, on ext4) cost seconds for a whole tree.
    if (options.durable && !jobs.empty())
        ENVPIN_TRY(traced("sync", [&] { return sys::sync_filesystem_of(jobs.front().destination.parent_path()); }));
    if (beside.valid())
        beside.get();
    state.result.directories = static_cast<long long>(made.size());
    return std::move(state.result);
}

long long bytes_to_build(const Manifest& target, const std::vector<SubtreeJob>& jobs)
{
    long long bytes = 0;
    for (const auto& job : jobs)
        for (const auto* entry : subtree_of(target, job.path))
            if (entry->kind == EntryKind::file)
                bytes += entry->size;
    return bytes;
}

Expected<TreeBuild> build_tree(const Manifest& target, const fs::path& new_root, const ObjectStore& objects,
                               const BuildOptions& options)
{
    return build_subtrees(target, {SubtreeJob{".", new_root}}, objects, options);
}

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// The names in the directory `fd` (which the listing takes over), each with whether it is a
// directory (never through a symlink).
Expected<std::vector<std::pair<std::string, bool>>> list_directory(sys::UniqueFd fd, const fs::path& what)
{
    std::unique_ptr<DIR, DirCloser> listing(::fdopendir(fd.get()));
    if (!listing)
        return fail(ErrorCode::io, "cannot read {}: {}", what.string(), errno_text(errno));
    const int dir_fd = fd.release();
    std::vector<std::pair<std::string, bool>> names;
    while (const dirent* item = ::readdir(listing.get())) {
        const std::string name = item->d_name;
        if (name == "." || name == "..")
            continue;
        bool directory = item->d_type == DT_DIR;
        if (item->d_type == DT_UNKNOWN) {
            struct ::stat info{};
            directory = ::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(info.st_mode);
        }
        names.emplace_back(name, directory);
    }
    return names;
}

std::string child_of(const std::string& parent, const std::string& name)
{
    return parent == "." ? name : parent + "/" + name;
}

}  // namespace

Expected<void> remove_tree(const fs::path& root, unsigned threads)
{
    struct ::stat info{};
    if (::lstat(root.c_str(), &info) != 0)
        return errno == ENOENT ? Expected<void>() : fail(ErrorCode::io, "cannot stat {}: {}", root.string(), errno_text(errno));
    if (!S_ISDIR(info.st_mode)) {  // a file or a symlink: the name goes, nothing is followed
        if (::unlink(root.c_str()) != 0 && errno != ENOENT)
            return fail(ErrorCode::io, "cannot remove {}: {}", root.string(), errno_text(errno));
        return {};
    }
    sys::UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root_fd)
        return fail(ErrorCode::io, "cannot open {}: {}", root.string(), errno_text(errno));
    // Every directory below the root (parents first), reached beneath it without symlinks, made
    // writable through its descriptor; then their other entries removed on all cores, then the
    // directories deepest first.
    std::vector<std::string> directories{"."};
    for (size_t i = 0; i < directories.size(); ++i) {
        auto fd = ENVPIN_TRY(sys::open_directory_beneath(root_fd.get(), directories[i], root / directories[i]));
        ::fchmod(fd.get(), 0700);
        for (const auto& [name, directory] : ENVPIN_TRY(list_directory(std::move(fd), root / directories[i])))
            if (directory)
                directories.push_back(child_of(directories[i], name));
    }
    ENVPIN_TRY(parallel_for(directories.size(), threads, [&](size_t index, unsigned) -> Expected<void> {
        const auto what = root / directories[index];
        auto fd = ENVPIN_TRY(sys::open_directory_beneath(root_fd.get(), directories[index], what));
        const int dir_fd = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
        sys::UniqueFd keep(dir_fd);
        for (const auto& [name, directory] : ENVPIN_TRY(list_directory(std::move(fd), what)))
            if (!directory && ::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
                return fail(ErrorCode::io, "cannot remove {}/{}: {}", what.string(), name, errno_text(errno));
        return {};
    }));
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
        if (*it == ".")
            break;
        const size_t slash = it->rfind('/');
        const auto parent = slash == std::string::npos ? std::string(".") : it->substr(0, slash);
        auto parent_fd = ENVPIN_TRY(sys::open_directory_beneath(root_fd.get(), parent, root / parent));
        const auto name = slash == std::string::npos ? *it : it->substr(slash + 1);
        if (::unlinkat(parent_fd.get(), name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            return fail(ErrorCode::io, "cannot remove {}: {}", (root / *it).string(), errno_text(errno));
    }
    if (::rmdir(root.c_str()) != 0 && errno != ENOENT)
        return fail(ErrorCode::io, "cannot remove {}: {}", root.string(), errno_text(errno));
    return {};
}

}  // namespace envpin::store
