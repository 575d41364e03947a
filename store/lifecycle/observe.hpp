#pragma once
// Observing an environment: walk it, take each file's sha256 from the stat cache when its stat
// stamp is unchanged, hash the rest in parallel (streaming, bounded memory), and, for a
// snapshot, stage the contents the object store lacks. Shared by snapshot and status.
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "store/core/metadata.hpp"
#include "store/core/manifest.hpp"
#include "store/core/object_store.hpp"

namespace envpin::store {

struct Progress {
    std::string_view phase;  // "hashing"
    long long files_done = 0;
    long long files_total = 0;
    long long bytes_done = 0;
    long long bytes_total = 0;
};
using ProgressCallback = std::function<void(const Progress&)>;

struct ObserveOptions {
    unsigned threads = 0;  // 0: all cores
    ProgressCallback progress;
    ObjectStore* ingest = nullptr;  // when set, stage hashed contents the store lacks
    LinkMode mode = LinkMode::copy; // effective mode for staging
    // Linking modes (hardlink, link_then_copy): when the filesystem was synced at this wall-clock time (ns), files last
    // written before it are linked into place while they are hashed (ObjectStore::link_durable).
    long long synced_at_ns = 0;
    // Files under 8 MB are hashed sixteen at a time (FileLanes) where the CPU runs AVX-512;
    // false hashes every file alone, as on other CPUs.
    bool lanes = true;
    // Called once the stat cache has told which files changed, before any is hashed: the paths
    // of files new or changed since the cache was written, and of files it had that are gone
    // (a cache that lacks some files names them too). A reset starts reading the target's parts
    // they fall in while the rest of its pre-reset snapshot goes on.
    std::function<void(const std::vector<std::string>& paths)> on_changed_paths;
};

struct Observation {
    Manifest manifest;              // sorted; digests set; distributions read from dist-info
    std::vector<StatStamp> stamps;  // parallel to manifest.entries
    std::vector<char> hashed;       // parallel: 1 where the file was read in this run
    std::vector<char> from_cache;   // parallel: 1 where the sha256 came from the stat cache
    std::vector<StagedObject> staged;
    long long hashed_files = 0;
    long long hashed_bytes = 0;
    long long started_ns = 0;  // wall clock when hashing began (see cache_after)
    LinkMode link_mode = LinkMode::copy;  // how contents were staged: the options' mode, or copy
                                          // where link_then_copy had few bytes (for_bytes)
};

// CLOCK_REALTIME in nanoseconds, the clock file timestamps follow.
[[nodiscard]] long long wall_clock_ns();

// Whether a file with this stamp was written too close to `started_ns` (when its reading began)
// for its stamp to tell a later write within the same clock tick: such a file gets no stat cache
// row and is never linked while it is hashed.
[[nodiscard]] bool racy(const StatStamp& stamp, long long started_ns);

// bad_input for a tree a snapshot must not record (special files, setuid bits); io naming the
// file when one cannot be read or changes while it is read.
// The stat cache is read by `load_cache` on another thread while the tree is walked (reading
// 70,000 rows costs about as much as a third of the walk) and left in `cache` for the caller.
// No file is hashed (or staged) before `load_cache` has returned, so it may also prepare the
// store for linking.
[[nodiscard]] Expected<Observation> observe(int root_fd, const std::filesystem::path& root,
                                            const std::function<Expected<StatCache>()>& load_cache,
                                            StatCache& cache, const ObserveOptions& options);

// The entries (indexes) of files taken from the cache whose objects the store lacks, asked on
// all cores; reads nothing but the store's names.
[[nodiscard]] Expected<std::vector<size_t>> find_missing(const Observation& observation, const ObjectStore& objects,
                                                         unsigned threads);
// Stages those files' objects (re-reading and re-checking the files, whose digests may change),
// so that a snapshot never refers to a missing object.
[[nodiscard]] Expected<void> stage_missing(int root_fd, Observation& observation, ObjectStore& objects,
                                           LinkMode mode, unsigned threads, const std::vector<size_t>& missing);

// After publish(): files whose inode it linked into the store got a new ctime from the link;
// take it (publish read it), so that the next snapshot does not read them again. (Links made
// while hashing are taken by the hashing workers.) Returns how many files it changed.
size_t refresh_linked_stamps(Observation& observation);

// The stat cache as this observation leaves it: a row for every file whose sha256 came from the
// cache or was read in this run. A file modified just before it was read is left out ("racy", as
// in git): a second write within the filesystem's timestamp granularity would leave its stamp
// unchanged, so it is read again next time. Paths that are no longer files have no row.
// The walk's entries against the stat cache, a merge of two sorted lists in slices on all
// cores: each file the cache vouches for takes its digest and `from_cache`; the others must
// be read (`todo`, with their bytes); when asked, `gone` lists the cached files the walk did
// not find as files (so a caller learns what changed before any file is read).
struct CacheMatch {
    std::vector<size_t> todo;
    long long bytes = 0;
    std::vector<std::string> gone;
};
[[nodiscard]] CacheMatch match_cache(Observation& observation, const StatCache& cache, bool list_gone, unsigned threads);

[[nodiscard]] StatCache cache_after(const Observation& observation);

// cache_after(observation)'s rows that differ from `before` (diff_rows), without building it: a
// snapshot that hashed one file copies one path, not 70,000. Both in observed_cache.cpp.
[[nodiscard]] StatCacheDelta cache_delta(const StatCache& before, const Observation& observation);

}  // namespace envpin::store
