#pragma once
// The database (envpin.db) and the history (manifests.git) tell one story: every branch of
// manifests.git points at a snapshot the database knows, and a database that knows snapshots
// has its history. A store where they disagree (the database deleted, emptied or replaced by an
// older copy; manifests.git deleted) is refused by every command: going on would let gc delete
// the files of snapshots the database forgot, or start a history that forgets the old one.
// `envpin fsck --rebuild-database` (store/maintenance/rebuild.hpp) rebuilds the database.
#include <filesystem>

#include "base/error.hpp"
#include "store/core/history.hpp"
#include "store/core/metadata.hpp"

namespace envpin::store {

// Before the database is opened: corrupt when envpin.db is missing or empty while manifests.git
// holds branches (opening it would create an empty database).
[[nodiscard]] Expected<void> check_database_present(const std::filesystem::path& root);

// Before manifests.git is opened for writing: corrupt when it is missing while the database
// holds snapshots (opening it would create an empty repository).
[[nodiscard]] Expected<void> check_history_present(const std::filesystem::path& root, Metadata& metadata);

// Once both are open: corrupt naming each branch whose commit the database does not know.
[[nodiscard]] Expected<void> check_agreement(const std::filesystem::path& root, Metadata& metadata,
                                             const History& history);

}  // namespace envpin::store
