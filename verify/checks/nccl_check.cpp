// The `nccl` check: an all-reduce (sum) over every visible GPU in this one process, through the
// environment's own NCCL, as nccl-tests' all_reduce_perf measures it.
#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "kernels/kernels.hpp"
#include "verify/checks/gpu_check_support.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/kernel_launches.hpp"
#include "verify/checks/registry.hpp"
#include "verify/vendor/gpu_session.hpp"
#include "verify/vendor/nccl_api.hpp"

namespace envpin::verify {
namespace {

struct NcclStack {
    CudaRuntime runtime;
    NcclApi nccl;
};

Expected<NcclStack> load_stack(const ProbeRequest& request)
{
    const auto cudart = ENVPIN_TRY(locate_library(request, "cudart"));
    const auto nccl = ENVPIN_TRY(locate_library(request, "nccl"));
    return NcclStack{ENVPIN_TRY(CudaRuntime::load(cudart)), ENVPIN_TRY(NcclApi::load(nccl))};
}

// One GPU's part: its session (for the fill and check kernels), stream and buffers.
struct Rank {
    GpuSession session;
    RuntimeStream stream;
    RuntimeBuffer send, receive;
};

struct SizeOutcome {
    size_t bytes = 0;
    int iterations = 0;
    unsigned long long wrong = 0; // summed over ranks
    double milliseconds = 0;      // median over iterations of the slowest rank
    double algbw = 0, busbw = 0;
};

class AllReduce {
  public:
    AllReduce(const NcclStack& stack, std::vector<Rank>& ranks, const std::vector<NcclComm>& comms)
        : stack_(stack), ranks_(ranks), comms_(comms)
    {
    }

    // One checked all-reduce of `bytes`, then `iterations` timed ones.
    [[nodiscard]] Expected<SizeOutcome> measure(size_t bytes, int iterations)
    {
        SizeOutcome outcome{.bytes = bytes, .iterations = iterations};
        const size_t count = bytes / sizeof(float);
        for (auto& rank : ranks_)
            ENVPIN_TRY(poison(rank));
        ENVPIN_TRY(all_reduce(count));
        ENVPIN_TRY(wait_all());
        for (auto& rank : ranks_)
            outcome.wrong += ENVPIN_TRY(run_counting_kernel(rank.session, kernels::collective_check,
                                                            rank.receive.address(),
                                                            static_cast<unsigned long long>(count),
                                                            static_cast<int>(ranks_.size())))
                                 .count;
        std::vector<double> times;
        for (int i = 0; i < iterations; ++i)
            times.push_back(ENVPIN_TRY(timed(count)));
        outcome.milliseconds = median(times);
        outcome.algbw = gigabytes_per_second(static_cast<double>(bytes), outcome.milliseconds);
        outcome.busbw = allreduce_bus_bandwidth(outcome.algbw, static_cast<int>(ranks_.size()));
        return outcome;
    }

  private:
    Expected<void> poison(const Rank& rank) const
    {
        ENVPIN_TRY(rank.session.activate());
        ENVPIN_TRY(stack_.runtime.fill_bytes(rank.receive, 0xff)); // NaN everywhere
        return stack_.runtime.synchronize_device();
    }

    Expected<void> all_reduce(size_t count) const
    {
        const auto& nccl = stack_.nccl;
        if (auto rc = nccl.ncclGroupStart(); rc != 0)
            return std::unexpected(nccl.error("ncclGroupStart", rc));
        ncclResult_t failed = 0;
        for (size_t r = 0; r < ranks_.size() && failed == 0; ++r)
            failed =
                nccl.ncclAllReduce(ranks_[r].send.get(), ranks_[r].receive.get(), count,
                                   ncclFloat32, ncclSum, comms_[r].get(), ranks_[r].stream.get());
        const auto ended = nccl.ncclGroupEnd();
        if (failed != 0)
            return std::unexpected(nccl.error("ncclAllReduce", failed));
        if (ended != 0)
            return std::unexpected(nccl.error("ncclGroupEnd", ended));
        return {};
    }

    Expected<void> wait_all() const
    {
        for (const auto& rank : ranks_)
            ENVPIN_TRY(rank.session.synchronize());
        return {};
    }

