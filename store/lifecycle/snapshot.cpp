#include "store/lifecycle/snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <future>

#include "base/strings.hpp"
#include "base/trace.hpp"
#include "store/lifecycle/detach.hpp"
#include "store/lifecycle/dist_info.hpp"
#include "store/core/ref.hpp"
#include "store/lifecycle/reset.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {
namespace fs = std::filesystem;

namespace {

Expected<sys::UniqueFd> open_root(const fs::path& root)
{
    sys::UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, "cannot open environment {}: {}",
                    root.string(), sys::errno_text(errno));
    return fd;
}

std::string commit_message(const Environment& environment, long long seq, const SnapshotOptions& options,
                           const Observation& observation, long long files, long long bytes)
{
    auto text = fmt::format("{}@{}: {}\n\nreason: {}\nenvironment: {}\nfiles: {} ({})\ndistributions: {}\n",
                            environment.name, seq, options.message.empty() ? options.reason : options.message,
                            options.reason, environment.path.string(), files, human_bytes(bytes),
                            observation.manifest.distributions.size());
    return text;
}

// The objects this snapshot linked into the store (new names on environment files' inodes).
std::vector<ObjectKey> linked_objects(const Observation& observation)
{
    std::vector<ObjectKey> keys;
    for (const auto& staged : observation.staged)
        if ((staged.published || staged.existed_shared) && staged.method != StagedObject::Method::temporary)
            keys.push_back(staged.key);
    return keys;
}

// What the stat cache becomes, ready to store: the rows that changed when they are few (the
// overlay), else the whole value packed.
struct CacheWrite {
    std::optional<StatCacheDelta> delta;
    PackedStatCache packed;
};

CacheWrite prepare_cache_write(const StatCache& loaded, const Observation& observation)
{
    if (!loaded.empty()) {
        auto delta = cache_delta(loaded, observation);
        if (delta.size() <= std::max(stat_cache_overlay_limit, loaded.size() / 4))
            return {std::move(delta), {}};
    }
    return {std::nullopt, pack_for_storing(cache_after(observation))};
}

// The stat cache alone, in an unsynced transaction (see record()).
Expected<void> store_stat_cache(Metadata& metadata, long long environment_id, const CacheWrite& write)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(metadata.database(), Durability::unsynced));
    if (write.delta)
        ENVPIN_TRY(metadata.update_stat_cache(environment_id, *write.delta));
    else
        ENVPIN_TRY(metadata.replace_stat_cache(environment_id, write.packed));
    return transaction.commit();
}

