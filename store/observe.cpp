#include "store/observe.hpp"

#include <ctime>

#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "base/trace.hpp"
#include "store/dist_info.hpp"
#include "store/file_hashing.hpp"
#include "store/job_pool.hpp"
#include "store/parallel.hpp"
#include "store/scanner.hpp"

namespace envpin::store {

long long wall_clock_ns()
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

namespace {

// A first snapshot has nothing cached, so the walk hands every file of this size or more (the
// ones the digest reads through mappings) to the hashing workers as soon as it finds it.
constexpr long long early_file_size = 8LL << 20;

// What the walk left to hash: files by index (largest first), and the files it already handed
// over, matched to their rows.
struct HashPlan {
    std::vector<size_t> todo;
    std::vector<std::pair<size_t, EarlyFile*>> early;
    long long files = 0;
    long long bytes = 0;
};

HashPlan plan_hashing(Observation& observation, const StatCache& cache, const EarlyFiles::Index& handed_over)
{
    HashPlan plan;
    auto cached = cache.begin();  // both sorted by path: a merge, no hashing
    for (size_t i = 0; i < observation.manifest.entries.size(); ++i) {
        auto& entry = observation.manifest.entries[i];
        if (entry.kind != EntryKind::file)
            continue;
        while (cached != cache.end() && cached->path < entry.path)
            ++cached;
        if (cached != cache.end() && cached->path == entry.path && stamp_matches(cached->hash.stamp, observation.stamps[i])) {
            entry.digest = cached->hash.digest;
            observation.from_cache[i] = 1;
            continue;
        }
        ++plan.files;
        plan.bytes += entry.size;
        const auto found = entry.size >= early_file_size ? handed_over.find(entry.path) : handed_over.end();
        if (found != handed_over.end())
            plan.early.emplace_back(i, found->second);
        else
            plan.todo.push_back(i);
    }
    return plan;
}

// Moves the early files' results into their rows and stages them; a file written within the
// racy window since is read again like any other.
Expected<void> take_early_files(HashRun& run, const HashPlan& plan, unsigned threads)
{
    auto& observation = run.observation;
    std::vector<size_t> to_stage, to_read_again;
    for (const auto& [index, file] : plan.early) {
        if (!file->hashed || racy(file->stamp, observation.started_ns)) {
            to_read_again.push_back(index);
            continue;
        }
        auto& entry = observation.manifest.entries[index];
        entry.size = file->entry.size;
        entry.mode = file->entry.mode;
        entry.mtime_ns = file->entry.mtime_ns;
        entry.digest = file->entry.digest;
        observation.stamps[index] = file->stamp;
        observation.hashed[index] = 1;
        to_stage.push_back(index);
    }
    if (run.options.ingest != nullptr && !to_stage.empty()) {
        const unsigned workers = worker_count(threads, to_stage.size());
        run.prepare(workers);
        ENVPIN_TRY(parallel_for(to_stage.size(), workers, [&](size_t i, unsigned worker) {
            return run.stage_hashed(to_stage[i], worker);
        }));
    }
    if (to_read_again.empty())
        return {};
    JobPool again(worker_count(threads, to_read_again.size()));
    return hash_all(run, again, to_read_again, static_cast<long long>(to_read_again.size()), 0);
}

}  // namespace

Expected<Observation> observe(int root_fd, const std::filesystem::path& root,
                              const std::function<Expected<StatCache>()>& load_cache, StatCache& cache,
                              const ObserveOptions& options)
{
    auto loading = std::async(std::launch::async, load_cache);
    Observation observation;
    observation.started_ns = wall_clock_ns();  // before any read: the racy rule covers them all
    HashRun run(root_fd, observation, options);
    EarlyFiles early;
    std::optional<JobPool> pool;  // declared last: stopped before what its jobs use goes
    LargeFileHook hook;
    const unsigned all_workers = worker_count(options.threads, std::numeric_limits<size_t>::max());
    // Hashing while walking: a quarter of the cores walk (and then check the tree), the rest
    // hash what the walk hands over; all of them hash once the tree is checked. (On 16 cores, 4
    // walkers take about as long as 16 would beside the hashing, which then loses little.)
    const unsigned walkers = options.hash_while_walking ? std::max(2u, all_workers / 4) : options.threads;
    if (options.hash_while_walking) {
        run.prepare(all_workers);
        pool.emplace(all_workers > walkers ? all_workers - walkers : 1);
        hook = {early_file_size, [&](const ManifestEntry& entry, const StatStamp& stamp) {
                    if (racy(stamp, observation.started_ns))
                        return;  // read after the walk, like the small files
                    auto& file = early.add(entry, stamp);
                    pool->add(entry.size, [&run, &file](unsigned worker) { return run.hash(file.slot(), worker, false); });
                }};
    }
    auto scan = traced("scan", [&] { return scan_tree(root_fd, root, walkers, hook); });
    auto loaded = traced("stat cache load (rest)", [&] { return loading.get(); });
    if (!scan)
        return std::unexpected(std::move(scan.error()));
    if (!loaded)
        return std::unexpected(std::move(loaded.error()));
    cache = std::move(*loaded);
    ENVPIN_TRY_CTX(fmt::format("{} cannot be recorded", root.string()),
                   traced("validate", [&] { return validate_entries(scan->entries, walkers); }));
    if (pool && pool->workers() < all_workers)
        pool->add_workers(all_workers - pool->workers());
    observation.manifest.entries = std::move(scan->entries);
    observation.stamps = std::move(scan->stamps);
    observation.hashed.assign(observation.manifest.entries.size(), 0);
    observation.from_cache.assign(observation.manifest.entries.size(), 0);
    const auto plan = plan_hashing(observation, cache, early.by_path());
    if (!pool)
        pool.emplace(worker_count(options.threads, plan.todo.size()));
    // The dist-info directories are read while the files are hashed: that reads only entries'
    // paths and kinds, hashing writes their sizes, modes, mtimes and digests.
    auto distributions = std::async(std::launch::async, [&] {
        return traced("read distributions (parallel)", [&] { return read_distributions(root, observation.manifest.entries); });
    });
    auto hashed = traced("hash", [&] { return hash_all(run, *pool, plan.todo, plan.files, plan.bytes); });
    if (hashed && !plan.early.empty())
        hashed = traced("stage early files", [&] { return take_early_files(run, plan, options.threads); });
    auto read = distributions.get();
    ENVPIN_TRY(run.collect_staged(std::move(hashed)));
    observation.hashed_files = plan.files;
    observation.hashed_bytes = plan.bytes;
    observation.manifest.distributions = ENVPIN_TRY(std::move(read));
    sort_distributions(observation.manifest.distributions);
    return observation;
}

Expected<void> stage_missing(int root_fd, Observation& observation, ObjectStore& objects, LinkMode mode, unsigned threads)
{
    std::vector<size_t> candidates;
    for (size_t i = 0; i < observation.manifest.entries.size(); ++i) {
        if (observation.manifest.entries[i].kind == EntryKind::file && !observation.hashed[i])
            candidates.push_back(i);
    }
    std::mutex mutex;
    std::vector<size_t> missing;
    ENVPIN_TRY(parallel_for(candidates.size(), threads, [&](size_t i, unsigned) -> Expected<void> {
        const auto& entry = observation.manifest.entries[candidates[i]];
        if (!objects.contains({entry.digest, entry.executable()})) {
            std::lock_guard lock(mutex);
            missing.push_back(candidates[i]);
        }
        return {};
    }));
    if (missing.empty())
        return {};
    // Rare (an object removed behind the store's back): read those files again, as if uncached.
    ObserveOptions options{threads, {}, &objects, mode};
    HashRun run(root_fd, observation, options);
    for (const auto& staged : observation.staged)
        (void)run.claim(staged.key);
    JobPool pool(worker_count(threads, missing.size()));
    return run.collect_staged(hash_all(run, pool, missing, static_cast<long long>(missing.size()), 0));
}

size_t refresh_linked_stamps(Observation& observation)
{
    // Links made while hashing were taken by the workers; only publish's are left.
    std::unordered_map<std::string_view, StatStamp> linked;
    for (const auto& staged : observation.staged) {
        if (staged.method == StagedObject::Method::hardlink && staged.linked.ino != 0)
            linked.emplace(staged.source, staged.linked);
    }
    size_t changed = 0;
    for (size_t i = 0; i < observation.manifest.entries.size() && !linked.empty(); ++i) {
        if (!observation.hashed[i])
            continue;
        const auto found = linked.find(observation.manifest.entries[i].path);
        if (found == linked.end() || found->second == observation.stamps[i])
            continue;
        ++changed;
        take_linked_stamp({observation.manifest.entries[i], observation.stamps[i], observation.hashed[i]}, found->second);
    }
    return changed;
}

StatCache cache_after(const Observation& observation)
{
    StatCache cache;
    cache.reserve(observation.manifest.entries.size());
    for (size_t i = 0; i < observation.manifest.entries.size(); ++i) {
        const auto& entry = observation.manifest.entries[i];
        const bool known = observation.from_cache[i] ||
                           (observation.hashed[i] && !racy(observation.stamps[i], observation.started_ns));
        if (entry.kind == EntryKind::file && known)
            cache.push_back({entry.path, CachedHash{observation.stamps[i], entry.digest}});
    }
    return cache;
}

}  // namespace envpin::store
