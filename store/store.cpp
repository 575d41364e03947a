#include "store/store.hpp"

#include "store/lifecycle/reset.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "base/trace.hpp"
#include "store/core/agreement.hpp"
#include "store/core/ref.hpp"
#include "sys/file.hpp"
#include "sys/process.hpp"

namespace envpin::store {
namespace fs = std::filesystem;

namespace {

Expected<void> make_directory(const fs::path& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        return fail(ErrorCode::io, "cannot create {}: {}", path.string(), sys::errno_text(errno));
    return {};
}

// The store must be a directory of ours: another user's store could hold planted objects,
// manifests or git configuration.
Expected<void> check_ownership(const fs::path& root)
{
    struct ::stat info{};
    if (::stat(root.c_str(), &info) != 0)
        return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, "no envpin store at {}: {}",
                    root.string(), sys::errno_text(errno));
    if (!S_ISDIR(info.st_mode))
        return fail(ErrorCode::bad_input, "store {} is not a directory", root.string());
    if (info.st_uid != ::geteuid())
        return fail(ErrorCode::bad_input, "store {} belongs to uid {}, not to you (uid {}); refusing to use it",
                    root.string(), info.st_uid, ::geteuid());
    return {};
}

Expected<void> create_layout(const fs::path& root)
{
    std::error_code ec;
    if (root.has_parent_path())
        fs::create_directories(root.parent_path(), ec);
    ENVPIN_TRY(make_directory(root, 0700));
    ENVPIN_TRY(check_ownership(root));
    // objects/xx/ directories are made by the first object that needs one (ObjectStore).
    ENVPIN_TRY(make_directory(root / "objects", 0755));
    return make_directory(root / "tmp", 0700);
}

// fsck --rebuild-database: refused when the database agrees with manifests.git (a rebuild would
// only lose the verify runs); else the database and its WAL files are renamed to
// envpin.db.envpin-replaced-N[-wal|-shm] (nothing deleted). Returns the new name, empty when there
// was no database.
Expected<fs::path> set_database_aside(const fs::path& root)
{
    const auto database = root / "envpin.db";
    if (check_database_present(root)) {
        auto metadata = ENVPIN_TRY(Metadata::open(database, OpenMode::read_write));
        auto history = ENVPIN_TRY(History::open(root / "manifests.git", OpenMode::read_write));
        if (check_agreement(root, metadata, history))
            return fail(ErrorCode::bad_input, "store {}: its database agrees with manifests.git; there is nothing to rebuild",
                        root.string());
    }
    std::error_code ec;
    if (!fs::exists(database, ec))
        return fs::path();
    fs::path aside;
    for (int n = 1;; ++n) {
        aside = root / fmt::format("envpin.db.envpin-replaced-{}", n);
        if (!fs::exists(aside, ec))
            break;
    }
    for (const std::string suffix : {"-wal", "-shm", ""}) {
        const fs::path from = database.string() + suffix;
        if (fs::exists(from, ec) && ::rename(from.c_str(), (aside.string() + suffix).c_str()) != 0)
            return fail(ErrorCode::io, "cannot set {} aside as {}: {}", from.string(), aside.string() + suffix,
                        sys::errno_text(errno));
    }
    return aside;
}

Error as_corrupt(Error error, const SnapshotInfo& snapshot)
{
    if (error.code != ErrorCode::io)
        error.code = ErrorCode::corrupt;
    return error.with_context(fmt::format("manifest of {} (commit {})", snapshot.label(), snapshot.commit.substr(0, 12)));
}

}  // namespace

fs::path store_root(std::string_view flag)
{
    if (!flag.empty())
        return fs::absolute(fs::path(flag));
    if (const char* home = std::getenv("ENVPIN_HOME"); home != nullptr && *home != '\0')
        return fs::absolute(fs::path(home));
    if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data != '\0')
        return fs::absolute(fs::path(data) / "envpin");
    const char* home = std::getenv("HOME");
    return fs::path(home != nullptr && *home != '\0' ? home : "/") / ".local" / "share" / "envpin";
}

