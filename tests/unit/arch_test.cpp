// Arch targets and the SASS/PTX coverage rule.
#include <gtest/gtest.h>

#include "resolver/arch.hpp"

namespace envpin {
namespace {

std::vector<ArchTarget> list(std::initializer_list<const char*> names)
{
    std::vector<ArchTarget> targets;
    for (const char* name : names)
        targets.push_back(*parse_arch_target(name));
    return targets;
}

std::string served_by(const std::vector<ArchTarget>& targets, ComputeCapability gpu,
                      PtxJit jit = PtxJit::allowed)
{
    const auto result = coverage(targets, gpu, jit);
    return result.target ? to_string(*result.target) : "none";
}

TEST(Arch, ParsesTargetsAndCapabilities)
{
    EXPECT_EQ(parse_arch_target("sm_90")->cc, (ComputeCapability{9, 0}));
    EXPECT_EQ(parse_arch_target("compute_120")->kind, CodeKind::ptx);
    EXPECT_EQ(parse_arch_target("sm_103")->cc, (ComputeCapability{10, 3}));
    for (const char* bad : {"sm_9", "sm_", "90", "sm_90a", "compute", "sm_1234", "sm_09"})
        EXPECT_FALSE(parse_arch_target(bad)) << bad;
    EXPECT_EQ(parse_compute_capability("sm_120"), (ComputeCapability{12, 0}));
    EXPECT_EQ(parse_compute_capability("8.9"), (ComputeCapability{8, 9}));
    EXPECT_EQ(parse_compute_capability("86"), (ComputeCapability{8, 6}));
    for (const char* bad : {"8.", "8.10", "x.y", "", "sm_x", "0.5"})
        EXPECT_FALSE(parse_compute_capability(bad)) << bad;
    EXPECT_EQ(sm_name({10, 3}), "sm_103");
    EXPECT_EQ(to_string(ComputeCapability{9, 0}), "9.0");
}

TEST(Arch, SassRunsOnTheSameMajorWithAnEqualOrHigherMinor)
{
    const auto cu128 = list({"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"});
    EXPECT_EQ(served_by(cu128, {8, 9}), "sm_86");   // Ada runs Ampere cubins
    EXPECT_EQ(served_by(cu128, {10, 3}), "sm_100"); // B300
    EXPECT_EQ(served_by(cu128, {12, 1}), "sm_120"); // GB10
    EXPECT_EQ(served_by(cu128, {7, 0}), "none");    // V100: no sm_70, 7.5 is newer
    EXPECT_EQ(served_by(cu128, {11, 0}), "none");   // Thor: a cubin never crosses majors
}

TEST(Arch, PtxServesLaterGpusOnlyWhenTheDriverCanJit)
{
    const auto with_ptx = list({"sm_75", "sm_90", "compute_90"});
    EXPECT_EQ(served_by(with_ptx, {10, 0}), "compute_90");
    EXPECT_EQ(served_by(with_ptx, {10, 0}, PtxJit::not_allowed), "none");
    EXPECT_EQ(to_string(*coverage(with_ptx, {10, 0}, PtxJit::not_allowed).ptx_blocked),
              "compute_90");
    EXPECT_EQ(served_by(with_ptx, {9, 0}, PtxJit::not_allowed), "sm_90"); // SASS first
    EXPECT_EQ(served_by(with_ptx, {7, 0}), "none");                       // PTX newer than the GPU
}

} // namespace
} // namespace envpin
