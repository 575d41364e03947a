// envpin reset through the built binary on real venvs: byte-exact restores, refusal of
// unverified targets, the pre-reset snapshot, --keep-old, the two-rename fallback, and a
// kill -9 loop at random moments (the environment is always exactly the old or the new tree).
#include <gtest/gtest.h>

#include <future>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <variant>

#include "store/lifecycle/reset.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/store.hpp"
#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class ResetTest : public StoreTest {
protected:
    // Link as for a real environment (these are below ENVPIN_COPY_BELOW, which would copy).
    void SetUp() override { ::setenv("ENVPIN_COPY_BELOW", "0", 1); }
    void TearDown() override
    {
        ::unsetenv("ENVPIN_COPY_BELOW");
        ::unsetenv("ENVPIN_NO_BACKGROUND");
    }

    // Every envpin this test starts leaves its cleanup to the next command instead of a detached
    // `envpin recover`: one still starting up when a later reset is killed would take that reset
    // back before the test looks at what the kill left.
    static void no_background_writers() { ::setenv("ENVPIN_NO_BACKGROUND", "1", 1); }

    // A venv with tinypkg 1.0 (snapshot @1) and then 2.0 (snapshot @2), plus `bulk` small files
    // under site-packages/bulk/ of which every tenth changes between the two.
    void make_history(int bulk = 0, const std::string& link_mode = "auto")
    {
        make_venv(venv);
        pip_install(venv, {"tinypkg==1.0", "otherpkg==0.1"});
        write_bulk(bulk, "one");
        past_racy_window();
        ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train", "--link-mode", link_mode}).exit_code, 0);
        first = picture(venv);
        pip_install(venv, {"tinypkg==2.0"});
        write_bulk(bulk, "two");
        past_racy_window();
        ASSERT_EQ(envpin({"snapshot", "train", "-m", "upgrade"}).exit_code, 0);
        second = picture(venv);
        ASSERT_NE(first, second);
    }

    // A file written just before a snapshot reads is "racy": its stamp may not change when it is
    // written again within the same clock tick, so the snapshot hashes it every time and never
    // links it. The history's files are made older than that window (50 ms), as a user's are,
    // so that what the tests count does not depend on how fast this machine wrote them.
    static void past_racy_window() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

    // Files are replaced by rename, as installers do (an in-place write would reach the
    // hardlinked object: see InPlaceWriteIntoAHardlinkedObjectIsRefused).
    void write_bulk(int count, const std::string& version)
    {
        for (int i = 0; i < count; ++i) {
            const auto path = site_packages(venv) / "bulk" / ("m" + std::to_string(i / 100)) / ("f" + std::to_string(i) + ".py");
            write_text(path.string() + ".new", i % 10 == 0 ? "x = '" + version + "'\n" : "x = " + std::to_string(i) + "\n");
            fs::rename(path.string() + ".new", path);
        }
    }

    // Siblings the reset leaves behind (staging, aside or old trees).
    std::vector<std::string> leftovers() const
    {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir.path()))
            if (entry.path().filename().string().find(".envpin-") != std::string::npos)
                names.push_back(entry.path().filename().string());
        return names;
    }

    void wait_for_cleanup()
    {
        // The old tree is removed by a detached `envpin recover`; a writer waits for it.
        ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    }

    fs::path venv = dir / "venv";
    TreePicture first, second;
};

TEST_F(ResetTest, RestoresTheTargetByteForByteAndStatusIsClean)
{
    make_history();
    const auto reset = envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["status"], "reset");
    EXPECT_EQ(reset.json()["from"], "train@2");
    EXPECT_EQ(reset.json()["to"], "train@1");
    EXPECT_EQ(picture(venv), first);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
    const auto forward = envpin({"reset", "train", "train@2", "--force"});
    ASSERT_EQ(forward.exit_code, 0) << forward.err;
    EXPECT_EQ(picture(venv), second);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
    wait_for_cleanup();
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

