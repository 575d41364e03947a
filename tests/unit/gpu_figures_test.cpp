// The arithmetic behind the GPU checks' figures and verdicts.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "verify/checks/gpu_figures.hpp"

namespace envpin::verify {
namespace {

TEST(GpuFigures, MedianOfOddEvenAndEmpty)
{
    EXPECT_EQ(median({3, 1, 2}), 2);
    EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
    EXPECT_EQ(median({7}), 7);
    EXPECT_EQ(median({}), 0);
    EXPECT_EQ(median({1, 1000, 2, 3, 2}), 2) << "one slow outlier does not move it";
}

TEST(GpuFigures, RatesUseDecimalUnits)
{
    // A 1 GiB copy moves 2 GiB (read + written); in 0.5 ms that is 4294.967296 GB/s.
    EXPECT_DOUBLE_EQ(gigabytes_per_second(2.0 * (1u << 30), 0.5), 4294.967296);
    EXPECT_EQ(gigabytes_per_second(1e9, 0), 0);
    EXPECT_DOUBLE_EQ(gemm_flops(8192, 8192, 8192), 2.0 * 8192 * 8192 * 8192);
    EXPECT_NEAR(teraflops(gemm_flops(8192, 8192, 8192), 1.389), 791.6, 0.1);
    EXPECT_EQ(teraflops(1e12, -1), 0);
}

TEST(GpuFigures, BusBandwidthFollowsNcclTests)
{
    EXPECT_EQ(allreduce_bus_bandwidth(100, 1), 0);
    EXPECT_DOUBLE_EQ(allreduce_bus_bandwidth(100, 2), 100);
    EXPECT_DOUBLE_EQ(allreduce_bus_bandwidth(100, 4), 150);
    EXPECT_DOUBLE_EQ(allreduce_bus_bandwidth(200, 8), 350);
}

TEST(GpuFigures, PciePeakIsLanesTimesTheEncodedLaneRate)
{
    // Per lane and direction: 8b/10b for gen 1-2, 128b/130b for gen 3-5, FLIT for gen 6.
    EXPECT_DOUBLE_EQ(*pcie_peak_gbs(1, 1), 0.25);
    EXPECT_DOUBLE_EQ(*pcie_peak_gbs(2, 8), 4.0);
    EXPECT_NEAR(*pcie_peak_gbs(3, 1), 0.985, 0.001);
    EXPECT_NEAR(*pcie_peak_gbs(3, 16), 15.75, 0.01);
    EXPECT_NEAR(*pcie_peak_gbs(4, 1), 1.969, 0.001);
    EXPECT_NEAR(*pcie_peak_gbs(4, 16), 31.51, 0.01);
    EXPECT_NEAR(*pcie_peak_gbs(5, 1), 3.938, 0.001);
    EXPECT_NEAR(*pcie_peak_gbs(5, 16), 63.02, 0.01) << "the H100's link";
    EXPECT_NEAR(*pcie_peak_gbs(5, 8), 31.51, 0.01);
    EXPECT_DOUBLE_EQ(*pcie_peak_gbs(6, 1), 7.5625);
    EXPECT_DOUBLE_EQ(*pcie_peak_gbs(6, 16), 121.0);
    EXPECT_FALSE(pcie_peak_gbs(0, 16)) << "no generation 0";
    EXPECT_FALSE(pcie_peak_gbs(7, 16)) << "a generation it does not know";
    EXPECT_FALSE(pcie_peak_gbs(5, 0)) << "no lanes";
    EXPECT_FALSE(pcie_peak_gbs(5, 64));
}

TEST(GpuFigures, FloorIsAFractionOfTheReference)
{
    const auto floor = rate_floor(4800.0, 0.75);
    ASSERT_TRUE(floor.threshold);
    EXPECT_DOUBLE_EQ(*floor.threshold, 3600);
    EXPECT_EQ(*floor.reference, 4800);
    EXPECT_TRUE(floor.passes(3600));
    EXPECT_TRUE(floor.passes(4270));
    EXPECT_FALSE(floor.passes(3599.9));
    const auto none = rate_floor(std::nullopt, 0.75);
    EXPECT_FALSE(none.threshold);
    EXPECT_TRUE(none.passes(0)) << "without a reference nothing is too slow";
    EXPECT_FALSE(rate_floor(0.0, 0.75).threshold) << "a zero reference is no reference";
}

TEST(GpuFigures, SampleComparisonIsNormWise)
{
    const std::vector<double> want{3, 4};
    EXPECT_EQ(compare_samples(want, want).relative, 0);
    const std::vector<double> off{3, 4.05}; // ‖(0, 0.05)‖ / ‖(3, 4)‖ = 0.01
    const auto error = compare_samples(off, want);
    EXPECT_NEAR(error.relative, 0.01, 1e-12);
    EXPECT_NEAR(error.max_absolute, 0.05, 1e-12);
    EXPECT_TRUE(error.within(1e-2 + 1e-12));
    EXPECT_FALSE(error.within(1e-3));
    EXPECT_EQ(error.samples, 2u);
}

TEST(GpuFigures, NonFiniteSamplesNeverPass)
{
    const std::vector<double> want{1, 2, 3};
    const std::vector<double> got{1, std::numeric_limits<double>::quiet_NaN(), 3};
    const auto error = compare_samples(got, want);
    EXPECT_EQ(error.non_finite, 1u);
    EXPECT_FALSE(error.within(1.0));
    const std::vector<double> zeros{0, 0}, ones{1, 1};
    EXPECT_TRUE(std::isinf(compare_samples(ones, zeros).relative));
    EXPECT_EQ(compare_samples(zeros, zeros).relative, 0);
}

TEST(GpuFigures, Bf16IsTheUpperHalfOfAFloat)
{
    EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
    EXPECT_EQ(bf16_to_float(0xc000), -2.0f);
    EXPECT_EQ(bf16_to_float(0x0000), 0.0f);
    EXPECT_TRUE(std::isnan(bf16_to_float(0xffff)));
}

TEST(GpuFigures, DottedLibraryVersions)
{
    EXPECT_EQ(dotted_version(130100), "13.1.0");
    EXPECT_EQ(dotted_version(91900), "9.19.0");
    EXPECT_EQ(dotted_version(22809), "2.28.9");
}

} // namespace
} // namespace envpin::verify
