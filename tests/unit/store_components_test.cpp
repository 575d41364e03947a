// The store's components on real files: SQLite catalog, git history, object store, scanner,
// writer lock. No mocks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "base/strings.hpp"
#include "store/core/metadata.hpp"
#include "store/core/database.hpp"
#include "store/core/git_stored_objects.hpp"
#include "store/core/history.hpp"
#include "store/core/object_store.hpp"
#include "store/lifecycle/scanner.hpp"
#include "store/core/store_lock.hpp"
#include "sys/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

struct stat stat_of(const std::filesystem::path& path)
{
    struct stat info{};
    EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
    return info;
}

TEST(Metadata, CreatesTheSchemaAndEnforcesForeignKeys)
{
    test::TempDir dir;
    auto catalog = Metadata::open(dir / "envpin.db", OpenMode::create);
    ASSERT_TRUE(catalog) << catalog.error().describe();
    EXPECT_EQ(catalog->database().user_version().value(), schema_version);
    const auto orphan = catalog->insert_snapshot({999, std::string(40, 'a'), std::nullopt, utc_now(), "adopt", "", {}, 0, 0});
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().code, ErrorCode::sqlite);
    auto reopened = Metadata::open(dir / "envpin.db", OpenMode::read_write);  // no migration twice
    ASSERT_TRUE(reopened) << reopened.error().describe();
}

long long synchronous_setting(Database& database)
{
    auto statement = database.prepare("PRAGMA synchronous").value();
    EXPECT_TRUE(statement.step().value());
    return statement.integer(0);
}

TEST(Database, AnUnsyncedTransactionCommitsOrRollsBackAndTheStoreStaysSynced)
{
    test::TempDir dir;
    auto database = Database::open(dir / "t.db", OpenMode::create).value();
    ASSERT_TRUE(database.exec("CREATE TABLE t (v INTEGER)"));
    constexpr long long full = 2, normal = 1;
    EXPECT_EQ(synchronous_setting(database), full);
    {
        auto transaction = Transaction::begin(database, Durability::unsynced).value();
        EXPECT_EQ(synchronous_setting(database), normal);
        ASSERT_TRUE(database.exec("INSERT INTO t VALUES (1)"));
        ASSERT_TRUE(transaction.commit());
    }
    EXPECT_EQ(synchronous_setting(database), full);
    {
        auto transaction = Transaction::begin(database, Durability::unsynced).value();
        ASSERT_TRUE(database.exec("INSERT INTO t VALUES (2)"));
    }  // rolled back
    EXPECT_EQ(synchronous_setting(database), full);
    auto rows = database.prepare("SELECT group_concat(v) FROM t").value();
    ASSERT_TRUE(rows.step().value());
    EXPECT_EQ(rows.text(0), "1");
    auto synced = Transaction::begin(database).value();
    EXPECT_EQ(synchronous_setting(database), full);
    ASSERT_TRUE(synced.commit());
}

TEST(Metadata, RefusesADatabaseFromANewerEnvpin)
{
    test::TempDir dir;
    {
        auto database = Database::open(dir / "envpin.db", OpenMode::create);
        ASSERT_TRUE(database);
        ASSERT_TRUE(database->set_user_version(schema_version + 5));
    }
    const auto catalog = Metadata::open(dir / "envpin.db", OpenMode::read_write);
    ASSERT_FALSE(catalog);
    EXPECT_EQ(catalog.error().code, ErrorCode::corrupt);
}

