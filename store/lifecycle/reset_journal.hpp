#pragma once
// The reset journal entry's payload: where each tree is at each step (reset.cpp writes it,
// reset_recovery.cpp reads it after a crash).
#include <optional>
#include <string>

#include "base/error.hpp"

namespace envpin::store {

// Journal states of a reset, in order.
inline constexpr std::string_view reset_building = "building";  // staging tree being built
inline constexpr std::string_view reset_built = "built";        // staging complete and synced
inline constexpr std::string_view reset_swapped = "swapped";    // environment is the target; old tree to remove

struct ResetJournal {
    std::string environment;  // the environment's path
    std::string staging;      // where the target tree is built
    std::string aside;        // the two-rename fallback moves the old tree here
    std::optional<unsigned long long> staging_inode;  // the staging root's inode, once built
    std::string old_tree;     // after the swap: where the old tree is
    long long from = 0;       // snapshot ids
    long long target = 0;
    bool keep_old = false;
    std::string kept;         // --keep-old: the name the old tree is kept under
    // The coarse wall clock (the one file times come from) just before the exchange. A restored
    // file whose ctime is older has not been touched since the reset made it, so its digest is
    // the target manifest's (see finish_reset_journal); 0: unknown, nothing is taken on trust.
    long long swapped_ns = 0;
    bool operator==(const ResetJournal&) const = default;
};

[[nodiscard]] std::string print_reset_journal(const ResetJournal& journal);

class Store;

// The last step of a reset whose environment already is the target: keep the old tree under
// `kept` or remove it, take the new ctimes of files whose link count changed into the stat
// cache, add rows for the files the reset brought from the object store (those untouched since
// `swapped_ns`), close the journal entry. Off the reset's critical path (a detached `envpin
// recover` runs it); idempotent (recovery runs it again after a crash).
[[nodiscard]] Expected<void> finish_reset_journal(Store& store, long long journal_id, const ResetJournal& journal,
                                                  unsigned threads);
[[nodiscard]] Expected<ResetJournal> parse_reset_journal(std::string_view text);

}  // namespace envpin::store
