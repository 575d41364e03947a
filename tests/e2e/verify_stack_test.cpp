// What verify expects of an environment comes from what it has installed and the catalog:
// a torch with a local label names its build; one from PyPI (no label) is the release's PyPI
// default build.
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

void fake_torch(const std::filesystem::path& env, const std::string& version)
{
    write_text(env / "pyvenv.cfg", "home = /usr/bin\n");
    write_text(env / "lib/python3.12/site-packages" / ("torch-" + version + ".dist-info") / "METADATA",
               "Metadata-Version: 2.1\nName: torch\nVersion: " + version + "\n");
}

std::string host_detail(const std::filesystem::path& env, const std::string& driver)
{
    const auto run = run_envpin({"verify", "--path", env.string(), "--only", "host", "--json"},
                                {{"ENVPIN_DRIVER_VERSION", driver}});
    return run.json()["checks"][0]["detail"].get<std::string>();
}

TEST(VerifyStack, LocalLabelNamesTheBuild)
{
    TempDir dir;
    fake_torch(dir.path(), "2.7.1+cu128");
    const auto detail = host_detail(dir.path(), "580.95.05");
    EXPECT_NE(detail.find("required by torch 2.7.1+cu128"), std::string::npos) << detail;
    EXPECT_NE(detail.find("525.60.13"), std::string::npos) << detail;
}

TEST(VerifyStack, PypiWheelWithoutLabelIsThePypiDefaultBuild)
{
    TempDir dir;
    fake_torch(dir.path(), "2.11.0");  // PyPI's 2.11.0 is the cu130 build
    const auto detail = host_detail(dir.path(), "580.95.05");
    EXPECT_NE(detail.find("580.65.06"), std::string::npos) << detail;
    const auto old_driver = run_envpin({"verify", "--path", dir.path().string(), "--only", "host"},
                                       {{"ENVPIN_DRIVER_VERSION", "550.54.15"}});
    EXPECT_EQ(old_driver.exit_code, 1) << old_driver.out;
}

}  // namespace
}  // namespace envpin::test
