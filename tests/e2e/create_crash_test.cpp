// kill -9 at random moments of `envpin create` (the stand-in stack from an index on 127.0.0.1,
// installed by uv): whatever the kill interrupted, the next command finds a consistent store
// (fsck clean), the environment is recorded with exactly its one snapshot or not at all, and a
// retry of the same create succeeds, taking back what the killed one had made.
//
// A kill counts as landed when create was still running and had made something on disk (its
// claim beside the environment's directory). The installer create runs is killed with it (the
// test is the child subreaper and ends what the kill orphaned), as when the whole job dies.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "sys/process.hpp"
#include "tests/support/sanitizer.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// The children of this process, from every thread's list.
std::set<pid_t> our_children()
{
    std::set<pid_t> children;
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
        std::ifstream list(task.path() / "children");
        pid_t pid = 0;
        while (list >> pid)
            children.insert(pid);
    }
    return children;
}

// Kills and reaps every child not in `keep`: what a killed envpin left running (its installer,
// re-parented to us), and their children as they are re-parented in turn.
int end_orphans(const std::set<pid_t>& keep)
{
    int ended = 0;
    for (bool found = true; found;) {
        found = false;
        for (const pid_t pid : our_children()) {
            if (keep.contains(pid))
                continue;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            found = true;
            ++ended;
        }
    }
    return ended;
}

class CreateCrashTest : public CreateTest {
protected:
    void SetUp() override
    {
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        // No background work may finish a killed command's job before the test looks, and the
        // killed create runs on the stand-in host as the other creates do.
        ::setenv("ENVPIN_NO_BACKGROUND", "1", 1);
        ::setenv("ENVPIN_DRIVER_VERSION", "570.86.15", 1);
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        CreateTest::SetUp();
        // A killed create leaves its scratch directory (the installer's inputs) where TMPDIR
        // says: in the test's own directory, removed with it, not in /tmp.
        if (const char* tmpdir = std::getenv("TMPDIR"))
            saved_tmpdir = tmpdir;
        fs::create_directories(dir / "tmp");
        ::setenv("TMPDIR", (dir / "tmp").c_str(), 1);
    }
    void TearDown() override
    {
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        ::unsetenv("ENVPIN_NO_BACKGROUND");
        ::unsetenv("ENVPIN_DRIVER_VERSION");
        if (saved_tmpdir)
            ::setenv("TMPDIR", saved_tmpdir->c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }
    std::optional<std::string> saved_tmpdir;

    // `create NAME` of the stand-in stack at dir/NAME/venv: create makes dir/NAME too.
    [[nodiscard]] std::vector<std::string> arguments(const std::string& name) const
    {
        return {"--store", store().string(), "create", name, "--torch", "2.7.*", "--catalog", catalog.string(),
                "--installer", "uv", "--path", (dir / name / "venv").string(), "--lock",
                (dir / (name + ".lock")).string(), "--index-url", extras_index->url(), "-q"};
    }

    [[nodiscard]] bool claimed(const std::string& name) const { return fs::exists(dir / (".envpin-create-" + name)); }
};

TEST_F(CreateCrashTest, KillNineAtRandomMomentsLeavesTheEnvironmentWholeOrAbsentAndARetrySucceeds)
{
    const auto keep = our_children();  // the index servers
    const auto started = std::chrono::steady_clock::now();
    const auto timed = run_envpin(arguments("timed"));
    ASSERT_EQ(timed.exit_code, 0) << timed.err;
    const auto span = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    std::mt19937 random(20261205);
    // Each kill comes a random time after create made its claim (the first thing it makes on
    // disk), up to `latest`: a create that ended before its kill lowers it, a kill that landed
    // near it raises it (the window follows the machine, however loaded).
    long long latest = span.count();
    // Under AddressSanitizer each create, fsck and retry runs several times slower: fewer kills
    // there, where the sanitizer, not the count, is the point.
    const int wanted = under_address_sanitizer() ? 6 : 20;
    int landed = 0, recorded = 0, orphans = 0;
    for (int round = 0; round < 4 * wanted && landed < wanted; ++round) {
        const auto name = fmt::format("c{}", round);
        const auto delay = std::uniform_int_distribution<long long>(0, latest)(random);
        const pid_t pid = start_envpin(arguments(name));
        int status = 0;
        bool ended = false;
        while (!(ended = ::waitpid(pid, &status, WNOHANG) == pid) && !claimed(name) && !fs::exists(dir / name))
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        if (!ended) {
            std::this_thread::sleep_for(std::chrono::microseconds(delay));
            ended = ::waitpid(pid, &status, WNOHANG) == pid;
        }
        const bool made_something = claimed(name) || fs::exists(dir / name);
        if (!ended) {
            ::kill(pid, SIGKILL);
            ASSERT_EQ(::waitpid(pid, &status, 0), pid);
            // create may have ended between the last look and the kill: a zombie ignores the
            // signal and reports its own exit, which counts as ended, not as a kill.
            ended = !WIFSIGNALED(status);
        }
        if (ended) {
            ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round << ": status " << status;
        } else {
            ASSERT_EQ(WTERMSIG(status), SIGKILL) << "round " << round << ": status " << status;
        }
        orphans += end_orphans(keep);
        landed += !ended && made_something ? 1 : 0;
        if (ended)
            latest = std::max(1000LL, delay * 3 / 4);
        else if (delay > latest * 3 / 4)
            latest = latest * 5 / 4;

        const auto fsck = envpin({"fsck", "--json"});  // the next writer: it recovers first
        ASSERT_EQ(fsck.exit_code, 0) << "round " << round << ": " << fsck.out << fsck.err;
        const auto log = envpin({"log", name, "--json"});
        if (log.exit_code == 0) {  // recorded before the kill: exactly its one snapshot, whole
            ++recorded;
            ASSERT_EQ(log.json()["snapshots"].size(), 1u) << "round " << round;
            EXPECT_EQ(log.json()["snapshots"][0]["reason"], "create") << "round " << round;
        } else {  // not recorded: a retry takes back what the killed create made and succeeds
            ASSERT_EQ(log.exit_code, 2) << "round " << round << ": " << log.err;
            const auto retry = run_envpin(arguments(name));
            ASSERT_EQ(retry.exit_code, 0) << "round " << round << ": the retry: " << retry.err;
            ASSERT_EQ(envpin({"log", name, "--json"}).json()["snapshots"].size(), 1u) << "round " << round;
            EXPECT_FALSE(claimed(name)) << "round " << round << ": the retry left its claim";
        }
        EXPECT_EQ(envpin({"status", name, "--exit-code"}).exit_code, 0) << "round " << round;
        EXPECT_EQ(installed_version(name + "/venv", "torch"), "2.7.1+cu128") << "round " << round;
    }
    std::cout << "kills while a create ran, after it had made something: " << landed << " (" << recorded
              << " after the recording); installer processes ended with them: " << orphans << "\n";
    EXPECT_GE(landed, wanted) << "too few kills landed while create was running";
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
}

}  // namespace
}  // namespace envpin::test
