// PEP 440 specifiers: the clause forms users write for torch, CUDA and Python.
#include <gtest/gtest.h>

#include "resolver/specifier.hpp"

namespace envpin {
namespace {

bool in(std::string_view spec, std::string_view version,
        PreReleases policy = PreReleases::automatic)
{
    auto set = SpecifierSet::parse(spec);
    EXPECT_TRUE(set.has_value()) << spec << ": " << (set ? "" : set.error().message);
    auto parsed = Version::parse(version);
    EXPECT_TRUE(parsed.has_value()) << version;
    return set && parsed && set->contains(*parsed, policy);
}

TEST(Specifier, WildcardEqualityMatchesThePrefix)
{
    EXPECT_TRUE(in("==2.7.*", "2.7.0"));
    EXPECT_TRUE(in("==2.7.*", "2.7.1+cu128"));
    EXPECT_TRUE(in("==2.7.*", "2.7"));
    EXPECT_FALSE(in("==2.7.*", "2.8.0"));
    EXPECT_FALSE(in("==2.7.*", "2.70.0"));
    EXPECT_FALSE(in("==2.1.*", "2.10.0"));
    EXPECT_TRUE(in("!=2.7.*", "2.8.0"));
    EXPECT_FALSE(in("!=2.7.*", "2.7.1"));
}

TEST(Specifier, ExactEqualityIgnoresTheCandidatesLocalLabelUnlessGiven)
{
    EXPECT_TRUE(in("==2.7.1", "2.7.1+cu128"));
    EXPECT_TRUE(in("==2.7.1+cu128", "2.7.1+cu128"));
    EXPECT_FALSE(in("==2.7.1+cu126", "2.7.1+cu128"));
    EXPECT_FALSE(in("==2.7.1+cu128", "2.7.1"));
    EXPECT_TRUE(in("==2.7", "2.7.0"));
    EXPECT_FALSE(in("!=2.7.1", "2.7.1+cpu"));
}

TEST(Specifier, RangesAndCompatibleRelease)
{
    EXPECT_TRUE(in(">=2.6,<2.9", "2.6.0"));
    EXPECT_TRUE(in(">=2.6,<2.9", "2.8.0+cu129"));
    EXPECT_FALSE(in(">=2.6,<2.9", "2.9.0"));
    EXPECT_FALSE(in(">=2.6,<2.9", "2.5.1"));
    EXPECT_TRUE(in(" >= 2.6 , < 2.9 ", "2.7.1"));
    EXPECT_TRUE(in("~=2.7.0", "2.7.1"));
    EXPECT_FALSE(in("~=2.7.0", "2.8.0"));
    EXPECT_FALSE(in("~=2.7.1", "2.7.0"));
    EXPECT_TRUE(in("~=2.7", "2.13.0"));
    EXPECT_FALSE(in("~=2.7", "3.0"));
    EXPECT_TRUE(in("<=2.7.1", "2.7.1+cu128"));
    EXPECT_TRUE(in(">2.6", "2.7.0"));
}

TEST(Specifier, ExclusiveBoundsFollowPep440)
{
    EXPECT_FALSE(in("<2.9", "2.9.0rc1", PreReleases::include)); // a pre-release of the bound itself
    EXPECT_TRUE(in("<2.9rc2", "2.9.0rc1"));
    EXPECT_FALSE(in(">2.7", "2.7.post1"));
    EXPECT_TRUE(in(">2.7.post0", "2.7.post1"));
    EXPECT_FALSE(in(">2.7.1", "2.7.1+cu128"));
    EXPECT_TRUE(in(">2.7.0", "2.7.1+cu128"));
}

TEST(Specifier, PreReleasesOnlyWhenAskedFor)
{
    EXPECT_FALSE(in(">=2.8", "2.9.0rc1"));
    EXPECT_TRUE(in(">=2.8", "2.9.0rc1", PreReleases::include));
    EXPECT_TRUE(in(">=2.9.0rc1", "2.9.0rc2"));
    EXPECT_FALSE(in(">=2.9.0rc1", "2.9.0rc2", PreReleases::exclude));
    EXPECT_TRUE(in("", "2.9.0"));
    EXPECT_FALSE(in("", "2.9.0.dev1"));
}

TEST(Specifier, ArbitraryEqualityIsAStringMatch)
{
    EXPECT_TRUE(in("===2.7.1+cu128", "2.7.1+cu128"));
    EXPECT_FALSE(in("===2.7.1", "2.7.1+cu128"));
}

TEST(Specifier, RoundTripsInNormalForm)
{
    EXPECT_EQ(SpecifierSet::parse(" >= 2.6 , <2.9")->to_string(), ">=2.6,<2.9");
    EXPECT_EQ(SpecifierSet::parse("==2.7.*")->to_string(), "==2.7.*");
    EXPECT_EQ(SpecifierSet::parse("~=2.7.0")->to_string(), "~=2.7.0");
    EXPECT_EQ(SpecifierSet::parse("==2.7.1+CU128")->to_string(), "==2.7.1+cu128");
}

TEST(Specifier, RejectsMalformedClausesNamingThem)
{
    for (const char* text : {"2.7.*", "==2.7.x!!", ">=", "~=2", ">=2.7.*", "<2.7+cu128",
                             "==2.7.*+cu1", ">=2.6,,<2.9", "=2.7", "==2.7.0rc1.*"}) {
        const auto parsed = SpecifierSet::parse(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
        EXPECT_NE(parsed.error().message.find("expected"), std::string::npos)
            << parsed.error().message;
    }
}

} // namespace
} // namespace envpin
