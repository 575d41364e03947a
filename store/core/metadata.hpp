#pragma once
// The store's metadata database (envpin.db): a versioned schema and typed queries over it.
// SQL lives here and in metadata_runs.cpp, metadata_detach.cpp and metadata_removal.cpp; the handles themselves live in database.cpp.
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "store/core/database.hpp"
#include "store/core/manifest.hpp"
#include "store/core/records.hpp"
#include "store/core/stat_cache.hpp"

namespace envpin::store {

// Overlay rows beyond which a stat cache update rewrites the whole value (when they are also
// more than a quarter of its rows).
inline constexpr size_t stat_cache_overlay_limit = 4096;

// Schema version this build writes; older databases are migrated on open, newer ones refused.
inline constexpr long long schema_version = 7;

// Object name ("ab/cdef...") -> the stamp (inode, size, mtime, ctime; dev unset) the object had
// when its bytes were last verified.
using VerifiedStamps = std::unordered_map<std::string, StatStamp>;

class Metadata {
public:
    // Opens (or with OpenMode::create, creates) envpin.db and migrates it to schema_version.
    [[nodiscard]] static Expected<Metadata> open(const std::filesystem::path& path, OpenMode mode);

    [[nodiscard]] Database& database() { return database_; }

    // --- Environments ---
    [[nodiscard]] Expected<std::optional<Environment>> find_environment(std::string_view name);
    [[nodiscard]] Expected<std::optional<Environment>> find_environment_by_path(const std::filesystem::path& path);
    [[nodiscard]] Expected<std::optional<Environment>> environment_by_id(long long id);
    [[nodiscard]] Expected<std::vector<Environment>> environments();
    [[nodiscard]] Expected<long long> insert_environment(const Environment& environment);
    [[nodiscard]] Expected<void> set_current_snapshot(long long environment_id, long long snapshot_id);
    // `envpin forget`: stop managing the environment, keeping its snapshots (a no-op when it is
    // forgotten already); its directory can then be adopted again.
    [[nodiscard]] Expected<void> forget_environment(const Environment& environment);
    // --- Removal (metadata_removal.cpp) ---
    // `envpin forget --purge`: the environment's rows and those of its snapshots, in one
    // transaction; returns how many snapshots went.
    [[nodiscard]] Expected<size_t> delete_environment(long long environment_id);
    // `envpin prune`: the rows of `dropped` (snapshots of `environment`, oldest first; their
    // distributions and runs by cascade), their commits recorded as pruned, in one transaction.
    [[nodiscard]] Expected<void> prune_snapshots(const Environment& environment,
                                                 const std::vector<SnapshotInfo>& dropped);
    // Commits of pruned snapshots: manifests.git still holds them; nothing keeps their objects.
    [[nodiscard]] Expected<std::unordered_set<std::string>> pruned_commits();

    // --- Snapshots and their distributions ---
    [[nodiscard]] Expected<std::vector<SnapshotInfo>> snapshots(long long environment_id);  // by seq
    [[nodiscard]] Expected<std::vector<SnapshotInfo>> all_snapshots();
    [[nodiscard]] Expected<std::optional<SnapshotInfo>> snapshot(long long snapshot_id);
    [[nodiscard]] Expected<std::vector<SnapshotInfo>> snapshots_by_commit_prefix(std::string_view prefix);
    // Assigns the next seq of the environment; returns the stored row.
    [[nodiscard]] Expected<SnapshotInfo> insert_snapshot(const NewSnapshot& snapshot);
    [[nodiscard]] Expected<void> insert_distributions(long long snapshot_id, const std::vector<Distribution>& distributions);
    [[nodiscard]] Expected<std::vector<Distribution>> distributions(long long snapshot_id);

