#pragma once
// What envpin knows about a machine: gathered by verify's host probe (or described by
// flags such as --driver/--gpu) and handed to the resolver as a value.
#include <optional>
#include <string>
#include <vector>

namespace envpin {

struct ComputeCapability {
    int major = 0;
    int minor = 0;
    auto operator<=>(const ComputeCapability&) const = default;
};

// A GPU's health as NVML reports it (what DCGM's quick level reads); each field nullopt where the
// GPU or driver does not report it.
struct GpuHealth {
    std::optional<bool> ecc_enabled;
    std::optional<unsigned long long> ecc_volatile_uncorrected, ecc_volatile_corrected;
    std::optional<unsigned long long> ecc_aggregate_uncorrected, ecc_aggregate_corrected;
    std::optional<unsigned> remapped_rows_correctable, remapped_rows_uncorrectable;
    std::optional<bool> remap_pending, remap_failed;
    std::optional<unsigned long long> clock_event_reasons;  // NVML's bit mask
    std::optional<bool> persistence_mode;
    std::optional<unsigned> pcie_generation, pcie_width, pcie_max_generation, pcie_max_width;
    std::optional<unsigned> sm_clock_mhz, sm_clock_max_mhz;
    bool operator==(const GpuHealth&) const = default;
};

// One MIG device (a GPU instance's compute instance) of a GPU in MIG mode: what CUDA runs on
// when CUDA_VISIBLE_DEVICES names it (MIG-<uuid>).
struct MigInstance {
    unsigned index = 0;  // nvmlDeviceGetMigDeviceHandleByIndex's index under the parent GPU
    std::string uuid;    // "MIG-4b9f6bd3-..." (older drivers: "MIG-GPU-<uuid>/<gi>/<ci>")
    long long memory_mib = 0;
    bool operator==(const MigInstance&) const = default;
};

struct GpuInfo {
    int index = 0;
    std::string name;
    std::string uuid;
    ComputeCapability cc;
    long long memory_mib = 0;
    std::optional<bool> mig;  // MIG mode enabled; nullopt when unknown or unsupported
    // The MIG instances of a GPU in MIG mode (empty: none exist); nullopt when MIG is off or
    // unknown, or the driver could not list them.
    std::optional<std::vector<MigInstance>> mig_instances;
    GpuHealth health;
    bool operator==(const GpuInfo&) const = default;
};

struct ToolkitInfo {
    std::string path;
    std::string version;
    bool operator==(const ToolkitInfo&) const = default;
};

struct PythonInfo {
    std::string path;
    std::string version;  // "3.12.3"
    bool operator==(const PythonInfo&) const = default;
};

struct HostFacts {
    std::optional<std::string> driver;           // "580.95.05"; nullopt: no NVIDIA driver
    std::string driver_source;                   // where it was read ("/proc/driver/nvidia/version")
    std::optional<std::string> cuda_driver_api;  // "13.0": newest CUDA the driver supports
    std::vector<GpuInfo> gpus;
    std::string gpu_source;                 // "nvml", "cuda-driver-api", or "" when none
    std::optional<std::string> gpu_problem; // why GPUs could not be listed, if they could not
    // What the CUDA driver API itself enumerates (cuInit and cuDeviceGetCount in the GPU
    // probe's child, under the CUDA_VISIBLE_DEVICES envpin runs with): 0 when cuInit says "no
    // device"; nullopt when libcuda could not be loaded or cuInit failed otherwise.
    std::optional<int> cuda_devices;
    std::optional<std::string> cuda_problem;  // libcuda's or cuInit's error, when there was one
    std::vector<ToolkitInfo> toolkits;
    std::vector<PythonInfo> pythons;
    std::string glibc;
    std::string arch;
    std::string os;
    bool operator==(const HostFacts&) const = default;
};

}  // namespace envpin
