// The store's main loop through the built binary, on a real venv with real wheels:
// adopt -> no-op snapshot -> upgrade a package -> status shows the exact drift -> snapshot ->
// log -> diff -> stock git reads the history.
#include <gtest/gtest.h>

#include "base/strings.hpp"
#include "store/core/manifest.hpp"
#include "sys/process.hpp"
#include "tests/support/python_env.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {

std::vector<std::string> strings(const nlohmann::json& list)
{
    return list.get<std::vector<std::string>>();
}

std::string git(const std::filesystem::path& store, std::vector<std::string> arguments)
{
    arguments.insert(arguments.begin(), {"git", "--git-dir", (store / "manifests.git").string()});
    const auto result = sys::run_process({arguments}).value();
    EXPECT_TRUE(result.success()) << result.err;
    return result.out;
}

// The files/ shards of NAME's current commit, read back with stock git, as a tree picture.
TreePicture recorded_picture(const std::filesystem::path& store, const std::string& name)
{
    std::vector<store::FileShard> shards;
    const auto listing = git(store, {"ls-tree", "--name-only", name + ":files"});
    for (const auto shard : split(trim(listing), '\n'))
        shards.push_back({std::string(shard), git(store, {"show", fmt::format("{}:files/{}", name, shard)})});
    EXPECT_GE(shards.size(), 2u) << "env and the site-packages children";
    const auto entries = store::parse_file_shards(shards);
    EXPECT_TRUE(entries) << entries.error().describe();
    TreePicture recorded;
    for (const auto& entry : entries.value_or(std::vector<store::ManifestEntry>{})) {
        if (entry.path == ".")
            continue;
        if (entry.kind == store::EntryKind::directory)
            recorded[entry.path] = fmt::format("d {:04o}", entry.mode);
        else if (entry.kind == store::EntryKind::symlink)
            recorded[entry.path] = "l " + entry.target;
        else
            recorded[entry.path] = fmt::format("f {:04o} {}", entry.mode, entry.digest.hex());
    }
    return recorded;
}

TEST_F(StoreTest, AdoptUpgradeStatusSnapshotLogDiffAndStockGit)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    pip_install(venv, {"tinypkg==1.0", "otherpkg==0.1"});

    const auto adopted = envpin({"adopt", venv.string(), "--name", "train", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    EXPECT_EQ(adopted.json()["snapshot"]["seq"], 1);
    EXPECT_EQ(adopted.json()["distributions"], 2);
    EXPECT_EQ(adopted.json()["snapshot"]["reason"], "adopt");

    const auto noop = envpin({"snapshot", "train", "--json"});
    ASSERT_EQ(noop.exit_code, 0) << noop.err;
    EXPECT_EQ(noop.json()["created"], false);
    // Files written just before a snapshot are read once more ("racy"); after that the stat
    // cache answers for every file.
    EXPECT_EQ(envpin({"snapshot", "train", "--json"}).json()["hashed_files"], 0);
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);

    const auto before = picture(venv);
    pip_install(venv, {"tinypkg==2.0"});
    const auto expected = delta(before, picture(venv));
    ASSERT_FALSE(expected.added.empty());
    ASSERT_FALSE(expected.removed.empty());

    const auto status = envpin({"status", "train", "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const auto drift = status.json();
    EXPECT_EQ(drift["clean"], false);
    EXPECT_EQ(strings(drift["added"]), expected.added);
    EXPECT_EQ(strings(drift["modified"]), expected.modified);
    EXPECT_EQ(strings(drift["removed"]), expected.removed);
    EXPECT_EQ(drift["distributions"], nlohmann::json::parse(R"([{"name": "tinypkg", "from": "1.0", "to": "2.0"}])"));
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 1);
    const auto text = envpin({"status", "train"});
    EXPECT_NE(text.out.find("tinypkg 1.0 -> 2.0"), std::string::npos) << text.out;
    // Summarized by package by default; --files lists every path.
    EXPECT_NE(text.out.find("    tinypkg/  "), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find(expected.added.front()), std::string::npos) << text.out;
    const auto every_path = envpin({"status", "train", "--files"});
    EXPECT_NE(every_path.out.find(expected.added.front()), std::string::npos) << every_path.out;

    const auto second = envpin({"snapshot", "train", "-m", "upgrade tinypkg"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.out.find("train@2"), std::string::npos) << second.out;
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);

    const auto log = envpin({"log", "train", "--json"}).json()["snapshots"];
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0]["seq"], 2);
    EXPECT_EQ(log[0]["message"], "upgrade tinypkg");
    EXPECT_EQ(log[0]["reason"], "snapshot");
    EXPECT_TRUE(log[0]["verified"].is_null());
    EXPECT_EQ(log[0]["current"], true);
    EXPECT_EQ(log[1]["seq"], 1);
    for (const auto* key : {"seq", "commit", "created", "reason", "message", "verified"})
        EXPECT_TRUE(log[0].contains(key)) << key;

    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"train@1", "train@2"}, {"train@~1", "train"}, {log[1]["commit"].get<std::string>().substr(0, 8), "train@~0"}}) {
        const auto diff = envpin({"diff", from, to, "--json"});
        ASSERT_EQ(diff.exit_code, 0) << from << " " << to << ": " << diff.err;
        EXPECT_EQ(diff.json()["distributions"], drift["distributions"]) << from;
    }
    const auto files = envpin({"diff", "train@1", "train@2", "--files"});
    EXPECT_NE(files.out.find("tinypkg 1.0 -> 2.0"), std::string::npos) << files.out;
    EXPECT_NE(files.out.find("tinypkg/fast.py"), std::string::npos) << files.out;

    const auto commits = git(store(), {"log", "--format=%H", "train"});
    EXPECT_EQ(commits, log[0]["commit"].get<std::string>() + "\n" + log[1]["commit"].get<std::string>() + "\n");
    const auto patch = git(store(), {"log", "-p", "train"});
    EXPECT_NE(patch.find("+tinypkg\t2.0\t"), std::string::npos) << patch.substr(0, 2000);
    EXPECT_NE(patch.find("-tinypkg\t1.0\t"), std::string::npos);
    EXPECT_NE(patch.find("tinypkg-2.0.dist-info/METADATA"), std::string::npos);
    git(store(), {"fsck", "--strict"});
}

