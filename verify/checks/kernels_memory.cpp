#include "verify/checks/kernels_memory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/kernels.hpp"
#include "verify/checks/gpu_figures.hpp"
#include "verify/checks/kernel_launches.hpp"

namespace envpin::verify {
namespace {

constexpr size_t chunk_bytes = size_t{1} << 30;
constexpr unsigned pattern_seed = 7; // where the walking one starts
constexpr int pattern_count = 3;

Expected<std::vector<DeviceBuffer>> allocate_chunks(const GpuSession& session, size_t target)
{
    std::vector<DeviceBuffer> chunks;
    size_t allocated = 0;
    while (allocated + 4096 <= target) {
        const size_t bytes = std::min(chunk_bytes, (target - allocated) / 8 * 8);
        auto chunk = session.allocate(bytes);
        if (!chunk) {
            if (chunks.empty())
                return std::unexpected(chunk.error().with_context("allocating memory to test"));
            break; // another process took memory meanwhile: test what we have
        }
        allocated += bytes;
        chunks.push_back(std::move(*chunk));
    }
    return chunks;
}

Expected<void> write_pattern(const GpuSession& session, const DeviceBuffer& chunk, int mode)
{
    const auto function = ENVPIN_TRY(session.function(kernels::pattern_write));
    CUdeviceptr memory = chunk.get();
    unsigned long long words = chunk.bytes() / 8;
    unsigned seed = pattern_seed;
    void* arguments[] = {&memory, &words, &mode, &seed};
    return session.launch(function, session.full_grid(256), 256, arguments);
}

Expected<HitCount> check_pattern(const GpuSession& session, const DeviceBuffer& chunk, int mode)
{
    return run_counting_kernel(session, kernels::pattern_check, chunk.get(),
                               static_cast<unsigned long long>(chunk.bytes() / 8), mode,
                               pattern_seed);
}

// Launches envpin_copy over `words16` 16-byte words, timed by a fresh pair of events.
Expected<double> timed_copy(const GpuSession& session, CUfunction copy, CUdeviceptr source,
                            CUdeviceptr destination, unsigned long long words16)
{
    ENVPIN_TRY(session.activate());
    const auto& cuda = session.cuda();
    auto start = ENVPIN_TRY(DriverEvent::create(cuda));
    auto stop = ENVPIN_TRY(DriverEvent::create(cuda));
    void* arguments[] = {&source, &destination, &words16};
    // One thread per 16-byte word: faster than a persistent grid here (see envpin_copy).
    const auto blocks =
        static_cast<unsigned>(std::min<unsigned long long>((words16 + 255) / 256, 0x7fffffffull));
    ENVPIN_TRY(start.record());
    ENVPIN_TRY(session.launch_async(copy, blocks, 256, arguments));
    ENVPIN_TRY(stop.record());
    return stop.elapsed_since(start);
}

// The word at `index` of a host buffer's pattern: a different one for each `salt`, so a copy
// that did not happen leaves the previous kind's words behind and shows.
std::uint64_t host_word(size_t index, std::uint64_t salt)
{
    std::uint64_t z = index + salt * 0x9e3779b97f4a7c15ull; // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned long long count_wrong(std::span<const std::uint64_t> words, std::uint64_t salt)
{
    unsigned long long wrong = 0;
    for (size_t i = 0; i < words.size(); ++i)
        wrong += words[i] != host_word(i, salt) ? 1 : 0;
    return wrong;
}

// Median milliseconds of `repeats` runs of the synchronous `copy` after one warm-up, each until
// the GPU is idle: a pageable upload may return before its last staged piece has landed.
template <class Copy>
Expected<double> median_copy_ms(const GpuSession& session, const Copy& copy, int repeats)
{
    ENVPIN_TRY(copy());
    ENVPIN_TRY(session.synchronize());
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto started = std::chrono::steady_clock::now();
        ENVPIN_TRY(copy());
        ENVPIN_TRY(session.synchronize());
        times.push_back(std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - started)
                            .count());
    }
    return median(times);
}

// Up from `host` into `device` and back, timed each way; then the words that came back wrong.
Expected<CopyRates> round_trip(const GpuSession& session, std::span<std::uint64_t> host,
                               const DeviceBuffer& device, int repeats, std::uint64_t salt)
{
    for (size_t i = 0; i < host.size(); ++i)
        host[i] = host_word(i, salt);
    ENVPIN_TRY(session.zero(device));
    const size_t bytes = host.size_bytes();
    const auto up = [&] { return session.upload(device, host.data(), bytes); };
    const auto down = [&] { return session.download(host.data(), device, bytes); };
    CopyRates rates;
    const double up_ms = ENVPIN_TRY(median_copy_ms(session, up, repeats));
    std::ranges::fill(host, 0);
    const double down_ms = ENVPIN_TRY(median_copy_ms(session, down, repeats));
    rates.host_to_device_gbs = gigabytes_per_second(static_cast<double>(bytes), up_ms);
    rates.device_to_host_gbs = gigabytes_per_second(static_cast<double>(bytes), down_ms);
    rates.wrong_words = count_wrong(host, salt);
    return rates;
}

// The pinned half of run_host_transfers; the page-locked buffer is freed before the pageable
// one is made.
Expected<void> pinned_round_trip(const GpuSession& session, const DeviceBuffer& device,
                                 int repeats, HostTransferResult& result)
{
    auto pinned = session.allocate_pinned(device.bytes());
    if (!pinned && pinned.error().code == ErrorCode::not_found) {
        result.pinned_not_run = pinned.error().message;
        return {};
    }
    if (!pinned)
        return std::unexpected(pinned.error().with_context("allocating page-locked host memory"));
    const std::span host(static_cast<std::uint64_t*>(pinned->get()), device.bytes() / 8);
    result.pinned = ENVPIN_TRY(round_trip(session, host, device, repeats, 1));
    return {};
}

} // namespace