TEST(Metadata, SnapshotsGetSequenceNumbersAndVerifyRunsAreKept)
{
    test::TempDir dir;
    auto catalog = Metadata::open(dir / "envpin.db", OpenMode::create).value();
    const auto env = catalog.insert_environment({0, "train", "/x/.venv", LinkMode::copy, utc_now(), std::nullopt}).value();
    const auto first = catalog.insert_snapshot({env, std::string(40, '1'), std::nullopt, utc_now(), "adopt", "", sha256_of("a"), 3, 30}).value();
    const auto second = catalog.insert_snapshot({env, std::string(40, '2'), first.id, utc_now(), "snapshot", "m", sha256_of("b"), 4, 40}).value();
    EXPECT_EQ(first.seq, 1);
    EXPECT_EQ(second.seq, 2);
    EXPECT_EQ(second.state, sha256_of("b"));
    EXPECT_EQ(catalog.snapshots_by_commit_prefix("2222").value().size(), 1u);

    VerifyRunRecord run{first.id, "H100|580.95.05|suite-1", false, utc_now(), 1200, "1", "{}", "{}",
                        {{"kernels", "fail", R"({"name":"kernels"})"}, {"nccl", "skip", "{}"}}};
    const auto failed_id = catalog.record_verify_run(run).value();
    run.passed = true;
    run.checks[0].status = "pass";
    const auto run_id = catalog.record_verify_run(run).value();
    const auto stored = catalog.verify_run(run_id).value();
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->record, run);
    const auto runs = catalog.verify_runs(env, std::string("H100|580.95.05|suite-1")).value();
    ASSERT_EQ(runs.size(), 2u);  // every run is kept, oldest first
    EXPECT_EQ(runs[0].id, failed_id);
    EXPECT_EQ(runs[1].id, run_id);
    EXPECT_TRUE(catalog.verify_runs(env, std::string("other host")).value().empty());

    const auto journal = catalog.begin_journal(env, "reset", "building", "{}").value();
    ASSERT_TRUE(catalog.update_journal(journal, "swapped", R"({"old":"/x/.venv.old"})"));
    EXPECT_EQ(catalog.open_journals().value().at(0).state, "swapped");
    ASSERT_TRUE(catalog.end_journal(journal));
    EXPECT_TRUE(catalog.open_journals().value().empty());
}

TEST(History, CommitsManifestsThatStockGitReads)
{
    test::TempDir dir;
    auto history = History::open(dir / "manifests.git", OpenMode::create);
    ASSERT_TRUE(history) << history.error().describe();
    const std::vector<FileShard> first_files = {{"env", "envpin-files 1\nd\t0755\t.\n"},
                                                {"site-packages-t", "envpin-files 1\nd\t0755\tlib/python3.12/site-packages/torch\n"}};
    auto request = [](const std::vector<FileShard>& files, std::optional<std::string> parent, std::string message,
                      long long time) {
        // One "entry" per shard: its whole text is the piece that begins at 0.
        CommitRequest made{{}, {}, [files](size_t i, size_t begin, size_t) { return begin == 0 ? files[i].text : ""; },
                           "envpin-distributions 1\n", std::move(parent), std::move(message), time};
        for (const auto& shard : files) {
            made.shard_names.push_back(shard.name);
            made.shard_entries.push_back(1);
        }
        return made;
    };
    const auto first = history->write_commit(request(first_files, std::nullopt, "train@1: adopt\n", 1700000000));
    ASSERT_TRUE(first) << first.error().describe();
    EXPECT_FALSE(history->branch("train").value());  // writing a commit moves no branch
    ASSERT_TRUE(history->set_branch("train", *first));
    auto second_files = first_files;
    second_files[0].text = "envpin-files 1\nd\t0700\t.\n";
    const auto second = history->write_commit(request(second_files, *first, "train@2: snapshot\n", 1700000100));
    ASSERT_TRUE(second);
    ASSERT_TRUE(history->set_branch("train", *second));
    EXPECT_EQ(history->branch("train").value(), *second);
    const auto read = history->read(*first).value();
    EXPECT_TRUE(read.sharded);
    EXPECT_EQ(read.files, first_files);
    EXPECT_EQ(read.distributions, "envpin-distributions 1\n");
    EXPECT_EQ(history->read(std::string(40, '0')).error().code, ErrorCode::not_found);

    sys::ProcessSpec git{{"git", "--git-dir", (dir / "manifests.git").string(), "log", "-p", "--format=%s", "train"}};
    const auto log = sys::run_process(git).value();
    ASSERT_TRUE(log.success()) << log.err;
    EXPECT_NE(log.out.find("train@2: snapshot"), std::string::npos) << log.out;
    EXPECT_NE(log.out.find("-d\t0755\t."), std::string::npos) << log.out;
    EXPECT_NE(log.out.find("+d\t0700\t."), std::string::npos) << log.out;
    EXPECT_NE(log.out.find("--- a/files/env"), std::string::npos) << log.out;
    EXPECT_EQ(log.out.find("files/site-packages-t\n+++"), std::string::npos) << log.out;  // unchanged shard: no diff
    sys::ProcessSpec fsck{{"git", "--git-dir", (dir / "manifests.git").string(), "fsck", "--strict"}};
    EXPECT_TRUE(sys::run_process(fsck).value().success());
}

