#include "store/core/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace envpin::store {

unsigned worker_count(unsigned threads, size_t count)
{
    unsigned workers = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
    if (count < workers)
        workers = static_cast<unsigned>(std::max<size_t>(count, 1));
    return workers;
}

void for_each_slice(size_t count, size_t slice, unsigned threads, const std::function<void(size_t, size_t, size_t)>& job)
{
    (void)parallel_for((count + slice - 1) / slice, threads, [&](size_t s, unsigned) -> Expected<void> {
        job(s, s * slice, std::min(count, (s + 1) * slice));
        return {};
    });
}

Expected<void> parallel_for(size_t count, unsigned threads,
                            const std::function<Expected<void>(size_t, unsigned)>& job,
                            const std::function<void()>& tick, std::chrono::milliseconds tick_interval)
{
    return parallel_for_held(count, threads, job, {}, tick, tick_interval);
}

Expected<void> parallel_for_held(size_t count, unsigned threads,
                                 const std::function<Expected<void>(size_t, unsigned)>& job,
                                 const std::function<Expected<void>(unsigned)>& finish,
                                 const std::function<void()>& tick, std::chrono::milliseconds tick_interval)
{
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable finished;
    std::optional<Error> first_error;
    unsigned running = worker_count(threads, count);
    const auto failed = [&](Error error) {
        std::lock_guard lock(mutex);
        if (!first_error)
            first_error = std::move(error);
        stop = true;
    };
    auto work = [&](unsigned worker) {
        while (!stop.load(std::memory_order_relaxed)) {
            const size_t index = next.fetch_add(1, std::memory_order_relaxed);
            if (index >= count)
                break;
            if (auto done = job(index, worker); !done)
                failed(std::move(done.error()));
        }
        if (finish && !stop.load(std::memory_order_relaxed)) {
            if (auto done = finish(worker); !done)
                failed(std::move(done.error()));
        }
        std::lock_guard lock(mutex);
        if (--running == 0)
            finished.notify_all();
    };
    {
        std::vector<std::jthread> workers;
        const unsigned total = running;
        for (unsigned worker = 0; worker < total; ++worker)
            workers.emplace_back(work, worker);
        std::unique_lock lock(mutex);
        while (running != 0) {
            if (finished.wait_for(lock, tick_interval, [&] { return running == 0; }))
                break;
            if (tick) {
                lock.unlock();
                tick();
                lock.lock();
            }
        }
    }
    if (first_error)
        return std::unexpected(std::move(*first_error));
    return {};
}

std::vector<PathKey> merge_path_runs(std::vector<std::vector<PathKey>> runs)
{
    const auto by_path = [](const PathKey& a, const PathKey& b) { return a.path < b.path; };
    while (runs.size() > 1) {
        std::vector<std::vector<PathKey>> merged((runs.size() + 1) / 2);
        (void)parallel_for(merged.size(), static_cast<unsigned>(merged.size()), [&](size_t m, unsigned) -> Expected<void> {
            if (2 * m + 1 == runs.size()) {
                merged[m] = std::move(runs[2 * m]);
                return {};
            }
            const auto& left = runs[2 * m];
            const auto& right = runs[2 * m + 1];
            merged[m].resize(left.size() + right.size());
            std::ranges::merge(left, right, merged[m].begin(), by_path);
            return {};
        });
        runs = std::move(merged);
    }
    return runs.empty() ? std::vector<PathKey>() : std::move(runs.front());
}

}  // namespace envpin::store
