// Bad input gets a clear error naming the input, the documented exit code, and changes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strings.hpp"
#include "store/core/manifest.hpp"
#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// A file last written ten seconds ago: not "racy", so adopt links it into the store while it
// hashes it (unless the tree is refused first).
void write_settled(const fs::path& path, std::string_view text)
{
    write_text(path, text);
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(10));
}

class BadInputTest : public StoreTest {
protected:
    void SetUp() override
    {
        make_venv(venv);
        ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    }

    // Runs envpin and checks: exit code, the message names `names`, the store is unchanged.
    void expect_refused(std::vector<std::string> arguments, int exit_code, std::string_view names)
    {
        const auto before = store_fingerprint(store());
        const auto env_before = picture(venv);
        const auto run = envpin(arguments);
        EXPECT_EQ(run.exit_code, exit_code) << arguments[0] << ": " << run.err;
        EXPECT_NE(run.err.find(names), std::string::npos) << run.err;
        EXPECT_EQ(store_fingerprint(store()), before) << arguments[0] << " changed the store";
        EXPECT_EQ(picture(venv), env_before);
    }

    fs::path venv = dir / "venv";
};

TEST_F(BadInputTest, AdoptRefusesWhatIsNotAPythonEnvironment)
{
    write_text(dir / "plain-file", "x");
    expect_refused({"adopt", (dir / "plain-file").string(), "--name", "f"}, 2, "plain-file is not a directory");
    fs::create_directories(dir / "just-a-dir/lib");
    expect_refused({"adopt", (dir / "just-a-dir").string(), "--name", "d"}, 2, "just-a-dir is not a Python environment");
    expect_refused({"adopt", (dir / "missing").string(), "--name", "m"}, 2, "missing");
}

TEST_F(BadInputTest, AdoptRefusesNamesAndPathsInUse)
{
    make_venv(dir / "other");
    expect_refused({"adopt", (dir / "other").string(), "--name", "train"}, 2, "'train' is already in use");
    expect_refused({"adopt", venv.string(), "--name", "again"}, 2, "is already managed as 'train'");
    expect_refused({"adopt", (dir / "other").string(), "--name", "../evil"}, 2, "environment name '../evil'");
}

TEST_F(BadInputTest, AdoptRefusesSetuidFilesAndSpecialFiles)
{
    make_venv(dir / "suid");
    // A tree refused by its check stages nothing, large files included.
    write_settled(site_packages(dir / "suid") / "big/lib.so", std::string(9 << 20, 'b'));
    write_text(dir / "suid/bin/helper", "#!/bin/sh\n");
    ASSERT_EQ(::chmod((dir / "suid/bin/helper").c_str(), 04755), 0);
    expect_refused({"adopt", (dir / "suid").string(), "--name", "suid"}, 2, "bin/helper");
    EXPECT_EQ(envpin({"log", "suid"}).exit_code, 2);  // nothing was recorded

    make_venv(dir / "fifo");
    write_settled(site_packages(dir / "fifo") / "big/lib.so", std::string(9 << 20, 'f'));
    ASSERT_EQ(::mkfifo((dir / "fifo/pipe").c_str(), 0644), 0);
    expect_refused({"adopt", (dir / "fifo").string(), "--name", "fifo"}, 2, "pipe is a FIFO");
}

