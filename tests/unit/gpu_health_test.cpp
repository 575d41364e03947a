// The GPU health verdict on values: what fails (uncorrectable ECC since the driver loaded, a
// pending or failed row remap), what is only reported, and the JSON the GPU probe sends it in.
#include <gtest/gtest.h>

#include "verify/host/gpu_health.hpp"

namespace envpin::verify {
namespace {

bool said(const std::vector<std::string>& lines, std::string_view text)
{
    for (const auto& line : lines)
        if (line.find(text) != std::string::npos)
            return true;
    return false;
}

TEST(GpuHealth, NothingReadSaysNothing)
{
    const auto verdict = judge_gpu_health({});
    EXPECT_FALSE(verdict.read_anything);
    EXPECT_TRUE(verdict.faults.empty());
}

TEST(GpuHealth, CorrectedErrorsAndPastFaultsAreReportedNotFailed)
{
    GpuHealth h;
    h.ecc_enabled = true;
    h.ecc_volatile_corrected = 12;
    h.ecc_volatile_uncorrected = 0;
    h.ecc_aggregate_uncorrected = 1;  // remapped since: the GPU went on working
    h.remap_pending = false;
    h.remap_failed = false;
    h.remapped_rows_uncorrectable = 1;
    h.clock_event_reasons = 0x4 | 0x40;
    h.persistence_mode = false;
    const auto verdict = judge_gpu_health(h);
    EXPECT_TRUE(verdict.faults.empty());
    EXPECT_TRUE(said(verdict.notes, "12 corrected, 0 uncorrected since the driver loaded; 0 / 1 in the GPU's lifetime"));
    EXPECT_TRUE(said(verdict.notes, "1 uncorrectable"));
    EXPECT_TRUE(said(verdict.notes, "clocks held back by: SW power cap, HW thermal slowdown"));
    EXPECT_TRUE(said(verdict.notes, "persistence mode off"));
}

TEST(GpuHealth, UncorrectableErrorsAndRemapsFail)
{
    GpuHealth h;
    h.ecc_enabled = true;
    h.ecc_volatile_uncorrected = 2;
    h.remap_pending = true;
    h.remap_failed = true;
    const auto verdict = judge_gpu_health(h);
    ASSERT_EQ(verdict.faults.size(), 3u);
    EXPECT_TRUE(said(verdict.faults, "2 uncorrectable ECC error(s)"));
    EXPECT_TRUE(said(verdict.faults, "remap is pending"));
    EXPECT_TRUE(said(verdict.faults, "remap failed"));
}

TEST(GpuHealth, EccOffIsNotAFault)
{
    GpuHealth h;
    h.ecc_enabled = false;
    h.ecc_volatile_uncorrected = 5;  // not read by the probe when ECC is off; never judged
    const auto verdict = judge_gpu_health(h);
    EXPECT_TRUE(verdict.faults.empty());
    EXPECT_TRUE(said(verdict.notes, "ECC off"));
}

TEST(GpuHealth, UnknownClockEventBitsAreShownInHex)
{
    EXPECT_EQ(clock_event_names(0x8 | 0x1000), (std::vector<std::string>{"HW slowdown", "0x1000"}));
    EXPECT_TRUE(clock_event_names(0).empty());
}

TEST(GpuHealth, JsonRoundTripKeepsUnknownsUnknown)
{
    GpuHealth h;
    h.ecc_enabled = true;
    h.ecc_aggregate_corrected = 7;
    h.pcie_generation = 5;
    h.sm_clock_max_mhz = 1980;
    const auto back = health_from_json(health_to_json(h));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, h);
    EXPECT_FALSE(back->remap_pending);
    EXPECT_FALSE(health_from_json(nlohmann::json::array()));
    EXPECT_FALSE(health_from_json(nlohmann::json{{"pcie_width", "wide"}}));
}

// The SM clock while work ran (NvmlClockSampler's readings), summarized and in words.
TEST(ClockSamples, SummaryTakesMinMaxAndMedian)
{
    const auto clocks = summarize_clock_samples({1980, 1755, 1980, 1965, 1980}, 0x1, 1980);
    EXPECT_EQ(clocks.samples, 5u);
    EXPECT_EQ(clocks.min_mhz, 1755u);
    EXPECT_EQ(clocks.max_mhz, 1980u);
    EXPECT_EQ(clocks.median_mhz, 1980u);
    EXPECT_EQ(clocks.max_clock_mhz, 1980u);
    EXPECT_EQ(clocks.reasons_seen, 0x1u);
    EXPECT_EQ(summarize_clock_samples({1410, 1200, 1300, 1100}, std::nullopt, std::nullopt).median_mhz, 1300u);
    const auto none = summarize_clock_samples({}, std::nullopt, 1980);
    EXPECT_EQ(none.samples, 0u);
    EXPECT_EQ(none.median_mhz, 0u);
}

TEST(ClockSamples, SentenceNamesClockRangeAndEvents)
{
    const auto clean = summarize_clock_samples(std::vector<unsigned>(41, 1980), 0, 1980);
    auto with_dip = std::vector<unsigned>(41, 1980);
    with_dip.push_back(1755);
    EXPECT_EQ(describe_clock_samples(summarize_clock_samples(with_dip, 0, 1980), "the GEMM"),
              "SM clock 1980 MHz during the GEMM (median of 42 samples, 1755 to 1980; the GPU's max 1980 MHz); "
              "clock events: none");
    EXPECT_EQ(describe_clock_samples(summarize_clock_samples({1410}, 0x4 | 0x40, std::nullopt), "the GEMM"),
              "SM clock 1410 MHz during the GEMM (median of 1 sample, 1410 to 1410; the GPU's max unknown); "
              "clock events: SW power cap, HW thermal slowdown");
    EXPECT_EQ(describe_clock_samples(summarize_clock_samples({}, std::nullopt, 1980), "the GEMM"),
              "SM clock not read during the GEMM (the GPU's max 1980 MHz); clock events: not read");
    EXPECT_TRUE(clocks_held_back_by(clean).empty());
}

TEST(ClockSamples, HeldBackOnlyByPowerThermalAndHardwareEvents)
{
    const auto with = [](std::optional<unsigned long long> reasons) {
        return clocks_held_back_by(summarize_clock_samples({1980}, reasons, 1980));
    };
    EXPECT_TRUE(with(std::nullopt).empty());
    EXPECT_TRUE(with(0x1 | 0x2 | 0x10 | 0x100).empty());  // idle, application clocks, sync boost, display
    EXPECT_EQ(with(0x1 | 0x8), (std::vector<std::string>{"HW slowdown"}));
    EXPECT_EQ(with(0x4 | 0x20 | 0x40 | 0x80 | 0x1000),
              (std::vector<std::string>{"SW power cap", "SW thermal slowdown", "HW thermal slowdown", "HW power brake"}));
}

}  // namespace
}  // namespace envpin::verify
