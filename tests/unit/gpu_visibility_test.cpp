// The GPU visibility rule on values: what NVML listed, what the CUDA driver API counted, and
// the variables that narrow it decide whether the GPU checks run, skip or fail.
#include <gtest/gtest.h>

#include "verify/runner/gpu_visibility.hpp"

namespace envpin::verify {
namespace {

using Verdict = GpuVisibilityVerdict;

GpuInfo gpu(int index, std::string name, std::optional<bool> mig = false)
{
    GpuInfo info;
    info.index = index;
    info.name = std::move(name);
    info.cc = {9, 0};
    info.mig = mig;
    return info;
}

NvmlSight one_h200()
{
    return {{gpu(0, "NVIDIA H200")}};
}

NvmlSight two_h100()
{
    return {{gpu(0, "NVIDIA H100 80GB HBM3"), gpu(1, "NVIDIA H100 80GB HBM3")}};
}

const CudaSight no_device{0, "cuInit: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected"};

TEST(GpuVisibility, AllGpusSeenProceeds)
{
    EXPECT_EQ(judge_gpu_visibility(true, one_h200(), {1, ""}, {}).verdict, Verdict::proceed);
    EXPECT_EQ(judge_gpu_visibility(true, two_h100(), {2, ""}, {}).verdict, Verdict::proceed);
}

TEST(GpuVisibility, NoDriverSkips)
{
    const auto visibility = judge_gpu_visibility(false, std::nullopt, {std::nullopt, "libcuda.so.1: cannot open"}, {});
    EXPECT_EQ(visibility.verdict, Verdict::skip);
    EXPECT_EQ(visibility.detail, "no NVIDIA driver on this host");
}

TEST(GpuVisibility, NoDriverSkipsEvenWithCudaVisibleDevicesEmpty)
{
    EXPECT_EQ(judge_gpu_visibility(false, std::nullopt, {}, {.cuda_visible_devices = ""}).verdict, Verdict::skip);
}

TEST(GpuVisibility, NvmlListingNoGpuSkips)
{
    const auto visibility = judge_gpu_visibility(true, NvmlSight{}, no_device, {});
    EXPECT_EQ(visibility.verdict, Verdict::skip);
    EXPECT_EQ(visibility.detail, "no GPU visible (NVML lists none)");
}

TEST(GpuVisibility, WithoutNvmlCudaDecides)
{
    EXPECT_EQ(judge_gpu_visibility(true, std::nullopt, {1, ""}, {}).verdict, Verdict::proceed);
    const auto none = judge_gpu_visibility(true, std::nullopt, no_device, {.cuda_visible_devices = ""});
    EXPECT_EQ(none.verdict, Verdict::skip);
    EXPECT_EQ(none.detail, "no GPU visible (" + no_device.problem + ")");
}

TEST(GpuVisibility, EmptyCudaVisibleDevicesFailsNamingItsValue)
{
    const auto visibility = judge_gpu_visibility(true, one_h200(), no_device, {.cuda_visible_devices = ""});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "CUDA_VISIBLE_DEVICES is set to \"\": NVML sees 1 GPU (NVIDIA H200) but CUDA sees none");
    EXPECT_EQ(visibility.hint, "unset CUDA_VISIBLE_DEVICES or list the GPUs to test in it (`nvidia-smi -L` lists "
                               "them); to verify without GPUs, pass --device cpu");
}

TEST(GpuVisibility, NarrowingToFewerGpusOnPurposeProceeds)
{
    EXPECT_EQ(judge_gpu_visibility(true, two_h100(), {1, ""}, {.cuda_visible_devices = "1"}).verdict, Verdict::proceed);
    EXPECT_EQ(judge_gpu_visibility(true, two_h100(), {2, ""}, {.cuda_visible_devices = "0,1"}).verdict,
              Verdict::proceed);
}

TEST(GpuVisibility, AnEntryCudaCannotMatchFails)
{
    const auto visibility = judge_gpu_visibility(true, two_h100(), {1, ""}, {.cuda_visible_devices = "0,5"});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "CUDA_VISIBLE_DEVICES is set to \"0,5\": NVML sees 2 GPUs (2x NVIDIA H100 80GB HBM3) "
                                 "but CUDA sees 1");
    EXPECT_NE(visibility.hint.find("first entry of CUDA_VISIBLE_DEVICES it cannot match"), std::string::npos);
}

