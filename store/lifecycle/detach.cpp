#include "store/lifecycle/detach.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <memory>
#include <optional>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/trace.hpp"
#include "store/core/parallel.hpp"
#include "store/lifecycle/observe.hpp"
#include "sys/crash_point.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;

constexpr size_t packed_key_size = 33;

unsigned detach_threads()
{
    static const auto threads = static_cast<unsigned>(setting_or_fallback(detach_threads_setting));
    return threads;
}

std::string pack_object_keys(std::span<const ObjectKey> keys)
{
    std::string packed;
    packed.reserve(keys.size() * packed_key_size);
    for (const auto& key : keys) {
        packed.append(reinterpret_cast<const char*>(key.digest.bytes.data()), key.digest.bytes.size());
        packed.push_back(key.executable ? 'x' : '-');
    }
    return packed;
}

Expected<std::vector<ObjectKey>> unpack_object_keys(std::string_view packed)
{
    if (packed.size() % packed_key_size != 0)
        return fail(ErrorCode::corrupt, "a detach job's object list has {} bytes, not a multiple of {}", packed.size(),
                    packed_key_size);
    std::vector<ObjectKey> keys(packed.size() / packed_key_size);
    for (size_t i = 0; i < keys.size(); ++i) {
        const auto record = packed.substr(i * packed_key_size, packed_key_size);
        std::copy_n(reinterpret_cast<const unsigned char*>(record.data()), 32, keys[i].digest.bytes.begin());
        keys[i].executable = record[32] == 'x';
    }
    return keys;
}

Expected<void> queue_detach(Metadata& metadata, long long environment_id, long long snapshot_id,
                            std::span<const ObjectKey> linked, long long snapshot_files, long long queued_ns)
{
    if (linked.empty())
        return {};
    // Most of a snapshot (an adopt): name the snapshot rather than write megabytes of keys.
    const bool whole = static_cast<long long>(linked.size()) * 2 > snapshot_files;
    ENVPIN_TRY(metadata.queue_detach(environment_id, snapshot_id, whole ? std::string() : pack_object_keys(linked),
                                     queued_ns));
    return {};
}

namespace {

struct Job {
    DetachRecord record;
    std::vector<ObjectKey> keys;
};

Expected<std::vector<Job>> load_jobs(Store& store)
{
    std::vector<Job> jobs;
    for (auto& record : ENVPIN_TRY(store.metadata().pending_detaches())) {
        auto keys = ENVPIN_TRY(unpack_object_keys(record.objects));
        Job job{std::move(record), std::move(keys)};
        if (job.keys.empty()) {
            if (const auto snapshot = ENVPIN_TRY(store.metadata().snapshot(job.record.snapshot_id))) {
                std::unordered_set<ObjectKey, ObjectKeyHash> seen;
                for (const auto& entry : ENVPIN_TRY(store.manifest(*snapshot)).entries)
                    if (entry.kind == EntryKind::file && seen.insert({entry.digest, entry.executable()}).second)
                        job.keys.push_back({entry.digest, entry.executable()});
            }
        }
        jobs.push_back(std::move(job));
    }
    return jobs;
}

// Every object the jobs name, once, in the order they name them.
std::vector<ObjectKey> unique_keys(const std::vector<Job>& jobs)
{
    std::unordered_set<ObjectKey, ObjectKeyHash> unique;
    std::vector<ObjectKey> keys;
    for (const auto& job : jobs)
        for (const auto& key : job.keys)
            if (unique.insert(key).second)
                keys.push_back(key);
    return keys;
}

// The keys' positions, largest object first, so that a big library is not copied alone at the
// end while the other workers have nothing left (objects' sizes read on all cores).
std::vector<size_t> largest_first(const ObjectStore& objects, const std::vector<ObjectKey>& keys)
{
    std::vector<std::pair<long long, size_t>> sized(keys.size());
    (void)parallel_for(keys.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
        const auto stamp = objects.stamp(keys[i]);
        sized[i] = {stamp && *stamp ? (*stamp)->size : 0, i};
        return {};
    });
    std::ranges::sort(sized, std::greater<>());
    std::vector<size_t> order;
    order.reserve(sized.size());
    for (const auto& item : sized)
        order.push_back(item.second);
    return order;
}

