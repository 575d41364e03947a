#pragma once
// Applying a reset's steps (store/lifecycle/reset_plan.hpp) to the live tree, and taking them
// back. Each step is one rename or chmod, so every entry is exactly old or new at every moment;
// the journal's staged inodes tell an applied step from a pending one after a crash. Paths in
// the environment are reached beneath its root without following symlinks.
#include "base/error.hpp"
#include "store/lifecycle/reset_journal.hpp"

namespace envpin::store {

// Applies the journal's steps in order; on failure, returns the error with the steps applied so
// far left in place (the caller undoes them: undo_steps).
[[nodiscard]] Expected<void> apply_steps(const ResetJournal& journal);

// Takes back every applied step, newest first: the live tree is the old one again, the staged
// entries back in the staging directory.
[[nodiscard]] Expected<void> undo_steps(const ResetJournal& journal);

// fsync of every directory the steps changed, and of the staging directory.
[[nodiscard]] Expected<void> sync_steps(const ResetJournal& journal);

// After the switch: the replaced and removed entries moved under `kept` (keep_old), then the
// staging directory removed.
[[nodiscard]] Expected<void> dispose_old_entries(const ResetJournal& journal, unsigned threads);

}  // namespace envpin::store