// The manifest is committed to git, then the database is (the point of truth), then the branch.
// `settle_objects` (publishing the new objects: a filesystem sync) runs while the commit is
// written and the stat cache packed; the database commits only after all three.
// `go_on`, when set, is asked once the commit is being written: false stops here (nullopt),
// leaving what was written unnamed (see speculate()).
Expected<std::optional<SnapshotInfo>> record(Store& store, Environment& environment, bool new_environment, bool detach,
                                             const SnapshotOptions& options, Observation& observation,
                                             const StatCache& loaded, const std::function<Digest()>& state,
                                             const std::optional<SnapshotInfo>& current,
                                             const std::function<Expected<void>()>& settle_objects,
                                             const std::function<Expected<bool>()>& go_on = {})
{
    long long files = 0, bytes = 0;
    for (const auto& entry : observation.manifest.entries) {
        if (entry.kind == EntryKind::file) {
            ++files;
            bytes += entry.size;
        }
    }
    auto& metadata = store.metadata();
    const auto history = new_environment ? std::vector<SnapshotInfo>() : ENVPIN_TRY(metadata.snapshots(environment.id));
    const long long seq = history.empty() ? 1 : history.back().seq + 1;
    const auto now = std::time(nullptr);
    // The git commit (printing and compressing the manifest's shards on all cores) runs beside
    // the stat cache write; the snapshot row, which names the commit, waits for it. The
    // future's destructor waits on any early return.
    const auto shards = plan_file_shards(observation.manifest.entries);
    CommitRequest request{{}, {}, [&shards](size_t i, size_t begin, size_t end) { return print_file_shard(shards[i], begin, end); },
                          print_distributions(observation.manifest.distributions),
                          history.empty() ? std::nullopt : std::optional<std::string>(history.back().commit),
                          commit_message(environment, seq, options, observation, files, bytes), now};
    for (const auto& shard : shards) {
        request.shard_names.push_back(shard.name);
        request.shard_entries.push_back(shard.entries.size());
    }
    auto writing = std::async(std::launch::async, [&store, &request] {
        return traced("git commit (parallel)", [&] { return store.history().write_commit(request); });
    });
    // The cache is packed with the ctimes of the links made while hashing; links made by
    // publish (rare: files too recent to link at once, or refused by the kernel) repack it.
    auto packing = std::async(std::launch::async, [&observation, &loaded] {
        return traced("stat cache (parallel)", [&] { return prepare_cache_write(loaded, observation); });
    });
    if (go_on && !ENVPIN_TRY(go_on()))
        return std::optional<SnapshotInfo>();
    ENVPIN_TRY(settle_objects());
    auto packed_cache = packing.get();
    if (refresh_linked_stamps(observation) > 0)
        packed_cache = prepare_cache_write(loaded, observation);
    auto transaction = ENVPIN_TRY(Transaction::begin(metadata.database()));
    if (new_environment)
        environment.id = ENVPIN_TRY(metadata.insert_environment(environment));
    const auto commit = ENVPIN_TRY(writing.get());
    auto snapshot = ENVPIN_TRY(metadata.insert_snapshot(
        {environment.id, commit, current ? std::optional<long long>(current->id) : std::nullopt, utc_time(now),
         options.reason, options.message, state(), files, bytes}));
    ENVPIN_TRY(metadata.insert_distributions(snapshot.id, observation.manifest.distributions));
    ENVPIN_TRY(metadata.set_current_snapshot(environment.id, snapshot.id));
    if (detach)
        ENVPIN_TRY(queue_detach(metadata, environment.id, snapshot.id, linked_objects(observation), files,
                                observation.started_ns));
    ENVPIN_TRY(traced("database commit", [&] { return transaction.commit(); }));
    environment.current_snapshot = snapshot.id;
    // The snapshot is recorded: the database is the point of truth. A branch that cannot be
    // moved now (a ref write refused) lags behind, which Store::recover, at the next command
    // that writes, repairs; failing here would report as lost a snapshot that is not.
    if (auto moved = traced("move branch", [&] { return store.history().set_branch(environment.name, commit); }); !moved)
        trace_note(fmt::format("the branch of {} lags until the next writer: {}", environment.name, moved.error().describe()));
    // The stat cache goes last, in a transaction of its own that is not flushed: its megabytes
    // doubled the time of the snapshot's flushed commit, and losing it (to a power cut, or a
    // write that fails now that the snapshot is recorded) costs the next snapshot the hashing
    // this one did, nothing else: rows left from before still hold for the stamps they name.
    if (auto stored = traced("stat cache", [&] { return store_stat_cache(metadata, environment.id, packed_cache); }); !stored)
        trace_note(fmt::format("the stat cache was not stored: {}", stored.error().describe()));
    return std::optional<SnapshotInfo>(snapshot);
}

Expected<void> remember_hashes(Metadata& metadata, long long environment_id, const StatCache& cache,
                               const Observation& observation)
{
    const auto write = prepare_cache_write(cache, observation);
    if (write.delta ? write.delta->size() == 0 : write.packed.entries == 0 && cache.empty())
        return {};  // the cache is as the observation leaves it
    return store_stat_cache(metadata, environment_id, write);
}

