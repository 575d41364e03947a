#include <gtest/gtest.h>

#include "resolver/driver_version.hpp"

namespace envpin {
namespace {

DriverVersion v(std::string_view text)
{
    auto parsed = DriverVersion::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(*DriverVersion::parse("0"));
}

TEST(DriverVersion, ComparesNumericallyByComponent)
{
    EXPECT_LT(v("580.9"), v("580.65.06"));
    EXPECT_LT(v("580.65.06"), v("580.95.05"));
    EXPECT_LT(v("525.60.13"), v("525.85.12"));
    EXPECT_GT(v("1000.1"), v("999.99.99"));
    EXPECT_LT(v("450.80.02"), v("470.82.01"));
}

TEST(DriverVersion, MissingComponentsCompareAsZero)
{
    EXPECT_EQ(v("550.54"), v("550.54.0"));
    EXPECT_LT(v("550.54"), v("550.54.14"));
}

TEST(DriverVersion, RejectsMalformedText)
{
    EXPECT_FALSE(DriverVersion::parse(""));
    EXPECT_FALSE(DriverVersion::parse("580.95.x"));
    EXPECT_FALSE(DriverVersion::parse("580..95"));
    EXPECT_FALSE(DriverVersion::parse("-1.2"));
    EXPECT_FALSE(DriverVersion::parse("1.2.3.4.5"));
}

TEST(DriverVersion, KeepsText)
{
    EXPECT_EQ(v(" 535.104.05\n").text(), "535.104.05");
}

}  // namespace
}  // namespace envpin
