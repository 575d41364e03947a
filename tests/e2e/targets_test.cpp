// One envpin.lock for two kinds of host, through the built binary: `envpin lock` resolves each
// [[target]] of envpin.toml for its own facts and pins its whole environment (uv, real indexes on
// 127.0.0.1); `--check` gives the same answer on any host; `create --from-lock` and `gate` pick
// the target a host belongs to, or say why none fits; the exports take --target.
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

class TargetsTest : public CreateTest {
protected:
    void SetUp() override
    {
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
        cpu_index = std::make_unique<IndexServer>(dir / "cpu", make_wheels(dir / "cpu-wheels", {"torch==2.7.1+cpu"}), "cpu");
        auto text = stand_in_catalog(variant_index->url());
        const auto stand_in_cpu = variant_index->url().substr(0, variant_index->url().rfind('/')) + "/cpu";
        text.replace(text.find(stand_in_cpu), stand_in_cpu.size(), cpu_index->url());
        write_text(catalog, text);
        fs::create_directories(project);
        write_text(project / "envpin.toml", R"([environment]
name = "train"
path = "env"
torch = "2.7.*"
python = "3.11"
requirements = ["tinyops==1.0.0"]

[[target]]
name = "gpu-host"
driver = ">=570.26"

[[target]]
name = "cpu-runner"
cuda = "cpu"
)");
    }

    // envpin on a host with this driver ("none": no NVIDIA driver) and no GPU.
    [[nodiscard]] EnvpinRun on_host(const std::string& driver, std::vector<std::string> arguments) const
    {
        arguments.insert(arguments.begin(), {"--store", store().string()});
        return run_envpin(arguments, {{"ENVPIN_DRIVER_VERSION", driver}}, 300);
    }

    [[nodiscard]] EnvpinRun lock_project(const std::string& driver, std::vector<std::string> extra = {}) const
    {
        std::vector<std::string> arguments{"lock", "--spec", spec().string(), "--catalog", catalog.string(),
                                           "--index-url", extras_index->url()};
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return on_host(driver, arguments);
    }

    [[nodiscard]] fs::path spec() const { return project / "envpin.toml"; }
    [[nodiscard]] fs::path lock_path() const { return project / "envpin.lock"; }
    [[nodiscard]] LockFile written() const
    {
        return parse_lock_file(read_text(lock_path()), "envpin.lock").value();
    }

    fs::path project = dir / "project";
    std::unique_ptr<IndexServer> cpu_index;
};

const InstalledDistribution* find(const Lock& lock, std::string_view name)
{
    for (const auto& installed : lock.installed)
        if (installed.name == name)
            return &installed;
    return nullptr;
}

TEST_F(TargetsTest, EachTargetIsResolvedAndPinnedAndTheCheckHoldsOnAnyHost)
{
    const auto run = lock_project("none");  // made on a CPU machine: the targets decide, not this host
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_TRUE(has(run.out, "2 targets")) << run.out;
    const auto file = written();
    ASSERT_EQ(file.sections.size(), 2u);
    const auto& gpu = file.sections[0];
    const auto& cpu = file.sections[1];
    EXPECT_EQ(gpu.stack.torch, "2.7.1+cu128");
    EXPECT_EQ(cpu.stack.torch, "2.7.1+cpu");
    ASSERT_NE(find(gpu, "nvidia-cudnn-cu12"), nullptr) << read_text(lock_path());
    EXPECT_EQ(find(cpu, "nvidia-cudnn-cu12"), nullptr);
    for (const auto* section : {&gpu, &cpu}) {
        ASSERT_NE(find(*section, "tinyops"), nullptr);
        EXPECT_EQ(find(*section, "torch")->sha256.size(), 64u);
    }
    EXPECT_TRUE(has(find(cpu, "torch")->source, cpu_index->url().substr(0, cpu_index->url().rfind('/'))));

    // The same answer on a GPU host, a CPU host and one that fits no target.
    for (const std::string driver : {"570.86.15", "none", "550.54.15"}) {
        const auto check = on_host(driver, {"lock", "--check", "--spec", spec().string(), "--catalog", catalog.string()});
        EXPECT_EQ(check.exit_code, 0) << driver << "\n" << check.out << check.err;
        EXPECT_TRUE(has(check.out, "is current")) << check.out;
    }
    // Another machine writing the lock changes nothing either.
    const auto again = lock_project("570.86.15");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(has(again.out, "unchanged")) << again.out;

    // A target changed in envpin.toml makes the lock stale, naming it.
    auto text = read_text(spec());
    text.replace(text.find(">=570.26"), 8, ">=575");
    write_text(spec(), text);
    const auto stale = on_host("none", {"lock", "--check", "--spec", spec().string(), "--catalog", catalog.string()});
    EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
    EXPECT_TRUE(has(stale.out, "gpu-host: target.driver: >=570.26 -> >=575")) << stale.out;
}