Expected<Store> Store::open(const StoreOptions& options)
{
    const auto& root = options.root;
    const bool write = options.access != Access::read;
    if (options.access == Access::create)
        ENVPIN_TRY(traced("layout", [&] { return create_layout(root); }));
    ENVPIN_TRY(check_ownership(root));
    if (std::error_code ec; options.access != Access::create && !fs::exists(root / "envpin.db", ec) &&
                            !fs::exists(root / "manifests.git", ec))
        return fail(ErrorCode::not_found, "no envpin store at {} (adopt an environment first)", root.string());
    std::optional<StoreLock> lock;
    if (write)
        lock = ENVPIN_TRY(StoreLock::acquire(root / "lock", options.wait, options.on_wait));
    fs::path set_aside;
    if (options.rebuild_database)
        set_aside = ENVPIN_TRY(set_database_aside(root));
    else
        ENVPIN_TRY(check_database_present(root));
    if (!write && !fs::exists(root / "envpin.db"))
        return fail(ErrorCode::not_found, "no envpin store at {} (adopt an environment first)", root.string());
    const auto mode = write ? OpenMode::create : OpenMode::read_write;
    auto metadata = ENVPIN_TRY(traced("database", [&] { return Metadata::open(root / "envpin.db", mode); }));
    ENVPIN_TRY(check_history_present(root, metadata));
    auto history = ENVPIN_TRY(traced("manifests.git", [&] { return History::open(root / "manifests.git", mode); }));
    if (!options.rebuild_database)
        ENVPIN_TRY(traced("agreement", [&] { return check_agreement(root, metadata, history); }));
    auto objects = ObjectStore::open(root / "objects", root / "tmp");
    if (!objects)  // spelled out: ENVPIN_TRY here trips GCC 12's -Wfree-nonheap-object (a false positive)
        return std::unexpected(std::move(objects.error()));
    Store store(root, std::move(metadata), std::move(history), std::move(*objects), std::move(lock), options.background);
    store.database_set_aside_ = std::move(set_aside);
    if (write)
        ENVPIN_TRY_CTX(fmt::format("recovering store {}", root.string()), traced("recover", [&] { return store.recover(); }));
    return store;
}

// Finishes what an interrupted writer left: staged files in tmp/ and git ref lock files are
// dropped (their snapshot was never committed), and each branch is moved to its environment's newest committed
// snapshot (the database commit is the point of truth; the ref update follows it).
Expected<void> Store::recover()
{
    ENVPIN_TRY(objects_.clear_tmp());
    ENVPIN_TRY(history_.clear_stale_locks());
    ENVPIN_TRY(recover_resets(*this));
    // A detach that a kill -9 interrupted (or that never started) is taken up again.
    if (!ENVPIN_TRY(metadata_.pending_detaches()).empty())
        start_background();
    // The branches are read from their files (no libgit2); only one that lags is written.
    std::map<std::string, std::string> branches;
    for (auto& [name, commit] : ENVPIN_TRY(history_.branches()))
        branches.emplace(std::move(name), std::move(commit));
    for (const auto& environment : ENVPIN_TRY(metadata_.environments())) {
        const auto snapshots = ENVPIN_TRY(metadata_.snapshots(environment.id));
        if (snapshots.empty())
            continue;
        const auto& newest = snapshots.back();
        if (const auto branch = branches.find(environment.name); branch == branches.end() || branch->second != newest.commit)
            ENVPIN_TRY(history_.set_branch(environment.name, newest.commit));
    }
    return {};
}

bool Store::start_background(bool even_if_running) const
{
    if (background_.empty())
        return false;
    if (const char* off = std::getenv("ENVPIN_NO_BACKGROUND"); off != nullptr && std::string_view(off) == "1")
        return false;
    if (!even_if_running) {
        const auto free = StoreLock::try_acquire(root_ / "detach.lock");
        if (!free || !*free)
            return false;  // a background detach runs, or the lock file cannot be opened
    }
    return static_cast<bool>(sys::spawn_detached({background_.string(), "--store", root_.string(), "recover"}));
}

std::unexpected<Error> name_in_use(const Environment& taken)
{
    if (taken.forgotten)
        return fail(ErrorCode::already_exists,
                    "environment name '{}' is still held by the snapshots of the environment forgotten under it ({}); "
                    "`envpin forget {} --purge` drops them, or choose another name",
                    taken.name, taken.path.string(), taken.name);
    return fail(ErrorCode::already_exists, "environment name '{}' is already in use (for {})", taken.name,
                taken.path.string());
}

Expected<Environment> Store::environment(std::string_view name, bool forgotten_too)
{
    ENVPIN_TRY(check_environment_name(name));
    auto found = ENVPIN_TRY(metadata_.find_environment(name));
    if (!found)
        return fail(ErrorCode::not_found, "no environment named '{}' in store {}", name, root_.string());
    if (found->forgotten && !forgotten_too)
        return fail(ErrorCode::not_found,
                    "environment '{}' was forgotten ({}): envpin no longer manages {}; its snapshots are kept "
                    "(`envpin log {}`, `envpin clone {}@N PATH --name NEW`; `envpin forget {} --purge` drops them)",
                    name, *found->forgotten, found->path.string(), name, name, name);
    return *found;
}

Expected<std::optional<SnapshotInfo>> Store::current_snapshot(const Environment& environment)
{
    if (!environment.current_snapshot)
        return std::optional<SnapshotInfo>();
    return metadata_.snapshot(*environment.current_snapshot);
}