// Symlinks whose targets cannot be stat'ed (a component longer than NAME_MAX; a target inside a
// directory nobody may enter) are stored, restored and cleaned up as links: nothing follows them,
// reset and the cleanup after it succeed, and no later command wedges on them.
TEST_F(ResetTest, SymlinksThatCannotBeFollowedNeverStopTheStore)
{
    make_venv(venv);
    const auto odd = site_packages(venv) / "odd";
    fs::create_directories(odd / "closed");
    fs::create_symlink(std::string(300, 'x') + "/target", odd / "too-long");
    fs::create_symlink("closed/inner/file", odd / "inside-closed");
    fs::create_symlink("/proc/self/root/etc/passwd", odd / "absolute");
    fs::permissions(odd / "closed", fs::perms::none);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    fs::remove(odd / "too-long");
    fs::create_symlink(std::string(200, 'y'), odd / "too-long");
    fs::remove(odd / "absolute");
    write_text(odd / "new.py", "x = 1\n");
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    const auto reset = envpin({"reset", "train", "train@1", "--force"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(fs::read_symlink(odd / "too-long").string(), std::string(300, 'x') + "/target");
    EXPECT_EQ(fs::read_symlink(odd / "absolute").string(), "/proc/self/root/etc/passwd");
    wait_for_cleanup();
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
    for (const std::vector<std::string>& arguments :
         {std::vector<std::string>{"status", "train", "--exit-code"}, {"snapshot", "train"}, {"fsck"}})
        EXPECT_EQ(envpin(arguments).exit_code, 0) << arguments.front();
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    wait_for_cleanup();
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
    fs::permissions(odd / "closed", fs::perms::owner_all);
}

// Nothing outside the environment is written, chmodded or removed: not through a symlink the
// environment holds (replaced by a directory, then back), nor through symlinks planted at every
// name beside the environment that a reset could pick (kept old trees, replaced roots).
TEST_F(ResetTest, NothingOutsideTheEnvironmentIsTouched)
{
    make_history(20);
    const auto outside = dir / "outside";
    write_text(outside / "precious.txt", "keep me\n");
    write_text(outside / "deeper" / "more.txt", "and me\n");
    fs::permissions(outside, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    const auto escape = site_packages(venv) / "escape";
    fs::create_symlink(outside, escape);
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);  // @3: a symlink out
    fs::remove(escape);
    write_text(escape / "inside.txt", "inside\n");
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);  // @4: a directory in its place
    for (int seq = 1; seq < 12; ++seq)
        for (const auto* role : {"old", "replaced"})
            fs::create_symlink(outside, fmt::format("{}.envpin-{}-{}", venv.string(), role, seq));
    const auto before = picture(outside);
    for (const auto* target : {"train@3", "train@4", "train@1", "train@4"}) {
        const auto reset = envpin({"reset", "train", target, "--force", "--keep-old"});
        ASSERT_EQ(reset.exit_code, 0) << target << ": " << reset.err;
        ASSERT_EQ(envpin({"recover"}).exit_code, 0);
        EXPECT_EQ(picture(outside), before) << "after the reset to " << target;
    }
    fs::remove_all(venv);
    ASSERT_EQ(envpin({"reset", "train", "train@3", "--force"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    EXPECT_EQ(picture(outside), before);
    EXPECT_TRUE(fs::is_symlink(escape));
    for (int seq = 1; seq < 12; ++seq)
        EXPECT_TRUE(fs::is_symlink(fmt::format("{}.envpin-old-{}", venv.string(), seq)));
}

TEST_F(ResetTest, AfterTheCleanupRestoredFilesAreKnownWithoutHashing)
{
    make_history(400);  // 40 bulk files and tinypkg's files differ between @1 and @2
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    // The cleanup removes the old entries; the detach gives the linked objects their own inodes
    // (moving the ctime of each restored file) and takes those ctimes into the stat cache.
    wait_for_cleanup();
    const auto snapshot = envpin({"snapshot", "train", "--json"});
    ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
    EXPECT_EQ(snapshot.json()["created"], false);
    EXPECT_EQ(snapshot.json()["hashed_files"].get<int>(), 0) << snapshot.out;
}

// Status of "train" through the store: clean, and every file trusted by its stamp (none hashed).
void expect_clean_without_hashing_in(const fs::path& store_root)
{
    auto reader = store::Store::open({store_root, store::Access::read});
    ASSERT_TRUE(reader) << reader.error().describe();
    const auto drift = store::status(*reader, reader->environment("train").value());
    ASSERT_TRUE(drift) << drift.error().describe();
    EXPECT_TRUE(drift->clean());
    EXPECT_EQ(drift->hashed_files, 0);
}

// Right after a reset (its cleanup and the detach still pending), status trusts the files the
// reset wrote by the stamps it recorded for them, and a file changed since is still seen.
TEST_F(ResetTest, RightAfterAResetStatusHashesNothingAndStillSeesChanges)
{
    make_history(400);
    // Files written within 50 ms of a snapshot are left out of its stat cache ("racy"), and a
    // fast machine writes the last ones that close to @2: an unchanged snapshot a moment later
    // takes them in, so that whatever status hashes below is the reset's doing.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    auto reset = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force", "--json"},
                            {{"ENVPIN_NO_BACKGROUND", "1"}});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_GT(reset.json()["restored_files"].get<int>(), 40);
    EXPECT_TRUE(reset.json()["detach_pending"].get<bool>());  // no background: the restored files stay linked
    expect_clean_without_hashing_in(store());
    // A file changed after the reset is not trusted, even with its size and mtime kept.
    const auto changed = site_packages(venv) / "bulk" / "m1" / "f110.py";
    const auto mtime = fs::last_write_time(changed);
    const auto size = fs::file_size(changed);
    write_text(changed.string() + ".new", std::string(size, '#'));
    fs::rename(changed.string() + ".new", changed);
    fs::last_write_time(changed, mtime);
    const auto status = envpin({"status", "train", "--exit-code", "--files"});
    EXPECT_EQ(status.exit_code, 1) << status.out << status.err;
    EXPECT_NE(status.out.find("bulk/m1/f110.py"), std::string::npos) << status.out;
}

// The whole tree back (the environment deleted): its stat cache is stored beside the tree's
// sync, on a connection of its own, and status right after still trusts every file it wrote.
TEST_F(ResetTest, RightAfterAWholeTreeResetStatusHashesNothing)
{
    make_history(400);
    fs::remove_all(venv);
    auto reset = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force", "--json"},
                            {{"ENVPIN_NO_BACKGROUND", "1"}, {"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["root"], "missing");
    EXPECT_NE(reset.err.find("stat cache (beside)"), std::string::npos) << reset.err;
    expect_clean_without_hashing_in(store());
}

TEST_F(ResetTest, AFileChangedRightAfterAResetIsNeverTakenForTheRestoredOne)
{
    make_history(400);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    // Replace a restored file with other bytes of the same size and the same mtime, while the
    // detached cleanup may be stamping the restored files.
    const auto path = site_packages(venv) / "bulk" / "m0" / "f0.py";
    const auto before = fs::last_write_time(path);
    const auto text = read_text(path);
    write_text(path.string() + ".new", std::string(text.size(), '#'));
    fs::rename(path.string() + ".new", path);
    fs::last_write_time(path, before);
    wait_for_cleanup();
    const auto status = envpin({"status", "train", "--exit-code", "--files"});
    EXPECT_EQ(status.exit_code, 1) << status.out << status.err;
    EXPECT_NE(status.out.find("bulk/m0/f0.py"), std::string::npos) << status.out;
}

TEST_F(ResetTest, DryRunSaysWhatWouldChangeAndChangesNothing)
{
    make_history(50);
    write_text(site_packages(venv) / "unsaved.py", "x = 1\n");  // drift a real reset would save first
    const auto store_before = store_fingerprint(store());
    const auto tree_before = picture(venv);
    const auto preview = envpin({"reset", "train", "train@1", "--force", "--dry-run", "--json"});
    ASSERT_EQ(preview.exit_code, 0) << preview.err;
    const auto json = preview.json();
    EXPECT_EQ(json["status"], "dry-run");
    EXPECT_EQ(json["to"], "train@1");
    EXPECT_EQ(json["saves_drift"], true);
    const auto& changes = json["changes"];
    const auto modified = changes["modified"].dump();
    for (const char* bulk : {"bulk/m0/f0.py", "bulk/m0/f10.py", "bulk/m0/f40.py"})  // every tenth changed
        EXPECT_NE(modified.find(bulk), std::string::npos) << bulk << "\n" << changes.dump(2);
    EXPECT_EQ(modified.find("bulk/m0/f1.py"), std::string::npos) << changes.dump(2);  // the others did not
    EXPECT_NE(changes["removed"].dump().find("unsaved.py"), std::string::npos) << changes.dump(2);
    ASSERT_EQ(changes["distributions"].size(), 1u) << changes.dump(2);
    EXPECT_EQ(changes["distributions"][0]["from"], "2.0");
    EXPECT_EQ(changes["distributions"][0]["to"], "1.0");
    EXPECT_EQ(picture(venv), tree_before);
    EXPECT_EQ(store_fingerprint(store()), store_before);

    const auto text = envpin({"reset", "train", "train@1", "--force", "--dry-run"});
    EXPECT_NE(text.out.find("first save the unsaved changes"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("tinypkg 2.0 -> 1.0"), std::string::npos) << text.out;
    // The same refusal as a reset: never verified here and no --force.
    EXPECT_EQ(envpin({"reset", "train", "train@1", "--dry-run"}).exit_code, 1);
    EXPECT_EQ(store_fingerprint(store()), store_before);
}

TEST_F(ResetTest, RefusesAnUnverifiedTargetAndChangesNothing)
{
    make_history();
    const auto store_before = store_fingerprint(store());
    const auto refused = envpin({"reset", "train", "train@1"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("train@1 was never verified on this host"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("verified on this host: none"), std::string::npos) << refused.err;
    EXPECT_EQ(picture(venv), second);
    EXPECT_EQ(store_fingerprint(store()), store_before);
    // No REF: the newest verified snapshot before the current one; there is none yet.
    const auto no_default = envpin({"reset", "train", "--json"});
    EXPECT_EQ(no_default.exit_code, 1);
    EXPECT_EQ(no_default.json()["status"], "refused");
}

TEST_F(ResetTest, DefaultTargetIsTheNewestVerifiedSnapshot)
{
    make_history();
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    const auto verified = envpin({"verify", "train", "--only", "host", "--json"});
    ASSERT_EQ(verified.exit_code, 0) << verified.err << verified.out;
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    const auto log = envpin({"log", "train", "--json"}).json()["snapshots"];
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1]["verified"], "pass");
    const auto back = envpin({"reset", "train", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["to"], "train@1");
    EXPECT_EQ(back.json()["target_verified"], true);
    EXPECT_EQ(picture(venv), first);
}

TEST_F(ResetTest, UnsavedDriftIsSnapshottedFirstAndCanBeRestored)
{
    make_history();
    write_text(site_packages(venv) / "mine.py", "precious = True\n");
    const auto with_drift = picture(venv);
    const auto reset = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force", "--json"},
                                  {{"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["saved"], "train@3");
    EXPECT_EQ(picture(venv), first);
    EXPECT_NE(reset.err.find("read changed shards (beside)"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("shards the unsaved changes touch: env, site-packages-m\n"), std::string::npos)
        << reset.err;
    EXPECT_EQ(reset.err.find("read target shards"), std::string::npos) << reset.err;
    EXPECT_EQ(envpin({"log", "train", "--json"}).json()["snapshots"][0]["reason"], "pre-reset");
    // The reset itself is undone by another reset.
    ASSERT_EQ(envpin({"reset", "train", "train@3", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), with_drift);
}

// A reset reads only the target's shards (site-packages by first letter) that differ from the
// tree: here the target differs from the current snapshot in tinypkg's shard (t), the unsaved
// changes touch otherpkg's (o) in place and add a package in a shard the target lacks (z),
// and the whole bin/ directory (shard env) is gone. Each must come back or go, byte for byte.
// The shards the changes touch are read while the changes are saved, as soon as the walk has
// found them, not after.
TEST_F(ResetTest, ChangesInShardsTheTargetDoesNotDifferInComeBackToo)
{
    make_history(0, "copy");
    const auto other = site_packages(venv) / "otherpkg" / "__init__.py";
    ASSERT_TRUE(fs::exists(other));
    { std::ofstream(other, std::ios::app) << "# edited in place\n"; }
    write_text(site_packages(venv) / "zzzpkg" / "__init__.py", "new = True\n");
    fs::remove_all(venv / "bin");
    const auto with_drift = picture(venv);
    const auto reset = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force", "--json"},
                                  {{"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["saved"], "train@3");
    EXPECT_EQ(picture(venv), first);
    EXPECT_NE(reset.err.find("read changed shards (beside)"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("shards the unsaved changes touch: env, site-packages-o, site-packages-z\n"), std::string::npos)
        << reset.err;
    EXPECT_EQ(reset.err.find("read target shards"), std::string::npos) << reset.err;
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
    // And forward again, to the drift saved before the reset and then to @2.
    ASSERT_EQ(envpin({"reset", "train", "train@3", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), with_drift);
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), second);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

// Back to the snapshot the tree was at: the changed shard (bulk's, many pieces of text) is
// compared line by line with the tree, and only what differs is parsed. Every kind of change in
// it comes back: a file written in place, one removed, one added, one turned into a directory,
// one's mode, a new symlink, and a new directory with files.
TEST_F(ResetTest, EveryKindOfChangeInOneLargeShardComesBack)
{
    make_history(3000);
    wait_for_cleanup();  // the objects have their own inodes before a file is written in place
    const auto bulk = site_packages(venv) / "bulk";
    { std::ofstream(bulk / "m3" / "f305.py", std::ios::app) << "# edited in place\n"; }
    fs::remove(bulk / "m7" / "f777.py");
    write_text(bulk / "m7" / "added.py", "added = 1\n");
    fs::remove(bulk / "m12" / "f1201.py");
    write_text(bulk / "m12" / "f1201.py" / "inside.py", "inside = 1\n");
    fs::permissions(bulk / "m20" / "f2002.py", fs::perms::owner_all);
    fs::create_symlink("f2999.py", bulk / "m29" / "link.py");
    write_text(bulk / "new" / "deep" / "one.py", "one = 1\n");
    const auto with_drift = picture(venv);
    const auto reset = run_envpin({"--store", store().string(), "reset", "train", "train@2", "--force", "--json"},
                                  {{"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["saved"], "train@3");
    EXPECT_EQ(picture(venv), second);
    EXPECT_NE(reset.err.find("compare changed shards"), std::string::npos) << reset.err;
    // Only bulk's shard, not every shard of the files the stat cache vouched for.
    EXPECT_NE(reset.err.find("shards the unsaved changes touch: env, site-packages-b\n"), std::string::npos) << reset.err;
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
    ASSERT_EQ(envpin({"reset", "train", "train@3", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), with_drift);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), first);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

TEST_F(ResetTest, ResetToTheCurrentStateIsANoOp)
{
    make_history();
    const auto reset = envpin({"reset", "train", "train@2", "--force", "--json"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(reset.json()["status"], "unchanged");
    EXPECT_EQ(picture(venv), second);
}

// --keep-old keeps what the reset replaced or removed, under the same paths, beside the
// environment; nothing else of the old tree moved.
TEST_F(ResetTest, KeepOldLeavesTheReplacedEntriesBeside)
{
    make_history();
    const auto reset = envpin({"reset", "train", "train@1", "--force", "--keep-old", "--json"});
    ASSERT_EQ(reset.exit_code, 0) << reset.err;
    EXPECT_EQ(picture(venv), first);
    const fs::path kept = reset.json()["old_tree"].get<std::string>();
    const auto old_entries = picture(kept);
    ASSERT_FALSE(old_entries.empty());
    for (const auto& [path, what] : old_entries)
        EXPECT_EQ(second.at(path), what) << path;  // each kept entry is exactly the old one
    const auto changed = delta(second, first);
    for (const auto* paths : {&changed.modified, &changed.removed})
        for (const auto& path : *paths)
            EXPECT_TRUE(old_entries.contains(path)) << path << " was replaced but not kept";
}

TEST_F(ResetTest, TwoRenameFallbackRestoresTheSameTree)
{
    make_history();
    auto run = run_envpin({"--store", store().string(), "reset", "train", "train@1", "--force", "--json"},
                          {{"ENVPIN_RESET_NO_EXCHANGE", "1"}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(picture(venv), first);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST_F(ResetTest, RunningProcessesKeepTheirOpenFiles)
{
    make_history();
    const auto module = site_packages(venv) / "tinypkg" / "__init__.py";
    const std::string before = read_text(module);
    FILE* open_file = std::fopen(module.c_str(), "r");
    ASSERT_NE(open_file, nullptr);
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    char buffer[4096] = {};
    const size_t n = std::fread(buffer, 1, sizeof buffer - 1, open_file);
    std::fclose(open_file);
    EXPECT_EQ(std::string(buffer, n), before);
    EXPECT_NE(read_text(module), before);
}

std::string describe(const TreeDelta& change)
{
    std::string text;
    for (const auto& [kind, paths] : {std::pair{"+", &change.added}, std::pair{"~", &change.modified},
                                      std::pair{"-", &change.removed}})
        for (size_t i = 0; i < paths->size() && i < 5; ++i)
            text += std::string(kind) + (*paths)[i] + " ";
    return text;
}

// The opt-in hardlink mode keeps objects shared: a write in place reaches the snapshot, and
// reset refuses the damaged object rather than restore wrong bytes.
TEST_F(ResetTest, InPlaceWriteIntoAHardlinkedObjectIsRefused)
{
    make_history(0, "hardlink");
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    // Written in place (not replaced), the file is the object train@1 recorded.
    const auto module = site_packages(venv) / "tinypkg" / "__init__.py";
    const auto original = read_text(module);
    {
        std::ofstream(module, std::ios::binary | std::ios::trunc) << "# edited in place\n" << original;
    }
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    const auto refused = envpin({"reset", "train", "train@1", "--force"});
    EXPECT_EQ(refused.exit_code, 3);
    EXPECT_NE(refused.err.find("written in place"), std::string::npos) << refused.err;
    EXPECT_EQ(picture(venv), second);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 1);
}

// True when every path holds exactly what it held in `old_tree` or in `new_tree` (absent counts).
bool each_entry_old_or_new(const TreePicture& now, const TreePicture& old_tree, const TreePicture& new_tree)
{
    auto at = [](const TreePicture& tree, const std::string& path) {
        const auto found = tree.find(path);
        return found == tree.end() ? std::string("absent") : found->second;
    };
    for (const auto* tree : {&now, &old_tree, &new_tree})
        for (const auto& [path, _] : *tree)
            if (at(now, path) != at(old_tree, path) && at(now, path) != at(new_tree, path))
                return false;
    return true;
}

// A kill between any two steps of a reset (the crash point lands it exactly there): every entry
// is its old or its new self, and the next command takes the applied steps back, so the tree
// is exactly the old snapshot and the store says so.
TEST_F(ResetTest, AKillBetweenAnyTwoStepsIsTakenBackByTheNextCommand)
{
    no_background_writers();
    make_history(200);
    const auto plan = envpin({"reset", "train", "train@1", "--force", "--json"});  // counts the steps
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    const int steps = plan.json()["steps"].get<int>();
    ASSERT_GT(steps, 10);
    ASSERT_EQ(envpin({"reset", "train", "train@2", "--force"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    for (const int after : {1, 2, steps / 2, steps - 1}) {
        const auto killed = sys::run_process({{ENVPIN_BIN, "--store", store().string(), "reset", "train", "train@1", "--force"},
                                              {{"ENVPIN_CRASH_AT", fmt::format("reset-step:{}", after)}}}).value();
        ASSERT_EQ(killed.term_signal, SIGKILL) << "after step " << after << ": " << killed.err;
        const auto now = picture(venv);
        EXPECT_TRUE(each_entry_old_or_new(now, first, second)) << "after step " << after;
        EXPECT_NE(now, second) << "after step " << after << ": the kill landed before any step";
        EXPECT_NE(now, first) << "after step " << after << ": the kill landed after the last step";
        ASSERT_EQ(envpin({"recover"}).exit_code, 0);
        EXPECT_EQ(picture(venv), second) << "after step " << after;
        EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0) << "after step " << after;
        EXPECT_TRUE(leftovers().empty()) << "after step " << after;
    }
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
    // And the reset goes through once nothing kills it.
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    EXPECT_EQ(picture(venv), first);
}

// A reader never fails because of a reset: one killed halfway is reported as interrupted (the
// tree is neither snapshot), one running beside it is waited out or reported as running.
TEST_F(ResetTest, ReadersSeeAnInterruptedResetAndNeverFailBesideARunningOne)
{
    no_background_writers();  // none to take the interrupted reset back before status looks
    make_history(200);
    const auto killed = sys::run_process({{ENVPIN_BIN, "--store", store().string(), "reset", "train", "train@1", "--force"},
                                          {{"ENVPIN_CRASH_AT", "reset-step:1"}, {"ENVPIN_RESET_NO_EXCHANGE", "1"}}}).value();
    ASSERT_EQ(killed.term_signal, SIGKILL) << killed.err;
    const auto status = envpin({"status", "train"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("a reset to train@1 was interrupted"), std::string::npos) << status.out;
    const auto json = envpin({"status", "train", "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.json()["reset_underway"]["target"], "train@1");
    EXPECT_EQ(json.json()["reset_underway"]["running"], false);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 1);
    EXPECT_EQ(envpin({"log", "train"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);
    EXPECT_EQ(picture(venv), second);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);

    // Resets back and forth while status runs beside them: every status answers.
    auto resets = std::async(std::launch::async, [&] {
        for (int i = 0; i < 8; ++i)
            if (envpin({"reset", "train", i % 2 == 0 ? "train@1" : "train@2", "--force", "-q"}).exit_code != 0)
                return false;
        return true;
    });
    int readers = 0;
    while (resets.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        const auto read = envpin({"status", "train", "--json"});
        EXPECT_EQ(read.exit_code, 0) << read.out << read.err;
        ++readers;
    }
    EXPECT_TRUE(resets.get());
    EXPECT_GT(readers, 3);
}

TEST_F(ResetTest, KillNineAtRandomMomentsLeavesTheOldOrTheNewTree)
{
    make_history(3000);
    // How long one reset takes here, to spread the kills over it.
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(envpin({"reset", "train", "train@1", "--force"}).exit_code, 0);
    const auto duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    std::mt19937 random(20261128);
    std::uniform_int_distribution<long long> delay(0, std::max<long long>(duration.count(), 2000));
    int killed_mid_way = 0;
    int kills_between_steps = 0;  // the tree was a mix of old and new entries until recovery
    // Until 20 kills have landed while a reset ran (a kill after it ended proves nothing).
    for (int round = 0; round < 100 && killed_mid_way < 20; ++round) {
        const std::string target = round % 2 == 0 ? "train@2" : "train@1";
        const pid_t pid = start_envpin({"--store", store().string(), "reset", "train", target, "--force", "-q"});
        std::this_thread::sleep_for(std::chrono::microseconds(delay(random)));
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            // A reset that ended between the look and the kill is a zombie the signal misses:
            // only a death by the signal counts as a kill that landed.
            killed_mid_way += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        }
        // Every entry is exactly its old or its new self (each step is one rename)...
        const auto now = picture(venv);
        ASSERT_TRUE(each_entry_old_or_new(now, first, second))
            << "round " << round << ": an entry is neither; against train@1: " << describe(delta(first, now))
            << "; against train@2: " << describe(delta(second, now));
        kills_between_steps += now != first && now != second;
        // ...and the next writer finishes or takes back the journal: the tree is one of the two,
        // and it is the state the store says it is at.
        ASSERT_EQ(envpin({"recover"}).exit_code, 0) << "round " << round;
        const auto recovered = picture(venv);
        ASSERT_TRUE(recovered == first || recovered == second) << "round " << round;
        ASSERT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0) << "round " << round;
    }
    EXPECT_GE(killed_mid_way, 20) << "too few kills landed while a reset was running";
    std::cout << "kills while a reset ran: " << killed_mid_way << ", of which between its steps: " << kills_between_steps << "\n";
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
