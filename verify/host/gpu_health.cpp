#include "verify/host/gpu_health.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace envpin::verify {
namespace {

// NVML's nvmlClocksEventReason* bits.
constexpr std::pair<unsigned long long, const char*> clock_events[] = {
    {0x1, "GPU idle"},          {0x2, "application clocks setting"}, {0x4, "SW power cap"},
    {0x8, "HW slowdown"},       {0x10, "sync boost"},                {0x20, "SW thermal slowdown"},
    {0x40, "HW thermal slowdown"}, {0x80, "HW power brake"},          {0x100, "display clock setting"}};

// The bits that hold clocks below what the GPU can run: SW power cap, HW slowdown, SW thermal
// slowdown, HW thermal slowdown, HW power brake.
constexpr unsigned long long clock_limiting_events = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;

template <class T>
nlohmann::json optional_json(const std::optional<T>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

template <class T>
void optional_from(const nlohmann::json& document, const char* key, std::optional<T>& slot)
{
    if (const auto it = document.find(key); it != document.end() && !it->is_null())
        slot = it->get<T>();
}

void ecc_notes(const GpuHealth& h, GpuHealthVerdict& verdict)
{
    if (!h.ecc_enabled)
        return;
    verdict.read_anything = true;
    if (!*h.ecc_enabled) {
        verdict.notes.push_back("ECC off");
        return;
    }
    if (h.ecc_volatile_uncorrected.value_or(0) > 0)
        verdict.faults.push_back(fmt::format("{} uncorrectable ECC error(s) since the driver loaded", *h.ecc_volatile_uncorrected));
    verdict.notes.push_back(fmt::format("ECC on: {} corrected, {} uncorrected since the driver loaded; {} / {} in the GPU's lifetime",
                                        h.ecc_volatile_corrected.value_or(0), h.ecc_volatile_uncorrected.value_or(0),
                                        h.ecc_aggregate_corrected.value_or(0), h.ecc_aggregate_uncorrected.value_or(0)));
}

void remap_notes(const GpuHealth& h, GpuHealthVerdict& verdict)
{
    if (!h.remap_pending)
        return;
    verdict.read_anything = true;
    if (*h.remap_pending)
        verdict.faults.push_back("a memory row remap is pending: the GPU needs a reset before it is trusted");
    if (h.remap_failed.value_or(false))
        verdict.faults.push_back("a memory row remap failed: the GPU needs service");
    verdict.notes.push_back(fmt::format("remapped rows: {} correctable, {} uncorrectable",
                                        h.remapped_rows_correctable.value_or(0), h.remapped_rows_uncorrectable.value_or(0)));
}

}  // namespace

std::vector<std::string> clock_event_names(unsigned long long reasons)
{
    std::vector<std::string> names;
    for (const auto& [bit, name] : clock_events)
        if ((reasons & bit) != 0)
            names.emplace_back(name);
    if (const auto unknown = reasons & ~0x1ffULL; unknown != 0)
        names.push_back(fmt::format("0x{:x}", unknown));
    return names;
}

ClockSamples summarize_clock_samples(std::vector<unsigned> clocks_mhz, std::optional<unsigned long long> reasons_seen,
                                     std::optional<unsigned> max_clock_mhz)
{
    ClockSamples summary{.max_clock_mhz = max_clock_mhz, .reasons_seen = reasons_seen};
    if (clocks_mhz.empty())
        return summary;
    std::ranges::sort(clocks_mhz);
    summary.samples = static_cast<unsigned>(clocks_mhz.size());
    summary.min_mhz = clocks_mhz.front();
    summary.max_mhz = clocks_mhz.back();
    summary.median_mhz = clocks_mhz[clocks_mhz.size() / 2];
    return summary;
}

std::string describe_clock_samples(const ClockSamples& clocks, std::string_view workload)
{
    const auto ceiling = clocks.max_clock_mhz ? fmt::format("the GPU's max {} MHz", *clocks.max_clock_mhz)
                                              : std::string("the GPU's max unknown");
    const auto clock = clocks.samples == 0
                           ? fmt::format("SM clock not read during {} ({})", workload, ceiling)
                           : fmt::format("SM clock {} MHz during {} (median of {} sample{}, {} to {}; {})", clocks.median_mhz,
                                         workload, clocks.samples, clocks.samples == 1 ? "" : "s", clocks.min_mhz,
                                         clocks.max_mhz, ceiling);
    if (!clocks.reasons_seen)
        return clock + "; clock events: not read";
    const auto names = clock_event_names(*clocks.reasons_seen);
    return fmt::format("{}; clock events: {}", clock, names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
}

std::vector<std::string> clocks_held_back_by(const ClockSamples& clocks)
{
    return clock_event_names(clocks.reasons_seen.value_or(0) & clock_limiting_events);
}

GpuHealthVerdict judge_gpu_health(const GpuHealth& h)
{
    GpuHealthVerdict verdict;
    ecc_notes(h, verdict);
    remap_notes(h, verdict);
    if (h.clock_event_reasons) {
        verdict.read_anything = true;
        const auto names = clock_event_names(*h.clock_event_reasons);
        verdict.notes.push_back(names.empty() ? std::string("clocks not held back")
                                              : fmt::format("clocks held back by: {}", fmt::join(names, ", ")));
    }
    if (h.sm_clock_mhz && h.sm_clock_max_mhz) {
        verdict.read_anything = true;
        verdict.notes.push_back(fmt::format("SM clock {} of {} MHz", *h.sm_clock_mhz, *h.sm_clock_max_mhz));
    }
    if (h.pcie_generation && h.pcie_width) {
        verdict.read_anything = true;
        verdict.notes.push_back(fmt::format("PCIe gen{} x{}{}", *h.pcie_generation, *h.pcie_width,
                                            h.pcie_max_generation && h.pcie_max_width
                                                ? fmt::format(" (up to gen{} x{})", *h.pcie_max_generation, *h.pcie_max_width)
                                                : std::string()));
    }
    if (h.persistence_mode) {
        verdict.read_anything = true;
        verdict.notes.push_back(*h.persistence_mode ? "persistence mode on"
                                                    : "persistence mode off (each CUDA start initializes the GPU again)");
    }
    return verdict;
}

nlohmann::json health_to_json(const GpuHealth& h)
{
    return {{"ecc_enabled", optional_json(h.ecc_enabled)},
            {"ecc_volatile_uncorrected", optional_json(h.ecc_volatile_uncorrected)},
            {"ecc_volatile_corrected", optional_json(h.ecc_volatile_corrected)},
            {"ecc_aggregate_uncorrected", optional_json(h.ecc_aggregate_uncorrected)},
            {"ecc_aggregate_corrected", optional_json(h.ecc_aggregate_corrected)},
            {"remapped_rows_correctable", optional_json(h.remapped_rows_correctable)},
            {"remapped_rows_uncorrectable", optional_json(h.remapped_rows_uncorrectable)},
            {"remap_pending", optional_json(h.remap_pending)},
            {"remap_failed", optional_json(h.remap_failed)},
            {"clock_event_reasons", optional_json(h.clock_event_reasons)},
            {"persistence_mode", optional_json(h.persistence_mode)},
            {"pcie_generation", optional_json(h.pcie_generation)},
            {"pcie_width", optional_json(h.pcie_width)},
            {"pcie_max_generation", optional_json(h.pcie_max_generation)},
            {"pcie_max_width", optional_json(h.pcie_max_width)},
            {"sm_clock_mhz", optional_json(h.sm_clock_mhz)},
            {"sm_clock_max_mhz", optional_json(h.sm_clock_max_mhz)}};
}

Expected<GpuHealth> health_from_json(const nlohmann::json& document)
{
    if (!document.is_object())
        return fail(ErrorCode::bad_input, "GPU health: expected an object");
    try {
        GpuHealth h;
        optional_from(document, "ecc_enabled", h.ecc_enabled);
        optional_from(document, "ecc_volatile_uncorrected", h.ecc_volatile_uncorrected);
        optional_from(document, "ecc_volatile_corrected", h.ecc_volatile_corrected);
        optional_from(document, "ecc_aggregate_uncorrected", h.ecc_aggregate_uncorrected);
        optional_from(document, "ecc_aggregate_corrected", h.ecc_aggregate_corrected);
        optional_from(document, "remapped_rows_correctable", h.remapped_rows_correctable);
        optional_from(document, "remapped_rows_uncorrectable", h.remapped_rows_uncorrectable);
        optional_from(document, "remap_pending", h.remap_pending);
        optional_from(document, "remap_failed", h.remap_failed);
        optional_from(document, "clock_event_reasons", h.clock_event_reasons);
        optional_from(document, "persistence_mode", h.persistence_mode);
        optional_from(document, "pcie_generation", h.pcie_generation);
        optional_from(document, "pcie_width", h.pcie_width);
        optional_from(document, "pcie_max_generation", h.pcie_max_generation);
        optional_from(document, "pcie_max_width", h.pcie_max_width);
        optional_from(document, "sm_clock_mhz", h.sm_clock_mhz);
        optional_from(document, "sm_clock_max_mhz", h.sm_clock_max_mhz);
        return h;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "GPU health: {}", error.what());
    }
}

}  // namespace envpin::verify
