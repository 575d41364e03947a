#pragma once
// Gathers HostFacts: driver version, GPUs (through a child process under a timeout), CUDA
// toolkits on disk, Python interpreters on PATH, glibc, CPU architecture, OS.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "resolver/host_facts.hpp"

namespace envpin::verify {

struct HostProbeOptions {
    std::filesystem::path envpin_executable;  // runs `<exe> probe gpus` as the child
    std::chrono::milliseconds gpu_timeout{20000};
    bool include_pythons = true;
    bool include_toolkits = true;
};

// Never fails: what cannot be read is left empty and, for GPUs, explained in gpu_problem.
// Driver order: ENVPIN_DRIVER_VERSION ("none" = no driver), /sys/module/nvidia/version,
// /proc/driver/nvidia/version, NVML (child), nvidia-smi.
[[nodiscard]] HostFacts probe_host(const HostProbeOptions& options);

// The `host --json` contract (docs/CLI.md).
[[nodiscard]] nlohmann::json host_to_json(const HostFacts& facts);

}  // namespace envpin::verify
