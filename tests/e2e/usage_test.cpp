// Command lines envpin cannot parse, through the built binary: said as every other bad input is
// ("envpin: error: ...", exit 2, the JSON document with --json), naming the word and the
// command or option it most likely meant.
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

TEST(UsageErrors, AMistypedCommandIsNamedWithTheNearestOne)
{
    const auto run = run_envpin({"resolv"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(has(run.err, "envpin: error: unknown command 'resolv' (did you mean 'resolve'?)")) << run.err;
    EXPECT_TRUE(has(run_envpin({"lst"}).err, "did you mean 'list'?"));
    const auto far = run_envpin({"frobnicate"});
    EXPECT_EQ(far.exit_code, 2);
    EXPECT_TRUE(has(far.err, "unknown command 'frobnicate'; `envpin --help` lists the commands")) << far.err;
    const auto none = run_envpin({});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_TRUE(has(none.err, "no command given")) << none.err;
}

TEST(UsageErrors, AMistypedOptionIsNamedWithTheNearestOne)
{
    const auto run = run_envpin({"resolve", "--toch", "2.7"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(has(run.err, "envpin: error: resolve: unknown option --toch (did you mean '--torch'?)")) << run.err;
    EXPECT_TRUE(has(run.err, "`envpin resolve --help`")) << run.err;
    const auto missing = run_envpin({"status"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_TRUE(has(missing.err, "envpin: error: status: name is required")) << missing.err;
}

TEST(UsageErrors, WithJsonTheErrorDocumentIsOnStdout)
{
    const auto run = run_envpin({"resolve", "--toch", "2.7", "--json"});
    EXPECT_EQ(run.exit_code, 2);
    const auto json = run.json();
    EXPECT_EQ(json["error"]["exit_code"], 2);
    EXPECT_TRUE(has(json["error"]["message"], "unknown option --toch")) << run.out;
}

TEST(UsageErrors, HelpAndVersionStillExitZero)
{
    EXPECT_EQ(run_envpin({"--help"}).exit_code, 0);
    EXPECT_EQ(run_envpin({"--version"}).exit_code, 0);
    EXPECT_EQ(run_envpin({"gate", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace envpin::test
