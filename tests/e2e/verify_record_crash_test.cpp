// kill -9 while `envpin verify NAME` records its run: the crash point "verify-record" lands the
// kill after the run's row, after each check's row (inside the one transaction that writes them)
// and after the commit. Whatever the kill interrupted: the earlier pass is still there, no run is
// half written (every run has all of its checks, a killed one is whole or absent), the store is
// fsck-clean and the next verify records its run.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "sys/process.hpp"
#include "tests/support/store_fixture.hpp"
#include "tests/support/verify_envs.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class VerifyRecordCrashTest : public StoreTest {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(make_venv(venv, false));
        write_text(dir / "envpin.toml",
                   "[environment]\nname = \"train\"\npath = \"venv\"\n\n[verify]\nchecks = [\n"
                   "  { name = \"a\", run = [\"python\", \"-c\", \"pass\"] },\n"
                   "  { name = \"b\", run = [\"python\", \"-c\", \"pass\"] },\n"
                   "  { name = \"c\", run = [\"python\", \"-c\", \"pass\"] },\n"
                   "  { name = \"broken\", run = [\"python\", \"-c\", \"raise SystemExit(1)\"] },\n]\n");
        const auto adopt = envpin({"adopt", venv.string(), "--name", "train"});
        ASSERT_EQ(adopt.exit_code, 0) << adopt.err;
    }

    // `verify train` of three project checks (`checks`), killed at the `crash_at`-th crash point
    // when it is not empty.
    [[nodiscard]] sys::ProcessResult verify(const std::string& checks, const std::string& crash_at) const
    {
        sys::ProcessSpec spec;
        spec.argv = {ENVPIN_BIN, "--store", store().string(), "verify", "train", "--only", checks, "--device", "cpu",
                     "--spec", (dir / "envpin.toml").string(), "--json"};
        spec.set_env = {{"ENVPIN_NO_BACKGROUND", "1"}};
        if (!crash_at.empty())
            spec.set_env.emplace_back("ENVPIN_CRASH_AT", crash_at);
        return sys::run_process(spec).value();
    }

    // One line of the store's database, read with sqlite3.
    [[nodiscard]] std::string query(const std::string& sql) const
    {
        const auto run = sys::run_process({{"sqlite3", "-readonly", (store() / "envpin.db").string(), sql}}).value();
        EXPECT_TRUE(run.success()) << run.err;
        return run.out;
    }

    fs::path venv = dir / "venv";
};

TEST_F(VerifyRecordCrashTest, AKillWhileARunIsRecordedNeverLosesThePassNorLeavesHalfARun)
{
    if (!sys::find_on_path("sqlite3"))
        GTEST_SKIP() << "sqlite3 is not on PATH";
    const std::string passing = "project:a,project:b,project:c", failing = "project:a,project:b,project:broken";
    const auto pass = verify(passing, "");
    ASSERT_TRUE(pass.success()) << pass.describe_status() << pass.out << pass.err;
    ASSERT_EQ(query("SELECT count(*) FROM verify_runs WHERE status = 'pass'"), "1\n");
    // A run's row, then its three checks' rows, in one transaction; then the commit.
    constexpr int points = 5;
    int runs = 1, landed = 0, committed = 0;
    for (int round = 0; round < 25; ++round) {
        const int point = round % points + 1;
        const auto killed = verify(round % 2 == 0 ? failing : passing, fmt::format("verify-record:{}", point));
        ASSERT_EQ(killed.term_signal, SIGKILL) << "round " << round << ": " << killed.describe_status() << killed.err;
        ++landed;
        const auto fsck = envpin({"fsck", "--json"});  // the next writer
        ASSERT_EQ(fsck.exit_code, 0) << "round " << round << ": " << fsck.out << fsck.err;
        // Killed inside the transaction: nothing of the run; after the commit: all of it.
        runs += point == points ? 1 : 0;
        committed += point == points ? 1 : 0;
        ASSERT_EQ(query("SELECT count(*) FROM verify_runs"), fmt::format("{}\n", runs)) << "round " << round;
        ASSERT_EQ(query("SELECT count(*) FROM verify_runs r WHERE (SELECT count(*) FROM verify_checks c "
                        "WHERE c.run_id = r.id) != 3"),
                  "0\n")
            << "round " << round << ": a run with missing checks";
        // The pass is never lost: the snapshot is verified:pass whatever was recorded after it.
        const auto log = envpin({"log", "train", "--json"});
        ASSERT_EQ(log.exit_code, 0) << log.err;
        EXPECT_EQ(log.json()["snapshots"][0]["verified"], "pass") << "round " << round << ": " << log.out;
    }
    std::cout << "kills while verify recorded its run: " << landed << " (" << committed << " after the commit)\n";
    EXPECT_GE(landed, 20);
    const auto retry = verify(passing, "");
    ASSERT_TRUE(retry.success()) << retry.describe_status() << retry.err;
    EXPECT_EQ(query("SELECT count(*) FROM verify_runs"), fmt::format("{}\n", runs + 1));
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
