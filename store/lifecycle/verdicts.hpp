#pragma once
// "Verified on this host", in one place. A snapshot is verified on a host when any run on that
// host's fingerprint (GPU models, driver, suite version) passed for its bytes: for the snapshot
// itself or for another snapshot of the environment with the same state digest. Every run is
// kept, and a later failure never erases a pass: the same bytes failing where they passed is
// a fact about the host at that moment (CUDA_VISIBLE_DEVICES, a memory limit), not about them.
// reset's target, verify's reset suggestion and regression baseline, log and status read it
// from here.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "store/core/metadata.hpp"

namespace envpin::store {

class Verdicts {
public:
    // `snapshots` of one environment and `runs` of them on one fingerprint (in any order: runs
    // are kept in recording order, by id). Pure.
    Verdicts(std::vector<SnapshotInfo> snapshots, std::vector<VerifyRun> runs);

    // The runs of the snapshot's bytes (its own, and those of snapshots with the same state),
    // oldest first.
    [[nodiscard]] std::vector<VerifyRun> history(const SnapshotInfo& snapshot) const;
    // true: a run of its bytes passed; false: its bytes ran and never passed; nullopt: never run.
    [[nodiscard]] std::optional<bool> verdict(const SnapshotInfo& snapshot) const;
    [[nodiscard]] bool verified(const SnapshotInfo& snapshot) const;
    // The verified snapshots, by seq.
    [[nodiscard]] std::vector<SnapshotInfo> verified_snapshots() const;
    // The newest passing run of the snapshot's bytes.
    [[nodiscard]] std::optional<VerifyRun> last_pass(const SnapshotInfo& snapshot) const;
    // The newest passing run of any snapshot (the baseline figures are compared against).
    [[nodiscard]] std::optional<VerifyRun> newest_pass() const;
    // The snapshot a run was recorded for; nullopt for a run of no snapshot given.
    [[nodiscard]] std::optional<SnapshotInfo> snapshot_of(const VerifyRun& run) const;
    // The environment's snapshots, by seq.
    [[nodiscard]] const std::vector<SnapshotInfo>& snapshots() const { return snapshots_; }

private:
    [[nodiscard]] bool same_bytes(const VerifyRun& run, const SnapshotInfo& snapshot) const;

    std::vector<SnapshotInfo> snapshots_;
    std::vector<VerifyRun> runs_;
    std::unordered_map<long long, size_t> by_id_;  // snapshot id -> index in snapshots_
};

// The verdicts of the environment's snapshots from the runs on `fingerprint` (this host's;
// nullopt: runs on any host count).
[[nodiscard]] Expected<Verdicts> load_verdicts(Metadata& metadata, const Environment& environment,
                                               const std::optional<std::string>& fingerprint);

}  // namespace envpin::store