// A refused command makes no store: not where --store points (only adopt and create make one),
// and never inside the environment.
TEST_F(BadInputTest, RefusedCommandsCreateNoStore)
{
    const auto nowhere = dir / "no-store-here";
    for (const std::vector<std::string>& arguments :
         {std::vector<std::string>{"reset", "train"}, {"snapshot", "train"}, {"gc"}, {"recover"}, {"fsck"},
          {"status", "train"}, {"log", "train"}, {"clone", "train", (dir / "c").string(), "--name", "c"},
          {"adopt", (dir / "missing").string(), "--name", "m"}}) {
        std::vector<std::string> full{"--store", nowhere.string()};
        full.insert(full.end(), arguments.begin(), arguments.end());
        const auto run = run_envpin(full);
        EXPECT_EQ(run.exit_code, 2) << arguments.front() << ": " << run.err;
        EXPECT_FALSE(fs::exists(nowhere)) << arguments.front() << " made a store";
    }
    const auto inside = venv / "store";
    const auto run = run_envpin({"--store", inside.string(), "adopt", venv.string(), "--name", "self"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("must not contain each other"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(inside)) << "a refused adopt left a store inside the environment";
}

TEST_F(BadInputTest, UnknownEnvironmentsAndReferences)
{
    expect_refused({"status", "nope"}, 2, "no environment named 'nope'");
    expect_refused({"log", "nope"}, 2, "no environment named 'nope'");
    expect_refused({"snapshot", "nope"}, 2, "no environment named 'nope'");
    expect_refused({"diff", "train@1", "train@9"}, 2, "unknown reference 'train@9'");
    expect_refused({"diff", "train@~5", "train"}, 2, "train@~5");
    expect_refused({"diff", "train@x", "train"}, 2, "train@x");
    expect_refused({"diff", "deadbeef", "train"}, 2, "unknown reference 'deadbeef'");
}

TEST_F(BadInputTest, AStoreOwnedByAnotherUserIsRefused)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to give the store to another user";
    ASSERT_EQ(::chown(store().c_str(), 65534, 65534), 0);
    expect_refused({"snapshot", "train"}, 2, "belongs to uid 65534");
    expect_refused({"log", "train"}, 2, "belongs to uid 65534");
    ASSERT_EQ(::chown(store().c_str(), 0, 0), 0);
}

TEST_F(BadInputTest, AStoreThatIsAFileIsRefused)
{
    write_text(dir / "not-a-store", "x");
    const auto run = run_envpin({"--store", (dir / "not-a-store").string(), "log", "train"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("not-a-store is not a directory"), std::string::npos) << run.err;
}

// A manifest planted in manifests.git (with stock git) and pointed at by the database: every
// reader refuses it as corrupt, fsck names the snapshot.
TEST_F(BadInputTest, AMaliciousManifestIsRefused)
{
    const auto git_dir = (store() / "manifests.git").string();
    const auto evil = dir / "evil";
    write_text(evil, "envpin-files 1\nd\t0755\t.\nf\t0644\t1\t0\t" + std::string(64, 'a') + "\t../../etc/cron.d/x\n");
    auto run = [](std::vector<std::string> argv, std::optional<std::string> input = std::nullopt) {
        sys::ProcessSpec spec{std::move(argv)};
        spec.stdin_data = std::move(input);
        const auto result = sys::run_process(spec).value();
        EXPECT_TRUE(result.success()) << result.err;
        return std::string(trim(result.out));
    };
    const auto blob = run({"git", "--git-dir", git_dir, "hash-object", "-w", evil.string()});
    const auto distributions = run({"git", "--git-dir", git_dir, "rev-parse", "train:distributions"});
    const auto tree = run({"git", "--git-dir", git_dir, "mktree"},
                          "100644 blob " + distributions + "\tdistributions\n100644 blob " + blob + "\tfiles\n");
    const auto commit = run({"git", "--git-dir", git_dir, "commit-tree", tree, "-p", "train", "-m", "train@2: evil"});
    run({"python3", "-c",
         "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
         "db.execute(\"INSERT INTO snapshots (environment_id, seq, commit_id, parent_id, created, reason, message, "
         "state_digest, files, bytes) SELECT environment_id, 2, ?, id, created, 'snapshot', '', state_digest, 1, 1 "
         "FROM snapshots WHERE seq = 1\", (sys.argv[2],)); db.commit()",
         (store() / "envpin.db").string(), commit});

    expect_refused({"diff", "train@1", "train@2"}, 3, "../../etc/cron.d/x");
    const auto fsck = envpin({"fsck", "--json"});
    EXPECT_EQ(fsck.exit_code, 1) << fsck.out;
    EXPECT_EQ(fsck.json()["problems"][0]["kind"], "bad-manifest");
    EXPECT_EQ(fsck.json()["problems"][0]["snapshots"], nlohmann::json::parse(R"(["train@2"])"));
    const auto gc = envpin({"gc"});
    EXPECT_EQ(gc.exit_code, 3);  // removes nothing while it cannot know what train@2 uses
    EXPECT_NE(gc.err.find("train@2"), std::string::npos) << gc.err;
}

}  // namespace
}  // namespace envpin::test