// Whether the walk saw signs that the state differs from `previous`: files whose stamps moved
// (read again) or a different number of files. A guess: a file touched but not changed, or a
// change only to directories or symlinks, reads otherwise.
bool likely_changed(const Observation& observation, const SnapshotInfo& previous)
{
    if (observation.hashed_files > 0)
        return true;
    const auto files = std::ranges::count(observation.manifest.entries, EntryKind::file, &ManifestEntry::kind);
    return files != previous.files;
}

Expected<SnapshotOutcome> snapshot_environment(Store& store, Environment environment, bool new_environment,
                                               const SnapshotOptions& options)
{
    if (!store.writable())
        return fail(ErrorCode::internal, "snapshot needs the store opened for writing");
    const auto root_fd = ENVPIN_TRY(open_root(environment.path));
    auto& objects = store.objects();
    SnapshotOutcome outcome;
    outcome.link_mode = ENVPIN_TRY(objects.effective_mode(root_fd.get(), environment.path,
                                                          options.link_mode.value_or(environment.link_mode)));
    // For hardlinks: after this sync, files written before it are on disk, so hashing can link
    // them into place at once instead of in a second pass. The sync, then the stat cache read
    // from SQLite, run beside the walk; observe() waits for both before the first file is
    // hashed (and so linked).
    const long long synced_at_ns = links(outcome.link_mode) ? wall_clock_ns() : 0;
    const auto load_cache = [&]() -> Expected<StatCache> {
        if (synced_at_ns != 0)
            ENVPIN_TRY(traced("sync before linking (parallel)", [&] { return objects.sync(); }));
        if (new_environment)
            return StatCache();
        return store.metadata().load_stat_cache(environment.id);
    };
    StatCache cache;
    auto observation = ENVPIN_TRY_CTX(fmt::format("recording {}", environment.path.string()), traced("walk, hash, stage", [&] {
        ObserveOptions observing{options.threads, options.progress, &objects, outcome.link_mode, synced_at_ns};
        observing.on_changed_paths = options.on_changed_paths;
        return observe(root_fd.get(), environment.path, load_cache, cache, observing);
    }));
    outcome.hashed_files = observation.hashed_files;
    outcome.hashed_bytes = observation.hashed_bytes;
    if (observation.link_mode != outcome.link_mode && observation.hashed_files > 0)
        outcome.link_mode = observation.link_mode;  // few bytes: copied at once
    outcome.distributions = observation.manifest.distributions.size();
    outcome.previous = new_environment ? std::nullopt : ENVPIN_TRY(store.current_snapshot(environment));
    // Which cached files' objects the store lacks is asked on all cores while the state digest
    // is computed. Staging those (rare: an object removed behind the store's back) re-reads the
    // files, and the digest is computed again.
    auto finding = std::async(std::launch::async, [&] {
        return traced("find missing (parallel)", [&] { return find_missing(observation, objects, options.threads); });
    });
    // A changed environment: the changes since the previous snapshot are listed while this one
    // is recorded (from its own git handle).
    std::future<Expected<Changes>> comparing;
    const auto compare_beside = [&] {
        if (outcome.previous && options.list_changes && !comparing.valid())
            comparing = std::async(std::launch::async, [&]() -> Expected<Changes> {
                return traced("compare (parallel)", [&]() -> Expected<Changes> {
                    return compare(ENVPIN_TRY(store.manifest_apart(*outcome.previous)), observation.manifest);
                });
            });
    };
    // Publishing makes the new objects durable (record() and the unchanged case below then take
    // the ctimes their links gave the environment's files, for the stat cache). A failed
    // comparison stops the snapshot here too, before the database records it.
    const auto settle_objects = [&]() -> Expected<void> {
        if (auto published = traced("publish objects", [&] { return objects.publish(root_fd.get(), observation.staged, options.threads); });
            !published) {
            objects.discard(observation.staged);
            return std::unexpected(std::move(published.error()));
        }
        outcome.new_objects = std::ranges::count(observation.staged, true, &StagedObject::published);
        if (comparing.valid())
            outcome.changes = ENVPIN_TRY(comparing.get());
        return {};
    };
    const bool detach = outcome.link_mode == LinkMode::link_then_copy;
    const auto finish_created = [&](const SnapshotInfo& snapshot, const std::vector<ObjectKey>& linked) {
        outcome.snapshot = snapshot;
        outcome.created = true;
        if (detach && !linked.empty())
            outcome.detach_started = store.start_background();
        outcome.manifest = std::move(observation.manifest);
    };
    std::optional<Digest> state;
    std::vector<size_t> missing;
    if (outcome.previous && likely_changed(observation, *outcome.previous)) {
        // Files were read again or are gone: the state most likely changed, so the commit is
        // written beside the digest and the search for missing objects rather than after
        // them. When the state is the same after all, or objects were missing, what it wrote
        // is left unnamed (git objects no ref reaches) and the steps below run as usual.
        auto digesting = std::async(std::launch::async, [&observation] {
            return traced("state digest (parallel)", [&] { return state_digest(observation.manifest); });
        });
        compare_beside();
        const auto linked = linked_objects(observation);
        const auto recorded = ENVPIN_TRY(record(
            store, environment, false, detach, options, observation, cache, [&] { return *state; }, outcome.previous,
            settle_objects, [&]() -> Expected<bool> {
                state = digesting.get();
                missing = ENVPIN_TRY(finding.get());
                return missing.empty() && *state != outcome.previous->state;
            }));
        if (recorded) {
            finish_created(*recorded, linked);
            return outcome;
        }
    } else {
        if (outcome.previous)
            state = traced("state digest", [&] { return state_digest(observation.manifest); });
        missing = ENVPIN_TRY(finding.get());
    }
    if (!missing.empty()) {
        if (comparing.valid())
            (void)comparing.get();  // it read entries that staging rewrites; started again below
        ENVPIN_TRY(traced("stage missing", [&] {
            return stage_missing(root_fd.get(), observation, objects, outcome.link_mode, options.threads, missing);
        }));
        if (state)
            state = state_digest(observation.manifest);
    }
    const bool unchanged = state && outcome.previous->state == *state;
    std::future<Digest> state_later;
    if (!state)
        state_later = std::async(std::launch::async, [&observation] {
            return traced("state digest (parallel)", [&] { return state_digest(observation.manifest); });
        });
    const auto state_of = [&] { return state ? *state : state_later.get(); };
    if (unchanged) {
        if (comparing.valid())
            (void)comparing.get();  // started on a guess that the state changed
        ENVPIN_TRY(settle_objects());
        outcome.changes = {};
        if (const auto linked = linked_objects(observation); detach && !linked.empty()) {
            // Objects missing from the store were linked again: they too get their own inode.
            auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
            ENVPIN_TRY(queue_detach(store.metadata(), environment.id, outcome.previous->id, linked,
                                    outcome.previous->files, observation.started_ns));
            ENVPIN_TRY(transaction.commit());
            outcome.detach_started = store.start_background();
        }
        refresh_linked_stamps(observation);
        ENVPIN_TRY(remember_hashes(store.metadata(), environment.id, cache, observation));
        outcome.snapshot = *outcome.previous;
        outcome.manifest = std::move(observation.manifest);
        return outcome;
    }
    compare_beside();
    const auto linked = linked_objects(observation);
    const auto recorded =
        ENVPIN_TRY(record(store, environment, new_environment, detach, options, observation, cache, state_of,
                          outcome.previous, settle_objects));
    finish_created(*recorded, linked);
    return outcome;
}