Expected<SnapshotInfo> Store::resolve(std::string_view text)
{
    const auto ref = ENVPIN_TRY(parse_ref(text));
    if (ref.kind == SnapshotRef::Kind::bare) {
        if (check_environment_name(ref.text)) {
            if (const auto found = ENVPIN_TRY(metadata_.find_environment(ref.text))) {
                auto current = ENVPIN_TRY(current_snapshot(*found));
                if (!current)
                    return fail(ErrorCode::not_found, "environment '{}' has no snapshot yet", ref.text);
                return *current;
            }
        }
        if (!looks_like_commit_prefix(ref.text))
            return fail(ErrorCode::not_found, "unknown reference '{}': no environment of that name in store {}", text,
                        root_.string());
        const auto matches = ENVPIN_TRY(metadata_.snapshots_by_commit_prefix(ref.text));
        if (matches.empty())
            return fail(ErrorCode::not_found, "unknown reference '{}': no environment or snapshot commit matches", text);
        if (matches.size() > 1)
            return fail(ErrorCode::bad_input, "reference '{}' is ambiguous: {} and {} more", text,
                        matches.front().label(), matches.size() - 1);
        return matches.front();
    }
    const auto environment = ENVPIN_TRY(this->environment(ref.text, true));
    const auto snapshots = ENVPIN_TRY(metadata_.snapshots(environment.id));
    if (snapshots.empty())
        return fail(ErrorCode::not_found, "environment '{}' has no snapshot yet", ref.text);
    auto range = [&] { return fmt::format("'{}' has snapshots @1 to @{}", ref.text, snapshots.back().seq); };
    if (ref.kind == SnapshotRef::Kind::seq) {
        for (const auto& snapshot : snapshots) {
            if (snapshot.seq == ref.number)
                return snapshot;
        }
        return fail(ErrorCode::not_found, "unknown reference '{}': {}", text, range());
    }
    const auto current = std::ranges::find(snapshots, environment.current_snapshot, [](const SnapshotInfo& s) {
        return std::optional<long long>(s.id);
    });
    const auto position = current == snapshots.end() ? static_cast<long long>(snapshots.size()) - 1
                                                     : static_cast<long long>(current - snapshots.begin());
    if (ref.number > position)
        return fail(ErrorCode::not_found, "unknown reference '{}': only {} snapshot(s) before the current one", text, position);
    return snapshots[static_cast<size_t>(position - ref.number)];
}

Expected<Manifest> Store::manifest(const SnapshotInfo& snapshot)
{
    return read_manifest(history_, snapshot);
}

Expected<Manifest> Store::manifest_apart(const SnapshotInfo& snapshot) const
{
    auto history = ENVPIN_TRY(History::open(root_ / "manifests.git", OpenMode::read_write));
    return read_manifest(history, snapshot);
}

Expected<Manifest> Store::manifest_part(const SnapshotInfo& snapshot, const std::set<std::string>& shards) const
{
    return manifest_from_texts(ENVPIN_TRY(manifest_texts(snapshot, shards)), snapshot);
}

Expected<std::optional<ShardIds>> Store::shard_ids(const SnapshotInfo& snapshot) const
{
    auto history = ENVPIN_TRY(History::open(root_ / "manifests.git", OpenMode::read_write));
    auto ids = history.shard_ids(snapshot.commit);
    if (!ids)
        return std::unexpected(as_corrupt(std::move(ids.error()), snapshot));
    return ids;
}

Expected<Manifest> Store::read_manifest(History& history, const SnapshotInfo& snapshot)
{
    auto texts = history.read(snapshot.commit);
    if (!texts)
        return std::unexpected(as_corrupt(std::move(texts.error()), snapshot));
    return manifest_from_texts(*texts, snapshot);
}

Expected<ManifestTexts> Store::manifest_texts(const SnapshotInfo& snapshot, const std::set<std::string>& shards) const
{
    auto history = ENVPIN_TRY(History::open(root_ / "manifests.git", OpenMode::read_write));
    auto texts = history.read(snapshot.commit, &shards);
    if (!texts)
        return std::unexpected(as_corrupt(std::move(texts.error()), snapshot));
    return texts;
}

Expected<Manifest> Store::manifest_from_texts(const ManifestTexts& texts, const SnapshotInfo& snapshot)
{
    auto entries = texts.sharded ? parse_file_shards(texts.files) : parse_files(texts.files.front().text);
    if (!entries)
        return std::unexpected(as_corrupt(std::move(entries.error()), snapshot));
    auto distributions = parse_distributions(texts.distributions);
    if (!distributions)
        return std::unexpected(as_corrupt(std::move(distributions.error()), snapshot));
    return Manifest{std::move(*distributions), std::move(*entries)};
}

Error Store::corrupt_manifest(Error error, const SnapshotInfo& snapshot)
{
    return as_corrupt(std::move(error), snapshot);
}

}  // namespace envpin::store