TEST(GpuVisibility, AWrongIndexHidingEveryGpuFails)
{
    const auto visibility = judge_gpu_visibility(true, one_h200(), no_device, {.cuda_visible_devices = "3"});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "CUDA_VISIBLE_DEVICES is set to \"3\": NVML sees 1 GPU (NVIDIA H200) but CUDA sees none");
}

TEST(GpuVisibility, FewerGpusWithNothingSetFails)
{
    const auto visibility = judge_gpu_visibility(true, two_h100(), {1, ""}, {});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "NVML sees 2 GPUs (2x NVIDIA H100 80GB HBM3) but CUDA sees 1; CUDA_VISIBLE_DEVICES "
                                 "and NVIDIA_VISIBLE_DEVICES are unset");
    EXPECT_NE(visibility.hint.find("/dev/nvidia*"), std::string::npos);
}

TEST(GpuVisibility, NvidiaVisibleDevicesIsNamedWhenCudaVisibleDevicesIsUnset)
{
    const auto visibility =
        judge_gpu_visibility(true, one_h200(), no_device, {.nvidia_visible_devices = "GPU-0000-bad"});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail,
              "NVIDIA_VISIBLE_DEVICES is set to \"GPU-0000-bad\": NVML sees 1 GPU (NVIDIA H200) but CUDA sees none");
    EXPECT_NE(visibility.hint.find("--gpus all"), std::string::npos);
}

TEST(GpuVisibility, NvidiaVisibleDevicesHidingEveryGpuFromNvmlFails)
{
    const auto visibility = judge_gpu_visibility(true, NvmlSight{}, no_device, {.nvidia_visible_devices = "none"});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "NVIDIA_VISIBLE_DEVICES is set to \"none\": the NVIDIA driver runs but NVML sees no GPU");
}

TEST(GpuVisibility, MigGpuWithoutVisibleInstanceFails)
{
    const NvmlSight mig{{gpu(0, "NVIDIA H100 80GB HBM3", true)}};
    const auto visibility = judge_gpu_visibility(true, mig, no_device, {});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "GPU 0 (NVIDIA H100 80GB HBM3) has MIG mode on and CUDA sees no MIG instance of it: "
                                 "NVML sees 1 GPU (NVIDIA H100 80GB HBM3) but CUDA sees none");
    EXPECT_NE(visibility.hint.find("nvidia-smi mig -cgi"), std::string::npos);
}

TEST(GpuVisibility, MigGpuWithoutVisibleInstanceSaysWhatInstancesItHas)
{
    auto none = gpu(0, "NVIDIA H100 80GB HBM3", true);
    none.mig_instances = std::vector<MigInstance>{};
    const auto visibility = judge_gpu_visibility(true, NvmlSight{{none}}, no_device, {});
    EXPECT_EQ(visibility.detail, "GPU 0 (NVIDIA H100 80GB HBM3) has MIG mode on and CUDA sees no MIG instance of it "
                                 "(no instances): NVML sees 1 GPU (NVIDIA H100 80GB HBM3) but CUDA sees none");
}

TEST(MigInstances, DescribedByUuidAndMemory)
{
    EXPECT_EQ(describe_mig_instances({}), "no instances");
    EXPECT_EQ(describe_mig_instances({{0, "MIG-a", 9984}}), "1 instance: MIG-a 9984 MiB");
    EXPECT_EQ(describe_mig_instances({{0, "MIG-a", 9984}, {3, "", 19968}}),
              "2 instances: MIG-a 9984 MiB, #3 19968 MiB");
}

// The MIG part of a GPU's line in `envpin host`.
TEST(MigInstances, ModeTextForTheHostLine)
{
    auto info = gpu(0, "NVIDIA H100 80GB HBM3", std::nullopt);
    EXPECT_EQ(describe_mig_mode(info), "");
    info.mig = false;
    EXPECT_EQ(describe_mig_mode(info), "MIG off");
    info.mig = true;
    EXPECT_EQ(describe_mig_mode(info), "MIG on");
    info.mig_instances = std::vector<MigInstance>{};
    EXPECT_EQ(describe_mig_mode(info), "MIG on (no instances)");
    info.mig_instances = std::vector<MigInstance>{{0, "MIG-4b9f6bd3", 9984}, {1, "MIG-0c1d2e3f", 9984}};
    EXPECT_EQ(describe_mig_mode(info), "MIG on (2 instances: MIG-4b9f6bd3 9984 MiB, MIG-0c1d2e3f 9984 MiB)");
}

