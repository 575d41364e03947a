// envpin create through the built binary with real installers (uv and pip), real venvs and a
// stand-in PyTorch family on real indexes on 127.0.0.1: create from flags and from the lock it
// writes (hashes enforced), a torch wheel that pins another cuDNN than the catalog, a failed
// install, extras held to the stack, and a second index offering higher torch/triton.
#include <gtest/gtest.h>

#include "base/strings.hpp"
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

Lock read_lock(const fs::path& path)
{
    auto lock = parse_lock(read_text(path), path.string());
    EXPECT_TRUE(lock) << lock.error().describe();
    return lock ? *lock : Lock{};
}

// What every URL an IndexServer serves starts with ("http://127.0.0.1:PORT/<token>"): its pages
// (the source uv reports) and its files (the source pip reports).
std::string served_by(const std::string& index_url)
{
    return index_url.substr(0, index_url.rfind('/'));
}

const InstalledDistribution* find_installed(const Lock& lock, std::string_view name)
{
    for (const auto& installed : lock.installed)
        if (installed.name == name)
            return &installed;
    return nullptr;
}

class CreateWithInstaller : public CreateTest, public ::testing::WithParamInterface<std::string> {
protected:
    void SetUp() override
    {
        if (GetParam() == "uv" && !sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
    }
};

// "cp311" for the python3 on PATH, which the stand-in stack's environments are made with.
std::string host_python_tag()
{
    sys::ProcessSpec spec;
    spec.argv = {"python3", "-c", "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')"};
    const auto run = sys::run_process(spec);
    return run && run->success() ? std::string(trim(run->out)) : "";
}

std::string file_sha256(const fs::path& file)
{
    sys::ProcessSpec spec;
    spec.argv = {"sha256sum", file.string()};
    const auto run = sys::run_process(spec);
    return run && run->success() ? run->out.substr(0, 64) : "";
}

TEST_P(CreateWithInstaller, AReleaseWithAWheelPerPythonLocksTheWheelInstalled)
{
    // A real release has a wheel per Python version; the lock must record the one installed
    // (with its hash only, the locked install of another Python's wheel would be refused).
    const auto tag = host_python_tag();
    ASSERT_FALSE(tag.empty());
    // Wheels for six Pythons (uv lists a version's hashes in their own order: among six, the
    // host's is not the first there), the host's last.
    std::vector<std::string> specs;
    for (const std::string other : {"cp38", "cp39", "cp310", "cp311", "cp312", "cp313"})
        if (other != tag)
            specs.push_back("multiwheel==1.0@" + other + "-" + other + "-manylinux_2_17_x86_64");
    specs.push_back("multiwheel==1.0@" + tag + "-" + tag + "-manylinux_2_17_x86_64");
    const auto wheels = make_wheels(dir / "multi-wheels", specs);
    const IndexServer multi(dir / "multi", wheels);
    auto flags = stack_flags("train", GetParam());
    flags.back() = multi.url();  // --index-url: the index of the --with requirements
    flags.insert(flags.end(), {"--with", "multiwheel==1.0"});
    const auto run = create(flags);
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto written = read_lock(lock);
    const auto* installed = find_installed(written, "multiwheel");
    ASSERT_NE(installed, nullptr) << read_text(lock);
    EXPECT_EQ(installed->sha256, file_sha256(wheels.back())) << read_text(lock);
    EXPECT_TRUE(installed->source.ends_with(wheels.back().filename().string())) << installed->source;

    // The lock installs again, hashes required, into a second environment.
    const auto again = create({"again", "--from-lock", lock.string(), "--installer", GetParam(), "--path",
                               (dir / "again").string(), "--lock", (dir / "again.lock").string(), "--index-url",
                               multi.url(), "--catalog", catalog.string()});
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    EXPECT_EQ(installed_version("again", "multiwheel"), "1.0");
}

TEST_P(CreateWithInstaller, FromFlagsInstallsThePlanPinsItAndSnapshots)
{
    const auto run = create([&] {
        auto flags = stack_flags("train", GetParam());
        flags.insert(flags.end(), {"--with", "tinyops==1.0.0", "--json"});
        return flags;
    }());
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    const auto json = run.json();
    EXPECT_EQ(json["status"], "created");
    EXPECT_EQ(json["stack"]["torch"], "2.7.1+cu128");
    EXPECT_EQ(json["snapshot"]["seq"], 1);
    EXPECT_EQ(json["snapshot"]["reason"], "create");
    EXPECT_EQ(json["lock"]["status"], "written");
    EXPECT_EQ(installed_version("train", "torch"), "2.7.1+cu128");
    EXPECT_EQ(installed_version("train", "nvidia-cudnn-cu12"), "9.7.1.26");
    EXPECT_EQ(installed_version("train", "triton"), "3.3.1");
    EXPECT_EQ(installed_version("train", "tinyops"), "1.0.0");

    const auto written = read_lock(lock);
    EXPECT_EQ(written.stack.torch, "2.7.1+cu128");
    for (const auto* name : {"torch", "nvidia-cudnn-cu12", "triton", "tinyops"}) {
        const auto* entry = find_installed(written, name);
        ASSERT_NE(entry, nullptr) << name;
        EXPECT_EQ(entry->sha256.size(), 64u) << name;
    }
    EXPECT_TRUE(has(find_installed(written, "torch")->source, served_by(variant_index->url())))
        << find_installed(written, "torch")->source;
    const auto log = envpin({"log", "train", "--json"}).json()["snapshots"];
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["reason"], "create");
    EXPECT_EQ(envpin({"status", "train", "--exit-code"}).exit_code, 0);
}

