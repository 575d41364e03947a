#pragma once
// Spare directories: the directory tree of a snapshot made ahead of time, empty, beside its
// environment, for a reset that puts the whole tree back (the environment deleted or replaced).
//
// Making a big environment's directories is most of what restoring it from nothing costs: on
// ext4 each mkdir allocates an inode, and right after `rm -rf` of the environment the allocator
// steps over the inodes just freed (7,820 directories took 1.4 s on the GPU machine, while
// linking 69,000 files beside them took less). The background work (`envpin recover`) makes
// them for the snapshot a reset would go back to, without the store lock and off every
// command's path, as `.<name>.envpin-spare-<snapshot>-<directories digest>` next to the
// environment; a whole-tree reset whose target has the same directories renames that tree into
// its staging directory instead of making them (tree_builder.hpp: BuildOptions::directories_from).
// Only trees of kMinSpareDirectories or more get one: below that, making them costs
// milliseconds.
//
// A spare holds nothing but empty directories of mode 0700. The reset still makes every
// directory it finds missing there, refuses one that is not a directory, and gives each its
// mode from the manifest. A kill -9 while a spare is made leaves a `...-spare-tmp-...` tree
// that the next `envpin recover` removes, as it removes the spares of another snapshot;
// `envpin forget` removes an environment's spares.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
#include <chrono>

#include "base/error.hpp"
#include "store/core/manifest.hpp"

namespace envpin::store {

class Store;

inline constexpr size_t kMinSpareDirectories = 1000;

// 16 hex characters over the paths of the manifest's directories, in order (modes and files do
// not count: the reset gives the modes, and files are what it places). Pure.
[[nodiscard]] std::string directories_digest(const Manifest& manifest);

// The spare beside `environment` whose directories are `target`'s, if one is there.
[[nodiscard]] std::optional<std::filesystem::path> find_spare(const std::filesystem::path& environment,
                                                              const Manifest& target);

struct SpareOutcome {
    long long made = 0;         // spares made
    long long directories = 0;  // the directories they hold
    long long removed = 0;      // spares of other snapshots and unfinished ones removed
    std::vector<std::string> skipped;  // "NAME: why", for each environment left without one
};

// For each managed environment: the spare of the newest snapshot verified on any host (else
// the current one), made when missing; every other spare of the environment removed. Opens the
// store at `root` for reading; serialized by <root>/spare.lock. An environment whose parent
// directory cannot be written is skipped (a spare only saves time).
[[nodiscard]] Expected<SpareOutcome> prepare_spares(const std::filesystem::path& root, std::chrono::milliseconds wait);

// Removes every spare of `environment` (finished or not).
[[nodiscard]] Expected<long long> remove_spares(const std::filesystem::path& environment);

}  // namespace envpin::store
