#pragma once
// The `kernels` check's host<->device copies (DataLoader's pin_memory=True case) as values, and
// their judgement against the GPU's PCIe link. Pure, so it is tested without a GPU; the
// measurement is run_host_transfers (verify/checks/kernels_memory.hpp).
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/host_facts.hpp"

namespace envpin::verify {

// One kind of host buffer's copy rates, GB/s with GB = 1e9 bytes.
struct CopyRates {
    double host_to_device_gbs = 0;
    double device_to_host_gbs = 0;
    unsigned long long wrong_words = 0; // 8-byte words not as written after the trip up and back
    [[nodiscard]] double slower() const { return std::min(host_to_device_gbs, device_to_host_gbs); }
    [[nodiscard]] double faster() const { return std::max(host_to_device_gbs, device_to_host_gbs); }
};

struct HostTransferResult {
    size_t buffer_bytes = 0;
    int repeats = 0;
    std::optional<CopyRates> pinned; // page-locked (cuMemAllocHost); nullopt: not run, see below
    std::string pinned_not_run;      // why, when it did not run (the driver lacks the entry point)
    CopyRates pageable;              // ordinary malloc'd memory, every page touched first
};

// A GPU's PCIe link as NVML read it (the host facts' GpuHealth).
struct PcieLink {
    unsigned generation = 0, width = 0;
    std::optional<unsigned> max_generation, max_width;
    // True when the current generation or width is below the maximum NVML reports.
    [[nodiscard]] bool below_max() const;
};

// nullopt when NVML read no current generation and width.
[[nodiscard]] std::optional<PcieLink> pcie_link(const GpuHealth& health);

// The health NVML read for the GPU with the CUDA UUID `cuda_uuid` ("GPU-…" as
// cuDeviceGetUuid's bytes print): the GPU of that UUID, or the parent of the MIG instance whose
// UUID has those bytes ("MIG-…"); nullptr when the host facts do not list it.
[[nodiscard]] const GpuHealth* find_gpu_health(const std::vector<GpuInfo>& gpus,
                                               std::string_view cuda_uuid);

struct HostCopyVerdict {
    nlohmann::json figures;            // measurements.gpus[i].host_copies
    std::string summary;               // "host copies (H2D/D2H): pinned 54.7/55.3 GB/s (87% of …"
    std::vector<std::string> problems; // wrong data, pinned copies below the floor
    bool wrong = false;
    bool slow = false;
    // What to do: for `wrong`, PCIe errors; for `slow`, the link trained below its max, or what
    // else slows a link at full speed.
    std::string hint;
};

// Judges `copies` against the per-direction peak (pcie_peak_gbs) of the link they crossed: the
// current link, unless the pinned copies ran faster than it allows (NVML read it while the idle
// GPU had slowed it down), then its maximum. Fails when the slower pinned direction is below
// `floor_fraction` of that peak, or when a copy brought back a wrong word. Without a link
// reading the rates are reported, not judged.
[[nodiscard]] HostCopyVerdict judge_host_copies(const HostTransferResult& copies,
                                                const std::optional<PcieLink>& link,
                                                double floor_fraction);

} // namespace envpin::verify