TEST_F(StoreTest, TheManifestHoldsEveryEntryByteExact)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    write_text(site_packages(venv) / "data/blob.bin", std::string("\0\x01\xff binary", 10));
    std::filesystem::create_directories(venv / "share/empty");
    std::filesystem::permissions(venv / "share/empty", std::filesystem::perms(0700));
    write_text(venv / "bin/tool", "#!/bin/sh\necho hi\n");
    std::filesystem::permissions(venv / "bin/tool", std::filesystem::perms(0755));
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "exact"}).exit_code, 0);

    const auto recorded = recorded_picture(store(), "exact");
    EXPECT_EQ(recorded, picture(venv));
    EXPECT_EQ(recorded.at("share/empty"), "d 0700");
    EXPECT_EQ(recorded.at("lib64"), "l lib");
}

TEST_F(StoreTest, TouchedFilesAreReadAgainButMakeNoSnapshot)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    ASSERT_EQ(envpin({"adopt", venv.string(), "--name", "touched"}).exit_code, 0);
    ASSERT_EQ(envpin({"snapshot", "touched"}).exit_code, 0);  // settles files written just before adopt
    const auto snapshots = envpin({"log", "touched", "--json"}).json()["snapshots"].size();
    const auto activate = venv / "bin/activate";
    std::filesystem::last_write_time(activate, std::filesystem::last_write_time(activate) - std::chrono::seconds(5));
    const auto snapshot = envpin({"snapshot", "touched", "--json"});
    ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
    EXPECT_EQ(snapshot.json()["created"], false);
    EXPECT_EQ(snapshot.json()["hashed_files"], 1);
    EXPECT_EQ(envpin({"snapshot", "touched", "--json"}).json()["hashed_files"], 0);  // remembered
    // A file read again starts the commit beside the digest (a guess that the state changed):
    // the commit written for nothing is named by no snapshot and no branch, and the store
    // stays whole.
    const auto log = envpin({"log", "touched", "--json"});
    ASSERT_EQ(log.exit_code, 0) << log.err;
    EXPECT_EQ(log.json()["snapshots"].size(), snapshots);
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

