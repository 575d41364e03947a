#include "store/lifecycle/verdicts.hpp"

#include <algorithm>

namespace envpin::store {

Verdicts::Verdicts(std::vector<SnapshotInfo> snapshots, std::vector<VerifyRun> runs)
    : snapshots_(std::move(snapshots)), runs_(std::move(runs))
{
    std::ranges::sort(snapshots_, {}, &SnapshotInfo::seq);
    std::ranges::sort(runs_, {}, &VerifyRun::id);
    for (size_t i = 0; i < snapshots_.size(); ++i)
        by_id_[snapshots_[i].id] = i;
}

bool Verdicts::same_bytes(const VerifyRun& run, const SnapshotInfo& snapshot) const
{
    if (run.record.snapshot_id == snapshot.id)
        return true;
    const auto it = by_id_.find(run.record.snapshot_id);
    return it != by_id_.end() && snapshots_[it->second].state == snapshot.state;
}

std::vector<VerifyRun> Verdicts::history(const SnapshotInfo& snapshot) const
{
    std::vector<VerifyRun> runs;
    for (const auto& run : runs_)
        if (same_bytes(run, snapshot))
            runs.push_back(run);
    return runs;
}

std::optional<bool> Verdicts::verdict(const SnapshotInfo& snapshot) const
{
    const auto runs = history(snapshot);
    if (runs.empty())
        return std::nullopt;
    return std::ranges::any_of(runs, [](const VerifyRun& run) { return run.record.passed; });
}

bool Verdicts::verified(const SnapshotInfo& snapshot) const
{
    return verdict(snapshot).value_or(false);
}

std::vector<SnapshotInfo> Verdicts::verified_snapshots() const
{
    std::vector<SnapshotInfo> verified;
    for (const auto& snapshot : snapshots_)
        if (this->verified(snapshot))
            verified.push_back(snapshot);
    return verified;
}

std::optional<VerifyRun> Verdicts::last_pass(const SnapshotInfo& snapshot) const
{
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it)
        if (it->record.passed && same_bytes(*it, snapshot))
            return *it;
    return std::nullopt;
}

std::optional<VerifyRun> Verdicts::newest_pass() const
{
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it)
        if (it->record.passed)
            return *it;
    return std::nullopt;
}

std::optional<SnapshotInfo> Verdicts::snapshot_of(const VerifyRun& run) const
{
    const auto it = by_id_.find(run.record.snapshot_id);
    return it == by_id_.end() ? std::nullopt : std::optional(snapshots_[it->second]);
}

Expected<Verdicts> load_verdicts(Metadata& metadata, const Environment& environment,
                                 const std::optional<std::string>& fingerprint)
{
    auto snapshots = ENVPIN_TRY(metadata.snapshots(environment.id));
    auto runs = ENVPIN_TRY(metadata.verify_runs(environment.id, fingerprint));
    return Verdicts(std::move(snapshots), std::move(runs));
}

}  // namespace envpin::store