Expected<PatternResult> run_memory_pattern(const GpuSession& session, double fraction)
{
    const auto started = std::chrono::steady_clock::now();
    PatternResult result;
    result.free_bytes = ENVPIN_TRY(session.memory_info()).free;
    const auto chunks = ENVPIN_TRY(allocate_chunks(
        session, static_cast<size_t>(static_cast<double>(result.free_bytes) * fraction)));
    result.chunks = chunks.size();
    for (const auto& chunk : chunks)
        result.bytes += chunk.bytes();
    for (int mode = 0; mode < pattern_count; ++mode) {
        for (const auto& chunk : chunks)
            ENVPIN_TRY(write_pattern(session, chunk, mode));
        for (const auto& chunk : chunks) {
            const auto hits = ENVPIN_TRY(check_pattern(session, chunk, mode));
            if (hits.count > 0 && !result.first_bad_address) {
                result.first_bad_address = chunk.get() + hits.first * 8;
                result.first_bad_pattern = mode;
            }
            result.bad_words += hits.count;
        }
    }
    result.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return result;
}

Expected<CopyResult> run_copy_bandwidth(const GpuSession& session, size_t buffer_bytes, int repeats)
{
    buffer_bytes = buffer_bytes / 16 * 16;
    auto source = ENVPIN_TRY(session.allocate(buffer_bytes));
    auto destination = ENVPIN_TRY(session.allocate(buffer_bytes));
    // Walking ones depend only on the index, so the copy is checked with the same kernel.
    ENVPIN_TRY(write_pattern(session, source, 1));
    ENVPIN_TRY(session.zero(destination));
    const auto copy = ENVPIN_TRY(session.function(kernels::copy));
    const unsigned long long words16 = buffer_bytes / 16;
    for (int warm_up = 0; warm_up < 2; ++warm_up)
        ENVPIN_TRY(timed_copy(session, copy, source.get(), destination.get(), words16));
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i)
        times.push_back(
            ENVPIN_TRY(timed_copy(session, copy, source.get(), destination.get(), words16)));
    CopyResult result;
    result.buffer_bytes = buffer_bytes;
    result.repeats = repeats;
    result.median_ms = median(times);
    result.gigabytes_per_second =
        gigabytes_per_second(2.0 * static_cast<double>(buffer_bytes), result.median_ms);
    result.wrong_words = ENVPIN_TRY(check_pattern(session, destination, 1)).count;
    return result;
}

Expected<HostTransferResult> run_host_transfers(const GpuSession& session, size_t bytes,
                                                int repeats)
{
    HostTransferResult result;
    result.buffer_bytes = std::max<size_t>(bytes / 8 * 8, 8);
    result.repeats = repeats;
    const auto device = ENVPIN_TRY(session.allocate(result.buffer_bytes));
    ENVPIN_TRY(pinned_round_trip(session, device, repeats, result));
    // round_trip writes its pattern first: every page is faulted in before anything is timed.
    std::vector<std::uint64_t> pageable(result.buffer_bytes / 8);
    result.pageable = ENVPIN_TRY(round_trip(session, pageable, device, repeats, 2));
    return result;
}

} // namespace envpin::verify
