#pragma once
// reset: put an environment back to an earlier snapshot, atomically.
//
// 1. Unsaved drift is snapshotted first (reason "pre-reset"): nothing the user had is lost, and
//    the reset itself can be undone by another reset.
// 2. The target tree is built beside the environment (same filesystem): unchanged files are
//    hardlinked from the current tree, the rest come from the object store; then synced.
// 3. renameat2(RENAME_EXCHANGE) swaps it in (where the filesystem refuses, two renames), the
//    parent directory is synced, and one SQLite transaction moves the current snapshot and
//    refreshes the stat cache.
// 4. The old tree is removed by a detached `envpin recover` (off the critical path), or kept
//    with --keep-old.
// A journal row in envpin.db records each step; a kill -9 at any moment leaves the environment
// exactly the old tree or exactly the new one, and the next writer (Store::open) finishes or
// rolls back the journal (reset_recovery.cpp).
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct ResetRequest {
    std::string target;                      // a ref; empty: the newest verified snapshot before the current one
    std::optional<std::string> fingerprint;  // this host's verify fingerprint; "verified" means on this host
    bool force = false;                      // allow a target never verified on this host
    bool keep_old = false;                   // keep the old tree beside the environment
    unsigned threads = 0;                    // 0: all cores
    ProgressCallback progress;
    // The executable that removes the old tree in the background (`<exe> --store S recover`);
    // empty: remove it before returning.
    std::filesystem::path cleanup_executable;
};

struct ResetDone {
    SnapshotInfo from;                  // where the environment was (after saving drift)
    SnapshotInfo to;                    // where it is now
    std::optional<SnapshotInfo> saved;  // the pre-reset snapshot of unsaved drift
    bool no_op = false;                 // already at the target's state
    std::optional<bool> target_verified;
    long long reused_files = 0;         // hardlinked from the current tree
    long long restored_files = 0;       // taken from the object store
    std::optional<std::filesystem::path> old_tree;  // --keep-old: where the old tree is
    bool swapped_by_exchange = true;    // false: the two-rename fallback was used
    long long switch_ms = 0;            // from the start until the environment was the target
};

// A "no": the target was never verified on this host (or no verified snapshot exists).
struct ResetRefused {
    std::optional<SnapshotInfo> target;
    std::string reason;
    std::vector<SnapshotInfo> verified;  // snapshots of the environment verified on this host
};

using ResetOutcome = std::variant<ResetDone, ResetRefused>;

// Requires a store opened for writing.
[[nodiscard]] Expected<ResetOutcome> reset_environment(Store& store, const Environment& environment,
                                                       const ResetRequest& request);

// `cache` with the rows a reader may trust while a finished reset's cleanup is still pending,
// by the rules the cleanup settles them with (finish_reset_journal): rows of files shared with
// the old tree match whatever their ctime (any_ctime; the cleanup's removal moves it), files that
// came from the object store get the target's digest where untouched since the exchange. Unchanged when no such reset is
// open or its manifest cannot be read (the files are then hashed). Uses its own git handle.
[[nodiscard]] Expected<StatCache> with_pending_reset_rows(Store& store, const Environment& environment, StatCache cache,
                                                          unsigned threads);

// Finishes or rolls back every open reset journal entry (called by Store::recover).
[[nodiscard]] Expected<void> recover_resets(Store& store);

}  // namespace envpin::store