// Stores written before the shards keep the file list as one "files" blob: still read.
TEST(History, ReadsAFileListKeptAsOneBlob)
{
    test::TempDir dir;
    ASSERT_TRUE(History::open(dir / "manifests.git", OpenMode::create));
    const auto git_dir = (dir / "manifests.git").string();
    auto git = [&](std::vector<std::string> argv, std::string input) {
        argv.insert(argv.begin(), {"git", "--git-dir", git_dir});
        sys::ProcessSpec spec{std::move(argv)};
        spec.stdin_data = std::move(input);
        const auto result = sys::run_process(spec).value();
        EXPECT_TRUE(result.success()) << result.err;
        return std::string(trim(result.out));
    };
    const auto files = git({"hash-object", "-w", "--stdin"}, "envpin-files 1\nd\t0755\t.\n");
    const auto distributions = git({"hash-object", "-w", "--stdin"}, "envpin-distributions 1\n");
    const auto tree = git({"mktree"}, "100644 blob " + distributions + "\tdistributions\n100644 blob " + files + "\tfiles\n");
    const auto commit = git({"commit-tree", tree, "-m", "old@1: adopt"}, "");
    auto history = History::open(dir / "manifests.git", OpenMode::read_write).value();
    const auto read = history.read(commit);
    ASSERT_TRUE(read) << read.error().describe();
    EXPECT_FALSE(read->sharded);
    EXPECT_EQ(read->files, (std::vector<FileShard>{{"files", "envpin-files 1\nd\t0755\t.\n"}}));
}

class ObjectStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::filesystem::create_directories(dir / "objects");
        std::filesystem::create_directories(dir / "tmp");
        std::filesystem::create_directories(dir / "env");
        objects = std::make_unique<ObjectStore>(ObjectStore::open(dir / "objects", dir / "tmp").value());
        root_fd = ::open((dir / "env").c_str(), O_RDONLY | O_DIRECTORY);
    }
    void TearDown() override { ::close(root_fd); }

    // Hashes and stages env/<name> the way a snapshot does.
    StagedObject stage(const std::string& name, LinkMode mode)
    {
        const int fd = ::openat(root_fd, name.c_str(), O_RDONLY);
        struct stat info{};
        ::fstat(fd, &info);
        Sha256 hasher;
        const ObjectKey key{sha256_fd(fd, hasher, buffer, name).value(), (info.st_mode & 0111) != 0};
        auto staged = objects->stage(fd, name, key, stamp_of(info), mode, buffer);
        ::close(fd);
        return staged.value();
    }

    Expected<void> publish(StagedObject& staged)
    {
        std::vector<StagedObject> batch{staged};
        auto published = objects->publish(root_fd, batch, 2);
        staged = batch.front();
        return published;
    }

    test::TempDir dir;
    std::unique_ptr<ObjectStore> objects;
    int root_fd = -1;
    std::vector<char> buffer = std::vector<char>(1 << 16);
};

TEST_F(ObjectStoreTest, CopiesAreReadOnlyAndIndependentOfTheEnvironment)
{
    test::write_text(dir / "env/a.py", "print('a')\n");
    auto staged = stage("a.py", LinkMode::copy);
    ASSERT_TRUE(publish(staged));
    const auto object = objects->path(staged.key);
    EXPECT_EQ(test::read_text(object), "print('a')\n");
    EXPECT_EQ(stat_of(object).st_mode & 07777, 0444u);
    EXPECT_NE(stat_of(object).st_ino, stat_of(dir / "env/a.py").st_ino);
    test::write_text(dir / "env/a.py", "changed in place\n");  // in-place write: the object stays
    EXPECT_EQ(test::read_text(object), "print('a')\n");
    EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
}

