// The hashing pool: largest job first among those waiting, jobs handed over while it runs, first
// error wins and drops what still waits.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "store/job_pool.hpp"

namespace envpin::store {
namespace {

TEST(JobPool, RunsWaitingJobsLargestFirstAndEqualSizesInTheOrderGiven)
{
    JobPool pool(1);
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::mutex mutex;
    std::vector<int> ran;
    // The only worker is held by the first job while the others queue up behind it.
    pool.add(1000, [gate](unsigned) -> Expected<void> { gate.wait(); return {}; });
    std::vector<JobPool::Sized> jobs;
    for (const auto& [size, label] : std::vector<std::pair<long long, int>>{{5, 1}, {50, 2}, {5, 3}, {7, 4}, {50, 5}}) {
        jobs.push_back({size, [&, label](unsigned) -> Expected<void> {
                            std::lock_guard lock(mutex);
                            ran.push_back(label);
                            return {};
                        }});
    }
    pool.add_all(std::move(jobs));
    release.set_value();
    ASSERT_TRUE(pool.finish());
    EXPECT_EQ(ran, (std::vector<int>{2, 5, 4, 1, 3}));
}

TEST(JobPool, JobsHandedOverByRunningJobsRunBeforeFinishReturns)
{
    JobPool pool(3);
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i) {
        pool.add(i, [&](unsigned worker) -> Expected<void> {
            EXPECT_LT(worker, 3u);
            pool.add(0, [&](unsigned) -> Expected<void> { ++ran; return {}; });
            ++ran;
            return {};
        });
    }
    ASSERT_TRUE(pool.finish());
    EXPECT_EQ(ran.load(), 20);
}

TEST(JobPool, TheFirstErrorWinsAndWaitingJobsAreDropped)
{
    JobPool pool(1);
    std::atomic<int> ran{0};
    std::vector<JobPool::Sized> jobs;
    jobs.push_back({100, [](unsigned) -> Expected<void> { return fail(ErrorCode::io, "cannot read big.so"); }});
    for (int i = 0; i < 50; ++i)
        jobs.push_back({1, [&](unsigned) -> Expected<void> { ++ran; return {}; }});
    pool.add_all(std::move(jobs));
    const auto done = pool.finish();
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().message, "cannot read big.so");
    EXPECT_EQ(ran.load(), 0);
}

TEST(JobPool, FinishTicksWhileJobsRun)
{
    JobPool pool(2);
    std::promise<void> release;
    auto gate = release.get_future().share();
    pool.add(1, [gate](unsigned) -> Expected<void> { gate.wait(); return {}; });
    int ticks = 0;
    const auto done = pool.finish([&] {
        if (++ticks == 3)
            release.set_value();
    }, std::chrono::milliseconds(1));
    ASSERT_TRUE(done);
    EXPECT_GE(ticks, 3);
}

TEST(JobPool, ADestroyedPoolDropsWhatWaits)
{
    std::atomic<int> ran{0};
    {
        JobPool pool(1);
        std::promise<void> release;
        auto gate = release.get_future().share();
        pool.add(10, [gate](unsigned) -> Expected<void> { gate.wait(); return {}; });
        for (int i = 0; i < 5; ++i)
            pool.add(1, [&](unsigned) -> Expected<void> { ++ran; return {}; });
        release.set_value();
    }
    EXPECT_LE(ran.load(), 5);  // whatever had started; no crash, no hang
}

}  // namespace
}  // namespace envpin::store