    // Milliseconds of one all-reduce: each rank's stream between its own pair of events; the
    // slowest rank counts.
    Expected<double> timed(size_t count) const
    {
        const auto& rt = stack_.runtime;
        std::vector<RuntimeEvent> starts, stops;
        for (const auto& rank : ranks_) {
            ENVPIN_TRY(rank.session.activate());
            starts.push_back(ENVPIN_TRY(rt.create_event()));
            stops.push_back(ENVPIN_TRY(rt.create_event()));
            ENVPIN_TRY(rt.record(starts.back(), rank.stream.get()));
        }
        ENVPIN_TRY(all_reduce(count));
        double slowest = 0;
        for (size_t r = 0; r < ranks_.size(); ++r) {
            ENVPIN_TRY(ranks_[r].session.activate());
            ENVPIN_TRY(rt.record(stops[r], ranks_[r].stream.get()));
        }
        for (size_t r = 0; r < ranks_.size(); ++r)
            slowest = std::max(slowest, ENVPIN_TRY(rt.elapsed(starts[r], stops[r])));
        return slowest;
    }

    const NcclStack& stack_;
    std::vector<Rank>& ranks_;
    const std::vector<NcclComm>& comms_;
};

// Buffers of `bytes` on every GPU, the send buffer filled with the rank's exact values.
Expected<std::vector<Rank>> prepare_ranks(const NcclStack& stack, const GpuInventory& inventory,
                                          size_t bytes)
{
    std::vector<Rank> ranks;
    for (int index = 0; index < inventory.count; ++index) {
        auto session = ENVPIN_TRY(GpuSession::open(inventory.driver, index));
        auto stream = ENVPIN_TRY(stack.runtime.create_stream(index));
        ENVPIN_TRY(session.activate());
        auto send = ENVPIN_TRY(stack.runtime.allocate(bytes));
        auto receive = ENVPIN_TRY(stack.runtime.allocate(bytes));
        const auto fill = ENVPIN_TRY(session.function(kernels::collective_fill));
        CUdeviceptr out = send.address();
        unsigned long long count = bytes / sizeof(float);
        int rank = index;
        void* arguments[] = {&out, &count, &rank};
        ENVPIN_TRY(session.launch(fill, session.full_grid(256), 256, arguments));
        ranks.push_back(
            Rank{std::move(session), std::move(stream), std::move(send), std::move(receive)});
    }
    return ranks;
}

// The largest message: `max_bytes`, or less so that two buffers take at most a quarter of the
// free memory of the fullest GPU.
Expected<size_t> largest_message(const GpuInventory& inventory, size_t max_bytes)
{
    size_t bytes = max_bytes;
    for (int index = 0; index < inventory.count; ++index) {
        auto session = ENVPIN_TRY(GpuSession::open(inventory.driver, index));
        bytes = std::min(bytes, ENVPIN_TRY(session.memory_info()).free / 8);
    }
    return std::max<size_t>(bytes / 4096 * 4096, 4096);
}

std::vector<size_t> message_sizes(size_t largest)
{
    std::vector<size_t> sizes;
    for (size_t bytes : {size_t{1} << 20, size_t{32} << 20})
        if (bytes < largest)
            sizes.push_back(bytes);
    sizes.push_back(largest);
    return sizes;
}

nlohmann::json size_json(const SizeOutcome& size)
{
    return {{"bytes", size.bytes},     {"iterations", size.iterations},
            {"wrong", size.wrong},     {"time_ms", size.milliseconds},
            {"algbw_gbs", size.algbw}, {"busbw_gbs", size.busbw}};
}

struct Run {
    std::vector<SizeOutcome> sizes;
    int ranks = 0;
};

Expected<Run> run_all_reduce(const NcclStack& stack, const GpuInventory& inventory,
                             size_t max_bytes)
{
    const size_t largest = ENVPIN_TRY(largest_message(inventory, max_bytes));
    auto ranks = ENVPIN_TRY(prepare_ranks(stack, inventory, largest));
    // Communicators are declared after the buffers, so they are destroyed first.
    auto comms = stack.nccl.init_all(inventory.count);
    if (!comms)
        return std::unexpected(explain_nccl_failure(comms.error(), stack.runtime, inventory.count));
    AllReduce all_reduce(stack, ranks, *comms);
    Run run{.ranks = inventory.count};
    for (const size_t bytes : message_sizes(largest)) {
        auto outcome = all_reduce.measure(bytes, bytes == largest ? 5 : 20);
        if (!outcome)
            return std::unexpected(
                explain_nccl_failure(outcome.error(), stack.runtime, inventory.count));
        run.sizes.push_back(*outcome);
    }
    return run;
}

nlohmann::json libraries_json(const NcclStack& stack)
{
    const int runtime = stack.runtime.version(), nccl = stack.nccl.version();
    return {{"cudart", library_json(stack.runtime.library, runtime, cuda_version_text(runtime))},
            {"nccl", library_json(stack.nccl.library, nccl, dotted_version(nccl))}};
}

void finish_figures(CheckResult& result, const Run& run, const Floor& floor)
{
    const auto& largest = run.sizes.back();
    unsigned long long wrong = 0;
    for (const auto& size : run.sizes) {
        result.measurements["sizes"].push_back(size_json(size));
        wrong += size.wrong;
    }
    const bool one = run.ranks == 1;
    result.value = one ? largest.algbw : largest.busbw;
    result.measurements["value_is"] = one ? "algbw" : "busbw";
    std::vector<std::string> problems;
    if (wrong > 0)
        problems.push_back(fmt::format("{} wrong elements after all-reduce", wrong));
    if (!one && !floor.passes(largest.busbw))
        problems.push_back(
            fmt::format("bus bandwidth {:.0f} GB/s is below the floor {:.0f} ({:.0f}% of {:.0f})",
                        largest.busbw, *floor.threshold, 100 * *floor.threshold / *floor.reference,
                        *floor.reference));
    result.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
    if (!problems.empty()) {
        result.detail = join(problems, "; ");
        result.hint =
            wrong > 0
                ? "NCCL delivered wrong sums: suspect the GPUs or their links (dcgmi diag -r 3)"
                : "collective bandwidth is low: check the GPUs' links (nvidia-smi topo -m, "
                  "nvidia-smi nvlink -s) and other processes on the GPUs";
        return;
    }
    result.detail = one ? fmt::format("1 GPU: all-reduce over one rank (a local copy, no link "
                                      "crossed; bus bandwidth is 0 by definition), {} sizes up to "
                                      "{} MiB exact, algbw {:.0f} GB/s",
                                      run.sizes.size(), largest.bytes >> 20, largest.algbw)
                        : fmt::format("{} GPUs: {} sizes up to {} MiB exact; algbw {:.0f} GB/s, "
                                      "bus bandwidth {:.0f} GB/s",
                                      run.ranks, run.sizes.size(), largest.bytes >> 20,
                                      largest.algbw, largest.busbw);
}

} // namespace

CheckResult run_nccl_check(const ProbeRequest& request)
{
    CheckResult result;
    result.unit = "GB/s";
    keep_nvls_off(); // before NCCL is even loaded
    std::optional<double> reference;
    if (request.parameter("reference_busbw_gbs"))
        reference = request.number("reference_busbw_gbs", 0);
    const auto floor = rate_floor(reference, request.number("busbw_floor", 0.7));
    result.reference = floor.reference;
    result.threshold = floor.threshold;
    const auto max_bytes = static_cast<size_t>(std::max(1.0, request.number("max_mib", 1024)))
                           << 20;
    auto stack = load_stack(request);
    if (!stack)
        return finish_with(std::move(result), stack.error());
    const char* nvls = std::getenv("NCCL_NVLS_ENABLE");
    result.measurements = {{"libraries", libraries_json(*stack)},
                           {"nccl_nvls_enable", nvls != nullptr ? nvls : ""},
                           {"sizes", nlohmann::json::array()}};
    auto inventory = open_gpus(UsesTestKernels::yes);
    if (!inventory)
        return finish_with(std::move(result), inventory.error());
    result.measurements["ranks"] = inventory->count;
    auto run = run_all_reduce(*stack, *inventory, max_bytes);
    if (!run)
        return finish_with(std::move(result), run.error());
    finish_figures(result, *run, floor);
    return result;
}

} // namespace envpin::verify
