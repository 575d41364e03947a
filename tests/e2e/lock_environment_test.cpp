// `envpin lock` pinning the whole environment through the built binary: the torch stack and the
// spec's requirements with all their dependencies, each with the wheel uv chose and its sha256,
// resolved from real indexes on 127.0.0.1 (the stand-in torch family); `create --from-lock`
// installs exactly that set and the gate finds it.
#include <gtest/gtest.h>

#include "resolver/lock.hpp"
#include "sys/process.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

class LockEnvironmentTest : public CreateTest {
protected:
    void SetUp() override
    {
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
        fs::create_directories(project);
        write_spec("tinyops==1.0.0");
    }

    void write_spec(const std::string& requirement) const
    {
        write_text(project / "envpin.toml", "[environment]\nname = \"train\"\npath = \"env\"\ntorch = \"2.7.*\"\n"
                                            "requirements = [\"" + requirement + "\"]\n");
    }

    // `envpin lock` of the project on the stand-in host, the extras index for other names.
    EnvpinRun lock_project(std::vector<std::string> extra = {}, const std::string& index = "") const
    {
        std::vector<std::string> arguments{"lock", "--spec", (project / "envpin.toml").string(), "--catalog",
                                           catalog.string(), "--index-url",
                                           index.empty() ? extras_index->url() : index};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return envpin(arguments);
    }

    [[nodiscard]] Lock written() const { return parse_lock(read_text(project / "envpin.lock"), "envpin.lock").value(); }

    static const InstalledDistribution* find(const Lock& lock, std::string_view name)
    {
        for (const auto& installed : lock.installed)
            if (installed.name == name)
                return &installed;
        return nullptr;
    }

    fs::path project = dir / "project";
};

TEST_F(LockEnvironmentTest, PinsEveryDistributionWithTheWheelAndItsHash)
{
    const auto run = lock_project();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto lock = written();
    EXPECT_EQ(lock.request.requirements, std::vector<std::string>{"tinyops==1.0.0"});
    for (const auto& [name, version] : std::vector<std::pair<std::string, std::string>>{
             {"torch", "2.7.1+cu128"}, {"nvidia-cudnn-cu12", "9.7.1.26"}, {"triton", "3.3.1"}, {"tinyops", "1.0.0"}}) {
        const auto* installed = find(lock, name);
        ASSERT_NE(installed, nullptr) << name << "\n" << read_text(project / "envpin.lock");
        EXPECT_EQ(installed->version, version);
        EXPECT_EQ(installed->sha256.size(), 64u);
        EXPECT_TRUE(installed->source.starts_with("http://127.0.0.1:")) << installed->source;
        EXPECT_TRUE(installed->source.ends_with(".whl")) << installed->source;
    }
    EXPECT_EQ(lock.installed.size(), 4u) << read_text(project / "envpin.lock");
    // The torch family came from the variant's index, the rest from the other.
    EXPECT_TRUE(find(lock, "torch")->source.starts_with(variant_index->url().substr(0, variant_index->url().rfind('/'))))
        << find(lock, "torch")->source;

    const auto again = lock_project();
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(has(again.out, "unchanged")) << again.out;
}

TEST_F(LockEnvironmentTest, ARequirementChangeMakesTheLockStaleAndLockPinsTheNewSet)
{
    ASSERT_EQ(lock_project().exit_code, 0);
    write_spec("tinyops>=2");
    const auto check = envpin({"lock", "--check", "--spec", (project / "envpin.toml").string(), "--catalog",
                               catalog.string()});
    EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
    EXPECT_TRUE(has(check.out, "request.requirements")) << check.out;
    const auto run = lock_project();
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto lock = written();
    ASSERT_NE(find(lock, "tinyops"), nullptr);
    EXPECT_EQ(find(lock, "tinyops")->version, "2.0.0");
}

TEST_F(LockEnvironmentTest, CreateFromTheLockInstallsExactlyItsSetAndTheGateAgrees)
{
    ASSERT_EQ(lock_project().exit_code, 0);
    const auto created = create({"train", "--from-lock", (project / "envpin.lock").string(), "--path",
                                 (dir / "env").string(), "--index-url", extras_index->url(), "--catalog",
                                 catalog.string(), "--installer", "uv"});
    ASSERT_EQ(created.exit_code, 0) << created.err << created.out;
    EXPECT_EQ(installed_version("env", "tinyops"), "1.0.0");
    const auto gate = envpin({"gate", "--lock", (project / "envpin.lock").string(), "--no-verify", "--json"});
    EXPECT_EQ(gate.exit_code, 1) << gate.out << gate.err;  // nothing verified yet: it stops at the last step
    const auto report = gate.json();
    EXPECT_EQ(report["stopped_at"], "verified") << report.dump(2);
    EXPECT_TRUE(has(report["steps"][1]["detail"], "exactly the lock's set")) << report.dump(2);
}

TEST_F(LockEnvironmentTest, StackOnlyReadsNoIndexAndAnUnreachableOneIsNamed)
{
    const auto stack_only = lock_project({"--stack-only"}, "http://127.0.0.1:1/simple");
    ASSERT_EQ(stack_only.exit_code, 0) << stack_only.err;
    EXPECT_TRUE(written().installed.empty());

    fs::remove(project / "envpin.lock");
    const auto unreachable = lock_project({}, "http://127.0.0.1:1/simple");
    EXPECT_EQ(unreachable.exit_code, 3) << unreachable.out << unreachable.err;
    EXPECT_TRUE(has(unreachable.err, "--stack-only")) << unreachable.err;
    EXPECT_FALSE(fs::exists(project / "envpin.lock"));
}

}  // namespace
}  // namespace envpin::test
