// `envpin forget` through the built binary: the environment's directory is never touched; its
// snapshots stay readable and restorable until --purge, after which manifests.git (read with
// stock git) has no branch for it and gc frees its objects; bad input changes nothing.
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

class ForgetTest : public StoreTest {
protected:
    void SetUp() override
    {
        make_venv(venv);
        write_text(venv / "only-here.txt", "bytes no other environment has\n");
        ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
        write_text(venv / "second.txt", "a second state\n");
        ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
        before = picture(venv);
    }

    [[nodiscard]] std::string branches() const
    {
        const auto run = sys::run_process({{"git", "--git-dir", (store() / "manifests.git").string(), "branch",
                                            "--format=%(refname:short)"}});
        return run ? run->out : "";
    }

    fs::path venv = dir / "venv";
    TreePicture before;
};

TEST_F(ForgetTest, TheDirectoryStaysAndTheSnapshotsStayReadableAndRestorable)
{
    const auto forgot = envpin({"forget", "train", "--json"});
    ASSERT_EQ(forgot.exit_code, 0) << forgot.err;
    EXPECT_EQ(forgot.json()["purged"], false);
    EXPECT_EQ(forgot.json()["snapshots"], 2);
    EXPECT_EQ(picture(venv), before);

    EXPECT_TRUE(envpin({"list", "--json"}).json()["environments"].empty());
    const auto all = envpin({"list", "--all", "--json"}).json()["environments"];
    ASSERT_EQ(all.size(), 1u);
    EXPECT_FALSE(all[0]["forgotten"].is_null());
    EXPECT_EQ(all[0]["path"], venv.string());

    const auto status = envpin({"status", "train"});
    EXPECT_EQ(status.exit_code, 2);
    EXPECT_TRUE(has(status.err, "environment 'train' was forgotten")) << status.err;
    EXPECT_TRUE(has(status.err, "envpin forget train --purge")) << status.err;
    EXPECT_EQ(envpin({"log", "train", "--json"}).json()["snapshots"].size(), 2u);
    const auto cloned = envpin({"clone", "train@1", (dir / "back").string(), "--name", "back"});
    ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
    EXPECT_TRUE(fs::exists(dir / "back/only-here.txt"));
    EXPECT_FALSE(fs::exists(dir / "back/second.txt"));

    // The directory can be managed again, under another name; the old name is the snapshots'.
    const auto taken = envpin({"adopt", venv.string(), "--name", "train"});
    EXPECT_EQ(taken.exit_code, 2);
    EXPECT_TRUE(has(taken.err, "still held by the snapshots of the environment forgotten under it")) << taken.err;
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train2"}).exit_code, 0);
    EXPECT_EQ(envpin({"status", "train2", "--exit-code"}).exit_code, 0);

    const auto again = envpin({"forget", "train"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_TRUE(has(again.out, "was forgotten already")) << again.out;
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

TEST_F(ForgetTest, PurgeDropsTheBranchAndTheRowsAndGcFreesTheObjects)
{
    EXPECT_TRUE(has(branches(), "train")) << branches();
    const auto purged = envpin({"forget", "train", "--purge", "--json"});
    ASSERT_EQ(purged.exit_code, 0) << purged.err;
    EXPECT_EQ(purged.json()["purged"], true);
    EXPECT_EQ(purged.json()["snapshots"], 2);
    EXPECT_EQ(picture(venv), before);
    EXPECT_FALSE(has(branches(), "train")) << branches();
    EXPECT_EQ(envpin({"log", "train"}).exit_code, 2);
    const auto gc = envpin({"gc", "--json"});
    ASSERT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_GT(gc.json()["removed_objects"].get<int>(), 0) << gc.out;
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    // The name and the directory are free again.
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    EXPECT_EQ(envpin({"log", "train", "--json"}).json()["snapshots"].size(), 1u);
}

// A purge stopped after the branch went and before the rows did: the next writer puts the branch
// back from the rows, and forget --purge finishes.
TEST_F(ForgetTest, APurgeStoppedBetweenTheBranchAndTheRowsIsFinishedByTheNextOne)
{
    const auto removed = sys::run_process(
        {{"git", "--git-dir", (store() / "manifests.git").string(), "update-ref", "-d", "refs/heads/train"}});
    ASSERT_TRUE(removed && removed->success());
    EXPECT_EQ(envpin({"gc"}).exit_code, 0);  // a writer: the branch comes back
    EXPECT_TRUE(has(branches(), "train")) << branches();
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    ASSERT_EQ(envpin({"forget", "train", "--purge"}).exit_code, 0);
    EXPECT_FALSE(has(branches(), "train"));
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

TEST_F(ForgetTest, AnUnknownNameChangesNothing)
{
    const auto fingerprint = store_fingerprint(store());
    const auto unknown = envpin({"forget", "nope"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_TRUE(has(unknown.err, "no environment named 'nope'")) << unknown.err;
    const auto bad = envpin({"forget", "../x", "--purge"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(store_fingerprint(store()), fingerprint);
    const auto nowhere = run_envpin({"--store", (dir / "no-store").string(), "forget", "train"});
    EXPECT_EQ(nowhere.exit_code, 2);
    EXPECT_FALSE(fs::exists(dir / "no-store"));
}

// prune: old unverified snapshots go (their objects with gc); the newest, the current one and
// every snapshot that passed verify stay; manifests.git keeps its branch, so fsck agrees.
TEST_F(ForgetTest, PruneDropsOldUnverifiedSnapshotsAndGcFreesTheirObjects)
{
    for (int i = 3; i <= 6; ++i) {
        write_text(venv / "changing.txt", "state " + std::to_string(i) + "\n");
        ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    }
    // train@1..@6; a reset back to train@2 makes it current (nothing unsaved: no new snapshot).
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    const auto before_log = envpin({"log", "train", "--json"}).json()["snapshots"];
    ASSERT_EQ(before_log.size(), 6u);
    const auto dry = envpin({"prune", "train", "--keep", "2", "--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(dry.json()["pruned"], nlohmann::json::parse(R"(["train@1", "train@3", "train@4"])"));
    EXPECT_EQ(dry.json()["kept"], nlohmann::json::parse(R"(["train@2", "train@5", "train@6"])"));
    EXPECT_EQ(envpin({"log", "train", "--json"}).json()["snapshots"].size(), 6u);  // a dry run changes nothing

    const auto pruned = envpin({"prune", "train", "--keep", "2"});
    ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
    EXPECT_TRUE(has(pruned.out, "pruned 3 snapshot(s) of train")) << pruned.out;
    const auto after = envpin({"log", "train", "--json"}).json()["snapshots"];
    ASSERT_EQ(after.size(), 3u) << after.dump(2);
    EXPECT_EQ(envpin({"log", "train@3"}).exit_code, 2);
    EXPECT_TRUE(has(branches(), "train"));
    const auto gc = envpin({"gc", "--json"});
    ASSERT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_GT(gc.json()["removed_objects"].get<int>(), 0) << gc.out;  // "state 3" and "state 4" were only theirs
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    // What is kept still restores.
    ASSERT_EQ(envpin({"reset", "train", "train@6", "--force"}).exit_code, 0);
    EXPECT_EQ(read_text(venv / "changing.txt"), "state 6\n");
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);

    const auto zero = envpin({"prune", "train", "--keep", "0"});
    EXPECT_EQ(zero.exit_code, 2);
}

}  // namespace
}  // namespace envpin::test
