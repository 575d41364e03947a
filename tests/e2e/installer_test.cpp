// The installer backend with the real installers (uv and pip), real venvs, a local
// wheelhouse and a real index on 127.0.0.1.
#include <gtest/gtest.h>

#include "store/lifecycle/installer.hpp"
#include "sys/process.hpp"
#include "tests/support/index_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {
namespace fs = std::filesystem;

std::string imported_version(const fs::path& environment)
{
    sys::ProcessSpec spec;
    spec.argv = {(environment / "bin/python").string(), "-c",
                 "import importlib.metadata as m; print(m.version('tinyops'))"};
    auto result = sys::run_process(spec);
    return result && result->success() ? result->out : "not installed: " + (result ? result->err : "");
}

class InstallerTest : public ::testing::TestWithParam<InstallerKind> {
protected:
    bool skip_without_uv()
    {
        return GetParam() == InstallerKind::uv && !sys::find_on_path("uv");
    }

    const fs::path wheelhouse_ = test::example_wheelhouse();
    const std::vector<fs::path> wheels_ = test::example_wheels();
    test::TempDir dir_;
};

TEST_P(InstallerTest, InstallsOfflineFromAWheelhouseWithHashes)
{
    if (skip_without_uv())
        GTEST_SKIP() << "uv is not on PATH";
    Installer installer(GetParam(), dir_ / "scratch");
    const auto env = dir_ / "env";
    ASSERT_TRUE(installer.create_venv(env, "")) << "venv";
    InstallStep step;
    step.requirements = {"tinyops==1.0.0"};
    step.source = {std::nullopt, {wheelhouse_}, true};
    auto artifacts = installer.install(env, step);
    ASSERT_TRUE(artifacts) << artifacts.error().describe();
    ASSERT_EQ(artifacts->size(), 1u);
    EXPECT_EQ((*artifacts)[0].name, "tinyops");
    EXPECT_EQ((*artifacts)[0].version, "1.0.0");
    EXPECT_EQ((*artifacts)[0].sha256.size(), 64u);
    EXPECT_EQ(imported_version(env), "1.0.0\n");
}

TEST_P(InstallerTest, LockedHashesAreEnforced)
{
    if (skip_without_uv())
        GTEST_SKIP() << "uv is not on PATH";
    Installer installer(GetParam(), dir_ / "scratch");
    const auto env = dir_ / "env";
    ASSERT_TRUE(installer.create_venv(env, ""));
    InstallStep step;
    step.source = {std::nullopt, {wheelhouse_}, true};
    step.locked = {{"tinyops", "1.0.0", std::string(64, '0'), ""}};
    auto result = installer.install(env, step);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::installer);
    EXPECT_NE(imported_version(env), "1.0.0\n");
}

TEST_P(InstallerTest, OnlyTheGivenIndexIsUsedEvenWhenTheEnvironmentAddsOne)
{
    if (skip_without_uv())
        GTEST_SKIP() << "uv is not on PATH";
    // The "variant" index has 1.0.0; a "public" index offers the higher 2.0.0 under the same
    // name (the torchtriton replay). Extra-index variables in the environment are ignored.
    std::vector<fs::path> v1 = {wheels_[0]}, v2 = {wheels_[1]};
    test::IndexServer variant(dir_ / "variant", v1);
    test::IndexServer public_index(dir_ / "public", v2);
    ::setenv("PIP_EXTRA_INDEX_URL", public_index.url().c_str(), 1);
    ::setenv("UV_EXTRA_INDEX_URL", public_index.url().c_str(), 1);
    Installer installer(GetParam(), dir_ / "scratch");
    const auto env = dir_ / "env";
    ASSERT_TRUE(installer.create_venv(env, ""));
    InstallStep step;
    step.requirements = {"tinyops"};
    step.source.index_url = variant.url();
    auto artifacts = installer.install(env, step);
    ::unsetenv("PIP_EXTRA_INDEX_URL");
    ::unsetenv("UV_EXTRA_INDEX_URL");
    ASSERT_TRUE(artifacts) << artifacts.error().describe();
    EXPECT_EQ(imported_version(env), "1.0.0\n");
}

TEST_P(InstallerTest, FailureCarriesTheInstallersMessage)
{
    if (skip_without_uv())
        GTEST_SKIP() << "uv is not on PATH";
    Installer installer(GetParam(), dir_ / "scratch");
    const auto env = dir_ / "env";
    ASSERT_TRUE(installer.create_venv(env, ""));
    InstallStep step;
    step.requirements = {"tinyops==9.9.9"};
    step.source = {std::nullopt, {wheelhouse_}, true};
    auto result = installer.install(env, step);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::installer);
    EXPECT_NE(result.error().message.find("tinyops"), std::string::npos) << result.error().message;
}

TEST_P(InstallerTest, ExistingPathIsRefused)
{
    if (skip_without_uv())
        GTEST_SKIP() << "uv is not on PATH";
    Installer installer(GetParam(), dir_ / "scratch");
    test::write_text(dir_ / "taken/keep.txt", "mine");
    const auto result = installer.create_venv(dir_ / "taken", "");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::already_exists);
    EXPECT_EQ(test::read_text(dir_ / "taken/keep.txt"), "mine");
}

INSTANTIATE_TEST_SUITE_P(BothInstallers, InstallerTest,
                         ::testing::Values(InstallerKind::uv, InstallerKind::pip),
                         [](const auto& kind) { return std::string(to_string(kind.param)); });

}  // namespace
}  // namespace envpin::store
