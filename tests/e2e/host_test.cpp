// `envpin host` through the built binary.
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"

namespace envpin::test {
namespace {

TEST(HostCommand, JsonHasEveryContractKey)
{
    const auto run = run_envpin({"host", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto host = run.json();
    for (const char* key : {"driver", "cuda_driver_api", "gpus", "toolkits", "pythons", "glibc", "arch", "os"})
        EXPECT_TRUE(host.contains(key)) << key;
    EXPECT_TRUE(host["gpus"].is_array());
    EXPECT_TRUE(host["driver"].is_null() || host["driver"].is_string());
    EXPECT_FALSE(host["glibc"].get<std::string>().empty());
    EXPECT_FALSE(host["arch"].get<std::string>().empty());
    for (const auto& gpu : host["gpus"])
        for (const char* key : {"index", "name", "cc", "memory_mib", "uuid", "mig"})
            EXPECT_TRUE(gpu.contains(key)) << key;
}

TEST(HostCommand, FindsThePythonOnPath)
{
    const auto host = run_envpin({"host", "--json"}).json();
    ASSERT_FALSE(host["pythons"].empty());
    EXPECT_TRUE(host["pythons"][0]["version"].get<std::string>().starts_with("3."));
}

TEST(HostCommand, DriverOverrideIsReportedWithItsSource)
{
    const auto run = run_envpin({"host", "--json"}, {{"ENVPIN_DRIVER_VERSION", "570.86.15"}});
    ASSERT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.json()["driver"], "570.86.15");
    EXPECT_EQ(run.json()["driver_source"], "ENVPIN_DRIVER_VERSION");
}

TEST(HostCommand, NoDriverIsSaidPlainlyAndExitsZero)
{
    const auto json = run_envpin({"host", "--json"}, {{"ENVPIN_DRIVER_VERSION", "none"}});
    ASSERT_EQ(json.exit_code, 0);
    EXPECT_TRUE(json.json()["driver"].is_null());
    EXPECT_TRUE(json.json()["gpus"].empty());
    const auto text = run_envpin({"host", "--color", "never"}, {{"ENVPIN_DRIVER_VERSION", "none"}});
    ASSERT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("NVIDIA driver    none"), std::string::npos) << text.out;
}

TEST(HostCommand, UnknownFlagIsAUsageError)
{
    const auto run = run_envpin({"host", "--no-such-flag"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("--no-such-flag"), std::string::npos) << run.err;
}

TEST(Cli, NoSubcommandIsAUsageError)
{
    EXPECT_EQ(run_envpin({}).exit_code, 2);
    EXPECT_EQ(run_envpin({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
