#pragma once
// The stat cache rows a reset leaves: a row for each file it built, with the stamp it has now,
// none for the files its steps took out. A whole tree's rows are packed and stored beside the
// tree's verify and sync (BuildOptions::while_syncing), on a database connection of their own.
#include <optional>

#include "store/core/stat_cache.hpp"
#include "store/lifecycle/reset_journal.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "store/store.hpp"

namespace envpin::store {

// The stat cache of a whole tree built, packed and, where it could be, stored beside the sync.
struct WholeTreeCache {
    std::optional<PackedStatCache> packed;
    bool stored = false;
};

// Packs the whole tree's rows into `cache` and stores them on a connection of its own,
// unsynced like every stat cache write (`stored` says whether that worked). Before the switch
// is safe: a row names the inode it was computed for (with its ctime), so rows for a staged
// tree that never goes in match no file.
void store_whole_tree_beside(const Store& store, long long environment_id, const TreeBuild& built,
                             WholeTreeCache& cache);

// The stat cache as the reset leaves it: the whole tree's rows (unless stored beside already),
// else an overlay of the rows it changed (a file that is a step's own entry got a new ctime
// from its rename). Written unsynced: losing it costs the next status some hashing.
[[nodiscard]] Expected<void> remember_restored(Store& store, const Environment& environment,
                                               const ResetJournal& journal, const Manifest& live,
                                               const TreeBuild& built, const WholeTreeCache& whole_cache);

}  // namespace envpin::store
