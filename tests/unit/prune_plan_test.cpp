// Which snapshots `envpin prune` drops: never the N newest, the current one, or a verified one.
#include <gtest/gtest.h>

#include "store/lifecycle/prune.hpp"

namespace envpin::store {
namespace {

std::vector<SnapshotInfo> history(int count)
{
    std::vector<SnapshotInfo> snapshots;
    for (int seq = 1; seq <= count; ++seq) {
        SnapshotInfo snapshot;
        snapshot.id = 100 + seq;
        snapshot.seq = seq;
        snapshot.environment = "train";
        snapshots.push_back(snapshot);
    }
    return snapshots;
}

std::vector<long long> seqs(const std::vector<SnapshotInfo>& snapshots)
{
    std::vector<long long> out;
    for (const auto& snapshot : snapshots)
        out.push_back(snapshot.seq);
    return out;
}

TEST(PrunePlan, KeepsTheNewestTheCurrentAndTheVerified)
{
    const auto snapshots = history(8);
    std::vector<bool> verified(8, false);
    verified[1] = true;  // train@2 passed somewhere
    const auto plan = plan_prune(snapshots, 103, verified, 3);  // current: train@3 (a reset went back)
    EXPECT_EQ(seqs(plan.dropped), (std::vector<long long>{1, 4, 5}));
    EXPECT_EQ(seqs(plan.kept), (std::vector<long long>{2, 3, 6, 7, 8}));
}

TEST(PrunePlan, NothingGoesWhenEverySnapshotIsWanted)
{
    const auto snapshots = history(3);
    EXPECT_TRUE(plan_prune(snapshots, 103, std::vector<bool>(3, false), 5).dropped.empty());
    // current train@1, train@2 verified, train@3 the newest: all three stay with --keep 1.
    EXPECT_TRUE(plan_prune(snapshots, 101, std::vector<bool>{false, true, false}, 1).dropped.empty());
    EXPECT_TRUE(plan_prune({}, std::nullopt, {}, 1).dropped.empty());
}

}  // namespace
}  // namespace envpin::store