// Phase 1, without the store lock: a fresh, hashed copy of every queued object still shared.
Expected<std::vector<ObjectStore::SharedCopy>> copy_shared_objects(const ObjectStore& objects, int staging_fd,
                                                                   const std::vector<ObjectKey>& keys, unsigned threads)
{
    constexpr size_t buffer_size = 1u << 20;
    const unsigned workers = worker_count(threads, keys.size());
    std::vector<std::unique_ptr<char[]>> buffers;
    std::vector<std::unique_ptr<Sha256>> hashers;
    for (unsigned i = 0; i < workers; ++i) {
        buffers.emplace_back(new char[buffer_size]);
        hashers.push_back(std::make_unique<Sha256>());
    }
    const auto order = largest_first(objects, keys);
    std::mutex mutex;
    std::vector<ObjectStore::SharedCopy> copies;
    ENVPIN_TRY(parallel_for(keys.size(), workers, [&](size_t k, unsigned worker) -> Expected<void> {
        const auto& key = keys[order[k]];
        auto copy = ENVPIN_TRY(objects.copy_shared(key, staging_fd, key.staging_name(), *hashers[worker],
                                                   {buffers[worker].get(), buffer_size}));
        if (copy) {
            std::lock_guard lock(mutex);
            copies.push_back(std::move(*copy));
        }
        return {};
    }));
    return copies;
}

struct Applied {
    std::unordered_set<Digest, DigestHash> replaced;  // digests whose objects got a fresh inode
    std::unordered_map<ObjectKey, long long, ObjectKeyHash> bytes;  // per replaced object
    std::vector<ObjectStore::SharedCopy> damaged;
    // The replaced objects' new stamps: their bytes were hashed as they were copied.
    std::vector<std::pair<std::string, StatStamp>> verified;
};

// What happened to one copy (apply_copies).
struct CopyApplied {
    enum { nothing, replaced, damaged } outcome = nothing;
    std::optional<StatStamp> stamp;  // replaced: the object's new stamp
};

Expected<CopyApplied> apply_copy(const ObjectStore& objects, int staging_fd, const ObjectStore::SharedCopy& copy)
{
    CopyApplied result;
    if (!copy.intact) {
        if (ENVPIN_TRY(objects.remove_if_inode(copy)))
            result.outcome = CopyApplied::damaged;
        ::unlinkat(staging_fd, copy.name.c_str(), 0);
        return result;
    }
    if (ENVPIN_TRY(objects.replace_shared(copy, staging_fd))) {
        result.outcome = CopyApplied::replaced;
        result.stamp = ENVPIN_TRY(objects.stamp(copy.key));
        sys::crash_point("detach-replaced");
    }
    return result;
}

// Phase 2, under the store lock: intact copies over their objects, damaged objects' names out,
// on all cores (renames in 256 directories).
Expected<Applied> apply_copies(Store& store, int staging_fd, const std::vector<ObjectStore::SharedCopy>& copies)
{
    std::vector<CopyApplied> results(copies.size());
    ENVPIN_TRY(parallel_for(copies.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
        results[i] = ENVPIN_TRY(apply_copy(store.objects(), staging_fd, copies[i]));
        return {};
    }));
    Applied applied;
    for (size_t i = 0; i < copies.size(); ++i) {
        const auto& copy = copies[i];
        if (results[i].outcome == CopyApplied::damaged)
            applied.damaged.push_back(copy);
        if (results[i].outcome != CopyApplied::replaced)
            continue;
        applied.replaced.insert(copy.key.digest);
        applied.bytes[copy.key] = copy.size;
        if (results[i].stamp)
            applied.verified.emplace_back(copy.key.name(), *results[i].stamp);
    }
    ENVPIN_TRY(store.objects().sync());
    return applied;
}

