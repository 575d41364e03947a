#include "store/lifecycle/prune.hpp"

#include "store/lifecycle/verdicts.hpp"

namespace envpin::store {

PrunePlan plan_prune(const std::vector<SnapshotInfo>& snapshots, std::optional<long long> current,
                     const std::vector<bool>& verified, size_t keep)
{
    PrunePlan plan;
    const size_t newest_from = snapshots.size() > keep ? snapshots.size() - keep : 0;
    for (size_t i = 0; i < snapshots.size(); ++i) {
        const bool wanted = i >= newest_from || snapshots[i].id == current || (i < verified.size() && verified[i]);
        (wanted ? plan.kept : plan.dropped).push_back(snapshots[i]);
    }
    return plan;
}

Expected<PruneOutcome> prune_environment(Store& store, const std::string& name, size_t keep, bool dry_run)
{
    PruneOutcome outcome;
    outcome.dry_run = dry_run;
    outcome.environment = ENVPIN_TRY(store.environment(name));
    const auto verdicts = ENVPIN_TRY(load_verdicts(store.metadata(), outcome.environment, std::nullopt));
    const auto& snapshots = verdicts.snapshots();
    std::vector<bool> verified;
    for (const auto& snapshot : snapshots)
        verified.push_back(verdicts.verified(snapshot));
    outcome.plan = plan_prune(snapshots, outcome.environment.current_snapshot, verified, keep);
    if (!dry_run && !outcome.plan.dropped.empty()) {
        if (!store.writable())
            return fail(ErrorCode::internal, "prune needs a writable store");
        ENVPIN_TRY(store.metadata().prune_snapshots(outcome.environment, outcome.plan.dropped));
    }
    return outcome;
}

}  // namespace envpin::store
