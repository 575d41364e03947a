// Spare directories: `envpin recover` makes the directory tree of the snapshot a reset would go
// back to, empty, beside a big environment; a reset of the whole tree renames it in instead of
// making 1,000 directories, and the tree it leaves is the snapshot's, byte for byte and mode
// for mode, whatever happened to the spare.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "store/lifecycle/spare.hpp"
#include "sys/process.hpp"
#include "tests/support/store_fixture.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

class SpareTest : public StoreTest {
protected:
    // More directories than a spare needs (store::kMinSpareDirectories), a file in most, one
    // read-only directory and an executable.
    void make_env()
    {
        for (size_t i = 0; i < store::kMinSpareDirectories + 20; ++i) {
            const auto directory = env / "lib" / fmt::format("p{}", i % 40) / fmt::format("m{}", i);
            fs::create_directories(directory);
            if (i % 3 != 0)
                write_text(directory / "__init__.py", fmt::format("N = {}\n", i));
        }
        write_text(env / "pyvenv.cfg", "home = /usr/bin\n");
        write_text(env / "bin" / "tool", "#!/bin/sh\necho tool\n");
        fs::permissions(env / "bin" / "tool", fs::perms::owner_exec, fs::perm_options::add);
        write_text(env / "share" / "data.txt", "data\n");
        ::chmod((env / "share").c_str(), 0555);
        original = picture(env);
    }

    // `envpin ...` with no background work: the test runs `recover` itself, when it wants the
    // spare made.
    EnvpinRun quiet_envpin(std::vector<std::string> arguments,
                           std::vector<std::pair<std::string, std::string>> extra = {}) const
    {
        arguments.insert(arguments.begin(), {"--store", store().string()});
        extra.emplace_back("ENVPIN_NO_BACKGROUND", "1");
        return run_envpin(arguments, extra);
    }

    // rm -rf of the environment (its read-only directory made writable first).
    void remove_env() const
    {
        fs::permissions(env / "share", fs::perms::owner_all, fs::perm_options::add);
        fs::remove_all(env);
    }

    [[nodiscard]] std::vector<fs::path> spares() const
    {
        std::vector<fs::path> found;
        for (const auto& entry : fs::directory_iterator(dir.path()))
            if (entry.path().filename().string().starts_with(".env.envpin-spare-"))
                found.push_back(entry.path());
        return found;
    }

    fs::path env = dir / "env";
    TreePicture original;
};

TEST_F(SpareTest, RecoverMakesOneAndAWholeTreeResetRenamesItIn)
{
    make_env();
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    const auto recovered = quiet_envpin({"recover", "--json"});
    ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
    EXPECT_EQ(recovered.json()["spares_made"], 1);
    EXPECT_EQ(recovered.json()["spare_directories"], std::count_if(original.begin(), original.end(), [](const auto& entry) {
                  return entry.second.starts_with("d ");
              }));
    ASSERT_EQ(spares().size(), 1u);
    for (const auto& [path, what] : picture(spares().front()))  // directories only, the user's own
        EXPECT_EQ(what, "d 0700") << path;
    EXPECT_EQ(quiet_envpin({"recover", "--json"}).json()["spares_made"], 0);  // made once

    remove_env();
    const auto back = quiet_envpin({"reset", "train", "train@1", "--force", "--json"}, {{"ENVPIN_TRACE", "1"}});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["root"], "missing");
    EXPECT_EQ(back.json()["spare_directories"], true);
    EXPECT_NE(back.err.find("spare directories (renamed in)"), std::string::npos) << back.err;
    EXPECT_EQ(picture(env), original);  // modes from the manifest, not the spare's 0700
    EXPECT_TRUE(spares().empty());       // used up
    EXPECT_EQ(quiet_envpin({"status", "train", "--exit-code"}).exit_code, 0);
    EXPECT_EQ(quiet_envpin({"fsck"}).exit_code, 0);
    EXPECT_EQ(quiet_envpin({"recover", "--json"}).json()["spares_made"], 1);  // the next one
}