// The renames dropped a link from each environment file that shared a replaced object, which
// moved its ctime: rows whose file is otherwise the one they were computed for take it. Read
// from the database first (`load`), then the files are seen on all cores (`moved`) while the
// jobs are recorded, then the rows are written (`store`).
struct CacheRefresh {
    long long environment_id = 0;
    std::filesystem::path root;
    StatCache cache;

    static Expected<std::optional<CacheRefresh>> load(Store& store, long long environment_id)
    {
        const auto environment = ENVPIN_TRY(store.metadata().environment_by_id(environment_id));
        if (!environment)
            return std::optional<CacheRefresh>();
        return std::optional<CacheRefresh>(
            CacheRefresh{environment_id, environment->path, ENVPIN_TRY(store.metadata().load_stat_cache(environment_id))});
    }

    // The rows to update (no database: runs beside the record).
    [[nodiscard]] StatCache moved(const Applied& applied) const
    {
        std::vector<std::optional<StatStamp>> seen_now(cache.size());
        (void)parallel_for(cache.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
            const auto& row = cache[i];
            struct ::stat info{};
            if (!applied.replaced.contains(row.hash.digest) || ::lstat((root / row.path).c_str(), &info) != 0)
                return {};
            auto seen = stamp_of(info);
            auto expected = row.hash.stamp;
            expected.ctime_ns = seen.ctime_ns;
            if (seen == expected && seen.ctime_ns != row.hash.stamp.ctime_ns)
                seen_now[i] = seen;
            return {};
        });
        StatCache updates;
        for (size_t i = 0; i < cache.size(); ++i)
            if (seen_now[i])
                updates.push_back({cache[i].path, CachedHash{*seen_now[i], cache[i].hash.digest}});
        return updates;
    }

    // Writes the rows; consumes the cache (a fold rewrites it rather than reading it again).
    [[nodiscard]] Expected<void> store(Store& store, StatCache updates)
    {
        if (updates.empty())
            return {};
        auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database(), Durability::unsynced));
        ENVPIN_TRY(store.metadata().update_stat_cache(environment_id, {std::move(updates), {}}, std::move(cache)));
        return transaction.commit();
    }
};

std::string damage_detail(Store& store, const Job& job)
{
    std::string where = "an environment file";
    if (const auto environment = store.metadata().environment_by_id(job.record.environment_id); environment && *environment)
        where = fmt::format("a file of environment '{}' ({})", (*environment)->name, (*environment)->path.string());
    return fmt::format("its bytes changed while {} shared its inode (a write in place within {:.1f} s of the link); "
                       "the snapshot's bytes are not in the store unless `envpin fsck --repair` finds another copy",
                       where, static_cast<double>(wall_clock_ns() - job.record.queued_ns) / 1e9);
}

// Records each job as finished (the copies counted for the first job that queued them) and
// each damaged object, in one transaction.
Expected<void> finish_jobs(Store& store, std::vector<Job>& jobs, const Applied& applied, DetachOutcome& outcome)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
    const long long now = wall_clock_ns();
    std::unordered_set<ObjectKey, ObjectKeyHash> counted;
    for (auto& job : jobs) {
        job.record.finished_ns = now;
        for (const auto& key : job.keys) {
            if (const auto it = applied.bytes.find(key); it != applied.bytes.end() && counted.insert(key).second) {
                ++job.record.copied;
                job.record.copied_bytes += it->second;
            }
            for (const auto& damaged : applied.damaged)
                if (damaged.key == key && counted.insert(key).second) {
                    ++job.record.damaged;
                    DamagedObject record{key.name(), utc_now(), damage_detail(store, job)};
                    ENVPIN_TRY(store.metadata().record_damaged_object(record));
                    outcome.damaged.push_back(std::move(record));
                }
        }
        ENVPIN_TRY(store.metadata().finish_detach(job.record));
        outcome.copied += job.record.copied;
        outcome.copied_bytes += job.record.copied_bytes;
        outcome.longest_window_ns = std::max(outcome.longest_window_ns, now - job.record.queued_ns);
        ++outcome.jobs;
    }
    ENVPIN_TRY(store.metadata().record_verified(applied.verified));
    return transaction.commit();
}

