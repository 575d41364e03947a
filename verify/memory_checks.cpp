#include "verify/memory_checks.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels/kernels.hpp"
#include "verify/gpu_figures.hpp"
#include "verify/kernel_checks.hpp"

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

} // namespace envpin::verify