TEST_F(ObjectStoreTest, HardlinksShareTheInodeAndKeepItsMode)
{
    test::write_text(dir / "env/tool", "#!/bin/sh\n");
    ::chmod((dir / "env/tool").c_str(), 0755);
    auto staged = stage("tool", LinkMode::hardlink);
    ASSERT_TRUE(publish(staged));
    const auto object = objects->path(staged.key);
    EXPECT_TRUE(object.string().ends_with(".x"));
    EXPECT_EQ(stat_of(object).st_ino, stat_of(dir / "env/tool").st_ino);
    EXPECT_EQ(stat_of(object).st_mode & 07777, 0755u);
}

TEST_F(ObjectStoreTest, DurableFilesAreLinkedAtOnceThroughTheirDescriptor)
{
    test::write_text(dir / "env/m.py", "x = 1\n");
    const int fd = ::openat(root_fd, "m.py", O_RDONLY);
    struct stat info{};
    ::fstat(fd, &info);
    const ObjectKey key{sha256_of("x = 1\n"), false};
    const auto linked = objects->link_durable(fd, "m.py", key, stamp_of(info));
    ASSERT_TRUE(linked && *linked) << (linked ? "" : linked.error().describe());
    EXPECT_TRUE((*linked)->published);
    EXPECT_EQ((*linked)->linked.ino, info.st_ino);
    EXPECT_EQ(stat_of(objects->path(key)).st_ino, info.st_ino);
    const auto again = objects->link_durable(fd, "m.py", key, stamp_of(info));  // exists: not new
    ::close(fd);
    ASSERT_TRUE(again && *again);
    EXPECT_FALSE((*again)->published);
}

TEST_F(ObjectStoreTest, AnExistingObjectWinsAndIsNeverReplaced)
{
    test::write_text(dir / "env/a", "same");
    test::write_text(dir / "env/b", "same");
    auto first = stage("a", LinkMode::copy);
    ASSERT_TRUE(publish(first));
    const auto inode = stat_of(objects->path(first.key)).st_ino;
    auto second = stage("b", LinkMode::copy);
    ASSERT_TRUE(publish(second));
    EXPECT_EQ(stat_of(objects->path(first.key)).st_ino, inode);
    EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
    EXPECT_EQ(objects->list().value().size(), 1u);
}

ManifestEntry entry_for(const std::string& path, const ObjectKey& key, unsigned mode, long long size, long long mtime_ns)
{
    ManifestEntry entry{path, EntryKind::file, mode, size, mtime_ns};
    entry.digest = key.digest;
    return entry;
}

TEST_F(ObjectStoreTest, PlacesACopyWithTheEntrysModeAndTime)
{
    test::write_text(dir / "env/a", "content");
    auto staged = stage("a", LinkMode::copy);
    ASSERT_TRUE(publish(staged));
    const auto entry = entry_for("restored", staged.key, 0640, 7, 1'500'000'000'123'456'789LL);
    const auto placed = objects->place(entry, root_fd, "restored", LinkMode::copy, true);
    ASSERT_TRUE(placed) << placed.error().describe();
    EXPECT_FALSE(placed->linked);
    const auto info = stat_of(dir / "env/restored");
    EXPECT_EQ(test::read_text(dir / "env/restored"), "content");
    EXPECT_EQ(info.st_mode & 07777, 0640u);
    EXPECT_EQ(info.st_mtim.tv_sec, 1'500'000'000);
    EXPECT_EQ(info.st_mtim.tv_nsec, 123'456'789);
    EXPECT_EQ(placed->stamp.ino, info.st_ino);
    EXPECT_NE(info.st_ino, stat_of(objects->path(staged.key)).st_ino);
    EXPECT_FALSE(objects->place(entry, root_fd, "restored", LinkMode::copy, true));  // exists
}

TEST_F(ObjectStoreTest, LinkThenCopyLinksAnUnsharedObjectOnceAndCopiesOtherwise)
{
    test::write_text(dir / "env/a", "content");
    auto staged = stage("a", LinkMode::copy);
    ASSERT_TRUE(publish(staged));
    const auto object_inode = stat_of(objects->path(staged.key)).st_ino;
    const auto entry = entry_for("first", staged.key, 0644, 7, 1'600'000'000'000'000'000LL);
    const auto first = objects->place(entry, root_fd, "first", LinkMode::link_then_copy, true);
    ASSERT_TRUE(first) << first.error().describe();
    EXPECT_TRUE(first->linked);
    EXPECT_EQ(stat_of(dir / "env/first").st_ino, object_inode);
    EXPECT_EQ(stat_of(dir / "env/first").st_mode & 07777, 0644u);  // the entry's, on the shared inode
    // The object is shared now: a second file with these bytes gets its own copy.
    const auto second = objects->place(entry, root_fd, "second", LinkMode::link_then_copy, true);
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->linked);
    EXPECT_NE(stat_of(dir / "env/second").st_ino, object_inode);
    // Without the caller's claim it copies too.
    const auto unclaimed = objects->place(entry, root_fd, "third", LinkMode::link_then_copy, false);
    ASSERT_TRUE(unclaimed);
    EXPECT_FALSE(unclaimed->linked);
}

