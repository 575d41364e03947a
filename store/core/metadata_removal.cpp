// Metadata queries that remove: an environment purged by `envpin forget --purge`, snapshots
// dropped by `envpin prune` (with the commits they leave in manifests.git).
#include "store/core/metadata.hpp"

namespace envpin::store {

Expected<size_t> Metadata::delete_environment(long long environment_id)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(database_));
    auto count = ENVPIN_TRY(database_.prepare("SELECT count(*) FROM snapshots WHERE environment_id = ?"));
    count.bind(1, environment_id);
    ENVPIN_TRY(count.step());
    const auto snapshots = static_cast<size_t>(count.integer(0));
    // Distributions, verify runs and their checks, detaches and stat caches go by cascade; a
    // snapshot of another environment made from one of these (a clone) keeps no parent row.
    for (const auto* sql : {
             "UPDATE environments SET current_snapshot = NULL WHERE id = ?1",
             "UPDATE snapshots SET parent_id = NULL WHERE environment_id != ?1 AND parent_id IN "
             "(SELECT id FROM snapshots WHERE environment_id = ?1)",
             "DELETE FROM journal WHERE environment_id = ?1",
             "DELETE FROM detaches WHERE environment_id = ?1",
             "DELETE FROM snapshots WHERE environment_id = ?1",
             "DELETE FROM environments WHERE id = ?1",
         }) {
        auto statement = ENVPIN_TRY(database_.prepare(sql));
        statement.bind(1, environment_id);
        ENVPIN_TRY(statement.run());
    }
    ENVPIN_TRY(transaction.commit());
    return snapshots;
}

Expected<void> Metadata::prune_snapshots(const Environment& environment, const std::vector<SnapshotInfo>& dropped)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(database_));
    const auto now = utc_now();
    // Oldest first: a kept snapshot whose parent goes takes that parent's parent, so a run of
    // dropped snapshots collapses onto the nearest kept ancestor.
    for (const auto& snapshot : dropped) {
        auto reparent = ENVPIN_TRY(database_.prepare(
            "UPDATE snapshots SET parent_id = (SELECT parent_id FROM snapshots WHERE id = ?1) WHERE parent_id = ?1"));
        reparent.bind(1, snapshot.id);
        ENVPIN_TRY(reparent.run());
        auto record = ENVPIN_TRY(database_.prepare(
            "INSERT OR REPLACE INTO pruned_commits (commit_id, environment, label, pruned) VALUES (?, ?, ?, ?)"));
        record.bind(1, snapshot.commit).bind(2, environment.name).bind(3, snapshot.label()).bind(4, now);
        ENVPIN_TRY(record.run());
        auto remove = ENVPIN_TRY(database_.prepare("DELETE FROM snapshots WHERE id = ? AND environment_id = ?"));
        remove.bind(1, snapshot.id).bind(2, environment.id);
        ENVPIN_TRY(remove.run());
    }
    return transaction.commit();
}

Expected<std::unordered_set<std::string>> Metadata::pruned_commits()
{
    auto statement = ENVPIN_TRY(database_.prepare("SELECT commit_id FROM pruned_commits"));
    std::unordered_set<std::string> commits;
    while (ENVPIN_TRY(statement.step()))
        commits.insert(statement.text(0));
    return commits;
}

}  // namespace envpin::store
