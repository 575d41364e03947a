#include "store/lifecycle/observe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <chrono>
#include <ctime>
#include <future>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/trace.hpp"
#include "store/lifecycle/dist_info.hpp"
#include "store/core/file_lanes.hpp"
#include "store/core/parallel.hpp"
#include "store/lifecycle/scanner.hpp"
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

bool same_content_stamp(const StatStamp& a, const StatStamp& b)
{
    return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

// The link into the store moved the file's ctime: take the new stamp, so that the next snapshot
// does not read the file again; a link that found another inode than the one hashed makes the
// file unknown instead.
void take_linked_stamp(Observation& observation, size_t index, const StatStamp& linked)
{
    if (same_content_stamp(linked, observation.stamps[index]))
        observation.stamps[index] = linked;
    else
        observation.hashed[index] = 0;
}

// Files from this size on are hashed one at a time (OpenSSL, through mappings: sha256_fd), where
// one stream's speed matters; smaller ones go sixteen at a time through FileLanes where the CPU
// allows it. On the H200 machines' 7.6 GB environment 99.9% of the files are below it.
constexpr long long lane_limit = 8LL << 20;

// A file waiting in a hashing lane, with what its hashing started from.
struct HeldFile {
    size_t index = 0;
    UniqueFd fd;
    struct ::stat info{};
};

// Per-worker scratch: a read buffer, a hasher and the lanes, so hashing allocates nothing per
// file.
struct Scratch {
    explicit Scratch(bool with_lanes) : lanes(with_lanes ? std::make_unique<FileLanes>() : nullptr) {}
    std::unique_ptr<char[]> buffer{new char[buffer_size]};
    Sha256 hasher;
    std::unique_ptr<FileLanes> lanes;  // null: every file is hashed alone
    std::array<HeldFile, Sha256Lanes::width> held;  // by lane
    std::span<char> span() { return {buffer.get(), buffer_size}; }
};

// Everything the parallel hashing of one observation shares.
struct HashRun {
    int root_fd;
    Observation& observation;
    const ObserveOptions& options;
    std::vector<std::unique_ptr<Scratch>> scratch;
    // The objects claimed for staging, in buckets by the digest's first byte, each under its
    // own lock, so that 16 workers linking 70,000 files rarely wait on each other.
    static constexpr size_t buckets = 64;
    std::array<std::mutex, buckets> claim_locks;
    std::array<std::unordered_set<ObjectKey, ObjectKeyHash>, buckets> claimed;
    std::vector<std::vector<StagedObject>> staged_by_worker;  // merged into observation.staged

    // True for the first file with these bytes: it alone goes into the store.
    bool claim(const ObjectKey& key)
    {
        const size_t bucket = key.digest.bytes[0] % buckets;
        std::lock_guard lock(claim_locks[bucket]);
        return claimed[bucket].insert(key).second;
    }
    std::atomic<long long> files_done{0};
    std::atomic<long long> bytes_done{0};
    // With ENVPIN_TRACE: the workers' time by step, summed (ns), to see where a run's CPU goes.
    std::atomic<long long> open_ns{0}, read_ns{0}, stage_ns{0}, close_ns{0};
    std::vector<long long> finished_ns;  // per worker, when its last file was done (tracing)

    static long long trace_clock()
    {
        return tracing() ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count()
                         : 0;
    }

    // Opens the entry's file and checks it is still the regular file the walk saw.
    Expected<UniqueFd> open_file(size_t index, struct ::stat& info)
    {
        auto& entry = observation.manifest.entries[index];
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
        observation.stamps[index] = stamp_of(info);
        return fd;
    }

    // Hashes one file alone, start to end.
    Expected<void> hash(size_t index, unsigned worker)
    {
        auto& entry = observation.manifest.entries[index];
        auto& mine = *scratch[worker];
        struct ::stat info{};
        const long long opening = trace_clock();
        auto fd = ENVPIN_TRY(open_file(index, info));
        if (info.st_size > static_cast<off_t>(buffer_size))
            ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        const long long reading = trace_clock();
        entry.digest = ENVPIN_TRY(sha256_fd(fd.get(), mine.hasher, mine.span(), entry.path, info.st_size));
        if (tracing()) {
            const long long hashed = trace_clock();
            if (info.st_size >= (256LL << 20))
                trace_note(fmt::format("hashed {} ({} MB) in {} ms", entry.path, info.st_size >> 20, (hashed - reading) / 1'000'000));
            open_ns += reading - opening;
            read_ns += hashed - reading;
        }
        return settle(index, std::move(fd), info, worker);
    }

    // Small files wait in the worker's lanes and are hashed together once all lanes are taken
    // (or by finish_held); the rest are hashed at once.
    Expected<void> hash_or_hold(size_t index, unsigned worker)
    {
        auto& mine = *scratch[worker];
        if (!mine.lanes || observation.manifest.entries[index].size >= lane_limit)
            return hash(index, worker);
        struct ::stat info{};
        const long long opening = trace_clock();
        auto fd = ENVPIN_TRY(open_file(index, info));
        if (tracing())
            open_ns += trace_clock() - opening;
        const size_t lane = mine.lanes->add(fd.get(), info.st_size);
        mine.held[lane] = HeldFile{index, std::move(fd), info};
        while (mine.lanes->full())
            ENVPIN_TRY(step_lanes(worker));
        return {};
    }

    Expected<void> finish_held(unsigned worker)
    {
        auto& mine = *scratch[worker];
        while (mine.lanes && !mine.lanes->idle())
            ENVPIN_TRY(step_lanes(worker, true));
        return {};
    }

    // Hashes the worker's lanes until files finish, then settles those. `draining`: no file
    // will be added (FileLanes::drain).
    Expected<void> step_lanes(unsigned worker, bool draining = false)
    {
        auto& mine = *scratch[worker];
        const long long reading = trace_clock();
        const auto finished = draining ? mine.lanes->drain() : mine.lanes->step();
        if (tracing())
            read_ns += trace_clock() - reading;
        for (const auto& done : finished) {
            HeldFile held = std::move(mine.held[done.lane]);
            auto& entry = observation.manifest.entries[held.index];
            if (done.error < 0)
                return std::unexpected(changed(entry.path));  // it ended before its size
            if (done.error > 0)
                return fail(ErrorCode::io, "cannot read {}: {}", entry.path, sys::errno_text(done.error));
            entry.digest = done.digest;
            ENVPIN_TRY(settle(held.index, std::move(held.fd), held.info, worker));
        }
        return {};
    }

    // A file's bytes are hashed: checks that it did not change meanwhile, records it and stages
    // its contents.
    Expected<void> settle(size_t index, UniqueFd fd, const struct ::stat& info, unsigned worker)
    {
        auto& entry = observation.manifest.entries[index];
        const long long checking = trace_clock();
        struct ::stat after{};
        // Content changes move mtime or size. ctime alone also moves when another link to the
        // inode is made or removed (the store's own link, a reset's old tree being removed), so
        // it does not make the bytes just hashed untrustworthy.
        if (::fstat(fd.get(), &after) != 0 || !same_content_stamp(stamp_of(after), stamp_of(info)))
            return std::unexpected(changed(entry.path));
        const long long staging = trace_clock();
        observation.hashed[index] = 1;
        files_done.fetch_add(1, std::memory_order_relaxed);
        bytes_done.fetch_add(info.st_size, std::memory_order_relaxed);
        if (options.ingest != nullptr)
            ENVPIN_TRY(stage(index, fd.get(), worker));
        const long long closing = trace_clock();
        fd.reset();
        if (tracing()) {
            read_ns += staging - checking;
            stage_ns += closing - staging;
            finished_ns[worker] = trace_clock();
            close_ns += finished_ns[worker] - closing;
        }
        return {};
    }

    Expected<void> stage(size_t index, int fd, unsigned worker)
    {
        const auto& entry = observation.manifest.entries[index];
        const ObjectKey key{entry.digest, entry.executable()};
        if (!claim(key))
            return {};  // another file with these bytes is already on its way in
        // A copy or clone is skipped when the object exists; a hardlink just meets EEXIST at
        // publish, which costs less than asking first.
        if (!links(options.mode) && options.ingest->contains(key))
            return {};
        const auto& stamp = observation.stamps[index];
        if (links(options.mode) && options.synced_at_ns != 0 && !racy(stamp, options.synced_at_ns)) {
            if (auto linked = ENVPIN_TRY(options.ingest->link_durable(fd, entry.path, key, stamp))) {
                if (linked->linked.ino != 0)  // zero: the object existed, no link was made
                    take_linked_stamp(observation, index, linked->linked);
                staged_by_worker[worker].push_back(std::move(*linked));
                return {};
            }
        }
        staged_by_worker[worker].push_back(
            ENVPIN_TRY(options.ingest->stage(fd, entry.path, key, stamp, options.mode, scratch[worker]->span())));
        return {};
    }
};

Expected<void> hash_all(HashRun& run, const std::vector<size_t>& todo, long long bytes_total)
{
    const unsigned workers = worker_count(run.options.threads, todo.size());
    const bool lanes = run.options.lanes && Sha256Lanes::supported();
    for (unsigned i = 0; i < workers; ++i)
        run.scratch.push_back(std::make_unique<Scratch>(lanes));
    run.staged_by_worker.resize(workers);
    run.finished_ns.assign(workers, 0);
    const long long began = HashRun::trace_clock();
    auto tick = [&] {
        if (run.options.progress)
            run.options.progress({"hashing", run.files_done.load(), static_cast<long long>(todo.size()),
                                  run.bytes_done.load(), bytes_total});
    };
    auto done = parallel_for_held(
        todo.size(), workers, [&](size_t i, unsigned worker) { return run.hash_or_hold(todo[i], worker); },
        [&](unsigned worker) { return run.finish_held(worker); }, tick);
    // Each worker's objects are moved to their place on its own core (one core moving 70,000
    // into a growing vector took 17 ms on the H200 machines).
    std::vector<size_t> offsets{run.observation.staged.size()};
    for (const auto& staged : run.staged_by_worker)
        offsets.push_back(offsets.back() + staged.size());
    run.observation.staged.resize(offsets.back());
    (void)parallel_for(workers, workers, [&](size_t worker, unsigned) -> Expected<void> {
        std::ranges::move(run.staged_by_worker[worker], run.observation.staged.begin() + static_cast<long>(offsets[worker]));
        return {};
    });
    run.staged_by_worker.clear();
    if (tracing()) {
        trace_note(fmt::format("{} files on {} workers{}: open {:.2f} s, read and hash {:.2f} s, stage {:.2f} s, close {:.2f} s of CPU",
                               todo.size(), workers, lanes ? " (small files in 16 lanes each)" : "", run.open_ns / 1e9, run.read_ns / 1e9, run.stage_ns / 1e9, run.close_ns / 1e9));
        std::erase(run.finished_ns, 0);  // workers that found no file
        if (!run.finished_ns.empty()) {
            const auto [first, last] = std::ranges::minmax(run.finished_ns);
            trace_note(fmt::format("workers ran out of files {:.1f} to {:.1f} ms after hashing began",
                                   (first - began) / 1e6, (last - began) / 1e6));
        }
    }
    if (!done && run.options.ingest != nullptr)
        run.options.ingest->discard(run.observation.staged);
    return done;
}

}  // namespace

