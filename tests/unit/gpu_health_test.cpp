// The GPU health verdict on values: what fails (uncorrectable ECC since the driver loaded, a
// pending or failed row remap), what is only reported, and the JSON the GPU probe sends it in.
#include <gtest/gtest.h>

#include "verify/gpu_health.hpp"

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

}  // namespace
}  // namespace envpin::verify
