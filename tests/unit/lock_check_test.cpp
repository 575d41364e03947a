// What a lock asks of a host and of an environment (`envpin gate` steps 1 and 2), on values.
#include <gtest/gtest.h>

#include "resolver/lock_check.hpp"
#include "resolver/version.hpp"

namespace envpin {
namespace {

bool any_has(const std::vector<std::string>& lines, std::string_view needle)
{
    for (const auto& line : lines)
        if (line.find(needle) != std::string::npos)
            return true;
    return false;
}

// A cu128 lock for drivers from 525.60.13 (minor-version compatibility; 570.26 runs it natively)
// with SASS for 8.0 and 9.0 and PTX for 9.0.
Lock cu128_lock()
{
    Lock lock;
    lock.stack = {.torch = "2.7.1+cu128", .variant = "cu128", .cuda = "12.8", .python = "3.12",
                  .index_url = "https://download.pytorch.org/whl/cu128"};
    lock.host = {.compat = "minor-version", .min_driver = "525.60.13", .native_driver = "570.26",
                 .arch = {"sm_80", "sm_90", "compute_90"}};
    lock.packages = {{"torch", "2.7.1+cu128", lock.stack.index_url}, {"triton", "3.3.1", "https://pypi.org/simple"}};
    lock.pins = {{"cudnn", "nvidia-cudnn-cu12", "9.7.1.26", "requires", "sourced"},
                 {"cuda-runtime", "cuda-runtime", "12.8", "bundled", "sourced"}};
    return lock;
}

HostFacts host_with(std::optional<std::string> driver, std::vector<ComputeCapability> gpus)
{
    HostFacts host;
    host.driver = std::move(driver);
    for (size_t i = 0; i < gpus.size(); ++i)
        host.gpus.push_back({.index = static_cast<int>(i), .name = "GPU", .cc = gpus[i]});
    return host;
}

TEST(LockCheck, AHostWithANewEnoughDriverAndCoveredGpusQualifies)
{
    EXPECT_TRUE(host_problems(cu128_lock(), host_with("570.86.15", {{9, 0}, {8, 6}})).empty());
    EXPECT_TRUE(host_problems(cu128_lock(), host_with("530.30.02", {{8, 0}})).empty());
}

TEST(LockCheck, NoDriverOrAnOldOneIsNamedWithTheDriverTheLockNeeds)
{
    const auto none = host_problems(cu128_lock(), host_with(std::nullopt, {}));
    ASSERT_EQ(none.size(), 1u);
    EXPECT_TRUE(any_has(none, "no NVIDIA driver")) << none[0];
    EXPECT_TRUE(any_has(none, "525.60.13")) << none[0];
    const auto old = host_problems(cu128_lock(), host_with("470.82.01", {{8, 0}}));
    ASSERT_EQ(old.size(), 1u);
    EXPECT_TRUE(any_has(old, "driver 470.82.01 is older than 525.60.13")) << old[0];
}

TEST(LockCheck, AGpuWithoutAKernelIsNamed)
{
    const auto problems = host_problems(cu128_lock(), host_with("570.86.15", {{9, 0}, {7, 0}}));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(any_has(problems, "GPU 1 (GPU, sm_70) has no kernel")) << problems[0];
}

TEST(LockCheck, PtxOnlyServesWhenTheDriverRunsTheBuildsCudaNatively)
{
    // sm_100 has no SASS here: only compute_90 PTX, which a minor-version driver cannot JIT.
    EXPECT_TRUE(host_problems(cu128_lock(), host_with("575.51.03", {{10, 0}})).empty());
    const auto problems = host_problems(cu128_lock(), host_with("535.104.05", {{10, 0}}));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(any_has(problems, "cannot JIT")) << problems[0];
    EXPECT_TRUE(any_has(problems, "570.26")) << problems[0];
}

TEST(LockCheck, ACpuLockAsksNothingOfTheHost)
{
    auto lock = cu128_lock();
    lock.stack.variant = "cpu";
    EXPECT_TRUE(host_problems(lock, host_with(std::nullopt, {})).empty());
}

TEST(LockCheck, InstalledEntriesPinTheWholeEnvironment)
{
    auto lock = cu128_lock();
    lock.installed = {{"torch", "2.7.1+cu128", "", ""}, {"tinyops", "1.0.0", "", ""}};
    EXPECT_TRUE(installed_differences(lock, {{"torch", "2.7.1+cu128"}, {"TinyOps", "1.0.0"}}).empty());
    const auto differences =
        installed_differences(lock, {{"torch", "2.7.1+cu128"}, {"tinyops", "2.0.0"}, {"extra", "0.1"}});
    ASSERT_EQ(differences.size(), 2u);
    EXPECT_TRUE(any_has(differences, "tinyops: the lock pins 1.0.0, 2.0.0 is installed"));
    EXPECT_TRUE(any_has(differences, "extra 0.1: installed, not in the lock"));
}

Catalog catalog_with_pypi_default(std::string variant)
{
    Catalog catalog;
    TorchRelease release;
    release.version = *Version::parse("2.7.1");
    release.pypi_default = std::move(variant);
    catalog.releases.push_back(release);
    return catalog;
}

TEST(LockCheck, PypiServesTheVariantTheCatalogNamesForTheRelease)
{
    EXPECT_TRUE(pypi_serves_variant(catalog_with_pypi_default("cu128"), cu128_lock()));
    EXPECT_FALSE(pypi_serves_variant(catalog_with_pypi_default("cu126"), cu128_lock()));
    EXPECT_FALSE(pypi_serves_variant(catalog_with_pypi_default(""), cu128_lock()));
    EXPECT_FALSE(pypi_serves_variant(Catalog{}, cu128_lock()));
}

}  // namespace
}  // namespace envpin
