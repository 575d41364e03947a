#pragma once
// The part of a reset's target that the reset needs: the file-list shards in which the target
// differs from the tree the reset starts from (two shards with the same blob id hold the same
// entries), plus "env", where every other shard's parent directories are. Putting back one
// file reads one shard of the target, not its 70,000 entries; a tree that is gone reads all.
#include <future>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace envpin::store {

struct TargetPart {
    Manifest manifest;
    std::optional<std::set<std::string>> shards;  // nullopt: the whole manifest
    // Shards compared line by line with the live tree: of those, `manifest` holds only the
    // entries that differ, and `changed_paths` (sorted) every path that differs, either side.
    std::set<std::string> compared;
    std::vector<std::string> changed_paths;
    // Parallel to the live manifest finish() was given: 1 for each entry keep_part keeps.
    std::vector<char> keep_live;
};

// Reads beside the rest of the reset: starts at once with what differs from `base` (the
// snapshot the environment was at when the reset began; nullopt when its tree is gone or
// replaced), and finishes with what differs from the snapshot the tree is at once its
// unsaved changes were saved.
class TargetReading {
public:
    TargetReading(const Store& store, const SnapshotInfo& target, std::optional<SnapshotInfo> base);
    // Starts reading, beside the rest, the target's shards that hold `paths` (the paths the
    // unsaved changes touch, as soon as the pre-reset snapshot's walk knows them), so that
    // finish() seldom has to read after the save. Once; later calls do nothing.
    void prefetch(const std::vector<std::string>& paths);
    // `from`: the snapshot whose manifest is the live tree (nullopt: no tree to compare with);
    // `live`: that manifest, when in memory (the prefetched shards are then compared with it,
    // not parsed whole).
    [[nodiscard]] Expected<TargetPart> finish(const std::optional<SnapshotInfo>& from, const Manifest* live = nullptr);

private:
    // Shards read, unparsed.
    struct Shards {
        std::set<std::string> read;
        ManifestTexts texts;
    };
    // What the early read found: the shard ids of the target and the base, the shards read
    // (nullopt: the whole manifest) and their entries.
    struct Early {
        std::optional<ShardIds> target_ids;
        std::optional<ShardIds> base_ids;
        std::optional<std::set<std::string>> read;
        Manifest manifest;
    };
    const Store& store_;
    SnapshotInfo target_;
    std::optional<SnapshotInfo> base_;
    std::future<Expected<Early>> early_;
    std::future<Expected<Shards>> prefetched_;

    // Puts the prefetched shards `take` into `part`.
    Expected<void> take_prefetched(TargetPart& part, Shards& prefetched, const std::set<std::string>& take, const Manifest* live,
                                   const std::vector<std::string>& live_shards);
};

// Drops the entries of `live` outside the part's shards (a whole part keeps all), and in its
// compared shards those that do not differ (by the mask finish() made, when `live` is the
// manifest it was given).
void keep_part(Manifest& live, const TargetPart& part);

}  // namespace envpin::store
