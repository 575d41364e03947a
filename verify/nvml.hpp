#pragma once
// NVML (libnvidia-ml.so.1), loaded at run time: driver version and GPU facts without
// creating a CUDA context. The only place nvmlInit/nvmlShutdown are called.
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
#include "verify/shared_library.hpp"

namespace envpin::verify {

struct NvmlFacts {
    std::string driver;                         // nvmlSystemGetDriverVersion
    std::optional<std::string> cuda_driver_api; // nvmlSystemGetCudaDriverVersion_v2
    std::vector<GpuInfo> gpus;
};

// Loads NVML, initializes it, reads the facts and shuts it down again.
// not_found when NVML is not installed; cuda when it is present but fails.
[[nodiscard]] Expected<NvmlFacts> read_nvml_facts();

}  // namespace envpin::verify
