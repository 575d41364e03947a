// The promise that a user can always go back to a state that worked, in the default link mode
// (link-then-copy on this ext4 machine): no write through an environment reaches the store,
// a write inside the detach's window is found and never restored, a kill -9 anywhere is taken
// up by the next command, and an environment comes back from nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "store/core/digest.hpp"
#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// An environment whose files are written every way a program can write in place.
void write_in_place(const fs::path& file, int how)
{
    switch (how) {
    case 0: {  // truncation, as `: > file`
        const std::ofstream truncated(file, std::ios::binary | std::ios::trunc);
        break;
    }
    case 1: {  // append
        std::ofstream(file, std::ios::binary | std::ios::app) << "# appended\n";
        break;
    }
    case 2: {  // overwrite without truncating, as open(path, "r+")
        std::FILE* open_file = std::fopen(file.c_str(), "r+");
        ASSERT_NE(open_file, nullptr);
        std::fputs("#", open_file);
        std::fclose(open_file);
        break;
    }
    case 3:  // chmod
        ASSERT_EQ(::chmod(file.c_str(), 0), 0);
        break;
    case 4:  // utimes
        fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1000));
        break;
    case 5:  // chown (as root, what GPU containers run as), else chmod again
        if (::geteuid() == 0)
            ASSERT_EQ(::chown(file.c_str(), 4321, 4321), 0);
        else
            ASSERT_EQ(::chmod(file.c_str(), 0777), 0);
        break;
    default:
        FAIL() << "no in-place write number " << how;
    }
}

class TrustTest : public StoreTest {
protected:
    // These environments are small; below ENVPIN_COPY_BELOW bytes link-then-copy copies at once
    // (no window: TheFewBytesOfASmallChangeAreCopiedAtOnce). 0 makes it link, as it does for a
    // real environment, so that the window and its background copy are what is tested.
    void SetUp() override { ::setenv("ENVPIN_COPY_BELOW", "0", 1); }
    void TearDown() override { ::unsetenv("ENVPIN_COPY_BELOW"); }

    void make_env()
    {
        make_venv(venv);
        pip_install(venv, {"tinypkg==1.0", "otherpkg==0.1"});
        for (int i = 0; i < 6; ++i)
            write_text(site_packages(venv) / "work" / fmt::format("m{}.py", i), fmt::format("VALUE = {}\n", i));
        original = picture(venv);
    }

    // `envpin ...` with the background work off: the test acts inside the detach's window.
    EnvpinRun envpin_without_background(std::vector<std::string> arguments) const
    {
        arguments.insert(arguments.begin(), {"--store", store().string()});
        return run_envpin(arguments, {{"ENVPIN_NO_BACKGROUND", "1"}});
    }

    // The object holding `content` gets 'v' as its first byte and its mtime back: only its
    // ctime tells.
    void flip_first_byte_of_object(const std::string& content) const
    {
        const auto hex = store::sha256_of(content).hex();
        const auto object = store() / "objects" / hex.substr(0, 2) / hex.substr(2);
        ASSERT_TRUE(fs::exists(object));
        const auto mtime = fs::last_write_time(object);
        fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
        {
            std::fstream file(object, std::ios::in | std::ios::out | std::ios::binary);
            file.seekp(0);
            file.put('v');
        }
        fs::permissions(object, fs::perms::owner_write, fs::perm_options::remove);
        fs::last_write_time(object, mtime);
    }

    fs::path venv = dir / "venv";
    TreePicture original;
};