bool racy(const StatStamp& stamp, long long started_ns)
{
    // Timestamps advance in clock ticks (a few ms); whole-second mtimes suggest a filesystem
    // that keeps only seconds.
    const long long window = stamp.mtime_ns % 1'000'000'000 == 0 ? 2'000'000'000LL : 50'000'000LL;
    return stamp.mtime_ns >= started_ns - window;
}

long long wall_clock_ns()
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

namespace {

Expected<Observation> observe_scanned(int root_fd, const std::filesystem::path& root, Scan scan,
                                      const StatCache& cache, const ObserveOptions& options)
{
    Observation observation;
    observation.manifest.entries = std::move(scan.entries);
    // The dist-info directories are read while the rest runs: that reads only entries' paths
    // and kinds; matching the cache and hashing write their sizes, modes, mtimes and digests.
    auto distributions = std::async(std::launch::async, [&] {
        return traced("read distributions (parallel)", [&] { return read_distributions(root, observation.manifest.entries); });
    });
    ENVPIN_TRY_CTX(fmt::format("{} cannot be recorded", root.string()),
                   traced("validate", [&] { return validate_entries(observation.manifest.entries); }));
    observation.stamps = std::move(scan.stamps);
    observation.hashed.assign(observation.manifest.entries.size(), 0);
    observation.from_cache.assign(observation.manifest.entries.size(), 0);
    auto [todo, bytes_total, gone] = traced("match stat cache", [&] {
        return match_cache(observation, cache, static_cast<bool>(options.on_changed_paths), options.threads);
    });
    if (options.on_changed_paths) {
        for (const size_t i : todo)
            gone.push_back(observation.manifest.entries[i].path);
        options.on_changed_paths(gone);
    }
    // Largest first, so that a few huge files do not leave one core hashing alone at the end.
    // Sorted as (size, index) pairs: comparing through the entries missed the cache at every step.
    std::vector<std::pair<long long, size_t>> by_size;
    by_size.reserve(todo.size());
    for (const size_t i : todo)
        by_size.emplace_back(observation.manifest.entries[i].size, i);
    std::ranges::sort(by_size, std::greater<>());
    for (size_t k = 0; k < todo.size(); ++k)
        todo[k] = by_size[k].second;
    // Few new bytes: copied at once rather than linked and copied in the background.
    ObserveOptions staging = options;
    staging.mode = for_bytes(options.mode, bytes_total);
    observation.link_mode = staging.mode;
    HashRun run{root_fd, observation, staging, {}, {}, {}, {}, {}, {}};
    observation.started_ns = wall_clock_ns();
    auto hashed = traced("hash", [&] { return hash_all(run, todo, bytes_total); });
    auto read = distributions.get();
    if (!hashed)
        return std::unexpected(std::move(hashed.error()));
    observation.hashed_files = static_cast<long long>(todo.size());
    observation.hashed_bytes = bytes_total;
    observation.manifest.distributions = ENVPIN_TRY(std::move(read));
    sort_distributions(observation.manifest.distributions);
    return observation;
}

}  // namespace