TEST_F(TargetsTest, EachHostCreatesAndGatesOnItsOwnTarget)
{
    ASSERT_EQ(lock_project("none").exit_code, 0);
    for (const auto& [driver, name, torch] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"570.86.15", "on-gpu", "2.7.1+cu128"}, {"none", "on-cpu", "2.7.1+cpu"}}) {
        const auto created = on_host(driver, {"create", name, "--from-lock", lock_path().string(), "--path",
                                              (dir / name).string(), "--lock", (dir / (name + ".lock")).string(),
                                              "--catalog", catalog.string(), "--installer", "uv", "--index-url",
                                              extras_index->url()});
        ASSERT_EQ(created.exit_code, 0) << driver << "\n" << created.out << created.err;
        EXPECT_EQ(installed_version(name, "torch"), torch);
        EXPECT_EQ(installed_version(name, "tinyops"), "1.0.0");
        // The lock written keeps both targets.
        EXPECT_EQ(parse_lock_file(read_text(dir / (name + ".lock")), "x").value().sections.size(), 2u);
        const auto junit = dir / (name + ".xml");
        const auto gate = on_host(driver, {"gate", "--lock", lock_path().string(), "--env", name, "--only", "host",
                                           "--catalog", catalog.string(), "--json", "--junit", junit.string()});
        EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
        const auto report = gate.json();
        EXPECT_EQ(report["status"], "pass") << report.dump(2);
        EXPECT_EQ(junit_problems(junit), "");
        EXPECT_TRUE(has(report["steps"][0]["detail"], "target " + std::string(name == "on-gpu" ? "gpu-host" : "cpu-runner")))
            << report.dump(2);
        EXPECT_TRUE(has(report["steps"][1]["detail"], "exactly the lock's set")) << report.dump(2);
    }
}

