#pragma once
// The background detach of link-then-copy, the default where the filesystem cannot clone.
//
// Adopt, snapshot, reset and clone link files and objects so that no bytes are written on their
// critical path; in the same transaction that records them they queue the objects they linked
// (queue_detach). Right after, a background `envpin recover` (Store::start_background) runs
// run_detaches: without the store lock it copies every queued object that still shares its
// inode to a fresh file in tmp/detach/ and checks the copy's sha256; syncs; then, under the store
// lock, renames each intact copy over its object (if the object is still that inode), syncs,
// moves the stat cache rows of the environment's files to the ctimes the renames gave them, and
// records when the job finished. From then on no write into the environment reaches the store.
//
// The window (from the first link to the synced rename) is recorded per job and reported by
// `envpin status`. A write in place inside it is found by the copy's hash: the object's name is
// removed (no restore can use bytes that are not the snapshot's) and the damage recorded for
// `envpin fsck`, whose --repair looks for another copy of the bytes. A kill -9 at any point
// leaves the job pending; the next writer starts the detach again (Store::recover), which finds
// the objects already replaced unshared and skips them.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/settings.hpp"
#include "store/core/object_store.hpp"
#include "store/store.hpp"

namespace envpin::store {

// Object keys packed for the detaches table: 32 digest bytes and one exec byte each.
[[nodiscard]] std::string pack_object_keys(std::span<const ObjectKey> keys);
[[nodiscard]] Expected<std::vector<ObjectKey>> unpack_object_keys(std::string_view packed);

// Queues the detach of `linked` (the objects an operation on `snapshot_id` linked, begun at
// `queued_ns`); nothing when empty. When the operation linked most of the snapshot's files,
// the job names the snapshot instead of each object. Call inside the operation's transaction.
[[nodiscard]] Expected<void> queue_detach(Metadata& metadata, long long environment_id, long long snapshot_id,
                                          std::span<const ObjectKey> linked, long long snapshot_files,
                                          long long queued_ns);

// How many objects the detach copies at once (0: one per core).
inline constexpr NumberSetting detach_threads_setting{"ENVPIN_DETACH_THREADS", 4, 0, 1024, "copies at once"};
[[nodiscard]] unsigned detach_threads();

struct DetachOptions {
    unsigned threads = detach_threads();  // copies at once: the disk, not the cores, sets the pace
    std::chrono::milliseconds wait{3'600'000};            // for the store lock and the detach lock
};

struct DetachOutcome {
    long long jobs = 0;
    long long copied = 0;        // objects given a fresh inode
    long long copied_bytes = 0;
    std::vector<DamagedObject> damaged;
    long long longest_window_ns = 0;  // of the jobs finished
};

// Runs every pending detach of the store at `root` until none is left (a job queued meanwhile
// is taken too). Holds <root>/detach.lock throughout: waits for a detach already running.
[[nodiscard]] Expected<DetachOutcome> run_detaches(const std::filesystem::path& root, const DetachOptions& options);

}  // namespace envpin::store
