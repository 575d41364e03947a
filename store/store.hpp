#pragma once
// The store as one object: where it lives, its lock, and its three components (metadata,
// history, objects). Commands open it for reading (never blocks, never creates) or for
// writing (creates it, takes the writer lock, finishes what an interrupted writer left).
//
//   <root>/envpin.db       Metadata (SQLite)
//   <root>/manifests.git/  History (libgit2, bare)
//   <root>/objects/        ObjectStore
//   <root>/tmp/            staging on the same filesystem
//   <root>/lock            StoreLock: one writer at a time
//   <root>/detach.lock     StoreLock of the background detach (store/lifecycle/detach.hpp)
//   <root>/spare.lock      StoreLock of the spare directories' making (store/lifecycle/spare.hpp)
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "store/core/metadata.hpp"
#include "store/core/history.hpp"
#include "store/core/manifest.hpp"
#include "store/core/object_store.hpp"
#include "store/core/store_lock.hpp"

namespace envpin::store {

// read: never blocks or creates; write: takes the writer lock on an existing store; create: a
// writer that makes the store when it is absent (adopt and create only: any other command on a
// path with no store changes nothing).
enum class Access { read, write, create };

struct StoreOptions {
    std::filesystem::path root;
    Access access = Access::read;
    std::chrono::milliseconds wait{60'000};  // writers: how long to wait for the lock
    std::function<void(int pid)> on_wait;    // writers: told once when they have to wait
    // The envpin executable that finishes work in the background (`<exe> --store ROOT recover`:
    // the detach of link-then-copy, the removal of a reset's old entries); empty: nothing is
    // started, the caller runs that work itself (run_detaches, recover_resets).
    std::filesystem::path background;
    // fsck --rebuild-database: a writer that skips the check that the database and manifests.git
    // agree (core/agreement.hpp), sets the disagreeing database aside (never deleted) and opens a
    // new one for store/maintenance/rebuild.hpp to fill. Refused (bad_input) when they agree.
    bool rebuild_database = false;
};

// "environment name 'train' is already in use (for /srv/train)", or, for a forgotten one, that
// its snapshots hold the name until `envpin forget NAME --purge`: what adopt, create and clone
// say when the name they were given is taken.
[[nodiscard]] std::unexpected<Error> name_in_use(const Environment& taken);

// The store directory: `flag` (--store) if set, else $ENVPIN_HOME, else
// ${XDG_DATA_HOME:-$HOME/.local/share}/envpin.
[[nodiscard]] std::filesystem::path store_root(std::string_view flag);

class Store {
public:
    // Read: not_found when no store exists at the root. Write: creates it as needed. Both:
    // bad_input when the root is not a directory or belongs to another user (its files could
    // be planted). A writer waits for the lock up to `wait`, then fails busy.
    [[nodiscard]] static Expected<Store> open(const StoreOptions& options);

    [[nodiscard]] const std::filesystem::path& root() const { return root_; }
    [[nodiscard]] bool writable() const { return lock_.has_value(); }
    [[nodiscard]] Metadata& metadata() { return metadata_; }
    [[nodiscard]] History& history() { return history_; }
    [[nodiscard]] ObjectStore& objects() { return objects_; }
    // Opened with rebuild_database: where the database that disagreed was set aside (empty when
    // there was none).
    [[nodiscard]] const std::filesystem::path& database_set_aside() const { return database_set_aside_; }

    // The environment called `name`; not_found naming it otherwise. A forgotten one (`envpin
    // forget`) is refused (not_found, saying so and what can still be done) unless
    // `forgotten_too`: its snapshots are still there for `log`, `clone` and `forget --purge`.
    [[nodiscard]] Expected<Environment> environment(std::string_view name, bool forgotten_too = false);
    // The snapshot the environment is at; nullopt before its first snapshot.
    [[nodiscard]] Expected<std::optional<SnapshotInfo>> current_snapshot(const Environment& environment);
    // NAME (current), NAME@SEQ, NAME@~N or a commit prefix; bad_input when malformed or
    // ambiguous, not_found when nothing matches.
    [[nodiscard]] Expected<SnapshotInfo> resolve(std::string_view text);
    // The snapshot's manifest from manifests.git, validated; corrupt naming the snapshot when
    // it is missing, unreadable or unsafe to restore.
    [[nodiscard]] Expected<Manifest> manifest(const SnapshotInfo& snapshot);
    // The same through a repository handle of its own: safe on another thread while this
    // Store writes (a reset reads its target's manifest while it saves the unsaved state).
    [[nodiscard]] Expected<Manifest> manifest_apart(const SnapshotInfo& snapshot) const;
    // Part of it, through a handle of its own: the distributions and the entries of the
    // file-list shards named in `shards` (include "env", where every other shard's parent
    // directories are, or validation refuses the part). A manifest from before the shards is
    // read whole.
    [[nodiscard]] Expected<Manifest> manifest_part(const SnapshotInfo& snapshot, const std::set<std::string>& shards) const;
    // The texts of those shards (and the distributions), unparsed, through a handle of its own.
    [[nodiscard]] Expected<ManifestTexts> manifest_texts(const SnapshotInfo& snapshot, const std::set<std::string>& shards) const;
    // Texts read by manifest_texts as manifest_part returns them.
    [[nodiscard]] static Expected<Manifest> manifest_from_texts(const ManifestTexts& texts, const SnapshotInfo& snapshot);
    // `error`, met in the snapshot's manifest, as the corrupt error that names the snapshot.
    [[nodiscard]] static Error corrupt_manifest(Error error, const SnapshotInfo& snapshot);
    // The snapshot's file-list shards and their blob ids (nullopt before the shards), through a
    // handle of its own.
    [[nodiscard]] Expected<std::optional<ShardIds>> shard_ids(const SnapshotInfo& snapshot) const;

    // Starts the background work (StoreOptions::background) unless none is set, it is turned off
    // (ENVPIN_NO_BACKGROUND=1, for tests that act inside its window), or a background detach
    // holds the detach lock (it takes every detach job before it ends) and `even_if_running` is
    // false (a reset's old entries need a recover of their own). True when started.
    bool start_background(bool even_if_running = false) const;

private:
    [[nodiscard]] static Expected<Manifest> read_manifest(History& history, const SnapshotInfo& snapshot);
    Store(std::filesystem::path root, Metadata metadata, History history, ObjectStore objects,
          std::optional<StoreLock> lock, std::filesystem::path background)
        : root_(std::move(root)), metadata_(std::move(metadata)), history_(std::move(history)),
          objects_(std::move(objects)), lock_(std::move(lock)), background_(std::move(background))
    {
    }
    [[nodiscard]] Expected<void> recover();

    std::filesystem::path root_;
    Metadata metadata_;
    History history_;
    ObjectStore objects_;
    std::optional<StoreLock> lock_;  // held by writers for the Store's lifetime
    std::filesystem::path background_;
    std::filesystem::path database_set_aside_;  // rebuild_database: where the old database went
};

}  // namespace envpin::store