TEST_F(SpareTest, ADamagedSpareStillGivesTheSnapshotsTree)
{
    make_env();
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(quiet_envpin({"recover"}).exit_code, 0);
    ASSERT_EQ(spares().size(), 1u);
    const auto spare = spares().front();
    fs::remove_all(spare / "lib" / "p3");                            // directories missing
    fs::remove(spare / "lib" / "p4" / "m4");
    write_text(spare / "lib" / "p4" / "m4", "a file where a directory goes\n");
    remove_env();
    const auto back = quiet_envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["spare_directories"], true);
    EXPECT_EQ(picture(env), original);
    EXPECT_EQ(quiet_envpin({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST_F(SpareTest, TheSpareIsTheNewestVerifiedSnapshotsAndNoOtherIsUsed)
{
    make_env();
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    fs::create_directories(env / "lib" / "added");
    write_text(env / "lib" / "added" / "x.py", "X = 1\n");
    ASSERT_EQ(quiet_envpin({"snapshot", "train"}).exit_code, 0);  // train@2: one directory more
    ASSERT_EQ(quiet_envpin({"recover"}).exit_code, 0);              // none verified: the current one's
    ASSERT_EQ(spares().size(), 1u);
    const auto of_second = spares().front();

    // train@1's directories are not train@2's: its reset makes them, and leaves the spare.
    remove_env();
    auto back = quiet_envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["spare_directories"], false);
    EXPECT_EQ(picture(env), original);
    EXPECT_EQ(spares(), std::vector<fs::path>{of_second});

    // Once train@1 is verified, its spare replaces train@2's (the reset recorded train@1's state
    // again, as the current snapshot).
    ASSERT_EQ(quiet_envpin({"verify", "train", "train@1", "--only", "host"}).exit_code, 0);
    const auto recovered = quiet_envpin({"recover", "--json"});
    EXPECT_EQ(recovered.json()["spares_made"], 1) << recovered.out;
    ASSERT_EQ(spares().size(), 1u);
    EXPECT_NE(spares().front(), of_second);
    remove_env();
    back = quiet_envpin({"reset", "train", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["spare_directories"], true);
    EXPECT_EQ(picture(env), original);
}

TEST_F(SpareTest, AKillWhileOneIsMadeLeavesNothingTheNextRecoverKeeps)
{
    make_env();
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    const auto killed = sys::run_process({{ENVPIN_BIN, "--store", store().string(), "recover"},
                                          {{"ENVPIN_CRASH_AT", "spare-directory:500"}, {"ENVPIN_NO_BACKGROUND", "1"}}})
                            .value();
    ASSERT_EQ(killed.term_signal, SIGKILL) << killed.err;  // the kill landed while it made them
    ASSERT_EQ(spares().size(), 1u);
    EXPECT_NE(spares().front().filename().string().find("-spare-tmp-"), std::string::npos);

    // An unfinished spare is never used: the reset makes the directories.
    remove_env();
    const auto back = quiet_envpin({"reset", "train", "train@1", "--force", "--json"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(back.json()["spare_directories"], false);
    EXPECT_EQ(picture(env), original);

    const auto recovered = quiet_envpin({"recover", "--json"});
    EXPECT_EQ(recovered.json()["spares_made"], 1);
    ASSERT_EQ(spares().size(), 1u);
    EXPECT_EQ(spares().front().filename().string().find("-spare-tmp-"), std::string::npos);
}

TEST_F(SpareTest, ForgetRemovesThemAndLeavesTheEnvironment)
{
    make_env();
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    ASSERT_EQ(quiet_envpin({"recover"}).exit_code, 0);
    ASSERT_EQ(spares().size(), 1u);
    const auto forgot = quiet_envpin({"forget", "train", "--json"});
    ASSERT_EQ(forgot.exit_code, 0) << forgot.err;
    EXPECT_EQ(forgot.json()["spares_removed"], 1);
    EXPECT_TRUE(spares().empty());
    EXPECT_EQ(picture(env), original);
    EXPECT_EQ(quiet_envpin({"recover", "--json"}).json()["spares_made"], 0);  // none for a forgotten one
}

TEST_F(SpareTest, SmallEnvironmentsGetNone)
{
    write_text(env / "pyvenv.cfg", "home = /usr/bin\n");
    write_text(env / "lib" / "a.py", "A = 1\n");
    ASSERT_EQ(quiet_envpin({"adopt", env.string(), "--name", "train"}).exit_code, 0);
    EXPECT_EQ(quiet_envpin({"recover", "--json"}).json()["spares_made"], 0);
    EXPECT_TRUE(spares().empty());
}

}  // namespace
}  // namespace envpin::test
