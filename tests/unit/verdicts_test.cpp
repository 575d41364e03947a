// "Verified on this host" (store/lifecycle/verdicts.hpp): the rule on values, then through a
// real envpin.db (runs per fingerprint, contexts), and a version-2 database migrated to the
// schema that records each run's context.
#include <gtest/gtest.h>

#include "store/core/digest.hpp"
#include "store/core/metadata.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

SnapshotInfo snapshot(long long seq, std::string_view state)
{
    SnapshotInfo info;
    info.id = 100 + seq;
    info.environment_id = 1;
    info.environment = "train";
    info.seq = seq;
    info.state = sha256_of(state);
    return info;
}

VerifyRun run(long long id, const SnapshotInfo& of, bool passed)
{
    VerifyRun result;
    result.id = id;
    result.record.snapshot_id = of.id;
    result.record.fingerprint = "this-host";
    result.record.passed = passed;
    result.record.started = "2026-11-27T15:" + std::to_string(10 + id) + ":00Z";
    return result;
}

std::vector<long long> ids(const std::vector<VerifyRun>& runs)
{
    std::vector<long long> list;
    for (const auto& r : runs)
        list.push_back(r.id);
    return list;
}

std::vector<long long> seqs(const std::vector<SnapshotInfo>& snapshots)
{
    std::vector<long long> list;
    for (const auto& s : snapshots)
        list.push_back(s.seq);
    return list;
}

const auto first = snapshot(1, "a");
const auto second = snapshot(2, "b");
const auto same_as_first = snapshot(3, "a");  // a pre-reset snapshot of the first one's bytes

TEST(Verdicts, APassThenAFailStaysVerified)
{
    const Verdicts verdicts({first, second}, {run(1, first, true), run(2, first, false)});
    EXPECT_TRUE(verdicts.verified(first));
    EXPECT_EQ(verdicts.verdict(first), true);
    EXPECT_EQ(ids(verdicts.history(first)), (std::vector<long long>{1, 2}));
    ASSERT_TRUE(verdicts.last_pass(first));
    EXPECT_EQ(verdicts.last_pass(first)->id, 1);
    EXPECT_EQ(seqs(verdicts.verified_snapshots()), (std::vector<long long>{1}));
}

TEST(Verdicts, RunsAreKeptInRecordingOrder)
{
    const Verdicts verdicts({second, first}, {run(3, first, true), run(1, first, false), run(2, first, true)});
    EXPECT_EQ(ids(verdicts.history(first)), (std::vector<long long>{1, 2, 3}));
    EXPECT_EQ(verdicts.last_pass(first)->id, 3);
    EXPECT_EQ(seqs(verdicts.snapshots()), (std::vector<long long>{1, 2}));
}

TEST(Verdicts, OnlyFailuresAreAFailAndNoRunsAreNoVerdict)
{
    const Verdicts verdicts({first, second}, {run(1, first, false), run(2, first, false)});
    EXPECT_EQ(verdicts.verdict(first), false);
    EXPECT_FALSE(verdicts.verified(first));
    EXPECT_FALSE(verdicts.last_pass(first));
    EXPECT_EQ(verdicts.verdict(second), std::nullopt);
    EXPECT_TRUE(verdicts.history(second).empty());
    EXPECT_TRUE(verdicts.verified_snapshots().empty());
    EXPECT_FALSE(verdicts.newest_pass());
}

TEST(Verdicts, ASnapshotWithTheSameStateIsCredited)
{
    const Verdicts verdicts({first, second, same_as_first},
                            {run(1, first, true), run(2, second, true), run(3, same_as_first, false)});
    EXPECT_TRUE(verdicts.verified(same_as_first));
    EXPECT_EQ(ids(verdicts.history(same_as_first)), (std::vector<long long>{1, 3}));
    EXPECT_EQ(ids(verdicts.history(first)), (std::vector<long long>{1, 3}));
    const auto pass = verdicts.last_pass(same_as_first);
    ASSERT_TRUE(pass);
    EXPECT_EQ(verdicts.snapshot_of(*pass)->label(), "train@1");
    EXPECT_EQ(seqs(verdicts.verified_snapshots()), (std::vector<long long>{1, 2, 3}));
    EXPECT_EQ(verdicts.newest_pass()->id, 2);
}

// --- Through envpin.db ---

class VerdictsDatabase : public ::testing::Test {
protected:
    void SetUp() override
    {
        environment = metadata.insert_environment({0, "train", "/x/train", LinkMode::copy, utc_now(), std::nullopt}).value();
        one = metadata.insert_snapshot({environment, std::string(40, '1'), std::nullopt, utc_now(), "adopt", "", sha256_of("a"), 1, 1}).value();
        two = metadata.insert_snapshot({environment, std::string(40, '2'), one.id, utc_now(), "snapshot", "", sha256_of("b"), 1, 1}).value();
    }
    long long record(const SnapshotInfo& of, std::string fingerprint, bool passed, std::string context = "{}")
    {
        VerifyRunRecord record{of.id, std::move(fingerprint), passed, utc_now(), 10, "1", "{}", std::move(context), {}};
        return metadata.record_verify_run(record).value();
    }
    Verdicts verdicts(const std::optional<std::string>& fingerprint)
    {
        const Environment env{environment, "train", "/x/train", LinkMode::copy, "", std::nullopt};
        auto loaded = load_verdicts(metadata, env, fingerprint);
        EXPECT_TRUE(loaded) << loaded.error().describe();
        return *loaded;
    }

