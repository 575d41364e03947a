// kill -9 at random moments of a snapshot: the store is always the old state or the new one,
// and the next command finishes what the killed one left (no manual clean-up).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "store/core/digest.hpp"
#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/run_envpin.hpp"
#include "tests/support/sanitizer.hpp"
#include "tests/support/store_fixture.hpp"

extern char** environ;

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

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
        EXPECT_EQ(branch.out, log.json()["snapshots"][0]["commit"].get<std::string>() + "\n") << "round " << round;
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
    const auto snapshots = envpin({"log", "crash", "--json"}).json()["snapshots"].size();
    EXPECT_GE(snapshots, static_cast<size_t>(completed + 1));
    const auto git_fsck = sys::run_process({{"git", "--git-dir", (store() / "manifests.git").string(), "fsck"}}).value();
    EXPECT_TRUE(git_fsck.success()) << git_fsck.err;
}

// Objects no snapshot uses, planted under valid names: what gc deletes.
int plant_garbage(const std::filesystem::path& store, int round, int count)
{
    for (int i = 0; i < count; ++i) {
        const auto content = fmt::format("garbage {} {}\n", round, i);
        const auto hex = store::sha256_of(content).hex();
        write_text(store / "objects" / hex.substr(0, 2) / hex.substr(2), content);
    }
    return count;
}

int count_objects(const std::filesystem::path& store)
{
    int count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(store / "objects"))
        count += entry.is_regular_file() ? 1 : 0;
    return count;
}

// kill -9 at random moments of gc: what a snapshot uses is never removed (fsck clean, every
// snapshot restorable), whatever the kill interrupted the next gc finishes. The test counts the
// kills that landed while gc was removing (some of the garbage gone, not all).
TEST_F(StoreTest, KillNineDuringGcNeverRemovesWhatASnapshotUses)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "kept"}).exit_code, 0);
    write_text(site_packages(venv) / "second.py", "SECOND = 2\n");
    ASSERT_EQ(envpin({"snapshot", "kept"}).exit_code, 0);
    const int needed = count_objects(store());
    constexpr int garbage = 2000;
    plant_garbage(store(), 0, garbage);
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(envpin({"gc"}).exit_code, 0);
    const auto span = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    ASSERT_EQ(count_objects(store()), needed);
    std::mt19937 random(20261203);
    int landed = 0;
    // The window where gc removes moves with the machine's load, both ways: kills that come too
    // early (nothing removed yet) raise the earliest delay, kills that come too late (gc done)
    // lower the latest, and a window narrowed to nothing opens again around where it closed
    // (a loaded CI machine first slows gc down, then lets it run fast again).
    std::chrono::microseconds::rep earliest = 0, latest = span.count();
    // Under AddressSanitizer each round is several times slower: fewer landed kills there, where
    // the sanitizer, not the count, is the point.
    const int wanted = under_address_sanitizer() ? 8 : 20, rounds = under_address_sanitizer() ? 60 : 150;
    for (int round = 1; round <= rounds && landed < wanted; ++round) {
        plant_garbage(store(), round, garbage);
        const auto delay = std::chrono::microseconds(std::uniform_int_distribution<long long>(earliest, latest)(random));
        const pid_t pid = start_envpin({"--store", store().string(), "gc", "-q"});
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        const int left = count_objects(store());
        ASSERT_GE(left, needed) << "round " << round << ": gc removed an object a snapshot uses";
        const bool too_early = left == needed + garbage, too_late = !WIFSIGNALED(status);
        landed += !too_early && !too_late ? 1 : 0;
        if (too_early)
            earliest = std::min(delay.count(), latest - 1);
        if (too_late)
            latest = std::max(delay.count(), earliest + 1);
        if (latest - earliest < span.count() / 20) {
            earliest /= 2;
            latest = latest * 3 / 2 + 1;
        }
        const auto fsck = envpin({"fsck", "--json"});
        ASSERT_EQ(fsck.exit_code, 0) << "round " << round << ": " << fsck.out << fsck.err;
        ASSERT_EQ(envpin({"gc"}).exit_code, 0);
        ASSERT_EQ(count_objects(store()), needed) << "round " << round;
    }
    EXPECT_GE(landed, wanted) << "too few kills landed while gc was removing";
    fs::remove_all(venv);
    ASSERT_EQ(envpin({"reset", "kept", "kept@1", "--force"}).exit_code, 0);
    EXPECT_EQ(envpin({"status", "kept", "--exit-code"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
