// The database and manifests.git tell one story. A database that was deleted, emptied or
// replaced by an older copy, or a deleted manifests.git, stops every command (nothing is
// created, gc deletes nothing) until `fsck --rebuild-database` rebuilds the database from
// manifests.git, after which every snapshot resets again.
#include <gtest/gtest.h>

#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class AgreementTest : public StoreTest {
protected:
    void SetUp() override
    {
        make_venv(venv);
        write_text(site_packages(venv) / "first.py", "FIRST = 1\n");
        ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
        write_text(site_packages(venv) / "second.py", "SECOND = 2\n");
        ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
        ASSERT_EQ(envpin({"recover"}).exit_code, 0);
        objects_before = picture(store() / "objects");
    }

    void remove_database() const
    {
        for (const std::string suffix : {"", "-wal", "-shm"})
            fs::remove(store() / ("envpin.db" + suffix));
    }

    // Every command refuses, naming the cause and the way out, and nothing is written.
    void expect_refused(std::string_view cause) const
    {
        for (const std::vector<std::string>& arguments :
             {std::vector<std::string>{"gc"}, {"status", "train"}, {"log", "train"}, {"fsck"}, {"snapshot", "train"},
              {"reset", "train", "train@1", "--force"}}) {
            const auto run = envpin(arguments);
            EXPECT_EQ(run.exit_code, 3) << arguments.front() << ": " << run.out << run.err;
            EXPECT_NE(run.err.find(cause), std::string::npos) << arguments.front() << ": " << run.err;
            EXPECT_NE(run.err.find("fsck --rebuild-database"), std::string::npos) << run.err;
        }
        EXPECT_EQ(picture(store() / "objects"), objects_before);  // gc deleted nothing
        EXPECT_TRUE(fs::exists(site_packages(venv) / "second.py"));  // reset changed nothing
    }

    // The rebuild brings back both snapshots; reset to the first works and gc keeps what it needs.
    void expect_rebuilt(bool set_aside) const
    {
        const auto rebuilt = envpin({"fsck", "--rebuild-database", "--json"});
        ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.out << rebuilt.err;
        EXPECT_EQ(rebuilt.json()["rebuilt"]["snapshots"], 2);
        EXPECT_EQ(rebuilt.json()["rebuilt"]["environments"][0], "train (2 snapshots)");
        EXPECT_EQ(rebuilt.json()["clean"], true);
        const std::string aside = rebuilt.json()["rebuilt"]["set_aside"];
        EXPECT_EQ(!aside.empty(), set_aside);
        if (set_aside) {
            EXPECT_TRUE(fs::exists(aside)) << aside;
        }
        const auto log = envpin({"log", "train", "--json"});
        ASSERT_EQ(log.exit_code, 0) << log.err;
        EXPECT_EQ(log.json()["snapshots"].size(), 2u) << log.out;
        EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
        EXPECT_EQ(envpin({"gc", "--json"}).json()["removed_objects"], 0);
        const auto reset = envpin({"reset", "train", "train@1", "--force"});
        ASSERT_EQ(reset.exit_code, 0) << reset.err;
        EXPECT_FALSE(fs::exists(site_packages(venv) / "second.py"));
        EXPECT_EQ(read_text(site_packages(venv) / "first.py"), "FIRST = 1\n");
        // A second rebuild has nothing to do.
        EXPECT_EQ(envpin({"fsck", "--rebuild-database"}).exit_code, 2);
    }

    fs::path venv = dir / "venv";
    TreePicture objects_before;
};

TEST_F(AgreementTest, ADeletedDatabaseStopsEveryCommandUntilRebuilt)
{
    remove_database();
    expect_refused("envpin.db is missing");
    EXPECT_FALSE(fs::exists(store() / "envpin.db"));  // no empty database was created
    expect_rebuilt(false);
}

TEST_F(AgreementTest, AnEmptiedDatabaseStopsEveryCommandUntilRebuilt)
{
    remove_database();
    write_text(store() / "envpin.db", "");
    expect_refused("envpin.db is empty");
    expect_rebuilt(true);
}

TEST_F(AgreementTest, AnOlderCopyOfTheDatabaseIsNoticed)
{
    // The database as it was after the adopt (a backup put back): the second snapshot's rows gone.
    const auto script = fmt::format(
        "import sqlite3\n"
        "c = sqlite3.connect('{}')\n"
        "c.execute('PRAGMA foreign_keys=OFF')\n"
        "second = 'SELECT id FROM snapshots WHERE seq = 2'\n"
        "for table in ('distributions', 'detaches'):\n"
        "    c.execute(f'DELETE FROM {{table}} WHERE snapshot_id IN ({{second}})')\n"
        "c.execute('DELETE FROM snapshots WHERE seq = 2')\n"
        "c.execute('UPDATE environments SET current_snapshot = (SELECT id FROM snapshots WHERE seq = 1)')\n"
        "c.commit()\n",
        (store() / "envpin.db").string());
    write_text(dir / "older.py", script);
    ASSERT_EQ(std::system(fmt::format("python3 {}", (dir / "older.py").string()).c_str()), 0);
    expect_refused("does not record: train (at commit");
    expect_rebuilt(true);
}

TEST_F(AgreementTest, ADeletedHistoryIsNotStartedAnew)
{
    fs::remove_all(store() / "manifests.git");
    for (const std::vector<std::string>& arguments :
         {std::vector<std::string>{"snapshot", "train"}, {"status", "train"}, {"gc"}}) {
        const auto run = envpin(arguments);
        EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
        EXPECT_NE(run.err.find("manifests.git is missing"), std::string::npos) << run.err;
    }
    EXPECT_FALSE(fs::exists(store() / "manifests.git"));
    EXPECT_EQ(picture(store() / "objects"), objects_before);
}

}  // namespace
}  // namespace envpin::test
