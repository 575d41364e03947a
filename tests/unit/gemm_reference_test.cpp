// The host side of the GEMM check: test values, sampled positions, the double reference.
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "kernels/fill_values.h"
#include "verify/checks/gemm_reference.hpp"
#include "verify/checks/gpu_figures.hpp"

namespace envpin::verify {
namespace {

TEST(FillValues, UniformValuesAreExactFloatsInRange)
{
    double sum = 0;
    for (unsigned long long i = 0; i < 10000; ++i) {
        const float value = envpin_uniform(42, i);
        ASSERT_GE(value, -1.0f);
        ASSERT_LT(value, 1.0f);
        ASSERT_EQ(std::ldexp(std::round(std::ldexp(double(value), 23)), -23), double(value));
        sum += value;
    }
    EXPECT_NEAR(sum / 10000, 0, 0.05) << "centred, not all zero";
    EXPECT_NE(envpin_uniform(1, 0), envpin_uniform(2, 0)) << "the seed names the stream";
}

TEST(FillValues, Bf16ValuesTruncateTheFloatValues)
{
    for (unsigned long long i = 0; i < 1000; ++i) {
        const float wide = envpin_uniform(9, i);
        const float narrow = bf16_to_float(envpin_uniform_bf16(9, i));
        ASSERT_LE(std::abs(narrow), std::abs(wide));
        ASSERT_LE(std::abs(wide - narrow), std::abs(wide) * (1.0f / 128)) << i;
    }
}

TEST(FillValues, CollectiveSumsAreExact)
{
    // Any order of adding up to 64 ranks' values is exact in fp32.
    for (unsigned long long i : {0ull, 1020ull, 1021ull, 123456789ull}) {
        float forward = 0, backward = 0;
        double exact = 0;
        for (int rank = 0; rank < 64; ++rank) {
            forward += envpin_collective_value(i, rank);
            backward += envpin_collective_value(i, 63 - rank);
            exact += envpin_collective_value(i, rank);
        }
        EXPECT_EQ(double(forward), exact);
        EXPECT_EQ(double(backward), exact);
    }
}

TEST(GemmReference, MatchesANaiveColumnMajorProduct)
{
    const int n = 5;
    for (auto type : {GemmInput::bf16, GemmInput::fp32}) {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                double sum = 0;
                for (int l = 0; l < n; ++l) {
                    // Column-major: A(i, l) is element i + l·n of stream 11.
                    const double a = type == GemmInput::fp32
                                         ? envpin_uniform(11, i + l * n)
                                         : bf16_to_float(envpin_uniform_bf16(11, i + l * n));
                    const double b = type == GemmInput::fp32
                                         ? envpin_uniform(12, l + j * n)
                                         : bf16_to_float(envpin_uniform_bf16(12, l + j * n));
                    sum += a * b;
                }
                EXPECT_DOUBLE_EQ(gemm_reference(type, 11, 12, n, i, j), sum);
            }
    }
}

TEST(GemmReference, SamplesAreDistinctAndIncludeTheCorners)
{
    const auto positions = sample_positions(8192, 256, 5);
    ASSERT_EQ(positions.size(), 256u);
    const std::set<std::pair<int, int>> distinct(positions.begin(), positions.end());
    EXPECT_EQ(distinct.size(), 256u);
    EXPECT_TRUE(distinct.contains({0, 0}));
    EXPECT_TRUE(distinct.contains({8191, 8191}));
    for (const auto& [row, column] : positions) {
        EXPECT_GE(row, 0);
        EXPECT_LT(column, 8192);
    }
    EXPECT_EQ(sample_positions(2, 256, 5).size(), 4u) << "no more samples than elements";
    EXPECT_NE(sample_positions(64, 16, 1), sample_positions(64, 16, 2));
}

} // namespace
} // namespace envpin::verify

namespace envpin::verify {
namespace {

// E4M3 as the OCP FP8 format defines it: sign, exponent bias 7, 3 mantissa bits, subnormals
// at exponent 0.
double decode_e4m3(unsigned char bits)
{
    const int sign = (bits & 0x80) != 0 ? -1 : 1;
    const int exponent = (bits >> 3) & 15, mantissa = bits & 7;
    if (exponent == 0)
        return sign * std::ldexp(mantissa / 8.0, -6);
    return sign * std::ldexp(1 + mantissa / 8.0, exponent - 7);
}

TEST(E4m3TestValues, EveryNumeratorEncodesExactly)
{
    for (int k = -16; k <= 16; ++k)
        EXPECT_EQ(decode_e4m3(envpin_e4m3_bits(k)), k / 16.0) << k;
    EXPECT_EQ(envpin_e4m3_bits(16), 0x38);   // 1.0
    EXPECT_EQ(envpin_e4m3_bits(1), 0x18);    // 2^-4
    EXPECT_EQ(envpin_e4m3_bits(-8), 0xb0);   // -0.5
    EXPECT_EQ(envpin_e4m3_bits(13), 0x35);   // 0.8125 = 1.625 * 2^-1
}

TEST(E4m3TestValues, TheStreamCoversTheRangeAndTheHostReadsWhatTheGpuWrites)
{
    std::set<int> seen;
    for (unsigned long long i = 0; i < 4000; ++i) {
        const int k = envpin_e4m3_numerator(5, i);
        ASSERT_GE(k, -16);
        ASSERT_LE(k, 16);
        seen.insert(k);
        EXPECT_EQ(gemm_input(GemmInput::e4m3, 5, 1, static_cast<int>(i), 0), decode_e4m3(envpin_e4m3_bits(k)));
    }
    EXPECT_EQ(seen.size(), 33u);
}

// cuBLASLt's FP8 GEMM is C = Aᵀ·B: the reference sums A's column i, not its row.
TEST(E4m3TestValues, TheReferenceTakesATransposed)
{
    const int n = 5;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
            double sum = 0;
            for (int l = 0; l < n; ++l)
                sum += gemm_input(GemmInput::e4m3, 21, n, l, i) * gemm_input(GemmInput::e4m3, 22, n, l, j);
            EXPECT_EQ(gemm_reference(GemmInput::e4m3, 21, 22, n, i, j), sum);
        }
}

}  // namespace
}  // namespace envpin::verify
