#pragma once
// Whether the GPU checks can run, and when not, whether that is a skip (no driver, no GPU)
// or a failure (the GPUs are there, but CUDA is kept from them). Pure: the inputs are what the
// host probe saw and the variables that narrow what CUDA sees; the suite asks it once per run.
#include <optional>
#include <string>
#include <vector>

#include "resolver/host_facts.hpp"

namespace envpin::verify {

// What NVML listed: names and MIG modes. nullopt where NVML did not answer.
struct NvmlSight {
    std::vector<GpuInfo> gpus;
};

// What the CUDA driver API enumerated: cuDeviceGetCount (0 for CUDA_ERROR_NO_DEVICE), or
// nullopt when it could not say (no libcuda, another cuInit error), with the error.
struct CudaSight {
    std::optional<int> devices;
    std::string problem;
};

// The variables that decide what CUDA sees, as set (nullopt: unset; "" is set and empty).
struct VisibilityVariables {
    std::optional<std::string> cuda_visible_devices;    // read by CUDA in the process
    std::optional<std::string> nvidia_visible_devices;  // read by the container runtime
};

enum class GpuVisibilityVerdict { proceed, skip, fail };

struct GpuVisibility {
    GpuVisibilityVerdict verdict = GpuVisibilityVerdict::proceed;
    std::string detail;  // why it skips or fails ("" to proceed)
    std::string hint;    // what to do, for a failure
    bool operator==(const GpuVisibility&) const = default;
};

// The rule (docs/VERIFY.md, "GPU visibility"):
// - no driver, or NVML answered and lists no GPU (with NVIDIA_VISIBLE_DEVICES unset), or NVML
//   did not answer and CUDA sees none: skip;
// - NVML lists GPUs and CUDA sees fewer than it should (all of them, or as many as
//   CUDA_VISIBLE_DEVICES names): fail, naming the variable and its value, or the MIG GPU
//   without a visible instance;
// - NVML lists no GPU although the driver runs and NVIDIA_VISIBLE_DEVICES is set: fail;
// - otherwise proceed (a cuInit error other than "no device" is the checks' own to report).
[[nodiscard]] GpuVisibility judge_gpu_visibility(bool driver, const std::optional<NvmlSight>& nvml,
                                                 const CudaSight& cuda, const VisibilityVariables& variables);

// The same from a host probe's facts (NVML's sight when gpu_source is "nvml").
[[nodiscard]] GpuVisibility judge_gpu_visibility(const HostFacts& host, const VisibilityVariables& variables);

// MIG instances in words: "2 instances: MIG-4b9f... 9984 MiB, MIG-0c1d... 9984 MiB", "1 instance: ...",
// "no instances".
[[nodiscard]] std::string describe_mig_instances(const std::vector<MigInstance>& instances);

// A GPU's MIG mode for a line of `envpin host`: "MIG on (2 instances: ...)", "MIG on (no
// instances)", "MIG on" (instances not read), "MIG off", or "" when the mode is unknown.
[[nodiscard]] std::string describe_mig_mode(const GpuInfo& gpu);

// The MIG instances of `gpu` that CUDA_VISIBLE_DEVICES names: an entry equal to an instance's
// UUID, or a prefix of it longer than "MIG-" (CUDA takes UUID prefixes). Empty when it is unset,
// names none of them or the instances were not read.
[[nodiscard]] std::vector<MigInstance> mig_instances_named(const GpuInfo& gpu,
                                                           const std::optional<std::string>& cuda_visible_devices);

// CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES of this process.
[[nodiscard]] VisibilityVariables visibility_variables_here();

}  // namespace envpin::verify
