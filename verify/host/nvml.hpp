#pragma once
// NVML (libnvidia-ml.so.1), loaded at run time: driver version and GPU facts without
// creating a CUDA context, and a GPU's clocks sampled while work runs. The only place
// nvmlInit/nvmlShutdown are called.
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
#include "verify/host/gpu_health.hpp"
#include "verify/vendor/shared_library.hpp"

namespace envpin::verify {

struct NvmlFacts {
    std::string driver;                         // nvmlSystemGetDriverVersion
    std::optional<std::string> cuda_driver_api; // nvmlSystemGetCudaDriverVersion_v2
    std::vector<GpuInfo> gpus;
};

// Loads NVML, initializes it, reads the facts and shuts it down again.
// not_found when NVML is not installed; cuda when it is present but fails.
[[nodiscard]] Expected<NvmlFacts> read_nvml_facts();

// The text form of a CUDA device's UUID (the 16 bytes of cuDeviceGetUuid), as NVML and
// nvidia-smi print it: "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Pure.
[[nodiscard]] std::string gpu_uuid_text(std::span<const unsigned char, 16> bytes);

// Samples one GPU's SM clock and clock event reasons on a thread of its own while the caller
// runs work, for a probe child (the GPU checks). It holds its own NVML session (NVML counts
// its initializations), so it may run beside read_nvml_facts. Movable; the thread is joined by
// stop() or, at the latest, by the destructor.
//
//     auto sampler = NvmlClockSampler::start(uuid, std::chrono::milliseconds(20));
//     ... run the GEMM ...
//     if (sampler) { const ClockSamples clocks = sampler->stop(); ... describe_clock_samples(clocks, "the GEMM") }
class NvmlClockSampler {
public:
    // `gpu_uuid`: the GPU's UUID as NVML prints it (gpu_uuid_text of cuDeviceGetUuid's bytes).
    // A MIG instance's UUID (or its bytes formatted with "GPU-") samples its parent GPU, whose
    // clocks the instance runs at. Reads nvmlDeviceGetMaxClockInfo once, then one sample at
    // once and one each `interval` (at least 1 ms). not_found without NVML; cuda when NVML fails,
    // does not know the UUID or cannot read this GPU's SM clock.
    [[nodiscard]] static Expected<NvmlClockSampler> start(std::string_view gpu_uuid, std::chrono::milliseconds interval);

    // Stops and joins the thread and summarizes what it read. A second call, or one on a
    // moved-from sampler, returns the same summary (or an empty one).
    ClockSamples stop();

    NvmlClockSampler(NvmlClockSampler&&) noexcept;
    NvmlClockSampler& operator=(NvmlClockSampler&&) noexcept;
    NvmlClockSampler(const NvmlClockSampler&) = delete;
    NvmlClockSampler& operator=(const NvmlClockSampler&) = delete;
    ~NvmlClockSampler();

    struct State;  // the NVML session, the device, the thread and its readings (nvml.cpp)

private:
    explicit NvmlClockSampler(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace envpin::verify