    test::TempDir dir;
    Metadata metadata = Metadata::open(dir / "envpin.db", OpenMode::create).value();
    long long environment = 0;
    SnapshotInfo one, two;
};

TEST_F(VerdictsDatabase, AFailureOnThisHostAfterAPassKeepsTheSnapshotVerified)
{
    const auto pass = record(one, "this-host", true, R"({"variables": {}})");
    record(one, "this-host", false);
    const auto here = verdicts("this-host");
    EXPECT_TRUE(here.verified(one));
    EXPECT_EQ(here.history(one).size(), 2u);
    EXPECT_EQ(here.last_pass(one)->id, pass);
    EXPECT_EQ(here.last_pass(one)->record.context_json, R"({"variables": {}})");
    EXPECT_TRUE(here.last_pass(one)->record.checks.empty());  // runs are read without their checks
}

TEST_F(VerdictsDatabase, ARunOnAnotherFingerprintDoesNotCount)
{
    record(one, "other-host", true);
    record(one, "this-host", false);
    EXPECT_EQ(verdicts("this-host").verdict(one), false);
    EXPECT_EQ(verdicts("other-host").verdict(one), true);
    EXPECT_EQ(verdicts("third-host").verdict(one), std::nullopt);
    EXPECT_EQ(verdicts(std::nullopt).history(one).size(), 2u);  // any host
    EXPECT_EQ(verdicts("this-host").verdict(two), std::nullopt);
}

TEST_F(VerdictsDatabase, ARunIsReadBackWholeWithItsChecks)
{
    VerifyRunRecord record{one.id, "this-host", true, "2026-11-27T15:19:02Z", 1200, "1", R"({"gpus":[]})",
                           R"({"variables":{"CUDA_VISIBLE_DEVICES":""}})", {{"python", "pass", R"({"name":"python"})"}}};
    const auto id = metadata.record_verify_run(record).value();
    const auto back = metadata.verify_run(id).value();
    ASSERT_TRUE(back);
    EXPECT_EQ(back->record, record);
    EXPECT_FALSE(metadata.verify_run(id + 1).value());
}

TEST(VerdictsMigration, AVersionTwoDatabaseGainsRunContextsAndKeepsItsRuns)
{
    test::TempDir dir;
    {
        auto metadata = Metadata::open(dir / "envpin.db", OpenMode::create).value();
        const auto env = metadata.insert_environment({0, "train", "/x/train", LinkMode::copy, utc_now(), std::nullopt}).value();
        ASSERT_TRUE(metadata.insert_snapshot({env, std::string(40, '1'), std::nullopt, utc_now(), "adopt", "", sha256_of("a"), 1, 1}));
        // Back to schema 2's shape: verify_runs without the context column, a run recorded then.
        ASSERT_TRUE(metadata.database().exec(R"sql(
ALTER TABLE verify_runs DROP COLUMN context;
DROP TABLE detaches;
DROP TABLE damaged_objects;
DROP TABLE stat_cache_overlays;
DROP TABLE verified_objects;
DROP TABLE pruned_commits;
ALTER TABLE environments DROP COLUMN forgotten;
INSERT INTO verify_runs (snapshot_id, fingerprint, status, started) VALUES (1, 'this-host', 'pass', '2026-11-27T15:19:02Z');
PRAGMA user_version = 2;
)sql"));
    }
    auto migrated = Metadata::open(dir / "envpin.db", OpenMode::read_write);
    ASSERT_TRUE(migrated) << migrated.error().describe();
    EXPECT_EQ(migrated->database().user_version().value(), schema_version);
    const auto environment = migrated->find_environment("train").value().value();
    const auto runs = migrated->verify_runs(environment.id, std::string("this-host")).value();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_TRUE(runs[0].record.passed);
    EXPECT_EQ(runs[0].record.context_json, "{}");  // recorded before contexts were
    const auto snapshot = migrated->snapshots(environment.id).value().at(0);
    ASSERT_TRUE(migrated->record_verify_run({snapshot.id, "this-host", false, utc_now(), 5, "1", "{}",
                                             R"({"variables":{}})", {}}));
    const auto verdicts = load_verdicts(*migrated, environment, std::string("this-host")).value();
    EXPECT_TRUE(verdicts.verified(snapshot));
    EXPECT_EQ(verdicts.history(snapshot).back().record.context_json, R"({"variables":{}})");
}

}  // namespace
}  // namespace envpin::store
