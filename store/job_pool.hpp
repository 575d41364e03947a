#pragma once
// A pool of workers that takes jobs while they are still being handed over, the largest first.
// Hashing starts before the list of files is complete (a first snapshot hands over large files
// as the walk finds them), and whichever job is largest when a worker comes free runs next, so
// that a few huge files do not leave one core busy alone at the end. First error wins: the jobs
// still waiting are dropped.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/error.hpp"

namespace envpin::store {

class JobPool {
public:
    using Job = std::function<Expected<void>(unsigned worker)>;
    struct Sized {
        long long size = 0;  // larger runs earlier; equal sizes in the order handed over
        Job job;
    };

    // Starts `workers` threads (at least one), idle until jobs come.
    explicit JobPool(unsigned workers);
    // Drops the jobs still waiting and joins the workers.
    ~JobPool();
    JobPool(const JobPool&) = delete;
    JobPool& operator=(const JobPool&) = delete;

    [[nodiscard]] unsigned workers() const { return static_cast<unsigned>(threads_.size()); }
    // Starts more workers, numbered after the existing ones. Only from the thread that owns the
    // pool, before finish().
    void add_workers(unsigned count);

    // Safe from any thread, the pool's own workers included.
    void add(long long size, Job job);
    void add_all(std::vector<Sized> jobs);

    // No more jobs come: waits until every job ran or one failed, calling `tick` (when set)
    // from this thread about every `tick_interval`; then joins the workers. The first error.
    [[nodiscard]] Expected<void> finish(const std::function<void()>& tick = {},
                                        std::chrono::milliseconds tick_interval = std::chrono::milliseconds(200));

private:
    struct Queued {
        long long size;
        uint64_t order;
        Job job;
    };
    static bool runs_later(const Queued& a, const Queued& b);
    void push_locked(long long size, Job job);
    void work(unsigned worker);
    void stop_and_join();

    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable drained_;
    std::vector<Queued> heap_;  // std::push_heap/pop_heap order: largest, then earliest, on top
    uint64_t handed_over_ = 0;
    unsigned busy_ = 0;
    bool closed_ = false;
    bool stopped_ = false;
    std::optional<Error> error_;
    std::vector<std::jthread> threads_;
};

}  // namespace envpin::store
