// PEP 440 versions: parsing, normal form and ordering.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "resolver/version.hpp"

namespace envpin {
namespace {

Version v(std::string_view text)
{
    auto parsed = Version::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.value_or(*Version::parse("0"));
}

TEST(Version, ParsesLocalVersionsOfTorchWheels)
{
    const auto version = v("2.7.1+cu128");
    EXPECT_EQ(version.release(), (std::vector<long long>{2, 7, 1}));
    EXPECT_EQ(version.local_text(), "cu128");
    EXPECT_EQ(version.public_version().to_string(), "2.7.1");
    EXPECT_EQ(version.to_string(), "2.7.1+cu128");
    EXPECT_FALSE(version.is_prerelease());
}

TEST(Version, NormalizesSpellings)
{
    EXPECT_EQ(v("v2.0").to_string(), "2.0");
    EXPECT_EQ(v("1.0-alpha.1").to_string(), "1.0a1");
    EXPECT_EQ(v("1.0BETA2").to_string(), "1.0b2");
    EXPECT_EQ(v("1.0c3").to_string(), "1.0rc3");
    EXPECT_EQ(v("1.0-preview4").to_string(), "1.0rc4");
    EXPECT_EQ(v("1.0-1").to_string(), "1.0.post1");
    EXPECT_EQ(v("1.0.rev2").to_string(), "1.0.post2");
    EXPECT_EQ(v("1.0-dev").to_string(), "1.0.dev0");
    EXPECT_EQ(v("1.0+Ubuntu-1_2").to_string(), "1.0+ubuntu.1.2");
    EXPECT_EQ(v("1!2.0rc1.post2.dev3+local.7").to_string(), "1!2.0rc1.post2.dev3+local.7");
    EXPECT_EQ(v(" 3.12 ").to_string(), "3.12");
}

TEST(Version, ClassifiesPreAndPostReleases)
{
    EXPECT_TRUE(v("2.8.0rc1").is_prerelease());
    EXPECT_TRUE(v("2.8.0.dev20250101").is_prerelease());
    EXPECT_FALSE(v("2.8.0.post1").is_prerelease());
    EXPECT_TRUE(v("2.8.0.post1").is_postrelease());
    EXPECT_EQ(v("2.8.0rc1.post1").base_version().to_string(), "2.8.0");
    EXPECT_EQ(v("1!2.0").epoch(), 1);
}

TEST(Version, RejectsWhatIsNotAVersion)
{
    for (const char* text : {"", "2.7.x!!", "2.7.x", "abc", "2..7", "2.7.", "+cu128", "2.7+",
                             "2.7+cu_", "1.0-", "2.7.1 cu128", "99999999999999999999"})
        EXPECT_FALSE(Version::parse(text)) << text;
}

TEST(Version, OrdersAsPep440)
{
    // Each entry sorts strictly after the previous one.
    const std::vector<std::string> ordered{
        "1.0.dev0", "1.0a1.dev1", "1.0a1",     "1.0a2", "1.0b1",          "1.0rc1",
        "1.0",      "1.0+abc",    "1.0+abc.5", "1.0+5", "1.0.post1.dev0", "1.0.post1",
        "1.0.1",    "1.1",        "2.0",       "1!0.5"};
    for (size_t i = 1; i < ordered.size(); ++i)
        EXPECT_LT(v(ordered[i - 1]), v(ordered[i])) << ordered[i - 1] << " < " << ordered[i];
}

TEST(Version, TrailingZerosDoNotMatter)
{
    EXPECT_EQ(v("2.7"), v("2.7.0"));
    EXPECT_EQ(v("2.7.0.0"), v("2.7"));
    EXPECT_LT(v("2.7.0"), v("2.7.0+cu118"));
    EXPECT_LT(v("2.10.0"), v("2.11.0"));
    EXPECT_GT(v("2.10.0"), v("2.9.1"));
}

TEST(Version, LocalLabelsOrderNumericAfterAlphanumeric)
{
    EXPECT_LT(v("2.7.1+cu118"), v("2.7.1+cu128"));
    EXPECT_LT(v("2.7.1+cpu"), v("2.7.1+cu118"));
    EXPECT_LT(v("1.0+abc"), v("1.0+1"));
}

TEST(Version, SortsTorchReleasesNewestFirst)
{
    std::vector<Version> versions{v("2.9.1"), v("2.13.0"), v("2.10.0"), v("2.0.0"), v("2.12.1")};
    std::ranges::sort(versions, std::greater<>());
    EXPECT_EQ(versions.front().to_string(), "2.13.0");
    EXPECT_EQ(versions[1].to_string(), "2.12.1");
    EXPECT_EQ(versions.back().to_string(), "2.0.0");
}

} // namespace
} // namespace envpin