TEST(MigInstances, NamedByUuidOrPrefixInCudaVisibleDevices)
{
    auto info = gpu(0, "NVIDIA H100 80GB HBM3", true);
    info.mig_instances = std::vector<MigInstance>{{0, "MIG-4b9f6bd3-1c2d", 9984}, {1, "MIG-0c1d2e3f-4a5b", 9984}};
    const auto uuids = [&](std::optional<std::string> value) {
        std::vector<std::string> named;
        for (const auto& instance : mig_instances_named(info, value))
            named.push_back(instance.uuid);
        return named;
    };
    EXPECT_TRUE(uuids(std::nullopt).empty());
    EXPECT_TRUE(uuids("0").empty());
    EXPECT_TRUE(uuids("MIG-").empty());  // not a prefix of anything in particular
    EXPECT_EQ(uuids("MIG-0c1d2e3f-4a5b"), (std::vector<std::string>{"MIG-0c1d2e3f-4a5b"}));
    EXPECT_EQ(uuids(" MIG-0c1d , MIG-4b9f6bd3-1c2d"), (std::vector<std::string>{"MIG-4b9f6bd3-1c2d", "MIG-0c1d2e3f-4a5b"}));
    info.mig_instances.reset();
    EXPECT_TRUE(uuids("MIG-0c1d").empty());
}

TEST(GpuVisibility, MigGpuWithAnInstanceProceeds)
{
    const NvmlSight mig{{gpu(0, "NVIDIA H100 80GB HBM3", true)}};
    EXPECT_EQ(judge_gpu_visibility(true, mig, {1, ""}, {}).verdict, Verdict::proceed);
    EXPECT_EQ(judge_gpu_visibility(true, mig, {1, ""}, {.cuda_visible_devices = "MIG-a,MIG-b"}).verdict,
              Verdict::proceed);
}

TEST(GpuVisibility, MigGpuHiddenByCudaVisibleDevicesNamesTheVariable)
{
    const NvmlSight mig{{gpu(0, "NVIDIA H100 80GB HBM3", true)}};
    const auto visibility = judge_gpu_visibility(true, mig, no_device, {.cuda_visible_devices = "MIG-gone"});
    EXPECT_EQ(visibility.verdict, Verdict::fail);
    EXPECT_EQ(visibility.detail, "CUDA_VISIBLE_DEVICES is set to \"MIG-gone\": NVML sees 1 GPU (NVIDIA H100 80GB HBM3) "
                                 "but CUDA sees none (GPU 0 has MIG mode on: CUDA sees only its MIG instances)");
}

TEST(GpuVisibility, AnotherCuInitErrorIsTheChecksToReport)
{
    EXPECT_EQ(judge_gpu_visibility(true, one_h200(), {std::nullopt, "cuInit: CUDA_ERROR_SYSTEM_NOT_READY (802)"},
                                   {.cuda_visible_devices = ""})
                  .verdict,
              Verdict::proceed);
}

TEST(GpuVisibility, FromHostFactsUsesNvmlOnlyWhenItListedTheGpus)
{
    HostFacts host;
    host.driver = "580.95.05";
    host.gpus = one_h200().gpus;
    host.gpu_source = "nvml";
    host.cuda_devices = 0;
    host.cuda_problem = no_device.problem;
    EXPECT_EQ(judge_gpu_visibility(host, {.cuda_visible_devices = ""}).verdict, Verdict::fail);
    host.gpu_source = "cuda-driver-api";
    host.gpus.clear();
    EXPECT_EQ(judge_gpu_visibility(host, {.cuda_visible_devices = ""}).verdict, Verdict::skip);
    host.driver.reset();
    EXPECT_EQ(judge_gpu_visibility(host, {}).detail, "no NVIDIA driver on this host");
}

}  // namespace
}  // namespace envpin::verify
