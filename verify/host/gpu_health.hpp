#pragma once
// A GPU's health beside the stack, judged like DCGM's quick level: the readings are reported,
// and only a hard fault fails (uncorrectable ECC errors since the driver loaded, a pending or
// failed row remap). Pure: the readings come from NVML through the GPU probe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"

namespace envpin::verify {

struct GpuHealthVerdict {
    std::vector<std::string> faults;  // each fails the host check
    std::vector<std::string> notes;   // what was read, in words
    bool read_anything = false;       // false: NVML reported nothing of it
};

[[nodiscard]] GpuHealthVerdict judge_gpu_health(const GpuHealth& health);

// The names of the bits set in NVML's clock event reasons ("HW slowdown", ...).
[[nodiscard]] std::vector<std::string> clock_event_names(unsigned long long reasons);

// A GPU's SM clock as NvmlClockSampler (verify/host/nvml.hpp) read it while work ran.
struct ClockSamples {
    unsigned samples = 0;  // SM clock readings that answered; 0: the clock was not read
    unsigned min_mhz = 0, max_mhz = 0, median_mhz = 0;
    std::optional<unsigned> max_clock_mhz;           // nvmlDeviceGetMaxClockInfo: the GPU's ceiling
    std::optional<unsigned long long> reasons_seen;  // OR of every clock event mask read; nullopt: none read
    bool operator==(const ClockSamples&) const = default;
};

// The summary of SM clock readings in MHz (any order) and what else was read.
[[nodiscard]] ClockSamples summarize_clock_samples(std::vector<unsigned> clocks_mhz,
                                                   std::optional<unsigned long long> reasons_seen,
                                                   std::optional<unsigned> max_clock_mhz);

// "SM clock 1980 MHz during the GEMM (median of 42 samples, 1755 to 1980; the GPU's max 1980 MHz);
// clock events: none". `workload` names what ran ("the GEMM").
[[nodiscard]] std::string describe_clock_samples(const ClockSamples& clocks, std::string_view workload);

// The clock event reasons seen that held the clocks back below what the GPU can run (SW power
// cap, HW slowdown, SW/HW thermal slowdown, HW power brake), by name; empty when none was seen
// or none was read. Idle, application clocks, sync boost and display clock settings are not
// counted. To report, not to fail: a hot or power-capped GPU still computes correctly.
[[nodiscard]] std::vector<std::string> clocks_held_back_by(const ClockSamples& clocks);

[[nodiscard]] nlohmann::json health_to_json(const GpuHealth& health);
[[nodiscard]] Expected<GpuHealth> health_from_json(const nlohmann::json& document);

}  // namespace envpin::verify