bool is_python_environment(const fs::path& path)
{
    std::error_code ec;
    if (fs::is_regular_file(path / "pyvenv.cfg", ec))
        return true;
    for (const char* lib : {"lib", "lib64"}) {
        for (const auto& entry : fs::directory_iterator(path / lib, ec)) {
            if (entry.path().filename().string().starts_with("python3.") && fs::is_directory(entry.path() / "site-packages", ec))
                return true;
        }
    }
    return false;
}

}  // namespace

Expected<SnapshotOutcome> take_snapshot(Store& store, const Environment& environment, const SnapshotOptions& options)
{
    return snapshot_environment(store, environment, false, options);
}

Expected<fs::path> check_adoptable(const fs::path& path, std::string_view name)
{
    ENVPIN_TRY(check_environment_name(name));
    struct ::stat info{};
    if (::stat(path.c_str(), &info) != 0)
        return fail(ErrorCode::bad_input, "{}: {}", path.string(), sys::errno_text(errno));
    if (!S_ISDIR(info.st_mode))
        return fail(ErrorCode::bad_input, "{} is not a directory", path.string());
    if (!is_python_environment(path))
        return fail(ErrorCode::bad_input,
                    "{} is not a Python environment (no pyvenv.cfg and no lib/python3.*/site-packages)", path.string());
    std::error_code ec;
    auto canonical = fs::canonical(path, ec);
    if (ec)
        return fail(ErrorCode::io, "cannot resolve {}: {}", path.string(), ec.message());
    return canonical;
}

