// Host facts as the suite hands them to each check child (host_to_json / host_facts_from_json),
// MIG instances included, and the host check's words for a GPU in MIG mode.
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/support/scoped_variable.hpp"
#include "tests/support/temp_dir.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/host_facts_json.hpp"
#include "verify/host/host_probe.hpp"

namespace envpin::verify {
namespace {

using test::ScopedVariable;

GpuInfo mig_gpu()
{
    GpuInfo gpu{0, "NVIDIA H100 80GB HBM3", "GPU-5b1c0c2e-8a3f-4f52-9d1e-2c3b4a5d6e7f", {9, 0}, 81559, true};
    gpu.mig_instances = std::vector<MigInstance>{
        {0, "MIG-4b9f6bd3-1c2d-5e6f-8a9b-0c1d2e3f4a5b", 9984},
        {2, "MIG-0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5", 19968},
    };
    gpu.health.sm_clock_mhz = 1980;
    return gpu;
}

HostFacts mig_host()
{
    HostFacts host;
    host.driver = "580.95.05";
    host.driver_source = "nvml";
    host.cuda_driver_api = "13.0";
    host.gpu_source = "nvml";
    host.cuda_devices = 1;
    host.gpus.push_back(mig_gpu());
    GpuInfo plain{1, "NVIDIA H100 80GB HBM3", "GPU-2", {9, 0}, 81559, false};
    host.gpus.push_back(plain);
    GpuInfo unlisted{2, "NVIDIA A100-SXM4-80GB", "GPU-3", {8, 0}, 81920, true};  // instances not read
    host.gpus.push_back(unlisted);
    GpuInfo empty{3, "NVIDIA A100-SXM4-80GB", "GPU-4", {8, 0}, 81920, true};
    empty.mig_instances = std::vector<MigInstance>{};
    host.gpus.push_back(empty);
    host.glibc = "2.39";
    host.arch = "x86_64";
    host.os = "Ubuntu 24.04.3 LTS";
    return host;
}

TEST(HostFactsJson, RoundTripKeepsMigInstances)
{
    const auto host = mig_host();
    const auto json = host_to_json(host);
    EXPECT_EQ(json["gpus"][0]["mig_instances"][1]["uuid"], "MIG-0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5");
    EXPECT_EQ(json["gpus"][0]["mig_instances"][1]["index"], 2);
    EXPECT_EQ(json["gpus"][0]["mig_instances"][1]["memory_mib"], 19968);
    EXPECT_TRUE(json["gpus"][1]["mig_instances"].is_null());
    EXPECT_TRUE(json["gpus"][3]["mig_instances"].is_array());
    EXPECT_TRUE(json["gpus"][3]["mig_instances"].empty());
    const auto back = host_facts_from_json(nlohmann::json::parse(json.dump()));
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, host);
}

TEST(HostFactsJson, FactsWrittenBeforeMigInstancesReadAsNotRead)
{
    const auto document = nlohmann::json::parse(
        R"({"driver": "580.159.04", "gpus": [{"index": 0, "name": "NVIDIA A100-SXM4-80GB", "cc": "8.0",
            "memory_mib": 81920, "uuid": "GPU-1", "mig": true}]})");
    const auto facts = host_facts_from_json(document);
    ASSERT_TRUE(facts) << facts.error().describe();
    ASSERT_EQ(facts->gpus.size(), 1u);
    EXPECT_EQ(facts->gpus[0].mig, true);
    EXPECT_FALSE(facts->gpus[0].mig_instances.has_value());
}

TEST(HostFactsJson, MalformedMigInstancesAreBadInput)
{
    const auto document = nlohmann::json::parse(
        R"({"gpus": [{"index": 0, "name": "A100", "cc": "8.0", "memory_mib": 1, "uuid": "GPU-1", "mig": true,
            "mig_instances": [{"index": 0, "uuid": "MIG-1"}]}]})");
    const auto facts = host_facts_from_json(document);
    ASSERT_FALSE(facts);
    EXPECT_EQ(facts.error().code, ErrorCode::bad_input);
}


// The host check's "GPU N MIG" finding for each GPU of mig_host(), keyed by name.
std::map<std::string, std::string> mig_findings(const char* cuda_visible_devices)
{
    const ScopedVariable variable("CUDA_VISIBLE_DEVICES", cuda_visible_devices);
    test::TempDir root;
    ProbeRequest request{.check = "host", .environment = root.path(), .parameters = {}};
    request.parameters[param::host_facts] = host_to_json(mig_host()).dump();
    request.parameters[param::sysroot] = root.path().string();
    const auto result = run_host_check(request);
    std::map<std::string, std::string> findings;
    for (const auto& finding : result.measurements.at("findings"))
        if (const auto name = finding.at("name").get<std::string>(); name.ends_with(" MIG"))
            findings[name] = finding.at("detail").get<std::string>();
    EXPECT_EQ(result.measurements["gpus"][0]["mig_instances"].size(), 2u);
    return findings;
}

TEST(HostCheckMig, NamesTheInstancesAndWhichCudaVisibleDevicesSelects)
{
    const auto selected = mig_findings("MIG-0c1d2e3f");
    ASSERT_EQ(selected.size(), 3u);  // GPU 1 has MIG off
    EXPECT_EQ(selected.at("GPU 0 MIG"),
              "MIG mode is on with 2 instances: MIG-4b9f6bd3-1c2d-5e6f-8a9b-0c1d2e3f4a5b 9984 MiB, "
              "MIG-0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5 19968 MiB; CUDA_VISIBLE_DEVICES selects "
              "MIG-0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5; NCCL does not run across instances");
    EXPECT_EQ(selected.at("GPU 2 MIG"), "MIG mode is on: CUDA sees only the MIG instances named in "
                                        "CUDA_VISIBLE_DEVICES, and NCCL does not run across instances");
    EXPECT_EQ(selected.at("GPU 3 MIG"),
              "MIG mode is on and the GPU has no MIG instance: CUDA cannot run on it until one is created");

    const auto by_index = mig_findings("0");
    EXPECT_NE(by_index.at("GPU 0 MIG").find("; CUDA_VISIBLE_DEVICES=\"0\" names none of them;"), std::string::npos)
        << by_index.at("GPU 0 MIG");
    const auto unset = mig_findings(nullptr);
    EXPECT_NE(unset.at("GPU 0 MIG").find("; CUDA_VISIBLE_DEVICES is unset: it names none of them"), std::string::npos)
        << unset.at("GPU 0 MIG");
}

}  // namespace
}  // namespace envpin::verify
