#pragma once
// The environment lifecycle operations that write the store: adopt (take an environment under
// management, first snapshot) and snapshot (record the current state; nothing when unchanged),
// plus status (drift against the current snapshot), which only reads.
//
// A snapshot commits in this order, so that a crash at any point leaves the previous state or
// the new one: objects staged -> syncfs -> linked into objects/ -> syncfs -> manifest commit
// written to manifests.git (fsynced, no branch moved) -> one SQLite transaction (snapshot row,
// distributions, current snapshot, stat cache) -> branch moved. A writer that finds a branch
// behind the database moves it (Store::recover); staged leftovers are dropped. With hardlinks,
// the first syncfs runs before hashing instead, and files last written before it are linked
// while they are hashed: their bytes were on disk before any name pointed at them.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/compare.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct SnapshotOptions {
    std::string reason = "snapshot";    // adopt, snapshot, create, pre-reset, ...
    std::string message;
    std::optional<LinkMode> link_mode;  // nullopt: the environment's own
    unsigned threads = 0;               // 0: all cores
    ProgressCallback progress;
    bool list_changes = true;           // fill SnapshotOutcome::changes (reads the previous manifest)
    // The paths that changed since the stat cache was written, as soon as the walk knows them
    // (ObserveOptions::on_changed_paths).
    std::function<void(const std::vector<std::string>& paths)> on_changed_paths;
};

struct SnapshotOutcome {
    bool created = false;                  // false: nothing changed since the current snapshot
    SnapshotInfo snapshot;                 // the new snapshot, or the current one
    std::optional<SnapshotInfo> previous;  // the snapshot it was compared with
    Changes changes;                       // against `previous`
    LinkMode link_mode = LinkMode::copy;   // how new contents entered the store
    long long hashed_files = 0;
    long long hashed_bytes = 0;
    long long new_objects = 0;
    bool detach_started = false;           // link_then_copy: the background copy was started
    size_t distributions = 0;
    Manifest manifest;                     // the state observed (the snapshot's manifest)
};

// Records the environment's current state as its next snapshot; requires a writable store.
[[nodiscard]] Expected<SnapshotOutcome> take_snapshot(Store& store, const Environment& environment,
                                                      const SnapshotOptions& options);

// Checks that need no store: `name` is a valid environment name and `path` is a directory
// holding a Python environment (pyvenv.cfg, or lib/python3.*/site-packages). Returns the
// canonical path; bad_input naming the input otherwise.
[[nodiscard]] Expected<std::filesystem::path> check_adoptable(const std::filesystem::path& path, std::string_view name);

struct AdoptOptions {
    std::filesystem::path path;
    std::string name;
    LinkMode link_mode = LinkMode::automatic;  // kept as the environment's own
    SnapshotOptions snapshot{.reason = "adopt"};
};

// bad_input when the environment and the store would contain each other (adopt checks it
// before the store is made, so a refused adopt leaves nothing inside the environment).
[[nodiscard]] Expected<void> check_apart(const std::filesystem::path& environment, const std::filesystem::path& store_root);

// Puts the environment at `path` under management as `name` and takes its first snapshot.
// already_exists when the name or the path is taken; nothing is recorded on failure.
[[nodiscard]] Expected<SnapshotOutcome> adopt(Store& store, const AdoptOptions& options);

struct Drift {
    SnapshotInfo snapshot;  // compared against (the current snapshot)
    Changes changes;
    long long hashed_files = 0;
    [[nodiscard]] bool clean() const { return changes.empty(); }
};

// The environment as it is now, read through its stat cache (files whose stamp changed are
// hashed). Reads only.
[[nodiscard]] Expected<Manifest> live_manifest(Store& store, const Environment& environment, unsigned threads = 0,
                                               const ProgressCallback& progress = {});

// The environment's drift against its current snapshot. Reads only: works on a store opened
// for reading while a writer runs.
[[nodiscard]] Expected<Drift> status(Store& store, const Environment& environment, unsigned threads = 0,
                                     const ProgressCallback& progress = {});

}  // namespace envpin::store