TEST_F(TrustTest, NoWriteThroughTheEnvironmentReachesTheStore)
{
    make_env();
    const auto adopted = envpin({"adopt", venv.string(), "--name", "train", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    EXPECT_EQ(adopted.json()["link_mode"], "link-then-copy");
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);  // waits for the background copy
    EXPECT_EQ(shared_objects(store()), 0);
    for (int how = 0; how < 6; ++how)
        write_in_place(site_packages(venv) / "work" / fmt::format("m{}.py", how), how);
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    const auto reset = envpin({"reset", "train", "train@1", "--force"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(picture(venv), original);
    // The restored files are linked to their objects until the detach copies them; after it, a
    // write into them does not reach the store either.
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    EXPECT_EQ(shared_objects(store()), 0);
    write_in_place(site_packages(venv) / "work" / "m2.py", 2);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
}

// Below ENVPIN_COPY_BELOW (64 MiB by default) there is no window at all: adopt, snapshot and
// reset copy the few bytes at once, and nothing is shared even before any background work.
TEST_F(TrustTest, TheFewBytesOfASmallChangeAreCopiedAtOnce)
{
    ::unsetenv("ENVPIN_COPY_BELOW");
    make_env();
    const auto adopted = envpin_without_background({"adopt", venv.string(), "--name", "train", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    EXPECT_EQ(adopted.json()["link_mode"], "copy");
    EXPECT_EQ(shared_objects(store()), 0);
    write_text(site_packages(venv) / "work" / "m0.py", "VALUE = 'changed'\n");
    ASSERT_EQ(envpin_without_background({"snapshot", "train"}).exit_code, 0);
    const auto reset = envpin_without_background({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["detach_pending"], false);
    EXPECT_EQ(reset.json()["linked_files"], 0);
    EXPECT_EQ(shared_objects(store()), 0);
    write_in_place(site_packages(venv) / "work" / "m0.py", 2);  // at once: no window to land in
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

// ENVPIN_DETACH_THREADS sets how many objects the background copy copies at once (0: one per
// core); a value that is not a whole number in range is refused before anything is touched.
TEST_F(TrustTest, TheBackgroundCopyTakesItsCopyCountFromTheEnvironment)
{
    make_env();
    ASSERT_EQ(envpin_without_background({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    const auto shared = shared_objects(store());
    ASSERT_GT(shared, 0);
    for (const std::string bad : {"abc", "-1", "1025", "4x"}) {
        const auto refused = run_envpin({"--store", store().string(), "recover"}, {{"ENVPIN_DETACH_THREADS", bad}});
        EXPECT_EQ(refused.exit_code, 2) << bad;
        EXPECT_NE(refused.err.find(fmt::format("ENVPIN_DETACH_THREADS is '{}': expected a whole number", bad)),
                  std::string::npos)
            << refused.err;
        EXPECT_EQ(shared_objects(store()), shared) << bad;  // nothing was copied
    }
    const auto all_cores = run_envpin({"--store", store().string(), "recover", "--json"}, {{"ENVPIN_DETACH_THREADS", "0"}});
    ASSERT_EQ(all_cores.exit_code, 0) << all_cores.err;
    EXPECT_GT(all_cores.json()["detached_objects"].get<long long>(), 0);
    EXPECT_EQ(shared_objects(store()), 0);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
}

TEST_F(TrustTest, AWriteInPlaceInsideTheWindowIsFoundAndNeverRestored)
{
    make_env();
    ASSERT_EQ(envpin_without_background({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    EXPECT_GT(shared_objects(store()), 0);  // the window is open: nothing has copied them yet
    const auto status = envpin({"status", "train", "--json"});
    EXPECT_EQ(status.json()["detach"]["pending"], true) << status.out;
    const auto module = site_packages(venv) / "work" / "m1.py";
    write_in_place(module, 2);
    const auto recover = envpin({"recover"});
    EXPECT_EQ(recover.exit_code, 1) << recover.out;
    EXPECT_NE(recover.err.find("shared its inode"), std::string::npos) << recover.err;
    EXPECT_EQ(shared_objects(store()), 0);
    const auto told = envpin({"status", "train"});
    EXPECT_NE(told.out.find("1 objects were written in place"), std::string::npos) << told.out;
    EXPECT_EQ(envpin({"status", "train", "--json"}).json()["detach"]["damaged_objects"], 1);
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 1);
    EXPECT_NE(fsck.out.find("missing-object"), std::string::npos) << fsck.out;
    EXPECT_NE(fsck.out.find("removed by the detach"), std::string::npos) << fsck.out;
    EXPECT_NE(fsck.out.find("train@1"), std::string::npos) << fsck.out;
    // The changed bytes are never put back as train@1's: reset refuses, naming the object.
    const auto reset = envpin({"reset", "train", "train@1", "--force"});
    EXPECT_EQ(reset.exit_code, 3);
    EXPECT_NE(reset.err.find("is missing from the store"), std::string::npos) << reset.err;
}

// The damaged object's bytes still exist in another managed environment (one that holds the
// same bytes in its own file): fsck --repair takes them from there.
TEST_F(TrustTest, RepairTakesDamagedBytesBackFromAnotherEnvironment)
{
    make_env();
    fs::copy(venv, dir / "twin", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    ASSERT_EQ(envpin_without_background({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(envpin_without_background({"adopt", (dir / "twin").string(), "--name", "twin"}).exit_code, 0);
    write_in_place(site_packages(venv) / "work" / "m4.py", 1);
    EXPECT_EQ(envpin({"recover"}).exit_code, 1);  // the damage is found
    EXPECT_EQ(envpin({"fsck"}).exit_code, 1);
    const auto repaired = envpin({"fsck", "--repair"});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
    EXPECT_NE(repaired.out.find("from " + (dir / "twin").string()), std::string::npos) << repaired.out;
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
}

// A store made with hardlinks (as every store before link-then-copy): fsck names the shared
// objects, --repair gives each its own inode, and a damaged one comes back from another copy.
TEST_F(TrustTest, RepairDetachesTheObjectsOfAHardlinkStore)
{
    make_env();
    fs::copy(venv, dir / "twin", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train", "--link-mode", "hardlink"}).exit_code, 0);
    ASSERT_EQ(envpin({"adopt", (dir / "twin").string(), "--name", "twin", "--link-mode", "hardlink"}).exit_code, 0);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);  // shared by choice
    // Stores before link-then-copy recorded "auto" and shared their objects all the same.
    const auto sql = sys::run_process({{"sqlite3", (store() / "envpin.db").string(), "UPDATE environments SET link_mode = 'auto'"}}).value();
    ASSERT_TRUE(sql.success()) << sql.err;
    const auto before = envpin({"fsck"});
    EXPECT_EQ(before.exit_code, 1);
    EXPECT_NE(before.out.find("shared-object"), std::string::npos) << before.out;
    write_in_place(site_packages(venv) / "work" / "m3.py", 2);  // through the shared inode
    const auto repaired = envpin({"fsck", "--repair"});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
    EXPECT_NE(repaired.out.find("own inode"), std::string::npos) << repaired.out;
    EXPECT_NE(repaired.out.find("from " + (dir / "twin").string()), std::string::npos) << repaired.out;
    EXPECT_EQ(shared_objects(store()), 0);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), original);
}

TEST_F(TrustTest, AKillInsideTheDetachIsTakenUpByTheNextCommand)
{
    make_env();
    ASSERT_EQ(envpin_without_background({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    const int linked = shared_objects(store());
    ASSERT_GT(linked, 5);
    for (const char* point : {"detach-copied:1", "detach-replaced:3"}) {
        const auto killed = sys::run_process({{ENVPIN_BIN, "--store", store().string(), "recover"},
                                              {{"ENVPIN_CRASH_AT", point}, {"ENVPIN_NO_BACKGROUND", "1"}}}).value();
        EXPECT_EQ(killed.term_signal, SIGKILL) << point << ": " << killed.err;
        EXPECT_GT(shared_objects(store()), 0) << point;  // the kill landed inside the window
    }
    EXPECT_LT(shared_objects(store()), linked);  // three objects were replaced before the kill
    // The next writer starts the detach again in the background, which finishes the job.
    write_text(site_packages(venv) / "work" / "new.py", "NEW = 1\n");
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    for (int i = 0; i < 300 && shared_objects(store()) > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(shared_objects(store()), 0);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    const auto status = envpin({"status", "train", "--json"}).json();
    EXPECT_EQ(status["detach"]["pending"], false) << status;
}

TEST_F(TrustTest, ADeletedAnEmptiedAndAReplacedEnvironmentComeBack)
{
    make_env();
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    fs::remove_all(venv);
    auto back = envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["root"], "missing");
    EXPECT_EQ(picture(venv), original);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);

    for (const auto& entry : fs::directory_iterator(venv))
        fs::remove_all(entry.path());
    back = envpin({"reset", "train", "train@1", "--force"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(picture(venv), original);

    fs::remove_all(venv);
    write_text(venv, "not an environment\n");
    back = envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["root"], "replaced");
    EXPECT_EQ(picture(venv), original);
    const fs::path kept = back.json()["old_tree"].get<std::string>();
    EXPECT_EQ(read_text(kept), "not an environment\n");  // nothing the user had is lost
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

TEST_F(TrustTest, ADeletedEnvironmentComesBackToItsNewestVerifiedSnapshot)
{
    make_env();
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(envpin({"verify", "train", "--only", "host"}).exit_code, 0);
    fs::remove_all(venv);
    const auto back = envpin({"reset", "train", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["to"], "train@1");
    EXPECT_EQ(picture(venv), original);
}

TEST_F(TrustTest, CloneMakesASecondWorkingEnvironmentFromAnySnapshot)
{
    make_env();
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    pip_install(venv, {"tinypkg==2.0"});
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    const auto copy = dir / "old";
    const auto cloned = envpin({"clone", "train@1", copy.string(), "--name", "old", "--json"});
    ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
    EXPECT_EQ(cloned.json()["source"], "train@1");
    EXPECT_EQ(cloned.json()["snapshot"]["reason"], "clone");
    // The clone is train@1's tree where the venv does not name its own path.
    const auto tree = picture(copy);
    for (const auto& [path, what] : original)
        if (!path.starts_with("bin/") && path != "pyvenv.cfg") {
            EXPECT_EQ(tree.at(path), what) << path;
        }
    // It runs as its own environment, with the old tinypkg, and the original is untouched.
    const auto python = sys::run_process({{(copy / "bin/python").string(), "-c",
                                            "import sys, tinypkg; print(sys.prefix, tinypkg.VERSION)"}}).value();
    ASSERT_TRUE(python.success()) << python.err;
    EXPECT_EQ(python.out, copy.string() + " 1.0\n");
    EXPECT_EQ(envpin({"status", "old", "--exit-code"}).exit_code, 0);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
    // A write into the clone reaches neither the store nor the original.
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    write_in_place(site_packages(copy) / "work" / "m0.py", 1);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    EXPECT_EQ(read_text(site_packages(venv) / "work" / "m0.py"), "VALUE = 0\n");
    // Bad inputs change nothing.
    EXPECT_EQ(envpin({"clone", "train@1", copy.string(), "--name", "again"}).exit_code, 2);  // path taken
    EXPECT_EQ(envpin({"clone", "train@1", (dir / "other").string(), "--name", "old"}).exit_code, 2);  // name taken
    EXPECT_EQ(envpin({"clone", "train@9", (dir / "other").string(), "--name", "x"}).exit_code, 2);
    EXPECT_FALSE(fs::exists(dir / "other"));
}

// Kills `pid` after `delay` unless it ended first; true when the kill landed while it ran.
bool kill_after(pid_t pid, std::chrono::microseconds delay)
{
    std::this_thread::sleep_for(delay);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != 0)
        return false;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    // One that ended between the look and the kill is a zombie the signal misses.
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// kill -9 at random moments of adopt and of snapshot in the default mode: after the next
// command the store is consistent, every snapshot restorable, no object left shared.
TEST_F(TrustTest, KillNineDuringAdoptAndSnapshotInTheDefaultMode)
{
    make_env();
    for (int i = 0; i < 1500; ++i)
        write_text(site_packages(venv) / "bulk" / fmt::format("d{}", i / 100) / fmt::format("f{}.py", i), fmt::format("X = {}\n", i));
    // How long each takes here, to spread the kills over it.
    auto timed = [&](const std::vector<std::string>& arguments) {
        const auto started = std::chrono::steady_clock::now();
        EXPECT_EQ(envpin(arguments).exit_code, 0);
        return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    };
    fs::copy(venv, dir / "first", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    const long long adopt_us = timed({"adopt", (dir / "first").string(), "--name", "first"});
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "probe"}).exit_code, 0);
    write_text(site_packages(venv) / "bulk" / "r.py", "R = 0\n");
    const long long snapshot_us = timed({"snapshot", "probe"});
    std::mt19937 random(20261203);
    int landed[2] = {0, 0};  // adopt, snapshot
    // Until 20 kills have landed inside each (a kill after the command ended proves nothing).
    for (int round = 0; round < 160 && (landed[0] < 20 || landed[1] < 20); ++round) {
        const bool adopt = landed[0] < 20 && (round % 2 == 0 || landed[1] >= 20);
        std::vector<std::string> arguments{"--store", store().string()};
        if (adopt) {  // a copy of the environment under a new name each round
            const auto copy = dir / fmt::format("a{}", round);
            fs::copy(venv, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
            arguments.insert(arguments.end(), {"adopt", copy.string(), "--name", fmt::format("a{}", round), "-q"});
        } else {
            write_text(site_packages(venv) / "bulk" / fmt::format("r{}.py", round), fmt::format("R = {}\n", round));
            arguments.insert(arguments.end(), {"snapshot", "probe", "-q"});
        }
        const long long span = adopt ? adopt_us : snapshot_us;
        const auto delay = std::chrono::microseconds(std::uniform_int_distribution<long long>(span / 50, span / 2)(random));
        landed[adopt ? 0 : 1] += kill_after(start_envpin(arguments), delay) ? 1 : 0;
        const auto fsck = envpin({"fsck", "--json"});  // the next writer: it recovers first
        ASSERT_EQ(fsck.exit_code, 0) << "round " << round << ": " << fsck.out << fsck.err;
    }
    std::cout << "kills that landed: " << landed[0] << " adopts, " << landed[1] << " snapshots\n";
    EXPECT_GE(landed[0], 20) << "too few kills landed while adopt ran";
    EXPECT_GE(landed[1], 20) << "too few kills landed while snapshot ran";
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    // Killed adopts leave objects that no snapshot uses, linked to the copies' files: gc takes them.
    ASSERT_EQ(envpin({"gc"}).exit_code, 0);
    EXPECT_EQ(shared_objects(store()), 0);
    const auto git_fsck = sys::run_process({{"git", "--git-dir", (store() / "manifests.git").string(), "fsck"}}).value();
    EXPECT_TRUE(git_fsck.success()) << git_fsck.err;
}

// Reset reads back only objects whose bytes it cannot vouch for: the background copy records
// the stamp each object has once its bytes were hashed, and an object that still has it is not
// read again. One changed since (its bytes flipped and its mtime put back: only the ctime tells)
// is read, found and refused.
TEST_F(TrustTest, ResetReadsOnlyObjectsChangedSinceTheirBytesWereVerified)
{
    make_env();
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);  // the copies, hashed: their stamps recorded
    const auto work = site_packages(venv) / "work";
    fs::remove_all(work);
    const auto traced = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force"},
                                   {{"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(traced.exit_code, 0) << traced.err;
    EXPECT_NE(traced.err.find("verify bytes: 0 files hashed, 6 known good"), std::string::npos) << traced.err;
    EXPECT_EQ(picture(venv), original);

    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    flip_first_byte_of_object("VALUE = 0\n");
    fs::remove_all(work);
    const auto refused = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force"},
                                    {{"ENVPIN_TRACE", "1"}});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("work/m0.py (object"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("1 files hashed, 5 known good"), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(work));  // nothing was put in place
}

// Files with the same bytes share one object: a reset links it to one of them and copies it to
// the others. The copies made after that link find the object with the stamp the link gave it,
// which the build knows to be the verified bytes plus one link: none of them is read back.
TEST_F(TrustTest, CopiesOfAnObjectTheResetLinkedAreNotReadBack)
{
    make_env();
    for (int i = 0; i < 5; ++i)
        write_text(site_packages(venv) / "work" / fmt::format("same{}.py", i), "SAME = 1\n");
    original = picture(venv);
    const std::vector<std::pair<std::string, std::string>> linking{{"ENVPIN_COPY_BELOW", "0"}};
    ASSERT_EQ(run_envpin({"--store", store().string(), "adopt", venv.string(), "--name", "train"}, linking).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    fs::remove_all(site_packages(venv) / "work");
    auto with_trace = linking;
    with_trace.emplace_back("ENVPIN_TRACE", "1");
    const auto traced = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force"}, with_trace);
    ASSERT_EQ(traced.exit_code, 0) << traced.err;
    EXPECT_NE(traced.err.find("verify bytes: 0 files hashed, 11 known good"), std::string::npos) << traced.err;
    EXPECT_EQ(picture(venv), original);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    // The shared object changed since: the linked file and every copy of it are read, and refused.
    flip_first_byte_of_object("SAME = 1\n");
    fs::remove_all(site_packages(venv) / "work");
    const auto refused = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force"}, with_trace);
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("verify bytes: 5 files hashed, 6 known good"), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(site_packages(venv) / "work"));
}

}  // namespace
}  // namespace envpin::test
