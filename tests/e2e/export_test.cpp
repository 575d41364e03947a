// `envpin export requirements|pylock` through the built binary, installed by the real pip and
// uv into fresh virtual environments, from the indexes on 127.0.0.1 that `create` installed from
// (the stand-in torch family, tests/support/stand_in_stack.hpp).
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "tests/support/stand_in_stack.hpp"

namespace envpin::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

class ExportTest : public CreateTest {
protected:
    void SetUp() override
    {
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
        auto flags = stack_flags("train", "uv");
        flags.insert(flags.end(), {"--with", "tinyops==1.0.0"});
        const auto created = create(flags);
        ASSERT_EQ(created.exit_code, 0) << created.err << created.out;
    }

    // A fresh venv at dir/<name> (with pip when asked).
    void make_venv(const std::string& name, bool with_pip) const
    {
        sys::ProcessSpec spec;
        spec.argv = {"python3", "-m", "venv", (dir / name).string()};
        if (!with_pip)
            spec.argv.push_back("--without-pip");
        const auto run = sys::run_process(spec);
        ASSERT_TRUE(run && run->success()) << (run ? run->err : run.error().describe());
    }

    static sys::ProcessResult run(std::vector<std::string> argv)
    {
        sys::ProcessSpec spec;
        spec.argv = std::move(argv);
        spec.timeout = std::chrono::seconds(300);
        auto result = sys::run_process(spec);
        EXPECT_TRUE(result) << (result ? "" : result.error().describe());
        return result ? *result : sys::ProcessResult{};
    }

    void expect_locked_set(const std::string& name) const
    {
        EXPECT_EQ(installed_version(name, "torch"), "2.7.1+cu128");
        EXPECT_EQ(installed_version(name, "nvidia-cudnn-cu12"), "9.7.1.26");
        EXPECT_EQ(installed_version(name, "triton"), "3.3.1");
        EXPECT_EQ(installed_version(name, "tinyops"), "1.0.0");
    }
};

TEST_F(ExportTest, PipAndUvInstallTheExportedRequirementsWithHashesRequired)
{
    const auto requirements = dir / "requirements.txt";
    const auto exported = envpin({"export", "requirements", "--lock", lock.string(), "--out", requirements.string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    const auto text = read_text(requirements);
    EXPECT_TRUE(has(text, "torch @ http://127.0.0.1:")) << text;
    EXPECT_TRUE(has(text, "--hash=sha256:")) << text;

    make_venv("with-pip", true);
    const auto pip = run({(dir / "with-pip/bin/python").string(), "-m", "pip", "install", "--isolated", "--no-input",
                          "--require-hashes", "--no-deps", "-r", requirements.string()});
    ASSERT_TRUE(pip.success()) << pip.out << pip.err;
    expect_locked_set("with-pip");

    make_venv("with-uv", false);
    const auto uv = run({"uv", "pip", "install", "--no-config", "--python", (dir / "with-uv/bin/python").string(),
                         "--require-hashes", "--no-deps", "-r", requirements.string()});
    ASSERT_TRUE(uv.success()) << uv.out << uv.err;
    expect_locked_set("with-uv");
}

TEST_F(ExportTest, UvInstallsTheExportedPylock)
{
    const auto pylock = dir / "pylock.toml";
    ASSERT_EQ(envpin({"export", "pylock", "--lock", lock.string(), "-o", pylock.string()}).exit_code, 0);
    const auto text = read_text(pylock);
    EXPECT_TRUE(text.starts_with("lock-version = \"1.0\"")) << text;
    EXPECT_TRUE(has(text, "[[packages.wheels]]")) << text;

    make_venv("from-pylock", false);
    const auto uv = run({"uv", "pip", "install", "--no-config", "--python", (dir / "from-pylock/bin/python").string(),
                         "-r", pylock.string()});
    ASSERT_TRUE(uv.success()) << uv.out << uv.err << text;
    expect_locked_set("from-pylock");

    // To stdout when no --out is given: the same text.
    EXPECT_EQ(envpin({"export", "pylock", "--lock", lock.string()}).out, text);
}

TEST_F(ExportTest, AnExportedHashThatIsNotTheWheelsIsRefusedByTheInstaller)
{
    auto text = envpin({"export", "requirements", "--lock", lock.string()}).out;
    const auto at = text.find("--hash=sha256:") + 14;
    text.replace(at, 4, text.substr(at, 4) == "0000" ? "1111" : "0000");
    write_text(dir / "tampered.txt", text);
    make_venv("tampered", true);
    const auto pip = run({(dir / "tampered/bin/python").string(), "-m", "pip", "install", "--isolated", "--no-input",
                          "--require-hashes", "--no-deps", "-r", (dir / "tampered.txt").string()});
    EXPECT_FALSE(pip.success());
    EXPECT_TRUE(has(pip.out + pip.err, "DO NOT MATCH THE HASHES")) << pip.out << pip.err;
}

TEST_F(ExportTest, ALockWithoutInstalledDistributionsCannotBeExported)
{
    auto text = read_text(lock);
    text.erase(text.find("\n[[installed]]"));
    write_text(dir / "stack-only.lock", text + "\n");
    const auto run = envpin({"export", "pylock", "--lock", (dir / "stack-only.lock").string()});
    EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
    EXPECT_TRUE(has(run.err, "no [[installed]] distributions")) << run.err;
    EXPECT_TRUE(run.out.empty());

    const auto unknown = envpin({"export", "conda", "--lock", lock.string()});
    EXPECT_EQ(unknown.exit_code, 2);
}

}  // namespace
}  // namespace envpin::test