TEST_F(ObjectStoreTest, ASharedObjectWrittenInPlaceIsNeverPlaced)
{
    test::write_text(dir / "env/a", "content");
    auto staged = stage("a", LinkMode::hardlink);
    ASSERT_TRUE(publish(staged));
    test::write_text(dir / "env/a", "CONTENT");  // same size, new mtime: through the shared inode
    const auto entry = entry_for("b", staged.key, 0644, 7, staged.stamp.mtime_ns);
    const auto placed = objects->place(entry, root_fd, "b", LinkMode::copy, true);
    ASSERT_FALSE(placed);
    EXPECT_EQ(placed.error().code, ErrorCode::corrupt);
    EXPECT_NE(placed.error().message.find("written in place"), std::string::npos) << placed.error().message;
}

TEST_F(ObjectStoreTest, ADetachCopyReplacesASharedObjectAndLeavesTheEnvironmentFile)
{
    test::write_text(dir / "env/a", "content");
    ::chmod((dir / "env/a").c_str(), 0640);
    auto staged = stage("a", LinkMode::link_then_copy);
    ASSERT_TRUE(publish(staged));
    const auto shared = stat_of(dir / "env/a").st_ino;
    ASSERT_EQ(stat_of(objects->path(staged.key)).st_ino, shared);
    auto staging = objects->open_staging(detach_staging).value();
    Sha256 hasher;
    const auto copy = objects->copy_shared(staged.key, staging.get(), "copy", hasher, buffer);
    ASSERT_TRUE(copy && *copy) << (copy ? "not shared" : copy.error().describe());
    EXPECT_TRUE((*copy)->intact);
    ASSERT_TRUE(objects->replace_shared(**copy, staging.get()).value());
    const auto object = stat_of(objects->path(staged.key));
    EXPECT_NE(object.st_ino, shared);
    EXPECT_EQ(object.st_nlink, 1u);
    EXPECT_EQ(object.st_mode & 07777, 0640u);  // the inode's mode travels with the copy
    EXPECT_EQ(stat_of(dir / "env/a").st_ino, shared);  // the environment keeps its file
    test::write_text(dir / "env/a", "changed in place");
    EXPECT_EQ(test::read_text(objects->path(staged.key)), "content");
    // Not shared any more: nothing to copy.
    EXPECT_FALSE(objects->copy_shared(staged.key, staging.get(), "again", hasher, buffer).value());
}

TEST_F(ObjectStoreTest, ADetachCopyOfBytesWrittenInPlaceIsNotIntactAndNeverReplacesTheObject)
{
    test::write_text(dir / "env/a", "content");
    auto staged = stage("a", LinkMode::link_then_copy);
    ASSERT_TRUE(publish(staged));
    {
        std::FILE* file = std::fopen((dir / "env/a").c_str(), "r+");  // in place, as open(.., "r+")
        std::fputs("C", file);
        std::fclose(file);
    }
    auto staging = objects->open_staging(detach_staging).value();
    Sha256 hasher;
    const auto copy = objects->copy_shared(staged.key, staging.get(), "copy", hasher, buffer).value();
    ASSERT_TRUE(copy);
    EXPECT_FALSE(copy->intact);
    EXPECT_FALSE(objects->replace_shared(*copy, staging.get()).value());
    EXPECT_TRUE(objects->remove_if_inode(*copy).value());
    EXPECT_FALSE(objects->contains(staged.key));
    EXPECT_EQ(test::read_text(dir / "env/a"), "Content");
}

