// envpin.toml's [verify] checks as the spec parser reads them: the values, and each malformed
// table refused naming the file, the line and what was expected.
#include <gtest/gtest.h>

#include "resolver/spec_file.hpp"

namespace envpin {
namespace {

std::string spec_with(std::string_view verify)
{
    return "[environment]\nname = \"proj\"\n\n" + std::string(verify);
}

std::string error_of(std::string_view verify)
{
    const auto spec = parse_spec(spec_with(verify), "envpin.toml");
    return spec ? std::string("parsed") : spec.error().message;
}

TEST(ProjectChecksSpec, ReadsNameRunAndTimeout)
{
    const auto spec = parse_spec(spec_with("[verify]\nchecks = [\n"
                                           "  { name = \"smoke\", run = [\"python\", \"-m\", \"myproj.selftest\"], timeout = 60 },\n"
                                           "  { name = \"lint.fast\", run = [\"ruff\", \"check\"] },\n]\n"),
                                 "envpin.toml")
                          .value();
    ASSERT_EQ(spec.checks.size(), 2u);
    EXPECT_EQ(spec.checks[0], (ProjectCheckSpec{"smoke", {"python", "-m", "myproj.selftest"}, 60.0}));
    EXPECT_EQ(spec.checks[1], (ProjectCheckSpec{"lint.fast", {"ruff", "check"}, std::nullopt}));
}

TEST(ProjectChecksSpec, NoVerifyTableMeansNoChecks)
{
    EXPECT_TRUE(parse_spec(spec_with(""), "envpin.toml").value().checks.empty());
}

TEST(ProjectChecksSpec, PyprojectHoldsThemUnderToolEnvpin)
{
    const auto spec = parse_spec("[tool.envpin.environment]\nname = \"p\"\n[tool.envpin.verify]\n"
                                 "checks = [{ name = \"smoke\", run = [\"python\", \"-c\", \"1\"] }]\n",
                                 "pyproject.toml")
                          .value();
    ASSERT_EQ(spec.checks.size(), 1u);
    EXPECT_EQ(spec.checks[0].name, "smoke");
}

TEST(ProjectChecksSpec, MalformedTablesAreRefusedNamingFileAndKey)
{
    EXPECT_EQ(error_of("[verify]\nchecks = [{ name = \"a\", run = [\"x\"], timout = 5 }]\n"),
              "envpin.toml line 5: unknown key 'timout' in [verify] checks (whose keys are name, run and timeout)");
    EXPECT_EQ(error_of("[verify]\ncheck = []\n"),
              "envpin.toml line 5: unknown key 'check' in [verify] (whose one key is checks)");
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a\", run = [] }]\n")
                  .find("envpin.toml line 5: [verify] checks: 'a': 'run' must list the command and its arguments"),
              std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a\" }]\n").find("'run' must list the command"), std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ run = [\"x\"] }]\n").find("missing 'name'"), std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a b\", run = [\"x\"] }]\n").find("'name' must be letters"),
              std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a\", run = [\"x\"] }, { name = \"a\", run = [\"y\"] }]\n")
                  .find("the name 'a' appears twice"),
              std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a\", run = [\"x\"], timeout = 0 }]\n")
                  .find("'a': 'timeout' must be a number of seconds > 0, not 0"),
              std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = [{ name = \"a\", run = [\"x\"], timeout = \"60\" }]\n")
                  .find("'timeout' must be a number"),
              std::string::npos);
    EXPECT_NE(error_of("[verify]\nchecks = \"smoke\"\n").find("'checks' must be an array of tables"), std::string::npos);
}

}  // namespace
}  // namespace envpin
