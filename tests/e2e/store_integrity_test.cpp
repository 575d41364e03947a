// fsck names damage and the snapshots it touches; gc removes only what no snapshot uses; two
// writers at once are serialized; a writer that cannot get the lock says who holds it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include "store/core/digest.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

// Flips one byte of a (read-only) object file in place.
void flip_byte(const fs::path& object)
{
    fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
    std::fstream file(object, std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    file.seekg(0);
    file.get(byte);
    file.seekp(0);
    file.put(static_cast<char>(byte ^ 0x20));
}

fs::path object_of(const fs::path& store, std::string_view content, bool executable = false)
{
    const auto hex = store::sha256_of(content).hex();
    return store / "objects" / hex.substr(0, 2) / (hex.substr(2) + (executable ? ".x" : ""));
}

class IntegrityTest : public StoreTest {
protected:
    void SetUp() override
    {
        make_venv(venv);
        write_text(site_packages(venv) / "shared.py", shared);
        ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train", "--link-mode", "copy"}).exit_code, 0);
        write_text(site_packages(venv) / "added.py", "print('second snapshot')\n");
        ASSERT_EQ(envpin({"snapshot", "train"}).exit_code, 0);
    }

    fs::path venv = dir / "venv";
    std::string shared = "ANSWER = 42\n";
};

TEST_F(IntegrityTest, FsckIsCleanOnAHealthyStore)
{
    const auto run = envpin({"fsck", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.json()["clean"], true);
    EXPECT_GT(run.json()["objects"].get<int>(), 5);
    EXPECT_EQ(run.json()["snapshots"], 2);
}

TEST_F(IntegrityTest, OneFlippedByteIsNamedWithTheSnapshotsThatUseIt)
{
    const auto object = object_of(store(), shared);
    ASSERT_TRUE(fs::exists(object));
    flip_byte(object);
    const auto run = envpin({"fsck", "--json"});
    ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
    const auto problems = run.json()["problems"];
    ASSERT_EQ(problems.size(), 1u) << problems.dump(2);
    EXPECT_EQ(problems[0]["kind"], "corrupt-object");
    EXPECT_EQ(problems[0]["object"], fs::relative(object, store() / "objects").string());
    EXPECT_EQ(problems[0]["snapshots"], nlohmann::json::parse(R"(["train@1", "train@2"])"));
    const auto text = envpin({"fsck"});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.out.find(fs::relative(object, store() / "objects").string()), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("used by train@1, train@2"), std::string::npos) << text.out;
}

// Bit rot as it looks on disk: one byte flipped and the mtime put back, so that nothing but the
// bytes tell. Reset reads back what it built before anything is swapped in: it refuses, names
// the object and the snapshots that use it, and the environment stays as it was.
TEST_F(IntegrityTest, ResetNeverRestoresBytesItHasNotVerified)
{
    const auto object = object_of(store(), shared);
    const auto mtime = fs::last_write_time(object);
    flip_byte(object);
    fs::last_write_time(object, mtime);
    write_text(site_packages(venv) / "shared.py", "ANSWER = 0\n");
    const auto reset = envpin({"reset", "train", "train@1", "--force"});
    EXPECT_EQ(reset.exit_code, 3) << reset.out << reset.err;
    EXPECT_NE(reset.err.find("shared.py"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("train@1, train@2"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("no longer hold the bytes"), std::string::npos) << reset.err;
    EXPECT_EQ(read_text(site_packages(venv) / "shared.py"), "ANSWER = 0\n");
    EXPECT_TRUE(fs::exists(site_packages(venv) / "added.py"));
    // Nothing is left beside the environment, and the store is usable: fsck names the damage.
    for (const auto& entry : fs::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find("envpin-reset"), std::string::npos) << entry.path();
    EXPECT_EQ(envpin({"fsck"}).exit_code, 1);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);  // the drift was saved first, as train@3
}

TEST_F(IntegrityTest, AMissingObjectIsNamedToo)
{
    fs::remove(object_of(store(), "print('second snapshot')\n"));
    const auto run = envpin({"fsck", "--json"});
    ASSERT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.json()["problems"][0]["kind"], "missing-object");
    EXPECT_EQ(run.json()["problems"][0]["snapshots"], nlohmann::json::parse(R"(["train@2"])"));
}

// A snapshot puts back an object removed behind the store's back from the environment's
// unchanged file, whether the state changed (the commit was started beside the search for
// missing objects, and is written again) or not.
TEST_F(IntegrityTest, ASnapshotPutsBackAMissingObjectFromTheEnvironment)
{
    const auto object = object_of(store(), "print('second snapshot')\n");
    fs::remove(object);
    // Make sure the stat cache, not a re-read, vouches for added.py.
    ASSERT_EQ(envpin({"snapshot", "train", "--json"}).json()["created"], false);
    ASSERT_TRUE(fs::exists(object)) << "an unchanged snapshot puts the object back";
    fs::remove(object);
    write_text(site_packages(venv) / "changed.py", "print('third snapshot')\n");
    const auto run = envpin({"snapshot", "train", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.json()["created"], true);
    EXPECT_TRUE(fs::exists(object));
    const auto fsck = envpin({"fsck", "--json"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
    EXPECT_EQ(fsck.json()["snapshots"], 3);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST_F(IntegrityTest, GcRemovesOnlyUnreferencedObjects)
{
    const auto garbage = object_of(store(), "nobody uses this\n");
    write_text(garbage, "nobody uses this\n");
    const auto before = picture(store() / "objects");
    const auto dry = envpin({"gc", "--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(dry.json()["removed_objects"], 1);
    EXPECT_TRUE(fs::exists(garbage));

    const auto run = envpin({"gc", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.json()["removed_objects"], 1);
    EXPECT_FALSE(fs::exists(garbage));
    const auto after = picture(store() / "objects");
    const auto changes = delta(before, after);
    EXPECT_EQ(changes.removed, std::vector<std::string>{fs::relative(garbage, store() / "objects").string()});
    EXPECT_TRUE(changes.added.empty());
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);  // everything a snapshot uses is still there
    EXPECT_EQ(envpin({"gc", "--json"}).json()["removed_objects"], 0);
}

TEST_F(IntegrityTest, CopiedObjectsSurviveInPlaceWritesToTheEnvironment)
{
    std::ofstream(site_packages(venv) / "shared.py", std::ios::binary | std::ios::trunc) << "REWRITTEN = 1\n";
    EXPECT_EQ(read_text(object_of(store(), shared)), shared);
    EXPECT_EQ(envpin({"fsck"}).exit_code, 0);
}

TEST_F(StoreTest, InPlaceWritesThroughAHardlinkedObjectAreCaughtByFsck)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    const std::string content = "VALUE = 1\n";
    write_text(site_packages(venv) / "linked.py", content);
    const auto adopted = envpin({"adopt", venv.string(), "--name", "linked", "--link-mode", "hardlink", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    EXPECT_EQ(adopted.json()["link_mode"], "hardlink");
    std::ofstream(site_packages(venv) / "linked.py", std::ios::binary | std::ios::trunc) << "VALUE = 2\n";
    const auto run = envpin({"fsck", "--json"});
    ASSERT_EQ(run.exit_code, 1) << run.out;
    EXPECT_EQ(run.json()["problems"][0]["object"], fs::relative(object_of(store(), content), store() / "objects").string());
    EXPECT_EQ(run.json()["problems"][0]["snapshots"], nlohmann::json::parse(R"(["linked@1"])"));
}

TEST_F(StoreTest, TwoWritersAtOnceBothFinishAndTheStoreStaysConsistent)
{
    for (const auto* name : {"a", "b"}) {
        make_venv(dir / name);
        ASSERT_EQ(envpin({"adopt", (dir / name).string(), "--name", name}).exit_code, 0);
        for (int i = 0; i < 200; ++i)
            write_text(site_packages(dir / name) / fmt::format("pkg/m{}.py", i), fmt::format("N = {} # {}\n", i, name));
    }
    auto snapshot = [&](std::string name) { return envpin({"snapshot", name, "--wait", "120"}); };
    auto first = std::async(std::launch::async, snapshot, "a");
    auto second = std::async(std::launch::async, snapshot, "b");
    auto third = std::async(std::launch::async, snapshot, "a");
    const auto results = {first.get(), second.get(), third.get()};
    for (const auto& run : results)
        EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(envpin({"log", "a", "--json"}).json()["snapshots"].size(), 2u);  // the later of the two was a no-op
    EXPECT_EQ(envpin({"log", "b", "--json"}).json()["snapshots"].size(), 2u);
    const auto fsck = envpin({"fsck", "--json"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    EXPECT_EQ(fsck.json()["unreferenced_objects"], 0);
    EXPECT_EQ(envpin({"status", "a", "--exit-code"}).exit_code, 0);
    EXPECT_EQ(envpin({"status", "b", "--exit-code"}).exit_code, 0);
}

TEST_F(StoreTest, ABusyStoreNamesTheHolderAndReadersDoNotWait)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(envpin({"recover"}).exit_code, 0);  // the background copy is done: the lock is free
    const int lock = ::open((store() / "lock").c_str(), O_RDWR);
    ASSERT_GE(lock, 0);
    ASSERT_EQ(::flock(lock, LOCK_EX | LOCK_NB), 0);
    const auto pid = std::to_string(::getpid()) + "\n";
    ASSERT_EQ(::pwrite(lock, pid.data(), pid.size(), 0), static_cast<ssize_t>(pid.size()));
    const auto busy = envpin({"snapshot", "train", "--wait", "0.3"});
    EXPECT_EQ(busy.exit_code, 3);
    EXPECT_NE(busy.err.find(fmt::format("store is busy (pid {})", ::getpid())), std::string::npos) << busy.err;
    EXPECT_EQ(envpin({"status", "train"}).exit_code, 0);  // readers never block
    EXPECT_EQ(envpin({"log", "train"}).exit_code, 0);
    ::close(lock);
    EXPECT_EQ(envpin({"snapshot", "train", "--wait", "0"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
