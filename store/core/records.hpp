#pragma once
// The rows of the store's database as values: environments, snapshots, stat-cache entries,
// verification runs and reset journal entries.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/core/digest.hpp"
#include "store/core/link_mode.hpp"

namespace envpin::store {

struct Environment {
    long long id = 0;
    std::string name;
    std::filesystem::path path;  // absolute, canonical
    LinkMode link_mode = LinkMode::automatic;  // how snapshots ingest this environment's files
    std::string created;                       // ISO 8601 UTC
    std::optional<long long> current_snapshot; // the snapshot the environment is at
    std::optional<std::string> forgotten;      // when `envpin forget` stopped managing it (UTC)
    bool operator==(const Environment&) const = default;
};

struct SnapshotInfo {
    long long id = 0;
    long long environment_id = 0;
    std::string environment;  // its name, for display ("train@3")
    long long seq = 0;        // 1, 2, ... per environment
    std::string commit;       // 40-hex commit id in manifests.git
    std::optional<long long> parent_id;
    std::string created;      // ISO 8601 UTC
    std::string reason;       // adopt, snapshot, create, pre-reset, ...
    std::string message;
    Digest state;             // state_digest of the manifest
    long long files = 0;      // regular files
    long long bytes = 0;      // their total size

    [[nodiscard]] std::string label() const { return environment + "@" + std::to_string(seq); }
    bool operator==(const SnapshotInfo&) const = default;
};

// What a snapshot row is inserted from; seq and id are assigned by the metadata database.
struct NewSnapshot {
    long long environment_id = 0;
    std::string commit;
    std::optional<long long> parent_id;
    std::string created;
    std::string reason;
    std::string message;
    Digest state;
    long long files = 0;
    long long bytes = 0;
};

// The stat identity under which a file's sha256 was computed. A file whose identity is
// unchanged is not read again.
struct StatStamp {
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    long long size = 0;
    long long mtime_ns = 0;
    long long ctime_ns = 0;
    bool operator==(const StatStamp&) const = default;
};

struct CachedHash {
    StatStamp stamp;
    Digest digest;
    bool operator==(const CachedHash&) const = default;
};

// A verification run as the verify suite hands it to the store.
struct VerifyRunRecord {
    long long snapshot_id = 0;
    std::string fingerprint;  // GPU models + driver + suite version
    bool passed = false;
    std::string started;      // ISO 8601 UTC
    long long duration_ms = 0;
    std::string suite_version;
    std::string host_json = "{}";  // host facts as JSON
    std::string context_json = "{}";  // the run's context as JSON (verify/runner/run_context.hpp); "{}": not recorded
    struct Check {
        std::string name;
        std::string status;  // pass | fail | skip | error
        std::string json;    // the whole check as JSON (verify --json "checks" entry)
        bool operator==(const Check&) const = default;
    };
    std::vector<Check> checks;
    bool operator==(const VerifyRunRecord&) const = default;
};

// A stored run; `record.checks` is empty where a query reads runs without their checks.
struct VerifyRun {
    long long id = 0;
    VerifyRunRecord record;
    bool operator==(const VerifyRun&) const = default;
};

// Objects an operation linked into the store with link-then-copy, to be copied to fresh inodes
// by the background detach; once finished, what it measured.
struct DetachRecord {
    long long id = 0;
    long long environment_id = 0;
    long long snapshot_id = 0;
    std::string objects;  // packed object keys; empty: every object of the snapshot
    long long queued_ns = 0;  // wall clock when the operation began linking
    std::optional<long long> finished_ns;  // when the copies were in place and synced
    long long copied = 0;
    long long copied_bytes = 0;
    long long damaged = 0;
    bool operator==(const DetachRecord&) const = default;
};

// An object whose bytes a detach found changed (a file that shared its inode was written in
// place): its name was removed from objects/, so no restore can use it.
struct DamagedObject {
    std::string object;    // "ab/cdef..."
    std::string detected;  // ISO 8601 UTC
    std::string detail;
    bool operator==(const DamagedObject&) const = default;
};

// A multi-step operation (reset's swap) that the next writer must finish or roll back.
struct JournalEntry {
    long long id = 0;
    long long environment_id = 0;
    std::string operation;  // "reset"
    std::string state;      // operation-defined step name
    std::string payload;    // operation-defined JSON
    std::string created;
    bool operator==(const JournalEntry&) const = default;
};

}  // namespace envpin::store
