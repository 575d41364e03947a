#pragma once
// `envpin fsck --rebuild-database`: a database that was deleted, emptied or replaced by an older
// copy, rebuilt from manifests.git, which holds every snapshot as a commit whose message names
// its environment's path, its reason and its message, and whose tree is its manifest.
// What only the database held does not come back: verify runs (snapshots are unverified until
// verified again), the stat cache (the next status hashes), the link mode (auto) and which
// snapshot an environment is at (its newest).
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct RebuildReport {
    std::vector<std::string> environments;  // "train (3 snapshots)"
    long long snapshots = 0;
    std::filesystem::path set_aside;  // the old database; empty when there was none
};

// `store` must be opened with StoreOptions::rebuild_database.
[[nodiscard]] Expected<RebuildReport> rebuild_database(Store& store);

}  // namespace envpin::store
