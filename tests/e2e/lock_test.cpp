// `envpin init` and `envpin lock` through the built binary, in a temporary project directory.
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

const std::vector<std::string> k_host{"--driver", "580.95.05", "--gpu", "H100"};

EnvpinRun lock(const TempDir& dir, std::vector<std::string> extra = {})
{
    std::vector<std::string> argv{"lock", "--stack-only", "--spec", (dir / "envpin.toml").string()};
    argv.insert(argv.end(), k_host.begin(), k_host.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_envpin(argv);
}

void write_spec(const TempDir& dir, std::string_view torch)
{
    write_text(dir / "envpin.toml", fmt::format(R"([environment]
name = "train"
python = "3.12"
torch = "{}"
cuda = "auto"
companions = ["torchvision"]
)",
                                                torch));
}

// A project that keeps its settings in pyproject.toml: `envpin lock` there finds [tool.envpin]
// when there is no envpin.toml, and writes envpin.lock beside it; gate takes the name from it.
TEST(LockCommand, ReadsPyprojectsToolEnvpinWhenThereIsNoEnvpinToml)
{
    TempDir dir;
    write_text(dir / "pyproject.toml", R"([project]
name = "myproj"
version = "0.1"

[tool.envpin.environment]
name = "train"
torch = "2.7.*"
python = "3.12"

[[tool.envpin.target]]
name = "ci-cpu"
cuda = "cpu"
)");
    const auto run = run_envpin({"lock", "--stack-only"}, {}, 120, std::nullopt, dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto text = read_text(dir / "envpin.lock");
    EXPECT_NE(text.find("name = \"ci-cpu\""), std::string::npos) << text;
    EXPECT_NE(text.find("torch = \"2.7.1+cpu\""), std::string::npos) << text;
    const auto check = run_envpin({"lock", "--check", "--spec", (dir / "pyproject.toml").string()});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    // No [tool.envpin] at all: said so, with the line-free message.
    write_text(dir / "other" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n");
    const auto none = run_envpin({"lock", "--stack-only", "--spec", (dir / "other" / "pyproject.toml").string()});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("[tool.envpin]"), std::string::npos) << none.err;
}

TEST(InitCommand, WritesACommentedSpecOnce)
{
    TempDir dir;
    const auto first = run_envpin({"init", dir.path().string(), "--name", "train"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const auto text = read_text(dir / "envpin.toml");
    EXPECT_NE(text.find("[environment]"), std::string::npos);
    EXPECT_NE(text.find("name = \"train\""), std::string::npos);
    EXPECT_NE(text.find("# "), std::string::npos);
    const auto again = run_envpin({"init", dir.path().string()});
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
    EXPECT_EQ(run_envpin({"init", dir.path().string(), "--force"}).exit_code, 0);
    EXPECT_EQ(run_envpin({"init", (dir / "missing").string()}).exit_code, 2);
}

TEST(LockCommand, InitThenLockResolvesTheTemplate)
{
    TempDir dir;
    ASSERT_EQ(run_envpin({"init", dir.path().string()}).exit_code, 0);
    const auto run = lock(dir);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto text = read_text(dir / "envpin.lock");
    EXPECT_NE(text.find("version = 2"), std::string::npos);
    EXPECT_NE(text.find("[made_for]"), std::string::npos) << text;  // no targets: for the host that made it
    EXPECT_NE(run.out.find("for this host"), std::string::npos) << run.out;
}

TEST(LockCommand, WritesTheLockAndIsByteIdenticalWhenRunTwice)
{
    TempDir dir;
    write_spec(dir, ">=2.6,<2.9");
    const auto first = lock(dir);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    EXPECT_NE(first.out.find("wrote"), std::string::npos) << first.out;
    const auto text = read_text(dir / "envpin.lock");
    EXPECT_NE(text.find("torch = \"2.8.0+cu129\""), std::string::npos) << text;
    EXPECT_NE(text.find("index = \"https://download.pytorch.org/whl/cu129\""), std::string::npos);
    EXPECT_NE(text.find("name = \"torchvision\""), std::string::npos);
    EXPECT_EQ(text.find("name = \"torchaudio\""), std::string::npos); // not asked for
    const auto second = lock(dir);
    ASSERT_EQ(second.exit_code, 0);
    EXPECT_NE(second.out.find("unchanged"), std::string::npos) << second.out;
    EXPECT_EQ(read_text(dir / "envpin.lock"), text);
}

TEST(LockCommand, CheckSaysCurrentStaleOrMissing)
{
    TempDir dir;
    write_spec(dir, "2.7.*");
    const auto missing = lock(dir, {"--check"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.out.find("does not exist"), std::string::npos) << missing.out;
    EXPECT_FALSE(std::filesystem::exists(dir / "envpin.lock"));

    ASSERT_EQ(lock(dir).exit_code, 0);
    EXPECT_EQ(lock(dir, {"--check"}).exit_code, 0);

    write_spec(dir, "2.8.*");
    const auto stale = lock(dir, {"--check"});
    EXPECT_EQ(stale.exit_code, 1);
    EXPECT_NE(stale.out.find("request.torch: 2.7.* -> 2.8.*"), std::string::npos) << stale.out;
    EXPECT_NE(stale.out.find("stack.torch: 2.7.1+cu128 -> 2.8.0+cu129"), std::string::npos)
        << stale.out;
    const auto json =
        run_envpin({"lock", "--json", "--check", "--spec", (dir / "envpin.toml").string(),
                    "--driver", "580.95.05", "--gpu", "H100"});
    EXPECT_EQ(json.exit_code, 1);
    EXPECT_EQ(json.json()["status"], "stale");
    ASSERT_EQ(lock(dir).exit_code, 0);
    EXPECT_EQ(lock(dir, {"--check"}).exit_code, 0);
}

TEST(LockCommand, MalformedOrUnknownLocksExitTwoNamingTheLine)
{
    TempDir dir;
    write_spec(dir, "2.7.*");
    write_text(dir / "envpin.lock", "version = 3\n");
    const auto unknown = lock(dir, {"--check"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("envpin.lock line 1: unknown lock version 3"), std::string::npos)
        << unknown.err;
    write_text(dir / "envpin.lock", "version = 1\n[request]\ntorch = \"2.7.*\"\ncuda = [\n");
    const auto malformed = lock(dir, {"--check"});
    EXPECT_EQ(malformed.exit_code, 2);
    EXPECT_NE(malformed.err.find("envpin.lock line 4"), std::string::npos) << malformed.err;
    // Without --check, lock replaces a broken lock.
    EXPECT_EQ(lock(dir).exit_code, 0);
    EXPECT_EQ(lock(dir, {"--check"}).exit_code, 0);
}

TEST(LockCommand, KeepsInstalledEntriesWhileTheResolutionHolds)
{
    TempDir dir;
    write_spec(dir, "2.7.*");
    ASSERT_EQ(lock(dir).exit_code, 0);
    const auto installed =
        "\n[[installed]]\nname = \"torch\"\nversion = \"2.7.1+cu128\"\nsource = \"/wheels/t.whl\"\n"
        "sha256 = \"" +
        std::string(64, 'a') + "\"\n";
    write_text(dir / "envpin.lock", read_text(dir / "envpin.lock") + installed);
    EXPECT_EQ(lock(dir, {"--check"}).exit_code, 0);
    // A whole-environment lock keeps its set while the resolution holds: no index is read.
    std::vector<std::string> whole{"lock", "--spec", (dir / "envpin.toml").string()};
    whole.insert(whole.end(), k_host.begin(), k_host.end());
    const auto kept = run_envpin(whole);
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    EXPECT_NE(read_text(dir / "envpin.lock").find("[[installed]]"), std::string::npos);
    ASSERT_EQ(lock(dir).exit_code, 0);  // --stack-only: the stack alone
    EXPECT_EQ(read_text(dir / "envpin.lock").find("[[installed]]"), std::string::npos);
    write_text(dir / "envpin.lock", read_text(dir / "envpin.lock") + installed);
    write_spec(dir, "2.8.*");
    ASSERT_EQ(lock(dir).exit_code, 0);
    EXPECT_EQ(read_text(dir / "envpin.lock").find("[[installed]]"),
              std::string::npos); // stale hashes dropped
}

TEST(LockCommand, ConflictWritesNothingAndExitsOne)
{
    TempDir dir;
    write_spec(dir, "2.6.*");
    const auto run = run_envpin({"lock", "--spec", (dir / "envpin.toml").string(), "--driver",
                                 "570.86.15", "--gpu", "RTX 5090"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.out.find("carry no kernel for GPU 0 (RTX 5090, sm_120)"), std::string::npos)
        << run.out;
    EXPECT_FALSE(std::filesystem::exists(dir / "envpin.lock"));
}

TEST(LockCommand, SpecProblemsExitTwo)
{
    TempDir dir;
    const auto missing = lock(dir);
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("envpin init"), std::string::npos) << missing.err;
    write_text(dir / "envpin.toml", "[environment]\ntorch = \"2.7.x!!\"\n");
    const auto bad = lock(dir);
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("envpin.toml: torch '2.7.x!!'"), std::string::npos) << bad.err;
}

} // namespace
} // namespace envpin::test
