#include "store/lifecycle/reset_target.hpp"

#include <algorithm>

#include "base/trace.hpp"

namespace envpin::store {
namespace {

// Shards in which `a` and `b` differ, on either side, and "env"; nullopt (all) without `b`.
std::optional<std::set<std::string>> differing(const std::optional<ShardIds>& a, const std::optional<ShardIds>& b)
{
    if (!a || !b)
        return std::nullopt;
    std::set<std::string> names{"env"};
    for (const auto& [name, id] : *a)
        if (const auto other = b->find(name); other == b->end() || other->second != id)
            names.insert(name);
    for (const auto& [name, id] : *b)
        if (!a->contains(name))
            names.insert(name);
    return names;
}

}  // namespace

TargetReading::TargetReading(const Store& store, const SnapshotInfo& target, std::optional<SnapshotInfo> base)
    : store_(store), target_(target), base_(std::move(base))
{
    early_ = std::async(std::launch::async, [this]() -> Expected<Early> {
        return traced("read target manifest (beside)", [&]() -> Expected<Early> {
            Early early;
            early.target_ids = ENVPIN_TRY(store_.shard_ids(target_));
            if (base_ && early.target_ids)
                early.base_ids = ENVPIN_TRY(store_.shard_ids(*base_));
            early.read = differing(early.target_ids, early.base_ids);
            early.manifest = early.read ? ENVPIN_TRY(store_.manifest_part(target_, *early.read))
                                        : ENVPIN_TRY(store_.manifest_apart(target_));
            return early;
        });
    });
}

Expected<TargetPart> TargetReading::finish(const std::optional<SnapshotInfo>& from)
{
    auto early = ENVPIN_TRY(early_.get());
    if (!early.read)
        return TargetPart{std::move(early.manifest), std::nullopt};
    std::optional<ShardIds> from_ids;
    if (from && base_ && from->id == base_->id)
        from_ids = early.base_ids;
    else if (from)
        from_ids = ENVPIN_TRY(store_.shard_ids(*from));
    auto needed = differing(early.target_ids, from_ids);
    if (!needed)
        return TargetPart{ENVPIN_TRY(store_.manifest_apart(target_)), std::nullopt};
    if (!std::ranges::includes(*early.read, *needed))  // the unsaved changes touched other shards
        return TargetPart{ENVPIN_TRY(traced("read target shards", [&] { return store_.manifest_part(target_, *needed); })),
                          needed};
    std::erase_if(early.manifest.entries, [&](const ManifestEntry& entry) { return !needed->contains(file_shard_of(entry.path)); });
    return TargetPart{std::move(early.manifest), needed};
}

void keep_part(Manifest& live, const TargetPart& part)
{
    if (part.shards)
        std::erase_if(live.entries, [&](const ManifestEntry& entry) { return !part.shards->contains(file_shard_of(entry.path)); });
}

}  // namespace envpin::store
