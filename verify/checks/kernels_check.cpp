// The `kernels` check: envpin's own kernels through the driver API on every visible GPU, and
// host<->device copies from pinned and pageable memory against the GPU's PCIe link.
#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "kernels/kernels.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/kernel_launches.hpp"
#include "verify/checks/kernels_host_copies.hpp"
#include "verify/checks/kernels_memory.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/host_facts_json.hpp"

namespace envpin::verify {
namespace {

constexpr const char* pattern_names[] = {"own address", "walking ones", "walking zeros"};

struct KernelsSettings {
    double memory_fraction = 0.9;
    size_t copy_bytes = size_t{1} << 30;
    int repeats = 10;
    Floor floor;
    unsigned long long seed = 0;
    size_t host_copy_bytes = size_t{256} << 20;
    int host_copy_repeats = 5;
    double host_copy_floor = 0.3;
    std::vector<GpuInfo> host_gpus; // the parent's host facts: each GPU's PCIe link
};

KernelsSettings read_settings(const ProbeRequest& request)
{
    KernelsSettings settings;
    settings.memory_fraction = std::clamp(request.number("memory_fraction", 0.9), 0.01, 0.98);
    settings.copy_bytes = static_cast<size_t>(std::max(16.0, request.number("copy_mib", 1024)))
                          << 20;
    settings.repeats = std::max(1, static_cast<int>(request.number("repeats", 10)));
    std::optional<double> reference;
    if (request.parameter("reference_bandwidth_gbs"))
        reference = request.number("reference_bandwidth_gbs", 0);
    settings.floor = rate_floor(reference, request.number("bandwidth_floor", 0.75));
    settings.seed = std::random_device{}();
    settings.host_copy_bytes =
        static_cast<size_t>(std::max(1.0, request.number("host_copy_mib", 256))) << 20;
    settings.host_copy_repeats =
        std::max(1, static_cast<int>(request.number("host_copy_repeats", 5)));
    settings.host_copy_floor = std::clamp(request.number("host_copy_floor", 0.3), 0.0, 1.0);
    settings.host_gpus = host_gpus(request);
    return settings;
}

// One GPU's figures, and a sentence for each thing that was wrong on it.
struct GpuOutcome {
    int index = 0;
    nlohmann::json figures;
    double copy_gbs = 0;
    std::vector<std::string> problems;
    bool memory_errors = false;
    bool slow = false;
    HostCopyVerdict host;
    double host_pinned_gbs = std::numeric_limits<double>::infinity(); // slower direction
};

nlohmann::json pattern_json(const PatternResult& memory)
{
    nlohmann::json first = nullptr;
    if (memory.first_bad_address)
        first = fmt::format("{:#x}", *memory.first_bad_address);
    return {{"tested_bytes", memory.bytes},
            {"free_bytes", memory.free_bytes},
            {"chunks", memory.chunks},
            {"patterns", 3},
            {"bad_words", memory.bad_words},
            {"first_bad_address", first},
            {"first_bad_pattern", memory.first_bad_pattern >= 0
                                      ? nlohmann::json(pattern_names[memory.first_bad_pattern])
                                      : nlohmann::json(nullptr)},
            {"ms", memory.milliseconds}};
}

void judge(GpuOutcome& gpu, int index, const VectorAddResult& add, const PatternResult& memory,
           const CopyResult& copy, const ReduceResult& reduce, const Floor& floor)
{
    const auto say = [&](std::string text) {
        gpu.problems.push_back(fmt::format("GPU {}: {}", index, text));
    };
    if (add.wrong > 0)
        say(fmt::format("vector add has {} wrong elements (first at {})", add.wrong,
                        add.first_wrong));
    if (memory.bad_words > 0) {
        gpu.memory_errors = true;
        say(fmt::format("{} bad memory words (first at {:#x}, {} pattern)", memory.bad_words,
                        *memory.first_bad_address, pattern_names[memory.first_bad_pattern]));
    }
    if (copy.wrong_words > 0)
        say(fmt::format("the copy kernel left {} words wrong", copy.wrong_words));
    if (!floor.passes(copy.gigabytes_per_second)) {
        gpu.slow = true;
        say(fmt::format(
            "copy bandwidth {:.0f} GB/s is below the floor {:.0f} GB/s ({:.0f}% of {:.0f})",
            copy.gigabytes_per_second, *floor.threshold, 100 * *floor.threshold / *floor.reference,
            *floor.reference));
    }
    if (!reduce.exact())
        say(fmt::format("reduction gave {}, expected {}", reduce.sum, reduce.expected));
}

// Judges GPU `index`'s host copies against its PCIe link, read from the host facts by UUID.
void add_host_copies(GpuOutcome& gpu, const GpuInventory& inventory,
                     const HostTransferResult& copies, const KernelsSettings& settings)
{
    const auto* health = find_gpu_health(settings.host_gpus, gpu_uuid(inventory.driver, gpu.index));
    gpu.host = judge_host_copies(copies, health ? pcie_link(*health) : std::nullopt,
                                 settings.host_copy_floor);
    if (copies.pinned)
        gpu.host_pinned_gbs = copies.pinned->slower();
    gpu.figures["host_copies"] = gpu.host.figures;
    for (const auto& problem : gpu.host.problems)
        gpu.problems.push_back(fmt::format("GPU {}: {}", gpu.index, problem));
}

Expected<GpuOutcome> check_gpu(const GpuInventory& inventory, int index,
                               const KernelsSettings& settings)
{
    auto session = ENVPIN_TRY(GpuSession::open(inventory.driver, index));
    const auto add = ENVPIN_TRY_CTX("vector add", run_vector_add(session, size_t{1} << 22));
    // Bandwidth before the pattern test: after 90% of memory was allocated in 1 GiB chunks and
    // freed again, the same copy ran 10% slower on an H200 (3.80 against 4.23 TB/s).
    const auto copy = ENVPIN_TRY_CTX(
        "copy bandwidth", run_copy_bandwidth(session, settings.copy_bytes, settings.repeats));
    const auto reduce =
        ENVPIN_TRY_CTX("reduction", run_reduce_sum(session, size_t{1} << 22, settings.seed));
    const auto host = ENVPIN_TRY_CTX(
        "host copies",
        run_host_transfers(session, settings.host_copy_bytes, settings.host_copy_repeats));
    const auto memory = ENVPIN_TRY_CTX("memory pattern test",
                                       run_memory_pattern(session, settings.memory_fraction));
    GpuOutcome gpu;
    gpu.index = index;
    gpu.copy_gbs = copy.gigabytes_per_second;
    gpu.figures = {
        {"index", index},
        {"name", gpu_label(inventory.driver, index, settings.host_gpus)},
        {"vector_add", {{"elements", add.elements}, {"wrong", add.wrong}}},
        {"memory", pattern_json(memory)},
        {"copy",
         {{"buffer_bytes", copy.buffer_bytes},
          {"repeats", copy.repeats},
          {"median_ms", copy.median_ms},
          {"gbs", copy.gigabytes_per_second},
          {"wrong_words", copy.wrong_words}}},
        {"reduce",
         {{"elements", reduce.elements}, {"sum", reduce.sum}, {"expected", reduce.expected}}}};
    judge(gpu, index, add, memory, copy, reduce, settings.floor);
    add_host_copies(gpu, inventory, host, settings);
    return gpu;
}

std::string summary(const nlohmann::json& figures, const std::vector<GpuOutcome>& gpus,
                    double slowest, const Floor& floor)
{
    double tested = 0;
    for (const auto& gpu : figures)
        tested += gpu["memory"]["tested_bytes"].get<double>();
    std::string text = fmt::format(
        "{} GPU{} ({}): vector add and reduction exact; {:.1f} GiB pattern-tested, 0 bad words; "
        "copy {:.0f} GB/s",
        figures.size(), figures.size() == 1 ? "" : "s", figures[0]["name"].get<std::string>(),
        tested / (1u << 30), slowest);
    if (floor.reference)
        text +=
            fmt::format(" ({:.0f}% of {:.0f})", 100 * slowest / *floor.reference, *floor.reference);
    // The host copies of the GPU whose pinned copies were slowest.
    const auto& host = *std::ranges::min_element(gpus, {}, &GpuOutcome::host_pinned_gbs);
    return text + "; " + (gpus.size() > 1 ? fmt::format("GPU {} ", host.index) : "") +
           host.host.summary;
}

std::string hint_for(const std::vector<GpuOutcome>& gpus)
{
    std::vector<std::string> hints;
    if (std::ranges::any_of(gpus, [](const GpuOutcome& gpu) { return gpu.memory_errors; }))
        hints.emplace_back("the GPU returned wrong data from its memory: look at its ECC counters "
                           "and retired pages (nvidia-smi -q -d ECC,PAGE_RETIREMENT) and take it "
                           "out of service if they grow");
    else if (std::ranges::any_of(gpus, [](const GpuOutcome& gpu) { return gpu.slow; }))
        hints.emplace_back("memory bandwidth is low: look for other processes on the GPU "
                           "(nvidia-smi) and for clock or power throttling (nvidia-smi -q -d "
                           "PERFORMANCE)");
    for (const auto& gpu : gpus)
        if (!gpu.host.hint.empty() && std::ranges::find(hints, gpu.host.hint) == hints.end())
            hints.push_back(gpu.host.hint);
    return join(hints, "; ");
}

CheckResult conclude(CheckResult result, const std::vector<GpuOutcome>& gpus, const Floor& floor)
{
    std::vector<std::string> problems;
    double slowest = std::numeric_limits<double>::infinity();
    for (const auto& gpu : gpus) {
        slowest = std::min(slowest, gpu.copy_gbs);
        problems.insert(problems.end(), gpu.problems.begin(), gpu.problems.end());
    }
    result.value = slowest;
    result.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
    result.detail = problems.empty() ? summary(result.measurements["gpus"], gpus, slowest, floor)
                                     : join(problems, "; ");
    result.hint = hint_for(gpus);
    return result;
}

} // namespace

CheckResult run_kernels_check(const ProbeRequest& request)
{
    CheckResult result;
    result.unit = "GB/s";
    const auto settings = read_settings(request);
    result.reference = settings.floor.reference;
    result.threshold = settings.floor.threshold;
    auto inventory = open_gpus(UsesTestKernels::yes);
    if (!inventory)
        return finish_with(std::move(result), inventory.error());
    result.measurements = {{"driver_cuda", cuda_version_text(inventory->driver_version)},
                           {"kernel_architectures", std::string(kernels::architectures())},
                           {"seed", settings.seed},
                           {"gpus", nlohmann::json::array()}};
    std::vector<GpuOutcome> gpus;
    for (int index = 0; index < inventory->count; ++index) {
        auto gpu = check_gpu(*inventory, index, settings);
        if (!gpu)
            return finish_with(std::move(result),
                               gpu.error().with_context(fmt::format("GPU {}", index)));
        result.measurements["gpus"].push_back(gpu->figures);
        gpus.push_back(std::move(*gpu));
    }
    return conclude(std::move(result), gpus, settings.floor);
}

} // namespace envpin::verify
