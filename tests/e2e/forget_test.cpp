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

}  // namespace
}  // namespace envpin::test
