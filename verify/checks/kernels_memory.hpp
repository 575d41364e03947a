#pragma once
// Device-memory checks with the embedded kernels: a pattern test over most of free memory
// (after cuda_memtest and DCGM's memory plugin) and the device-to-device copy bandwidth; and
// host<->device copies from pinned and pageable memory.
#include <cstddef>
#include <optional>

#include "base/error.hpp"
#include "verify/checks/kernels_host_copies.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {

struct PatternResult {
    size_t bytes = 0;                             // memory tested
    size_t chunks = 0;                            // allocations it was tested in
    size_t free_bytes = 0;                        // free before the test (cuMemGetInfo)
    unsigned long long bad_words = 0;             // summed over the three patterns
    std::optional<CUdeviceptr> first_bad_address; // of the first pattern that found any
    int first_bad_pattern = -1; // 0 own address, 1 walking ones, 2 their complement
    double milliseconds = 0;
};

// Allocates `fraction` of free memory in chunks of at most 1 GiB (stopping early, without
// error, when an allocation fails because others hold memory), then for each pattern writes
// every chunk before checking any, so a write that lands in the wrong place shows.
[[nodiscard]] Expected<PatternResult> run_memory_pattern(const GpuSession& session,
                                                         double fraction);

struct CopyResult {
    size_t buffer_bytes = 0;
    int repeats = 0;
    double median_ms = 0;
    double gigabytes_per_second = 0;    // (read + written) / median time, GB = 1e9 bytes
    unsigned long long wrong_words = 0; // words of the destination not equal to the source
};

// Copies one `buffer_bytes` buffer into another with envpin_copy: two warm-up launches, then
// `repeats` launches each timed by its own pair of events; the median counts. The copied data
// is checked word by word afterwards.
[[nodiscard]] Expected<CopyResult> run_copy_bandwidth(const GpuSession& session,
                                                      size_t buffer_bytes, int repeats);

// Host<->device copies of one `bytes` buffer with the synchronous cuMemcpyHtoD/cuMemcpyDtoH,
// from page-locked memory (cuMemAllocHost: DataLoader's pin_memory=True) and from pageable
// memory (every page touched before timing). Per kind and direction: one warm-up copy, then
// `repeats` copies each timed on the host clock until the GPU is idle again; the median counts.
// The host buffer holds a pattern of its own per kind; it is cleared before the copies back,
// then compared. A driver without cuMemAllocHost_v2 leaves `pinned` empty, saying why.
[[nodiscard]] Expected<HostTransferResult> run_host_transfers(const GpuSession& session,
                                                              size_t bytes, int repeats);

} // namespace envpin::verify
