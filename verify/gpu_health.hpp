#pragma once
// A GPU's health beside the stack, judged like DCGM's quick level: the readings are reported,
// and only a hard fault fails (uncorrectable ECC errors since the driver loaded, a pending or
// failed row remap). Pure: the readings come from NVML through the GPU probe.
#include <string>
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

[[nodiscard]] nlohmann::json health_to_json(const GpuHealth& health);
[[nodiscard]] Expected<GpuHealth> health_from_json(const nlohmann::json& document);

}  // namespace envpin::verify
