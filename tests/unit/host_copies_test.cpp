// The kernels check's host<->device copies judged against the GPU's PCIe link, without a GPU.
#include <string>

#include <gtest/gtest.h>

#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/kernels_host_copies.hpp"

namespace envpin::verify {
namespace {

bool has(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// What torch measured on an H100 (PCIe gen5 x16) with 1 GiB buffers.
HostTransferResult h100_copies()
{
    HostTransferResult copies;
    copies.buffer_bytes = size_t{256} << 20;
    copies.repeats = 5;
    copies.pinned = CopyRates{54.7, 55.3, 0};
    copies.pageable = CopyRates{22.2, 17.7, 0};
    return copies;
}

PcieLink link(unsigned generation, unsigned width, unsigned max_generation, unsigned max_width)
{
    return PcieLink{generation, width, max_generation, max_width};
}

TEST(HostCopies, AHealthyLinkPassesAndIsDescribed)
{
    const auto verdict = judge_host_copies(h100_copies(), link(5, 16, 5, 16), 0.3);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_FALSE(verdict.slow);
    EXPECT_FALSE(verdict.wrong);
    EXPECT_TRUE(verdict.hint.empty());
    EXPECT_EQ(verdict.summary, "host copies (H2D/D2H): pinned 54.7/55.3 GB/s (87% of PCIe gen5 "
                               "x16, 63.0 GB/s), pageable 22.2/17.7 GB/s");
    const auto& figures = verdict.figures;
    EXPECT_EQ(figures["pinned"]["h2d_gbs"], 54.7);
    EXPECT_EQ(figures["pageable"]["d2h_gbs"], 17.7);
    EXPECT_EQ(figures["pcie"]["generation"], 5);
    EXPECT_EQ(figures["pcie"]["max_width"], 16);
    EXPECT_NEAR(figures["pcie"]["peak_gbs"].get<double>(), 63.02, 0.01);
    EXPECT_NEAR(figures["reference_gbs"].get<double>(), 63.02, 0.01);
    EXPECT_NEAR(figures["threshold_gbs"].get<double>(), 18.9, 0.01);
    EXPECT_EQ(figures["buffer_bytes"], 256u << 20);
    EXPECT_EQ(figures["link_read_idle"], false);
    EXPECT_FALSE(figures.contains("pinned_not_run"));
}

TEST(HostCopies, ALinkTrainedDownIsJudgedAsItRunsAndNamedInTheHint)
{
    auto copies = h100_copies();
    copies.pinned = CopyRates{3.1, 4.2, 0}; // below 30% of gen4 x8's 15.75 GB/s
    copies.pageable = CopyRates{2.0, 1.8, 0};
    const auto verdict = judge_host_copies(copies, link(4, 8, 5, 16), 0.3);
    EXPECT_TRUE(verdict.slow);
    ASSERT_EQ(verdict.problems.size(), 1u);
    EXPECT_TRUE(
        has(verdict.problems[0], "below the floor 4.7 GB/s (30% of PCIe gen4 x8, 15.8 GB/s)"))
        << verdict.problems[0];
    EXPECT_TRUE(has(verdict.hint, "the link runs at PCIe gen4 x8, below its max gen5 x16"))
        << verdict.hint;
    EXPECT_TRUE(has(verdict.summary, "(20% of PCIe gen4 x8, 15.8 GB/s; its max is gen5 x16)"))
        << verdict.summary;
}

TEST(HostCopies, AFullLinkThatIsSlowPointsAtTrafficIommuAndNuma)
{
    auto copies = h100_copies();
    copies.pinned = CopyRates{12.0, 30.0, 0}; // the slower direction counts
    const auto verdict = judge_host_copies(copies, link(5, 16, 5, 16), 0.3);
    EXPECT_TRUE(verdict.slow);
    EXPECT_TRUE(has(verdict.hint, "numactl")) << verdict.hint;
    EXPECT_TRUE(has(verdict.hint, "IOMMU")) << verdict.hint;
    EXPECT_FALSE(has(verdict.hint, "below its max")) << verdict.hint;
}

TEST(HostCopies, TheFloorItselfPasses)
{
    auto copies = h100_copies();
    const double threshold = *pcie_peak_gbs(5, 16) * 0.3;
    copies.pinned = CopyRates{threshold, threshold, 0};
    EXPECT_FALSE(judge_host_copies(copies, link(5, 16, 5, 16), 0.3).slow);
    copies.pinned = CopyRates{threshold * 0.999, threshold, 0};
    EXPECT_TRUE(judge_host_copies(copies, link(5, 16, 5, 16), 0.3).slow);
}

TEST(HostCopies, ALinkReadWhileIdleIsJudgedAtItsMax)
{
    // Some GPUs drop their link to gen1 while idle; copies faster than gen1 x16 allows show
    // that the reading was not the link they crossed.
    const auto verdict = judge_host_copies(h100_copies(), link(1, 16, 5, 16), 0.3);
    EXPECT_FALSE(verdict.slow);
    EXPECT_TRUE(has(verdict.summary,
                    "(87% of PCIe gen5 x16, 63.0 GB/s; NVML read gen1 x16 while the GPU idled)"))
        << verdict.summary;
    EXPECT_EQ(verdict.figures["link_read_idle"], true);
    EXPECT_EQ(verdict.figures["pcie"]["generation"], 1);
}

TEST(HostCopies, WithoutALinkReadingRatesAreReportedNotJudged)
{
    auto copies = h100_copies();
    copies.pinned = CopyRates{1.0, 1.0, 0};
    const auto verdict = judge_host_copies(copies, std::nullopt, 0.3);
    EXPECT_FALSE(verdict.slow);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.summary,
              "host copies (H2D/D2H): pinned 1.0/1.0 GB/s, pageable 22.2/17.7 GB/s");
    EXPECT_TRUE(verdict.figures["pcie"].is_null());
    EXPECT_TRUE(verdict.figures["threshold_gbs"].is_null());
    // A current reading slower than the copies, with no max to fall back on: not judged either.
    EXPECT_FALSE(judge_host_copies(h100_copies(), PcieLink{1, 16, {}, {}}, 0.3)
                     .figures["reference_gbs"]
                     .is_number());
}

TEST(HostCopies, WrongDataFailsWhateverTheSpeed)
{
    auto copies = h100_copies();
    copies.pageable.wrong_words = 3;
    const auto verdict = judge_host_copies(copies, std::nullopt, 0.3);
    EXPECT_TRUE(verdict.wrong);
    ASSERT_EQ(verdict.problems.size(), 1u);
    EXPECT_EQ(verdict.problems[0], "pageable host copies brought back 3 wrong words of 33554432");
    EXPECT_TRUE(has(verdict.hint, "dmesg")) << verdict.hint;
}

TEST(HostCopies, APinnedMeasurementThatDidNotRunSaysWhy)
{
    auto copies = h100_copies();
    copies.pinned.reset();
    copies.pinned_not_run = "libcuda.so.1 has no entry point cuMemAllocHost_v2";
    const auto verdict = judge_host_copies(copies, link(5, 16, 5, 16), 0.3);
    EXPECT_FALSE(verdict.slow);
    EXPECT_TRUE(verdict.problems.empty());
    EXPECT_EQ(verdict.summary, "host copies (H2D/D2H): pinned not run (libcuda.so.1 has no entry "
                               "point cuMemAllocHost_v2), pageable 22.2/17.7 GB/s");
    EXPECT_TRUE(verdict.figures["pinned"].is_null());
    EXPECT_EQ(verdict.figures["pinned_not_run"], copies.pinned_not_run);
}

TEST(HostCopies, TheLinkComesFromNvmlsHealthReading)
{
    GpuHealth health;
    EXPECT_FALSE(pcie_link(health));
    health.pcie_generation = 4;
    EXPECT_FALSE(pcie_link(health)) << "no width";
    health.pcie_width = 16;
    ASSERT_TRUE(pcie_link(health));
    EXPECT_FALSE(pcie_link(health)->below_max()) << "no max read: nothing to be below";
    health.pcie_max_generation = 5;
    health.pcie_max_width = 16;
    EXPECT_TRUE(pcie_link(health)->below_max());
    health.pcie_generation = 5;
    EXPECT_FALSE(pcie_link(health)->below_max());
    health.pcie_width = 8;
    EXPECT_TRUE(pcie_link(health)->below_max());
}

TEST(HostCopies, TheGpuIsFoundByItsUuidOrItsMigInstances)
{
    std::vector<GpuInfo> gpus(2);
    gpus[0].uuid = "GPU-f003b975-272f-9fc2-7738-45974397b6a9";
    gpus[0].health.pcie_generation = 5;
    gpus[1].uuid = "GPU-11111111-2222-3333-4444-555555555555";
    gpus[1].health.pcie_generation = 4;
    gpus[1].mig_instances =
        std::vector<MigInstance>{{0, "MIG-4b9f6bd3-aaaa-bbbb-cccc-dddddddddddd", 10000}};
    EXPECT_EQ(find_gpu_health(gpus, "GPU-f003b975-272f-9fc2-7738-45974397b6a9"), &gpus[0].health);
    EXPECT_EQ(find_gpu_health(gpus, "GPU-11111111-2222-3333-4444-555555555555"), &gpus[1].health);
    // cuDeviceGetUuid gives a MIG device's own bytes, printed with "GPU-": its parent's link.
    EXPECT_EQ(find_gpu_health(gpus, "GPU-4b9f6bd3-aaaa-bbbb-cccc-dddddddddddd"), &gpus[1].health);
    EXPECT_EQ(find_gpu_health(gpus, "GPU-00000000-0000-0000-0000-000000000000"), nullptr);
    EXPECT_EQ(find_gpu_health(gpus, ""), nullptr);
    EXPECT_EQ(find_gpu_health({}, "GPU-f003b975-272f-9fc2-7738-45974397b6a9"), nullptr);
}

// A run on a MIG instance says so: the label names the instance and its parent GPU.
TEST(GpuLabel, AMigInstanceIsNamedWithItsParent)
{
    std::vector<GpuInfo> gpus(2);
    gpus[0].uuid = "GPU-f003b975-272f-9fc2-7738-45974397b6a9";
    gpus[1].index = 1;
    gpus[1].uuid = "GPU-11111111-2222-3333-4444-555555555555";
    gpus[1].mig_instances =
        std::vector<MigInstance>{{0, "MIG-4b9f6bd3-aaaa-bbbb-cccc-dddddddddddd", 9984}};
    const auto instance = find_host_gpu(gpus, "GPU-4b9f6bd3-aaaa-bbbb-cccc-dddddddddddd");
    EXPECT_EQ(instance.gpu, &gpus[1]);
    ASSERT_NE(instance.instance, nullptr);
    EXPECT_EQ(gpu_label("NVIDIA H100 80GB HBM3 MIG 1g.10gb", instance),
              "NVIDIA H100 80GB HBM3 MIG 1g.10gb (MIG instance MIG-4b9f6bd3-aaaa-bbbb-cccc-dddddddddddd, 9984 MiB, "
              "of GPU 1)");
    const auto whole = find_host_gpu(gpus, "GPU-f003b975-272f-9fc2-7738-45974397b6a9");
    EXPECT_EQ(whole.gpu, &gpus[0]);
    EXPECT_EQ(whole.instance, nullptr);
    EXPECT_EQ(gpu_label("NVIDIA H200", whole), "NVIDIA H200");
    EXPECT_EQ(gpu_label("NVIDIA H200", find_host_gpu(gpus, "GPU-unknown")), "NVIDIA H200");
}

} // namespace
} // namespace envpin::verify
