#pragma once
// The reset journal entry's payload: where the staging directory is and, once everything is
// staged, every step with the inode of what it staged (reset.cpp writes it, reset_recovery.cpp
// reads it after a crash and tells applied steps from pending ones by those inodes).
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/lifecycle/reset_plan.hpp"

namespace envpin::store {

// Journal states of a reset, in order.
inline constexpr std::string_view reset_building = "building";  // steps' entries being staged
inline constexpr std::string_view reset_built = "built";        // staged and synced; steps being applied
inline constexpr std::string_view reset_swapped = "swapped";    // the environment is the target; old entries to dispose of

struct ResetJournal {
    std::string environment;  // the environment's path
    std::string staging;      // a private directory beside it: step i's entry is staged as <staging>/<i>
    long long from = 0;       // snapshot ids
    long long target = 0;
    bool keep_old = false;    // keep the replaced and removed entries (as a tree under `kept`)
    std::string kept;
    std::vector<ResetOp> ops; // from "built" on
    bool operator==(const ResetJournal&) const = default;
};

[[nodiscard]] std::string print_reset_journal(const ResetJournal& journal);
// corrupt when the text is not a journal of this envpin's format.
[[nodiscard]] Expected<ResetJournal> parse_reset_journal(std::string_view text);

// The name of step i's entry in the staging directory, and (a replace on a filesystem without
// RENAME_EXCHANGE) where the old entry waits while the new one moves in.
[[nodiscard]] std::string staged_name(size_t step);
[[nodiscard]] std::string aside_name(size_t step);

class Store;

// The last step of a reset whose environment already is the target: keep the old entries under
// `kept` or remove them, close the journal entry. Off the reset's critical path (a background
// `envpin recover` runs it); idempotent (recovery runs it again after a crash).
[[nodiscard]] Expected<void> finish_reset_journal(Store& store, long long journal_id, const ResetJournal& journal,
                                                  unsigned threads);

}  // namespace envpin::store
