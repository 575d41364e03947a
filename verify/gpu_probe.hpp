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
    bool operator==(const GpuProbeReport&) const = default;
};

// Runs in the child: NVML first (no context needed), then the driver API.
[[nodiscard]] GpuProbeReport probe_gpus_here();

[[nodiscard]] nlohmann::json gpu_to_json(const GpuInfo& gpu);
[[nodiscard]] nlohmann::json to_json(const GpuProbeReport& report);
// Parses what the child printed; bad_input when it is not a report.
[[nodiscard]] Expected<GpuProbeReport> parse_gpu_probe_report(std::string_view text);

}  // namespace envpin::verify