TEST_F(ObjectStoreTest, ListsObjectsAndStraysAndRemovesThem)
{
    test::write_text(dir / "env/a", "a");
    auto staged = stage("a", LinkMode::copy);
    ASSERT_TRUE(publish(staged));
    test::write_text(dir / "objects/zz/not-an-object", "x");
    std::vector<std::string> strays;
    const auto listed = objects->list(&strays).value();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].key, staged.key);
    EXPECT_EQ(strays, std::vector<std::string>{"zz/not-an-object"});
    ASSERT_TRUE(objects->remove(staged.key));
    EXPECT_FALSE(objects->contains(staged.key));
}

TEST(Scanner, RecordsSymlinksWithoutFollowingAndRefusesSpecialFiles)
{
    test::TempDir dir;
    test::write_text(dir / "env/lib/python3.11/site-packages/m.py", "m");
    std::filesystem::create_directory_symlink("lib", dir / "env/lib64");
    std::filesystem::create_directories(dir / "env/empty");
    const int root_fd = ::open((dir / "env").c_str(), O_RDONLY | O_DIRECTORY);
    const auto scan = scan_tree(root_fd, dir / "env", 3);
    ASSERT_TRUE(scan) << scan.error().describe();
    std::vector<std::string> paths;
    for (const auto& entry : scan->entries)
        paths.push_back(entry.path);
    EXPECT_EQ(paths, (std::vector<std::string>{".", "empty", "lib", "lib/python3.11", "lib/python3.11/site-packages",
                                               "lib/python3.11/site-packages/m.py", "lib64"}));
    EXPECT_EQ(scan->entries.back().target, "lib");
    ASSERT_EQ(::mkfifo((dir / "env/pipe").c_str(), 0644), 0);
    const auto refused = scan_tree(root_fd, dir / "env", 2);
    ::close(root_fd);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::bad_input);
    EXPECT_NE(refused.error().message.find("pipe"), std::string::npos) << refused.error().message;
}

TEST(History, BlobsWrittenWithoutLibgit2AreTheObjectsStockGitNames)
{
    test::TempDir dir;
    ASSERT_TRUE(History::open(dir / "manifests.git", OpenMode::create));
    std::string text = "envpin-files 1\n";
    for (int i = 0; i < 20000; ++i)
        text += fmt::format("f\t0644\t{}\t{:064x}\tlib/m{}.py\n", i, i, i);
    const auto objects = dir / "manifests.git/objects";
    const auto id = write_stored_blob(objects, text);
    ASSERT_TRUE(id) << id.error().describe();
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &id.value());
    test::write_text(dir / "shard.txt", text);
    const auto hashed = sys::run_process({{"git", "hash-object", (dir / "shard.txt").string()}}).value();
    EXPECT_EQ(trim(hashed.out), hex);
    const auto shown = sys::run_process({{"git", "--git-dir", (dir / "manifests.git").string(), "cat-file", "-p", hex}}).value();
    ASSERT_TRUE(shown.success()) << shown.err;
    EXPECT_EQ(shown.out, text);
    const auto again = write_stored_blob(objects, text);  // already there: kept, same id
    ASSERT_TRUE(again);
    EXPECT_EQ(git_oid_cmp(&again.value(), &id.value()), 0);
}

TEST(StoreLock, ASecondWriterIsToldWhoHoldsIt)
{
    test::TempDir dir;
    auto held = StoreLock::acquire(dir / "lock", std::chrono::milliseconds(0));
    ASSERT_TRUE(held);
    EXPECT_FALSE(StoreLock::try_acquire(dir / "lock").value());
    const auto second = StoreLock::acquire(dir / "lock", std::chrono::milliseconds(100));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::busy);
    EXPECT_NE(second.error().message.find(fmt::format("store is busy (pid {})", ::getpid())), std::string::npos)
        << second.error().message;
}

}  // namespace
}  // namespace envpin::store
