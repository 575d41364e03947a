#pragma once
// GPU enumeration. It touches libcuda/NVML, and cuInit can hang on a sick machine, so it runs
// in a child process (`envpin probe gpus`) that prints a JSON report; the parent reads it
// under a timeout (host_probe.cpp).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"

namespace envpin::verify {

struct GpuProbeReport {
    std::optional<std::string> driver;           // from NVML, when it answered
    std::optional<std::string> cuda_driver_api;  // "13.0"
    std::vector<GpuInfo> gpus;
    std::string source;                          // "nvml" | "cuda-driver-api" | ""
    std::optional<std::string> problem;          // why no GPU could be listed
    // What the CUDA driver API enumerates (cuInit, cuDeviceGetCount) under this process's
    // CUDA_VISIBLE_DEVICES: 0 for CUDA_ERROR_NO_DEVICE; nullopt when it could not say.
    std::optional<int> cuda_devices;
    std::optional<std::string> cuda_problem;     // libcuda's or cuInit's error, when there was one
    bool operator==(const GpuProbeReport&) const = default;
};

// Runs in the child: NVML first (no context needed), then the driver API when NVML cannot
// list the GPUs.
[[nodiscard]] GpuProbeReport probe_gpus_here();
// After NVML listed the GPUs: what the driver API sees (cuInit, which can hang on a sick
// machine, so `probe gpus` prints the NVML report before calling this).
void count_cuda_devices(GpuProbeReport& report);

[[nodiscard]] nlohmann::json gpu_to_json(const GpuInfo& gpu);
[[nodiscard]] nlohmann::json to_json(const GpuProbeReport& report);
// Parses what the child printed; bad_input when it is not a report.
[[nodiscard]] Expected<GpuProbeReport> parse_gpu_probe_report(std::string_view text);

}  // namespace envpin::verify