TEST_F(TargetsTest, AHostThatFitsNoTargetIsToldWhyAndTargetChoosesOne)
{
    ASSERT_EQ(lock_project("none").exit_code, 0);
    const auto created = on_host("550.54.15", {"create", "old", "--from-lock", lock_path().string(), "--path",
                                               (dir / "old").string(), "--catalog", catalog.string()});
    EXPECT_EQ(created.exit_code, 1) << created.out << created.err;
    EXPECT_TRUE(has(created.out, "no target of the lock is for this host: gpu-host needs driver >=570.26; this "
                                 "host has 550.54.15; cpu-runner is for hosts without an NVIDIA driver"))
        << created.out;
    EXPECT_FALSE(fs::exists(dir / "old"));
    const auto gate = on_host("550.54.15", {"gate", "--lock", lock_path().string(), "--env", "old", "--no-verify",
                                            "--catalog", catalog.string()});
    EXPECT_EQ(gate.exit_code, 1) << gate.out << gate.err;
    EXPECT_TRUE(has(gate.out, "gpu-host needs driver >=570.26")) << gate.out;
    // --target picks one anyway; an unknown one is bad input naming those there are.
    const auto forced = on_host("550.54.15", {"create", "old", "--from-lock", lock_path().string(), "--target",
                                              "cpu-runner", "--path", (dir / "old").string(), "--catalog",
                                              catalog.string(), "--installer", "uv", "--index-url",
                                              extras_index->url()});
    ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
    EXPECT_EQ(installed_version("old", "torch"), "2.7.1+cpu");
    const auto unknown = on_host("550.54.15", {"gate", "--lock", lock_path().string(), "--target", "tpu"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.out << unknown.err;
    EXPECT_TRUE(has(unknown.err, "--target tpu: " + lock_path().string() + " has no such target: expected one of "
                                 "gpu-host, cpu-runner"))
        << unknown.err;
}

TEST_F(TargetsTest, ExportsNameATargetAndTheDockerfileInstallsItsWheels)
{
    ASSERT_EQ(lock_project("none").exit_code, 0);
    const auto ambiguous = on_host("none", {"export", "requirements", "--lock", lock_path().string()});
    EXPECT_EQ(ambiguous.exit_code, 2);
    EXPECT_TRUE(has(ambiguous.err, "has 2 targets (gpu-host, cpu-runner): name one with --target NAME"))
        << ambiguous.err;
    const auto json = on_host("none", {"export", "pylock", "--lock", lock_path().string(), "--target", "cpu-runner",
                                       "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.json()["target"], "cpu-runner");
    EXPECT_TRUE(has(json.json()["content"].get<std::string>(), "lock-version")) << json.out;
    const auto missing = lock_project("none", {"--find-links", (dir / "no-such-dir").string()});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_TRUE(has(missing.err, "--find-links")) << missing.err;
    const auto no_image = on_host("none", {"export", "dockerfile", "--lock", lock_path().string(), "--target",
                                           "gpu-host", "--catalog", catalog.string()});
    EXPECT_EQ(no_image.exit_code, 2);
    EXPECT_TRUE(has(no_image.err, "--base IMAGE")) << no_image.err;
    const auto docker = on_host("none", {"export", "dockerfile", "--lock", lock_path().string(), "--target",
                                         "cpu-runner", "--catalog", catalog.string()});
    ASSERT_EQ(docker.exit_code, 0) << docker.err;
    EXPECT_TRUE(has(docker.out, "\nFROM ubuntu:24.04\n")) << docker.out;
    EXPECT_TRUE(has(docker.out, "(target cpu-runner): torch 2.7.1+cpu, Python 3.11")) << docker.out;
    // What the image installs: the heredoc's lines, installed here with hashes required.
    const std::string marker = "/opt/envpin/requirements.txt\n";
    const auto begin = docker.out.find(marker) + marker.size();
    write_text(dir / "image-requirements.txt", docker.out.substr(begin, docker.out.find("ENVPIN_REQUIREMENTS\n", begin) - begin));
    sys::ProcessSpec venv;
    venv.argv = {"uv", "venv", "--quiet", "--python", "3.11", (dir / "image").string()};
    const auto made = sys::run_process(venv);
    if (!made || !made->success())
        GTEST_SKIP() << "no Python 3.11 for uv here: " << (made ? made->err : made.error().describe());
    sys::ProcessSpec install;
    install.argv = {"uv", "pip", "install", "--quiet", "--no-config", "--python", (dir / "image/bin/python").string(),
                    "--require-hashes", "--no-deps", "-r", (dir / "image-requirements.txt").string()};
    install.timeout = std::chrono::seconds(120);
    const auto installed = sys::run_process(install);
    ASSERT_TRUE(installed && installed->success()) << (installed ? installed->err : installed.error().describe());
    EXPECT_EQ(installed_version("image", "torch"), "2.7.1+cpu");
    EXPECT_EQ(installed_version("image", "tinyops"), "1.0.0");
}

}  // namespace
}  // namespace envpin::test