// Files of 8 MB or more are hashed through mappings (store/digest.cpp): the same manifest,
// objects (one for two files with the same bytes) and stat cache as any other file, linked or
// copied.
TEST_F(StoreTest, LargeFilesAreRecordedStoredAndRemembered)
{
    const auto venv = dir / "venv";
    make_venv(venv);
    const auto lib = site_packages(venv) / "big/lib";
    std::string bytes(9 << 20, '\0');
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    write_text(lib / "libone.so", bytes);
    write_text(lib / "libsame.so", bytes);  // one object for both
    bytes.append(3 << 20, 'x');
    write_text(lib / "libexec.so", bytes);
    std::filesystem::permissions(lib / "libexec.so", std::filesystem::perms(0755));
    const auto settled = std::filesystem::file_time_type::clock::now() - std::chrono::seconds(10);
    for (const char* name : {"libone.so", "libsame.so", "libexec.so"})
        std::filesystem::last_write_time(lib / name, settled);
    // Written "in the future": racy every time, so every snapshot reads it again.
    write_text(lib / "libfresh.so", bytes.substr(1));
    std::filesystem::last_write_time(lib / "libfresh.so", std::filesystem::file_time_type::clock::now() + std::chrono::hours(1));
    std::filesystem::copy(venv, dir / "copied", std::filesystem::copy_options::recursive);

    const auto adopted = envpin({"adopt", venv.string(), "--name", "linked", "--json"});
    ASSERT_EQ(adopted.exit_code, 0) << adopted.err;
    // ext4, no clones, and 21 MB of new bytes (below ENVPIN_COPY_BELOW): copied at once
    EXPECT_EQ(adopted.json()["link_mode"], "copy");
    const auto copied = envpin({"adopt", (dir / "copied").string(), "--name", "copied", "--link-mode", "copy"});
    ASSERT_EQ(copied.exit_code, 0) << copied.err;
    EXPECT_EQ(recorded_picture(store(), "linked"), picture(venv));
    EXPECT_EQ(recorded_picture(store(), "copied"), picture(dir / "copied"));
    const auto fsck = envpin({"fsck"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;  // every object present, its bytes its name

    ASSERT_EQ(envpin({"snapshot", "linked"}).exit_code, 0);  // settles what make_venv wrote just before
    const auto again = envpin({"snapshot", "linked", "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.json()["hashed_files"], 1) << "only the racy file: the others' stamps (ctimes moved by their links) were remembered";
}

TEST_F(StoreTest, ListShowsEveryEnvironmentAndLogTakesTheNewestN)
{
    const auto none = envpin({"list", "--json"});
    ASSERT_EQ(none.exit_code, 0) << none.err;  // no store yet: nothing managed
    EXPECT_EQ(none.json()["environments"], nlohmann::json::array());
    EXPECT_EQ(none.json()["schema_version"], 1);

    for (const std::string name : {"alpha", "beta"}) {
        make_venv(dir / name);
        ASSERT_EQ(envpin({"adopt", (dir / name).string(), "--name", name}).exit_code, 0);
    }
    write_text(dir / "beta" / "added.txt", "x");
    ASSERT_EQ(envpin({"snapshot", "beta"}).exit_code, 0);
    std::filesystem::remove_all(dir / "alpha");

    const auto listed = envpin({"list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    const auto json = listed.json()["environments"];
    ASSERT_EQ(json.size(), 2u) << json.dump(2);
    EXPECT_EQ(json[0]["name"], "alpha");
    EXPECT_EQ(json[0]["present"], false);
    EXPECT_EQ(json[1]["name"], "beta");
    EXPECT_EQ(json[1]["snapshot"]["seq"], 2);
    EXPECT_TRUE(json[1]["verified"].is_null());
    EXPECT_GT(json[1]["files"].get<long long>(), 0);
    const auto text = envpin({"list"});
    EXPECT_NE(text.out.find("(missing: `envpin reset` recreates it)"), std::string::npos) << text.out;

    const auto newest = envpin({"log", "beta", "-n", "1", "--json"});
    ASSERT_EQ(newest.exit_code, 0) << newest.err;
    EXPECT_EQ(newest.json()["environment"], "beta");
    ASSERT_EQ(newest.json()["snapshots"].size(), 1u);
    EXPECT_EQ(newest.json()["snapshots"][0]["seq"], 2);
    EXPECT_EQ(envpin({"log", "beta", "--json"}).json()["snapshots"].size(), 2u);
    const auto zero = envpin({"log", "beta", "-n", "0"});
    EXPECT_EQ(zero.exit_code, 2);
    EXPECT_NE(zero.err.find("--max-count"), std::string::npos) << zero.err;
}

}  // namespace
}  // namespace envpin::test
