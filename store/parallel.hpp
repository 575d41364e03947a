#pragma once
// A minimal parallel loop for hashing, linking and checking: `count` independent jobs over
// `threads` workers (0: all cores), first error wins and stops the remaining jobs.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>

#include "base/error.hpp"

namespace envpin::store {

// Runs job(index, worker) for every index in [0, count). `tick`, when set, is called from the
// calling thread about every `tick_interval` while the jobs run (progress lines).
[[nodiscard]] Expected<void> parallel_for(size_t count, unsigned threads,
                                          const std::function<Expected<void>(size_t index, unsigned worker)>& job,
                                          const std::function<void()>& tick = {},
                                          std::chrono::milliseconds tick_interval = std::chrono::milliseconds(200));

// Worker count for `threads` (0: hardware concurrency), never more than `count`, at least 1.
[[nodiscard]] unsigned worker_count(unsigned threads, size_t count);

}  // namespace envpin::store
