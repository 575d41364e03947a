// The binary compatibility rule (docs/CLI.md, "Policy") on real arch lists.
#include <gtest/gtest.h>

#include "verify/host/arch_coverage.hpp"

namespace envpin::verify {
namespace {

const std::vector<std::string> cu130 = split_arch_list("sm_75 sm_80 sm_86 sm_90 sm_100 sm_120");

TEST(ArchCoverage, ParsesEntries)
{
    EXPECT_EQ(parse_arch_entry("sm_90"), (ArchEntry{{9, 0}, false, false}));
    EXPECT_EQ(parse_arch_entry("sm_100"), (ArchEntry{{10, 0}, false, false}));
    EXPECT_EQ(parse_arch_entry("compute_120"), (ArchEntry{{12, 0}, true, false}));
    EXPECT_EQ(parse_arch_entry("sm_90a"), (ArchEntry{{9, 0}, false, true}));
    EXPECT_FALSE(parse_arch_entry("gfx90a"));
    EXPECT_FALSE(parse_arch_entry("sm_"));
    EXPECT_EQ(split_arch_list("sm_80;sm_90, compute_90"), (std::vector<std::string>{"sm_80", "sm_90", "compute_90"}));
}

TEST(ArchCoverage, SassRunsOnLaterMinorsOfTheSameMajor)
{
    EXPECT_EQ(covering_arch(cu130, {9, 0}, true), "sm_90");
    EXPECT_EQ(covering_arch(cu130, {8, 9}, true), "sm_86");  // the newest that runs
    EXPECT_EQ(covering_arch(cu130, {12, 1}, true), "sm_120");
    EXPECT_FALSE(covering_arch(cu130, {7, 0}, true));  // V100 is not in cu130 wheels
    EXPECT_FALSE(covering_arch({"sm_80"}, {9, 0}, true));  // the sm_80-only fault on an H100
    EXPECT_FALSE(covering_arch({"sm_86"}, {8, 0}, true));
}

TEST(ArchCoverage, PtxNeedsANativeDriver)
{
    EXPECT_EQ(covering_arch({"sm_80", "compute_80"}, {9, 0}, true), "compute_80");
    EXPECT_FALSE(covering_arch({"sm_80", "compute_80"}, {9, 0}, false));
    EXPECT_FALSE(covering_arch({"compute_90"}, {8, 0}, true));
}

TEST(ArchCoverage, ArchSpecificSassRunsOnlyOnItsOwnCapability)
{
    EXPECT_EQ(covering_arch({"sm_90a"}, {9, 0}, true), "sm_90a");
    EXPECT_FALSE(covering_arch({"sm_100a"}, {10, 3}, true));
}

}  // namespace
}  // namespace envpin::verify
