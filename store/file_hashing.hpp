#pragma once
// Inside the store: the parallel hashing behind observe(). One file's open-hash-stage step
// (HashRun), the large files a first snapshot's walk hands over before the walk ends
// (EarlyFiles), and hash_all, which feeds a JobPool largest first.
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.hpp"
#include "base/trace.hpp"
#include "store/digest.hpp"
#include "store/job_pool.hpp"
#include "store/observe.hpp"
#include "sys/unique_fd.hpp"

namespace envpin::store {

constexpr size_t buffer_size = 1u << 20;  // per worker: the whole of hashing's memory

// io: PATH changed while it was being recorded.
[[nodiscard]] Error changed(const std::string& path);

// A file written this close to `started_ns` (or after it) may be written again within the
// filesystem's timestamp granularity without its stamp moving ("racy", as in git).
// Timestamps advance in clock ticks (a few ms); whole-second mtimes suggest a filesystem that
// keeps only seconds.
[[nodiscard]] bool racy(const StatStamp& stamp, long long started_ns);

// Same inode, size and mtime: the same bytes as when the stamp was taken.
[[nodiscard]] bool same_content_stamp(const StatStamp& a, const StatStamp& b);

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
void take_linked_stamp(FileSlot slot, const StatStamp& linked);

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
    Expected<sys::UniqueFd> open_file(FileSlot slot, struct ::stat& info);

    // Reads and hashes the slot's file; stages its object too when `stage_now` (a file handed
    // over by the walk is staged only once the whole tree is known to be recordable).
    Expected<void> hash(FileSlot slot, unsigned worker, bool stage_now);

    // Stages a file hashed earlier in this run, opened again: it must still be the inode, size
    // and mtime that were hashed.
    Expected<void> stage_hashed(size_t index, unsigned worker);

    Expected<void> stage(FileSlot slot, int fd, unsigned worker);

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
                        long long bytes_total);

}  // namespace envpin::store
