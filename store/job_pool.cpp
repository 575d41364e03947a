#include "store/job_pool.hpp"

#include <algorithm>

namespace envpin::store {

JobPool::JobPool(unsigned workers)
{
    add_workers(std::max(workers, 1u));
}

void JobPool::add_workers(unsigned count)
{
    const auto first = static_cast<unsigned>(threads_.size());
    for (unsigned worker = first; worker < first + count; ++worker)
        threads_.emplace_back([this, worker] { work(worker); });
}

JobPool::~JobPool()
{
    stop_and_join();
}

bool JobPool::runs_later(const Queued& a, const Queued& b)
{
    return a.size != b.size ? a.size < b.size : a.order > b.order;
}

void JobPool::push_locked(long long size, Job job)
{
    heap_.push_back({size, handed_over_++, std::move(job)});
    std::ranges::push_heap(heap_, runs_later);
}

void JobPool::add(long long size, Job job)
{
    {
        std::lock_guard lock(mutex_);
        push_locked(size, std::move(job));
    }
    work_ready_.notify_one();
}

void JobPool::add_all(std::vector<Sized> jobs)
{
    {
        std::lock_guard lock(mutex_);
        heap_.reserve(heap_.size() + jobs.size());
        for (auto& sized : jobs)
            heap_.push_back({sized.size, handed_over_++, std::move(sized.job)});
        std::ranges::make_heap(heap_, runs_later);
    }
    work_ready_.notify_all();
}

void JobPool::work(unsigned worker)
{
    std::unique_lock lock(mutex_);
    while (true) {
        work_ready_.wait(lock, [&] { return stopped_ || closed_ || !heap_.empty(); });
        if (stopped_ || heap_.empty()) {
            if (stopped_ || closed_)
                return;
            continue;
        }
        std::ranges::pop_heap(heap_, runs_later);
        Job job = std::move(heap_.back().job);
        heap_.pop_back();
        ++busy_;
        lock.unlock();
        auto done = job(worker);
        job = nullptr;  // its captures go before the lock is taken again
        lock.lock();
        --busy_;
        if (!done && !error_) {
            error_ = std::move(done.error());
            stopped_ = true;
            heap_.clear();
            work_ready_.notify_all();
        }
        if (busy_ == 0 && (heap_.empty() || stopped_))
            drained_.notify_all();
    }
}

Expected<void> JobPool::finish(const std::function<void()>& tick, std::chrono::milliseconds tick_interval)
{
    {
        std::unique_lock lock(mutex_);
        closed_ = true;
        work_ready_.notify_all();
        const auto done = [&] { return busy_ == 0 && (heap_.empty() || stopped_); };
        while (!drained_.wait_for(lock, tick_interval, done)) {
            if (tick) {
                lock.unlock();
                tick();
                lock.lock();
            }
        }
    }
    stop_and_join();
    if (error_)
        return std::unexpected(*error_);
    return {};
}

void JobPool::stop_and_join()
{
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        heap_.clear();
    }
    work_ready_.notify_all();
    for (auto& thread : threads_) {
        if (thread.joinable())
            thread.join();
    }
}

}  // namespace envpin::store
