#include "verify/checks/kernels_host_copies.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"

namespace envpin::verify {
namespace {

// The link a judgement is made against.
struct JudgedLink {
    unsigned generation = 0, width = 0;
    double peak_gbs = 0;
    bool idle_reading = false; // the current reading was slower than the copies: its max instead
};

std::string link_text(unsigned generation, unsigned width)
{
    return fmt::format("PCIe gen{} x{}", generation, width);
}

std::optional<JudgedLink> judged_link(const PcieLink& link, const HostTransferResult& copies)
{
    const auto current = pcie_peak_gbs(link.generation, link.width);
    const double fastest =
        std::max(copies.pinned ? copies.pinned->faster() : 0, copies.pageable.faster());
    if (current && fastest <= *current)
        return JudgedLink{link.generation, link.width, *current, false};
    if (!link.max_generation || !link.max_width)
        return std::nullopt;
    const auto max = pcie_peak_gbs(*link.max_generation, *link.max_width);
    if (!max)
        return std::nullopt;
    return JudgedLink{*link.max_generation, *link.max_width, *max, current.has_value()};
}

template <class T> nlohmann::json optional_json(const std::optional<T>& value)
{
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json rates_json(const CopyRates& rates)
{
    return {{"h2d_gbs", rates.host_to_device_gbs},
            {"d2h_gbs", rates.device_to_host_gbs},
            {"wrong_words", rates.wrong_words}};
}

nlohmann::json link_json(const PcieLink& link)
{
    const auto max_peak = link.max_generation && link.max_width
                              ? pcie_peak_gbs(*link.max_generation, *link.max_width)
                              : std::nullopt;
    return {{"generation", link.generation},
            {"width", link.width},
            {"max_generation", optional_json(link.max_generation)},
            {"max_width", optional_json(link.max_width)},
            {"peak_gbs", optional_json(pcie_peak_gbs(link.generation, link.width))},
            {"max_peak_gbs", optional_json(max_peak)}};
}

nlohmann::json figures_json(const HostTransferResult& copies, const std::optional<PcieLink>& link,
                            const std::optional<JudgedLink>& judged, const Floor& floor,
                            double floor_fraction)
{
    nlohmann::json figures = {
        {"buffer_bytes", copies.buffer_bytes},
        {"repeats", copies.repeats},
        {"pinned", copies.pinned ? rates_json(*copies.pinned) : nlohmann::json(nullptr)},
        {"pageable", rates_json(copies.pageable)},
        {"pcie", link ? link_json(*link) : nlohmann::json(nullptr)},
        {"reference_gbs", optional_json(floor.reference)},
        {"threshold_gbs", optional_json(floor.threshold)},
        {"floor", floor_fraction},
        {"link_read_idle", judged && judged->idle_reading}};
    if (!copies.pinned)
        figures["pinned_not_run"] = copies.pinned_not_run;
    return figures;
}

// "87% of PCIe gen5 x16, 63.0 GB/s", and what else the reading says of the link.
std::string link_share(double rate, const PcieLink& link, const JudgedLink& judged)
{
    auto text = fmt::format("{:.0f}% of {}, {:.1f} GB/s", 100 * rate / judged.peak_gbs,
                            link_text(judged.generation, judged.width), judged.peak_gbs);
    if (judged.idle_reading)
        text +=
            fmt::format("; NVML read gen{} x{} while the GPU idled", link.generation, link.width);
    else if (link.below_max())
        text += fmt::format("; its max is gen{} x{}", link.max_generation.value_or(link.generation),
                            link.max_width.value_or(link.width));
    return text;
}

std::string summary_text(const HostTransferResult& copies, const std::optional<PcieLink>& link,
                         const std::optional<JudgedLink>& judged)
{
    std::string pinned = fmt::format("pinned not run ({})", copies.pinned_not_run);
    if (copies.pinned) {
        pinned = fmt::format("pinned {:.1f}/{:.1f} GB/s", copies.pinned->host_to_device_gbs,
                             copies.pinned->device_to_host_gbs);
        if (judged)
            pinned += fmt::format(" ({})", link_share(copies.pinned->slower(), *link, *judged));
    }
    return fmt::format("host copies (H2D/D2H): {}, pageable {:.1f}/{:.1f} GB/s", pinned,
                       copies.pageable.host_to_device_gbs, copies.pageable.device_to_host_gbs);
}

void judge_data(HostCopyVerdict& verdict, const char* kind, const CopyRates& rates, size_t words)
{
    if (rates.wrong_words == 0)
        return;
    verdict.wrong = true;
    verdict.problems.push_back(fmt::format("{} host copies brought back {} wrong words of {}", kind,
                                           rates.wrong_words, words));
}

std::string slow_hint(const PcieLink& link, const JudgedLink& judged)
{
    if (!judged.idle_reading && link.below_max())
        return fmt::format("the link runs at PCIe gen{} x{}, below its max gen{} x{}: reseat the "
                           "GPU, check its slot or riser and the BIOS's PCIe link speed setting",
                           link.generation, link.width,
                           link.max_generation.value_or(link.generation),
                           link.max_width.value_or(link.width));
    return "pinned host copies are slow on a link at its full speed: look for other traffic on it "
           "(other processes' copies, a NIC or NVMe drive behind the same PCIe switch), the IOMMU "
           "(iommu=pt) and NUMA placement: run on the GPU's node (nvidia-smi topo -m, numactl "
           "--cpunodebind=N --membind=N)";
}

constexpr const char* wrong_hint =
    "data copied between host and GPU came back wrong: look for PCIe errors in the kernel log "
    "(dmesg | grep -i -e AER -e Xid) and reseat the GPU";

} // namespace

bool PcieLink::below_max() const
{
    return (max_generation && generation < *max_generation) || (max_width && width < *max_width);
}

std::optional<PcieLink> pcie_link(const GpuHealth& health)
{
    if (!health.pcie_generation || !health.pcie_width)
        return std::nullopt;
    return PcieLink{*health.pcie_generation, *health.pcie_width, health.pcie_max_generation,
                    health.pcie_max_width};
}

const GpuHealth* find_gpu_health(const std::vector<GpuInfo>& gpus, std::string_view cuda_uuid)
{
    const auto match = find_host_gpu(gpus, cuda_uuid);
    return match.gpu != nullptr ? &match.gpu->health : nullptr;
}

HostCopyVerdict judge_host_copies(const HostTransferResult& copies,
                                  const std::optional<PcieLink>& link, double floor_fraction)
{
    const auto judged = link ? judged_link(*link, copies) : std::nullopt;
    const auto floor =
        rate_floor(judged ? std::optional(judged->peak_gbs) : std::nullopt, floor_fraction);
    HostCopyVerdict verdict;
    verdict.figures = figures_json(copies, link, judged, floor, floor_fraction);
    verdict.summary = summary_text(copies, link, judged);
    if (copies.pinned)
        judge_data(verdict, "pinned", *copies.pinned, copies.buffer_bytes / 8);
    judge_data(verdict, "pageable", copies.pageable, copies.buffer_bytes / 8);
    std::vector<std::string> hints;
    if (verdict.wrong)
        hints.emplace_back(wrong_hint);
    if (copies.pinned && judged && !floor.passes(copies.pinned->slower())) {
        verdict.slow = true;
        verdict.problems.push_back(fmt::format(
            "pinned host copies {:.1f}/{:.1f} GB/s (H2D/D2H) are below the floor "
            "{:.1f} GB/s ({:.0f}% of {}, {:.1f} GB/s)",
            copies.pinned->host_to_device_gbs, copies.pinned->device_to_host_gbs, *floor.threshold,
            100 * floor_fraction, link_text(judged->generation, judged->width), judged->peak_gbs));
        hints.push_back(slow_hint(*link, *judged));
    }
    verdict.hint = join(hints, "; ");
    return verdict;
}

} // namespace envpin::verify
