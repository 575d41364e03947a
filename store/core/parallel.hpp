#pragma once
// A minimal parallel loop for hashing, linking and checking: `count` independent jobs over
// `threads` workers (0: all cores), first error wins and stops the remaining jobs.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace envpin::store {

// Runs job(index, worker) for every index in [0, count). `tick`, when set, is called from the
// calling thread about every `tick_interval` while the jobs run (progress lines).
[[nodiscard]] Expected<void> parallel_for(size_t count, unsigned threads,
                                          const std::function<Expected<void>(size_t index, unsigned worker)>& job,
                                          const std::function<void()>& tick = {},
                                          std::chrono::milliseconds tick_interval = std::chrono::milliseconds(200));

// parallel_for for workers that hold jobs back to do them together (files in hashing lanes):
// once no index is left for a worker, finish(worker) completes what it holds. An error there
// stops the run like a job's.
[[nodiscard]] Expected<void> parallel_for_held(size_t count, unsigned threads,
                                               const std::function<Expected<void>(size_t index, unsigned worker)>& job,
                                               const std::function<Expected<void>(unsigned worker)>& finish,
                                               const std::function<void()>& tick = {},
                                               std::chrono::milliseconds tick_interval = std::chrono::milliseconds(200));

// Where one item of a run sorts: its path (a view into the run's item), the run and the index
// in it.
struct PathKey {
    std::string_view path;
    unsigned run = 0;
    unsigned index = 0;
};

// Merges runs each sorted by path into one sorted sequence, pairwise, the pairs of a round on
// separate cores.
[[nodiscard]] std::vector<PathKey> merge_path_runs(std::vector<std::vector<PathKey>> runs);

// Runs job(slice, begin, end) for the slices [begin, end) of `count` items, `slice` items each
// (the last may be shorter), on `threads` workers (0: all cores): for loops over a manifest's
// entries whose items are too small to be jobs one by one.
void for_each_slice(size_t count, size_t slice, unsigned threads, const std::function<void(size_t, size_t, size_t)>& job);

// Worker count for `threads` (0: hardware concurrency), never more than `count`, at least 1.
[[nodiscard]] unsigned worker_count(unsigned threads, size_t count);

}  // namespace envpin::store