Expected<Observation> observe(int root_fd, const std::filesystem::path& root,
                              const std::function<Expected<StatCache>()>& load_cache, StatCache& cache,
                              const ObserveOptions& options)
{
    auto loading = std::async(std::launch::async, load_cache);
    auto scan = traced("scan", [&] { return scan_tree(root_fd, root, options.threads); });
    auto loaded = traced("stat cache load (rest)", [&] { return loading.get(); });
    if (!scan)
        return std::unexpected(std::move(scan.error()));
    if (!loaded)
        return std::unexpected(std::move(loaded.error()));
    cache = std::move(*loaded);
    return observe_scanned(root_fd, root, std::move(*scan), cache, options);
}

Expected<std::vector<size_t>> find_missing(const Observation& observation, const ObjectStore& objects, unsigned threads)
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
    return missing;
}

Expected<void> stage_missing(int root_fd, Observation& observation, ObjectStore& objects, LinkMode mode, unsigned threads,
                             const std::vector<size_t>& missing)
{
    if (missing.empty())
        return {};
    // Rare (an object removed behind the store's back): read those files again, as if uncached.
    ObserveOptions options{threads, {}, &objects, mode};
    HashRun run{root_fd, observation, options, {}, {}, {}, {}, {}, {}};
    for (const auto& staged : observation.staged)
        (void)run.claim(staged.key);
    return hash_all(run, missing, 0);
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
        take_linked_stamp(observation, i, found->second);
    }
    return changed;
}

}  // namespace envpin::store