    // --- Stat cache (path -> stat stamp -> sha256), per environment, sorted by path ---
    // Empty when the environment has none (or it is damaged: a cache only saves hashing).
    [[nodiscard]] Expected<StatCache> load_stat_cache(long long environment_id);
    // Writes the environment's whole cache (one packed value; the overlay is cleared).
    [[nodiscard]] Expected<void> replace_stat_cache(long long environment_id, const StatCache& cache);
    [[nodiscard]] Expected<void> replace_stat_cache(long long environment_id, const PackedStatCache& packed);
    // Puts a few changed rows in the overlay (stat_cache.hpp), folding it into the value once it
    // passes stat_cache_overlay_limit rows and a quarter of the value's.
    // A caller holding the whole cache as load_stat_cache gave it under the store lock passes it
    // as `whole`: a fold then writes it with the delta on top instead of reading it again.
    [[nodiscard]] Expected<void> update_stat_cache(long long environment_id, const StatCacheDelta& delta,
                                                   std::optional<StatCache> whole = std::nullopt);

    // --- Verification runs (metadata_runs.cpp); what they mean: store/lifecycle/verdicts.hpp ---
    [[nodiscard]] Expected<long long> record_verify_run(const VerifyRunRecord& run);
    // Every run of the environment's snapshots on `fingerprint` (any fingerprint when nullopt),
    // oldest first, without their checks.
    [[nodiscard]] Expected<std::vector<VerifyRun>> verify_runs(long long environment_id,
                                                               const std::optional<std::string>& fingerprint);
    // One run with its checks; nullopt when there is no run `run_id`.
    [[nodiscard]] Expected<std::optional<VerifyRun>> verify_run(long long run_id);

    // --- Objects whose bytes were verified (metadata_objects.cpp) ---
    // Every write to a file moves its ctime, which no program can set back: an object whose
    // stamp is the one recorded when its bytes were hashed still holds those bytes (bit rot
    // below the filesystem aside: fsck re-reads everything). Restores read only objects
    // without a matching stamp (store/lifecycle/tree_builder.hpp).
    [[nodiscard]] Expected<VerifiedStamps> verified_stamps(const std::vector<std::string>& objects);
    [[nodiscard]] Expected<void> record_verified(const std::vector<std::pair<std::string, StatStamp>>& verified);

    // --- The background detach of link-then-copy (metadata_detach.cpp) ---
    // Queues the objects (packed keys, store/lifecycle/detach.hpp; empty: every object of the
    // snapshot) that `snapshot_id`'s operation linked at `queued_ns`. Inside the caller's
    // transaction, so a committed snapshot or reset always has its detach queued.
    [[nodiscard]] Expected<long long> queue_detach(long long environment_id, long long snapshot_id,
                                                   std::string_view packed_objects, long long queued_ns);
    [[nodiscard]] Expected<std::vector<DetachRecord>> pending_detaches();
    [[nodiscard]] Expected<void> finish_detach(const DetachRecord& finished);
    // The environment's newest detach, pending or finished; nullopt when it never had one.
    [[nodiscard]] Expected<std::optional<DetachRecord>> latest_detach(long long environment_id);
    [[nodiscard]] Expected<void> record_damaged_object(const DamagedObject& damaged);
    [[nodiscard]] Expected<std::vector<DamagedObject>> damaged_objects();
    [[nodiscard]] Expected<void> forget_damaged_object(std::string_view object);

    // --- Journal of multi-step operations (metadata_runs.cpp) ---
    [[nodiscard]] Expected<long long> begin_journal(long long environment_id, std::string_view operation,
                                                    std::string_view state, std::string_view payload);
    [[nodiscard]] Expected<void> update_journal(long long id, std::string_view state, std::string_view payload);
    [[nodiscard]] Expected<void> end_journal(long long id);
    [[nodiscard]] Expected<std::vector<JournalEntry>> open_journals();

private:
    [[nodiscard]] Expected<StatCache> load_stat_cache_overlay(long long environment_id);
    explicit Metadata(Database database) : database_(std::move(database)) {}
    [[nodiscard]] Expected<void> migrate();
    Database database_;
};

// `time` (default: now) as ISO 8601 UTC with seconds ("2026-11-27T22:40:01Z").
[[nodiscard]] std::string utc_time(std::time_t time);
[[nodiscard]] std::string utc_now();

}  // namespace envpin::store
