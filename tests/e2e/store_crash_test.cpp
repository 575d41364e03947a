// kill -9 at random moments of a snapshot: the store is always the old state or the new one,
// and the next command finishes what the killed one left (no manual clean-up).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

extern char** environ;

namespace envpin::test {
namespace {

// Starts `envpin --store STORE snapshot NAME`, kills it with SIGKILL after `delay`, and
// returns whether it had already finished (exited 0) by then.
bool snapshot_killed_after(const std::filesystem::path& store, const std::string& name, std::chrono::microseconds delay)
{
    const std::string binary = ENVPIN_BIN;
    std::vector<std::string> arguments = {binary, "--store", store.string(), "snapshot", name, "-q", "--wait", "30"};
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ), 0);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(StoreTest, KillNineDuringSnapshotsLeavesAConsistentStore)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "crash"}).exit_code, 0);
    std::mt19937 random(20261127);
    int completed = 0;
    for (int round = 0; round < 12; ++round) {
        // A change worth recording: a few small files and one of several MB.
        for (int i = 0; i < 20; ++i)
            write_text(site_packages(venv) / fmt::format("round{}/m{}.py", round, i), fmt::format("R = {}\n", round * 100 + i));
        write_text(site_packages(venv) / fmt::format("round{}/blob.bin", round), std::string(4 << 20, static_cast<char>('a' + round)));
        const auto delay = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 400'000)(random));
        completed += snapshot_killed_after(store(), "crash", delay) ? 1 : 0;

        const auto fsck = envpin({"fsck", "--json"});  // also the next writer: it recovers first
        ASSERT_EQ(fsck.exit_code, 0) << "round " << round << ": " << fsck.out << fsck.err;
        const auto log = envpin({"log", "crash", "--json"});
        ASSERT_EQ(log.exit_code, 0) << log.err;
        const auto branch = sys::run_process({{"git", "--git-dir", (store() / "manifests.git").string(), "rev-parse", "crash"}}).value();
        EXPECT_EQ(branch.out, log.json()[0]["commit"].get<std::string>() + "\n") << "round " << round;
        EXPECT_NE(envpin({"status", "crash"}).exit_code, 3) << "round " << round;
    }
    // A ref lock left by a writer killed while moving the branch does not block the next one.
    write_text(store() / "manifests.git/refs/heads/crash.lock", "");
    write_text(site_packages(venv) / "final.py", "DONE = True\n");
    const auto last = envpin({"snapshot", "crash"});
    ASSERT_EQ(last.exit_code, 0) << last.err;
    EXPECT_EQ(envpin({"status", "crash", "--exit-code"}).exit_code, 0);
    const auto fsck = envpin({"fsck", "--json"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    const auto snapshots = envpin({"log", "crash", "--json"}).json().size();
    EXPECT_GE(snapshots, static_cast<size_t>(completed + 1));
    const auto git_fsck = sys::run_process({{"git", "--git-dir", (store() / "manifests.git").string(), "fsck"}}).value();
    EXPECT_TRUE(git_fsck.success()) << git_fsck.err;
}

}  // namespace
}  // namespace envpin::test