TEST_P(CreateWithInstaller, FromTheLockInstallsTheSameArtifactsWithHashesRequired)
{
    // The lock's artifacts come from two indexes: the torch family's and the extras'.
    auto flags = stack_flags("train", GetParam());
    flags.insert(flags.end(), {"--with", "tinyops==1.0.0"});
    ASSERT_EQ(create(flags).exit_code, 0);
    const auto first = read_lock(lock);
    ASSERT_NE(find_installed(first, "tinyops"), nullptr);
    const auto again = create({"second", "--from-lock", lock.string(), "--installer", GetParam(), "--path",
                               (dir / "second").string(), "--index-url", extras_index->url(), "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.json()["hashes_required"], true);
    EXPECT_EQ(again.json()["lock"]["status"], "unchanged");
    EXPECT_EQ(read_lock(lock), first);
    for (const auto& installed : first.installed)
        EXPECT_EQ(installed_version("second", installed.name), installed.version) << installed.name;

    // One changed hash: the installer refuses the file, and nothing is left or recorded.
    auto tampered = first;
    tampered.installed.front().sha256 = std::string(64, 'a');
    write_text(dir / "tampered.lock", print_lock(tampered));
    const auto before = store_fingerprint(store());
    const auto refused = create({"third", "--from-lock", (dir / "tampered.lock").string(), "--installer", GetParam(),
                                 "--path", (dir / "third").string(), "--index-url", extras_index->url()});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_TRUE(has(refused.err, "hash") || has(refused.err, "Hash")) << refused.err;
    EXPECT_FALSE(fs::exists(dir / "third"));
    EXPECT_EQ(store_fingerprint(store()), before);
}

INSTANTIATE_TEST_SUITE_P(BothInstallers, CreateWithInstaller, ::testing::Values("uv", "pip"),
                         [](const auto& param_info) { return param_info.param; });

class CreateStack : public CreateTest {
protected:
    void SetUp() override
    {
        if (!sys::find_on_path("uv"))
            GTEST_SKIP() << "uv is not on PATH";
        CreateTest::SetUp();
    }
};

TEST_F(CreateStack, ATorchPinningAnotherCudnnThanTheCatalogFailsNamingBoth)
{
    // This index's torch 2.7.1+cu128 pins cuDNN 9.5.1.17; the catalog says 9.7.1.26.
    const IndexServer other(dir / "other", make_wheels(dir / "other-wheels", torch_family("9.5.1.17")), "cu128");
    write_text(dir / "other.toml", stand_in_catalog(other.url()));
    auto flags = stack_flags("train", "uv");
    flags[4] = (dir / "other.toml").string();
    const auto run = create(flags);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_TRUE(has(run.err, "nvidia-cudnn-cu12: plan 9.7.1.26, installed 9.5.1.17")) << run.err;
    EXPECT_FALSE(fs::exists(dir / "train"));
    EXPECT_FALSE(fs::exists(lock));
    EXPECT_EQ(store_fingerprint(store()), "absent");
}

TEST_F(CreateStack, AFailedInstallLeavesNothingAndRecordsNothing)
{
    ASSERT_EQ(create(stack_flags("train", "uv")).exit_code, 0);
    const auto before = store_fingerprint(store());
    const auto lock_before = read_text(lock);
    auto flags = stack_flags("broken", "uv");
    flags[8] = (dir / "new/parents/broken").string();  // --path: create makes the parents too
    flags.insert(flags.end(), {"--with", "tinyops==9.9.9"});
    const auto run = create(flags);
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(has(run.err, "tinyops")) << run.err;  // the installer's own message
    EXPECT_FALSE(fs::exists(dir / "new")) << "what create made is removed, parents included";
    EXPECT_EQ(store_fingerprint(store()), before);
    EXPECT_EQ(read_text(lock), lock_before);
    EXPECT_EQ(envpin({"log", "broken"}).exit_code, 2);
}

TEST_F(CreateStack, OfflineFromPypiWheelsWhereTheCatalogSaysPypiServesTheVariant)
{
    // PyPI's wheels carry no local label ("torch 2.7.1"): they are the cu128 stack only where
    // the catalog says PyPI serves cu128 for 2.7.1.
    (void)make_wheels(dir / "pypi", {"torch==2.7.1:nvidia-cudnn-cu12==9.7.1.26,triton==3.3.1",
                               "nvidia-cudnn-cu12==9.7.1.26", "triton==3.3.1"});
    auto flags = stack_flags("train", "uv");
    flags.resize(flags.size() - 2);  // no --index-url: offline
    flags.insert(flags.end(), {"--find-links", (dir / "pypi").string(), "--offline"});

    const auto refused = create(flags);
    EXPECT_EQ(refused.exit_code, 3) << refused.err;  // torch==2.7.1+cu128 is not among the wheels
    EXPECT_TRUE(has(refused.err, "2.7.1+cu128")) << refused.err;
    EXPECT_FALSE(fs::exists(dir / "train"));

    write_text(catalog, stand_in_catalog(variant_index->url(), "cu128"));
    const auto run = create(flags);
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    EXPECT_EQ(installed_version("train", "torch"), "2.7.1");
    EXPECT_EQ(installed_version("train", "nvidia-cudnn-cu12"), "9.7.1.26");
    EXPECT_TRUE(has(read_text(lock), "2.7.1")) << read_text(lock);
}

TEST_F(CreateStack, ExtrasAreHeldToTheStack)
{
    // torchextra needs torch 2.6.0, which the extras index offers too: the stack wins, so the
    // install fails rather than moving torch.
    const IndexServer extras(dir / "more", make_wheels(dir / "more-wheels", {"torchextra==1.0:torch==2.6.0", "torch==2.6.0"}));
    auto flags = stack_flags("train", "uv");
    flags.back() = extras.url();
    flags.insert(flags.end(), {"--with", "torchextra==1.0"});
    const auto run = create(flags);
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(has(run.err, "torch")) << run.err;
    EXPECT_FALSE(fs::exists(dir / "train"));
    EXPECT_EQ(store_fingerprint(store()), "absent");
}

TEST_F(CreateStack, ASecondIndexWithHigherTorchAndTritonIsNeverUsed)
{
    // The torchtriton replay: another index (given for extras, and planted in the installers'
    // environment variables) offers higher torch and triton and an extra that wants triton.
    const IndexServer evil(dir / "evil", make_wheels(dir / "evil-wheels", {"torch==2.9.0", "triton==9.9.9",
                                                                           "tritonuser==1.0:triton"}));
    auto flags = stack_flags("train", "uv");
    flags.back() = evil.url();
    flags.insert(flags.end(), {"--with", "tritonuser==1.0", "--json"});
    const auto run = create(flags, {{"UV_EXTRA_INDEX_URL", evil.url()}, {"UV_INDEX", evil.url()},
                                    {"PIP_EXTRA_INDEX_URL", evil.url()}, {"PIP_INDEX_URL", evil.url()}});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(installed_version("train", "torch"), "2.7.1+cu128");
    EXPECT_EQ(installed_version("train", "triton"), "3.3.1");
    EXPECT_EQ(installed_version("train", "tritonuser"), "1.0");
    const auto written = read_lock(lock);
    EXPECT_TRUE(has(find_installed(written, "triton")->source, served_by(variant_index->url())))
        << find_installed(written, "triton")->source;
}

TEST_F(CreateStack, FromASpecBesideItsLock)
{
    write_text(dir / "project/envpin.toml", "[environment]\nname = \"train\"\npath = \".venv\"\ntorch = \"2.7.*\"\n"
                                           "requirements = [\"tinyops==1.0.0\"]\n");
    const auto run = create({"--spec", (dir / "project/envpin.toml").string(), "--catalog", catalog.string(),
                             "--index-url", extras_index->url(), "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.json()["environment"], "train");
    EXPECT_EQ(run.json()["path"], (dir / "project/.venv").string());
    EXPECT_EQ(installed_version("project/.venv", "tinyops"), "1.0.0");
    const auto written = read_lock(dir / "project/envpin.lock");
    EXPECT_EQ(written.request.torch, "2.7.*");
    EXPECT_NE(find_installed(written, "tinyops"), nullptr);
    // `envpin lock` agrees that this lock is current for the spec.
    const auto check = run_envpin({"lock", "--check", "--spec", (dir / "project/envpin.toml").string(), "--catalog",
                                   catalog.string()},
                                  {{"ENVPIN_DRIVER_VERSION", "570.86.15"}});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(CreateStack, DefaultsToDotVenvNameAndEnvpinLockHereWithoutReplacingAnotherStack)
{
    fs::create_directories(dir / "work");
    const std::vector<std::string> flags{"train", "--torch", "2.7.*", "--catalog", catalog.string(), "--index-url",
                                         extras_index->url()};
    ASSERT_EQ(create(flags, {}, dir / "work").exit_code, 0);
    EXPECT_TRUE(fs::exists(dir / "work/.venv-train/pyvenv.cfg"));
    const auto pinned = read_lock(dir / "work/envpin.lock");
    EXPECT_EQ(pinned.stack.torch, "2.7.1+cu128");
    // A cpu create here would replace that lock: refused before anything is made.
    const auto other = create({"cpu", "--torch", "2.7.*", "--cuda", "cpu", "--catalog", catalog.string()}, {},
                              dir / "work");
    EXPECT_EQ(other.exit_code, 2) << other.err;
    EXPECT_TRUE(has(other.err, "envpin.lock here pins another stack")) << other.err;
    EXPECT_FALSE(fs::exists(dir / "work/.venv-cpu"));
    EXPECT_EQ(read_lock(dir / "work/envpin.lock"), pinned);
}

}  // namespace
}  // namespace envpin::test