Expected<void> check_apart(const fs::path& environment, const fs::path& store_root)
{
    const auto store_path = fs::weakly_canonical(store_root);
    const auto environment_path = fs::weakly_canonical(environment);
    auto inside = [](const fs::path& outer, const fs::path& inner) {
        const auto [end, _] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
        return end == outer.end();
    };
    if (inside(environment_path, store_path) || inside(store_path, environment_path))
        return fail(ErrorCode::bad_input, "{} and the store {} must not contain each other", environment_path.string(),
                    store_path.string());
    return {};
}

Expected<SnapshotOutcome> adopt(Store& store, const AdoptOptions& options)
{
    const auto path = ENVPIN_TRY(check_adoptable(options.path, options.name));
    ENVPIN_TRY(check_apart(path, store.root()));
    if (const auto taken = ENVPIN_TRY(store.metadata().find_environment(options.name)))
        return name_in_use(*taken);
    if (const auto taken = ENVPIN_TRY(store.metadata().find_environment_by_path(path)))
        return fail(ErrorCode::already_exists, "{} is already managed as '{}'", path.string(), taken->name);
    Environment environment{0, options.name, path, options.link_mode, utc_now(), std::nullopt};
    return snapshot_environment(store, environment, true, options.snapshot);
}

namespace {

Expected<Observation> observe_live(Store& store, const Environment& environment, unsigned threads,
                                   const ProgressCallback& progress)
{
    const auto root_fd = ENVPIN_TRY(open_root(environment.path));
    const auto load_cache = [&]() -> Expected<StatCache> {
        return store.metadata().load_stat_cache(environment.id);
    };
    StatCache cache;
    return ENVPIN_TRY_CTX(fmt::format("reading {}", environment.path.string()), traced("status: walk and hash", [&] {
        return observe(root_fd.get(), environment.path, load_cache, cache, {threads, progress, nullptr, LinkMode::copy});
    }));
}

}  // namespace

Expected<Manifest> live_manifest(Store& store, const Environment& environment, unsigned threads,
                                 const ProgressCallback& progress)
{
    return std::move(ENVPIN_TRY(observe_live(store, environment, threads, progress)).manifest);
}

Expected<Drift> status(Store& store, const Environment& environment, unsigned threads, const ProgressCallback& progress)
{
    const auto current = ENVPIN_TRY(store.current_snapshot(environment));
    if (!current)
        return fail(ErrorCode::not_found, "environment '{}' has no snapshot yet", environment.name);
    const auto observation = ENVPIN_TRY(observe_live(store, environment, threads, progress));
    Drift drift{*current, {}, observation.hashed_files};
    if (current->state != state_digest(observation.manifest))
        drift.changes = compare(ENVPIN_TRY(store.manifest(*current)), observation.manifest);
    return drift;
}

}  // namespace envpin::store
