#pragma once
// `envpin prune NAME --keep N`: drop old snapshots nobody can want back. Kept always: the N
// newest, the current one, and every snapshot whose bytes passed verify on any host (so the
// newest verified one, which reset goes back to, is never dropped). The rest go: their rows (and
// their failed runs) in one transaction, their commits recorded as pruned so that gc no longer
// keeps their objects alive (manifests.git keeps the small manifests; its branch is unchanged,
// so the store and its history still agree). `envpin gc` then frees the objects.
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct PrunePlan {
    std::vector<SnapshotInfo> dropped;  // oldest first
    std::vector<SnapshotInfo> kept;
};

// Which snapshots go (pure): `snapshots` by seq, `current` the environment's, `verified` whether
// a snapshot's bytes passed on some host.
[[nodiscard]] PrunePlan plan_prune(const std::vector<SnapshotInfo>& snapshots, std::optional<long long> current,
                                   const std::vector<bool>& verified, size_t keep);

struct PruneOutcome {
    Environment environment;
    PrunePlan plan;
    bool dry_run = false;
};

// Needs a writable store unless `dry_run`. not_found for an unknown environment.
[[nodiscard]] Expected<PruneOutcome> prune_environment(Store& store, const std::string& name, size_t keep,
                                                       bool dry_run);

}  // namespace envpin::store
