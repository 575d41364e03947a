#include "store/observe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <chrono>
#include <deque>
#include <limits>
#include <optional>
#include <ctime>
#include <future>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/trace.hpp"
#include "store/dist_info.hpp"
#include "store/job_pool.hpp"
#include "store/parallel.hpp"
#include "store/scanner.hpp"
#include "sys/file.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {
namespace {

using sys::UniqueFd;
constexpr size_t buffer_size = 1u << 20;  // per worker: the whole of hashing's memory

Error changed(const std::string& path)
{
    return Error{ErrorCode::io, fmt::format("{} changed while it was being recorded; run the command again", path), {}};
}

// Timestamps advance in clock ticks (a few ms); whole-second mtimes suggest a filesystem that
// keeps only seconds.
bool racy(const StatStamp& stamp, long long started_ns)
{
    const long long window = stamp.mtime_ns % 1'000'000'000 == 0 ? 2'000'000'000LL : 50'000'000LL;
    return stamp.mtime_ns >= started_ns - window;
}

bool same_content_stamp(const StatStamp& a, const StatStamp& b)
{
    return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

// Where one file's results go: its row of the observation or, for a file the walk handed over
// before the observation existed, a row of its own, moved in afterwards.
struct FileSlot {
    ManifestEntry& entry;
    StatStamp& stamp;
    char& hashed;
};

// A large file hashed while the walk goes on (see ObserveOptions::hash_while_walking).
struct EarlyFile {
    ManifestEntry entry;
    StatStamp stamp;
    char hashed = 0;
    FileSlot slot() { return {entry, stamp, hashed}; }
};

// The files the walk handed over, in storage that keeps its addresses while it grows.
class EarlyFiles {
public:
    EarlyFile& add(const ManifestEntry& entry, const StatStamp& stamp)
    {
        std::lock_guard lock(mutex_);
        return files_.emplace_back(EarlyFile{entry, stamp});
    }
    using Index = std::unordered_map<std::string_view, EarlyFile*>;
    // After the walk: each file by its path.
    Index by_path()
    {
        std::lock_guard lock(mutex_);
        Index index;
        for (auto& file : files_)
            index.emplace(file.entry.path, &file);
        return index;
    }

private:
    std::mutex mutex_;
    std::deque<EarlyFile> files_;
};

// The link into the store moved the file's ctime: take the new stamp, so that the next snapshot
// does not read the file again; a link that found another inode than the one hashed makes the
// file unknown instead.
void take_linked_stamp(FileSlot slot, const StatStamp& linked)
{
    if (same_content_stamp(linked, slot.stamp))
        slot.stamp = linked;
    else
        slot.hashed = 0;
}

// Per-worker scratch: a read buffer and a hasher, so hashing allocates nothing per file.
struct Scratch {
    std::unique_ptr<char[]> buffer{new char[buffer_size]};
    Sha256 hasher;
    std::span<char> span() { return {buffer.get(), buffer_size}; }
};

// Everything the parallel hashing of one observation shares.
struct HashRun {
    HashRun(int root, Observation& observed, const ObserveOptions& observing)
        : root_fd(root), observation(observed), options(observing)
    {
    }

    int root_fd;
    Observation& observation;
    const ObserveOptions& options;
    std::vector<std::unique_ptr<Scratch>> scratch;
    // The objects claimed for staging, in buckets by the digest's first byte, each under its
    // own lock, so that 16 workers linking 70,000 files rarely wait on each other.
    static constexpr size_t buckets = 64;
    std::array<std::mutex, buckets> claim_locks;
    std::array<std::unordered_set<ObjectKey, ObjectKeyHash>, buckets> claimed;
    std::vector<std::vector<StagedObject>> staged_by_worker;  // moved into observation.staged
    std::atomic<long long> files_done{0};
    std::atomic<long long> bytes_done{0};
    // With ENVPIN_TRACE: the workers' time by step, summed (ns), to see where a run's CPU goes.
    std::atomic<long long> open_ns{0}, read_ns{0}, stage_ns{0}, close_ns{0};
    std::vector<long long> finished_ns;  // per worker, when its last file was done (tracing)

    // Scratch for workers [0, workers); what earlier pools of this run staged is kept.
    void prepare(unsigned workers)
    {
        while (scratch.size() < workers)
            scratch.push_back(std::make_unique<Scratch>());
        if (staged_by_worker.size() < workers)
            staged_by_worker.resize(workers);
        if (finished_ns.size() < workers)
            finished_ns.resize(workers, 0);
    }

    FileSlot slot(size_t index)
    {
        return {observation.manifest.entries[index], observation.stamps[index], observation.hashed[index]};
    }

    // True for the first file with these bytes: it alone goes into the store.
    bool claim(const ObjectKey& key)
    {
        const size_t bucket = key.digest.bytes[0] % buckets;
        std::lock_guard lock(claim_locks[bucket]);
        return claimed[bucket].insert(key).second;
    }

    static long long trace_clock()
    {
        return tracing() ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count()
                         : 0;
    }

    // Opens the slot's file and checks it is still the regular file the walk saw.
    Expected<UniqueFd> open_file(FileSlot slot, struct ::stat& info)
    {
        auto& entry = slot.entry;
        // O_NOATIME: reading must not dirty every inode (relatime updates atime once a file's
        // ctime passes it, which the hardlink into the store does). Only the owner may ask.
        constexpr int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
        UniqueFd fd(::openat(root_fd, entry.path.c_str(), flags | O_NOATIME));
        if (!fd && errno == EPERM)
            fd.reset(::openat(root_fd, entry.path.c_str(), flags));
        if (!fd && (errno == ENOENT || errno == ELOOP))
            return std::unexpected(changed(entry.path));
        if (!fd || ::fstat(fd.get(), &info) != 0)
            return fail(ErrorCode::io, "cannot open {}: {}", entry.path, sys::errno_text(errno));
        if (!S_ISREG(info.st_mode))
            return std::unexpected(changed(entry.path));
        entry.size = info.st_size;  // what is read is what is recorded
        entry.mode = info.st_mode & 07777;
        entry.mtime_ns = stamp_of(info).mtime_ns;
        slot.stamp = stamp_of(info);
        return fd;
    }

    // Reads and hashes the slot's file; stages its object too when `stage_now` (a file handed
    // over by the walk is staged only once the whole tree is known to be recordable).
    Expected<void> hash(FileSlot slot, unsigned worker, bool stage_now)
    {
        auto& entry = slot.entry;
        auto& mine = *scratch[worker];
        struct ::stat info{};
        const long long opening = trace_clock();
        auto fd = ENVPIN_TRY(open_file(slot, info));
        if (info.st_size > static_cast<off_t>(buffer_size))
            ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        const long long reading = trace_clock();
        entry.digest = ENVPIN_TRY(sha256_fd(fd.get(), mine.hasher, mine.span(), entry.path, info.st_size));
        struct ::stat after{};
        // Content changes move mtime or size. ctime alone also moves when another link to the
        // inode is made or removed (the store's own link, a reset's old tree being removed), so
        // it does not make the bytes just hashed untrustworthy.
        if (::fstat(fd.get(), &after) != 0 || !same_content_stamp(stamp_of(after), stamp_of(info)))
            return std::unexpected(changed(entry.path));
        const long long staging = trace_clock();
        if (tracing() && info.st_size >= (256LL << 20))
            trace_note(fmt::format("hashed {} ({} MB) in {} ms", entry.path, info.st_size >> 20, (staging - reading) / 1'000'000));
        slot.hashed = 1;
        files_done.fetch_add(1, std::memory_order_relaxed);
        bytes_done.fetch_add(info.st_size, std::memory_order_relaxed);
        if (options.ingest != nullptr && stage_now)
            ENVPIN_TRY(stage(slot, fd.get(), worker));
        const long long closing = trace_clock();
        fd.reset();
        if (tracing()) {
            open_ns += reading - opening;
            read_ns += staging - reading;
            stage_ns += closing - staging;
            finished_ns[worker] = trace_clock();
            close_ns += finished_ns[worker] - closing;
        }
        return {};
    }

    // Stages a file hashed earlier in this run, opened again: it must still be the inode, size
    // and mtime that were hashed.
    Expected<void> stage_hashed(size_t index, unsigned worker)
    {
        const StatStamp hashed_as = observation.stamps[index];
        struct ::stat info{};
        auto fd = ENVPIN_TRY(open_file(slot(index), info));
        if (!same_content_stamp(observation.stamps[index], hashed_as))
            return std::unexpected(changed(observation.manifest.entries[index].path));
        return stage(slot(index), fd.get(), worker);
    }

    Expected<void> stage(FileSlot slot, int fd, unsigned worker)
    {
        const auto& entry = slot.entry;
        const ObjectKey key{entry.digest, entry.executable()};
        if (!claim(key))
            return {};  // another file with these bytes is already on its way in
        // A copy or clone is skipped when the object exists; a hardlink just meets EEXIST at
        // publish, which costs less than asking first.
        if (options.mode != LinkMode::hardlink && options.ingest->contains(key))
            return {};
        const auto& stamp = slot.stamp;
        if (options.mode == LinkMode::hardlink && options.synced_at_ns != 0 && !racy(stamp, options.synced_at_ns)) {
            if (auto linked = ENVPIN_TRY(options.ingest->link_durable(fd, entry.path, key, stamp))) {
                if (linked->linked.ino != 0)  // zero: the object existed, no link was made
                    take_linked_stamp(slot, linked->linked);
                staged_by_worker[worker].push_back(std::move(*linked));
                return {};
            }
        }
        staged_by_worker[worker].push_back(
            ENVPIN_TRY(options.ingest->stage(fd, entry.path, key, stamp, options.mode, scratch[worker]->span())));
        return {};
    }

    // Moves what the workers staged into the observation; on failure, drops it instead.
    template <typename T>
    Expected<T> collect_staged(Expected<T> done)
    {
        for (auto& staged : staged_by_worker)
            std::ranges::move(staged, std::back_inserter(observation.staged));
        staged_by_worker.clear();
        if (!done && options.ingest != nullptr)
            options.ingest->discard(observation.staged);
        return done;
    }
};

// Hands `todo` to `pool` (largest first) and waits for it to drain, the walk's early files
// included.
Expected<void> hash_all(HashRun& run, JobPool& pool, const std::vector<size_t>& todo, long long files_total,
                        long long bytes_total)
{
    run.prepare(pool.workers());
    const long long began = HashRun::trace_clock();
    std::vector<JobPool::Sized> jobs;
    jobs.reserve(todo.size());
    for (const size_t index : todo)
        jobs.push_back({run.observation.manifest.entries[index].size,
                        [&run, index](unsigned worker) { return run.hash(run.slot(index), worker, true); }});
    pool.add_all(std::move(jobs));
    auto tick = [&] {
        if (run.options.progress)
            run.options.progress({"hashing", run.files_done.load(), files_total, run.bytes_done.load(), bytes_total});
    };
    auto done = pool.finish(tick);
    if (tracing()) {
        trace_note(fmt::format("{} files on {} workers: open {:.2f} s, read and hash {:.2f} s, stage {:.2f} s, close {:.2f} s of CPU",
                               run.files_done.load(), pool.workers(), run.open_ns / 1e9, run.read_ns / 1e9,
                               run.stage_ns / 1e9, run.close_ns / 1e9));
        std::erase(run.finished_ns, 0);
        if (!run.finished_ns.empty()) {
            const auto [first, last] = std::ranges::minmax(run.finished_ns);
            trace_note(fmt::format("workers ran out of files {:.1f} to {:.1f} ms after the files were handed over",
                                   (first - began) / 1e6, (last - began) / 1e6));
        }
    }
    return done;
}

}  // namespace

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
