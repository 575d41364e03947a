#pragma once
// reset: put an environment back to an earlier snapshot, at the cost of what differs.
//
// 1. Unsaved drift is snapshotted first (reason "pre-reset"): nothing the user had is lost, and
//    the reset itself can be undone by another reset. A missing environment (deleted) has
//    nothing to save; whatever else stands at its path (a file) is kept beside it.
// 2. The plan (reset_plan.hpp): the fewest whole entries to add, replace or remove, and the
//    directories whose mode alone differs. Unchanged entries are never touched.
// 3. Each added or replaced entry is staged in a private directory beside the environment from
//    the object store (linked, cloned or copied by the environment's link mode), synced.
// 4. The steps are applied, one rename each (RENAME_EXCHANGE for a replace, no-replace for the
//    others), the directories they changed synced; one SQLite transaction then moves the
//    current snapshot and queues the detach of the objects linked (detach.hpp).
// 5. The old entries are removed by a background `envpin recover` (off the critical path), or
//    kept with --keep-old.
// A journal row in envpin.db records each phase with the staged inodes; a kill -9 at any
// moment leaves every entry exactly old or new, and the next writer (Store::open) takes back
// the steps of a reset that had not recorded its switch, or finishes one that had
// (reset_recovery.cpp): the tree is then exactly the old snapshot or exactly the new one.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/compare.hpp"
#include "store/lifecycle/observe.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct ResetRequest {
    std::string target;                      // a ref; empty: the newest verified snapshot before the current one
    // This host's verify fingerprint ("verified" means on this host), asked for only when the
    // answer matters: the caller may be probing the host beside the reset. Unset: any host.
    std::function<std::optional<std::string>()> fingerprint;
    bool force = false;                      // allow a target never verified on this host
    bool keep_old = false;                   // keep the old tree beside the environment
    bool dry_run = false;                    // say what would change; change nothing (a read-only store will do)
    unsigned threads = 0;                    // 0: all cores
    ProgressCallback progress;
};

struct ResetDone {
    SnapshotInfo from;                  // where the environment was (after saving drift)
    SnapshotInfo to;                    // where it is now
    std::optional<SnapshotInfo> saved;  // the pre-reset snapshot of unsaved drift
    bool no_op = false;                 // already at the target's state
    std::optional<bool> target_verified;
    std::string root = "present";       // what stood at the path: present, missing, replaced
    long long steps = 0;                // entries added, replaced or removed, directory modes set
    long long reused_files = 0;         // files of the target left as they were
    long long restored_files = 0;       // taken from the object store
    long long linked_files = 0;         // of which linked to their object until the detach
    bool detach_pending = false;        // link_then_copy: the background copy follows
    bool spare_directories = false;     // a whole tree's directories came ready-made (spare.hpp)
    std::optional<std::filesystem::path> old_tree;  // --keep-old, or a replaced root: where the old entries are
    long long switch_ms = 0;            // from the start until the environment was the target
};

// A "no": the target was never verified on this host (or no verified snapshot exists).
struct ResetRefused {
    std::optional<SnapshotInfo> target;
    std::string reason;
    std::vector<SnapshotInfo> verified;  // snapshots of the environment verified on this host
};

// What a reset would do (--dry-run): the target, and the changes from the environment as it is
// now to the target, entry by entry (its unsaved drift would be snapshotted first).
struct ResetPreview {
    SnapshotInfo to;
    std::optional<bool> target_verified;
    std::string root = "present";  // present, missing, replaced
    bool drifted = false;          // unsaved changes: a pre-reset snapshot would come first
    Changes changes;               // added: put back; modified: replaced; removed: taken away
};

using ResetOutcome = std::variant<ResetDone, ResetRefused, ResetPreview>;

// Requires a store opened for writing, except for a dry run.
[[nodiscard]] Expected<ResetOutcome> reset_environment(Store& store, const Environment& environment,
                                                       const ResetRequest& request);

// A reset of the environment that has not recorded its switch yet: running now (a writer holds
// the store lock) or interrupted (the next writer takes its steps back). Readers ask it, so that
// a tree in the middle of a reset is reported as such, never as drift or as an error.
struct ResetUnderway {
    std::string target;  // "train@1"
    bool running = false;
};
[[nodiscard]] Expected<std::optional<ResetUnderway>> reset_underway(Store& store, const Environment& environment);

// Finishes or rolls back every open reset journal entry (called by Store::recover).
[[nodiscard]] Expected<void> recover_resets(Store& store);

}  // namespace envpin::store