// The round's end, under the store lock: the jobs recorded as finished while the environments'
// files are seen for their stat caches, then the caches written.
Expected<bool> record_round(Store& writer, std::vector<Job>& jobs, const Applied& applied, DetachOutcome& outcome)
{
    std::vector<CacheRefresh> refreshes;
    if (!applied.replaced.empty()) {
        std::unordered_set<long long> environments;
        for (const auto& job : jobs)
            if (environments.insert(job.record.environment_id).second)
                if (auto refresh = ENVPIN_TRY(CacheRefresh::load(writer, job.record.environment_id)))
                    refreshes.push_back(std::move(*refresh));
    }
    auto seeing = std::async(std::launch::async, [&] {
        return traced("detach: stat cache, files seen (parallel)", [&] {
            std::vector<StatCache> moved;
            for (const auto& refresh : refreshes)
                moved.push_back(refresh.moved(applied));
            return moved;
        });
    });
    auto recorded = traced("detach: record", [&] { return finish_jobs(writer, jobs, applied, outcome); });
    auto moved = seeing.get();
    ENVPIN_TRY(std::move(recorded));
    return traced("detach: stat cache", [&]() -> Expected<bool> {
        for (size_t i = 0; i < refreshes.size(); ++i)
            ENVPIN_TRY(refreshes[i].store(writer, std::move(moved[i])));
        return true;
    });
}

StoreOptions store_options(const fs::path& root, Access access, const DetachOptions& options)
{
    StoreOptions store_options;
    store_options.root = root;
    store_options.access = access;
    store_options.wait = options.wait;
    return store_options;
}

// One round: the jobs pending now, copied, then applied and recorded under the store lock.
// False when there was nothing to do.
Expected<bool> detach_round(const fs::path& root, const DetachOptions& options, DetachOutcome& outcome)
{
    std::vector<Job> jobs;
    std::vector<ObjectStore::SharedCopy> copies;
    sys::UniqueFd staging;
    {
        auto reader = ENVPIN_TRY(Store::open(store_options(root, Access::read, options)));
        jobs = ENVPIN_TRY(load_jobs(reader));
        if (jobs.empty())
            return false;
        const auto keys = unique_keys(jobs);
        staging = ENVPIN_TRY(reader.objects().open_staging(detach_staging));
        ENVPIN_TRY(reader.objects().clear_staging(staging.get()));  // a killed detach's copies
        copies = ENVPIN_TRY(traced("detach: copy shared objects", [&] {
            return copy_shared_objects(reader.objects(), staging.get(), keys, options.threads);
        }));
        ENVPIN_TRY(traced("detach: sync copies", [&] { return reader.objects().sync(); }));
    }
    sys::crash_point("detach-copied");
    auto writer = ENVPIN_TRY(Store::open(store_options(root, Access::write, options)));
    const auto applied = ENVPIN_TRY(traced("detach: replace objects", [&] { return apply_copies(writer, staging.get(), copies); }));
    return record_round(writer, jobs, applied, outcome);
}

}  // namespace

Expected<DetachOutcome> run_detaches(const fs::path& root, const DetachOptions& options)
{
    const auto lock = ENVPIN_TRY(StoreLock::acquire(root / "detach.lock", options.wait));
    DetachOutcome outcome;
    while (ENVPIN_TRY(detach_round(root, options, outcome))) {
    }
    return outcome;
}

}  // namespace envpin::store
