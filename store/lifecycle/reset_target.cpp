#include "store/lifecycle/reset_target.hpp"

#include <algorithm>
#include <iterator>
#include <map>

#include <fmt/ranges.h>

#include "base/trace.hpp"
#include "store/core/parallel.hpp"

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

void TargetReading::prefetch(const std::vector<std::string>& paths)
{
    if (prefetched_.valid() || paths.empty())
        return;
    std::set<std::string> shards{"env"};  // a part is read with "env", where "." and every shard's parents are
    for (const auto& path : paths)
        shards.insert(file_shard_of(path));
    trace_note(fmt::format("shards the unsaved changes touch: {}", fmt::join(shards, ", ")));
    prefetched_ = std::async(std::launch::async, [this, shards = std::move(shards)]() -> Expected<Shards> {
        return traced("read changed shards (beside)", [&]() -> Expected<Shards> {
            return Shards{shards, ENVPIN_TRY(store_.manifest_texts(target_, shards))};
        });
    });
}

namespace {

// Moves the entries of `from` in the shards `take` to the end of `into`, keeping `into` sorted
// (both are).
void merge_in(Manifest& into, Manifest& from, const std::set<std::string>& take)
{
    const auto middle = static_cast<std::ptrdiff_t>(into.entries.size());
    for (auto& entry : from.entries)
        if (take.contains(file_shard_of(entry.path)))
            into.entries.push_back(std::move(entry));
    std::ranges::inplace_merge(into.entries, into.entries.begin() + middle, {}, &ManifestEntry::path);
}

// The shard of each live entry, worked out once, on all cores.
std::vector<std::string> shards_of(const Manifest& live)
{
    std::vector<std::string> shards(live.entries.size());
    for_each_slice(shards.size(), 8192, 0, [&](size_t, size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i)
            shards[i] = file_shard_of(live.entries[i].path);
    });
    return shards;
}

// The live entries of each shard in `take`, in path order.
std::map<std::string, std::vector<const ManifestEntry*>> live_by_shard(const Manifest& live, const std::vector<std::string>& shard_of,
                                                                       const std::set<std::string>& take)
{
    std::map<std::string, std::vector<const ManifestEntry*>> found;
    for (const auto& name : take)
        found[name];
    for (size_t i = 0; i < live.entries.size(); ++i)
        if (auto shard = found.find(shard_of[i]); shard != found.end())
            shard->second.push_back(&live.entries[i]);
    return found;
}

// Whether the plan compares the live entry at `path`, of `shard` (see keep_part).
bool compares(const TargetPart& part, const std::string& shard, const std::string& path)
{
    return part.shards->contains(shard) &&
           (!part.compared.contains(shard) || std::ranges::binary_search(part.changed_paths, path));
}

// compares() for each live entry, on all cores.
std::vector<char> live_to_keep(const Manifest& live, const std::vector<std::string>& shard_of, const TargetPart& part)
{
    std::vector<char> keep(live.entries.size(), 0);
    for_each_slice(keep.size(), 8192, 0, [&](size_t, size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i)
            keep[i] = compares(part, shard_of[i], live.entries[i].path);
    });
    return keep;
}

}  // namespace

Expected<void> TargetReading::take_prefetched(TargetPart& part, Shards& prefetched, const std::set<std::string>& take,
                                              const Manifest* live, const std::vector<std::string>& live_shards)
{
    if (!live || !prefetched.texts.sharded) {  // nothing to compare with: parsed whole
        auto manifest = ENVPIN_TRY(Store::manifest_from_texts(prefetched.texts, target_));
        merge_in(part.manifest, manifest, take);
        return {};
    }
    // Compared line by line with the live tree: only what differs is parsed and kept.
    return traced("compare changed shards", [&]() -> Expected<void> {
        auto by_shard = live_by_shard(*live, live_shards, take);
        Manifest changed;
        for (const auto& text : prefetched.texts.files) {
            if (!take.contains(text.name))
                continue;
            auto changes = shard_changes(text, by_shard[text.name], part.manifest.entries);
            if (!changes)
                return std::unexpected(Store::corrupt_manifest(std::move(changes.error()), target_));
            std::ranges::move(changes->target, std::back_inserter(changed.entries));
            std::ranges::move(changes->paths, std::back_inserter(part.changed_paths));
            part.compared.insert(text.name);
        }
        std::ranges::sort(changed.entries, {}, &ManifestEntry::path);
        std::ranges::sort(part.changed_paths);
        merge_in(part.manifest, changed, take);
        return {};
    });
}

Expected<TargetPart> TargetReading::finish(const std::optional<SnapshotInfo>& from, const Manifest* live)
{
    auto early = ENVPIN_TRY(early_.get());
    std::optional<Shards> prefetched;
    if (prefetched_.valid())
        if (auto shards = prefetched_.get())  // a failed read here is done again below
            prefetched = std::move(*shards);
    if (!early.read)
        return TargetPart{std::move(early.manifest), std::nullopt, {}, {}, {}};
    std::optional<ShardIds> from_ids;
    if (from && base_ && from->id == base_->id)
        from_ids = early.base_ids;
    else if (from)
        from_ids = ENVPIN_TRY(store_.shard_ids(*from));
    auto needed = differing(early.target_ids, from_ids);
    if (!needed)
        return TargetPart{ENVPIN_TRY(store_.manifest_apart(target_)), std::nullopt, {}, {}, {}};
    // Each needed shard from the early read, else from the prefetch, else read now.
    std::erase_if(early.manifest.entries, [&](const ManifestEntry& entry) { return !needed->contains(file_shard_of(entry.path)); });
    TargetPart part{std::move(early.manifest), needed, {}, {}, {}};
    const auto live_shards = live ? shards_of(*live) : std::vector<std::string>();
    std::set<std::string> missing;
    std::ranges::set_difference(*needed, *early.read, std::inserter(missing, missing.end()));
    if (prefetched && !missing.empty()) {
        std::set<std::string> take;
        std::ranges::set_intersection(missing, prefetched->read, std::inserter(take, take.end()));
        ENVPIN_TRY(take_prefetched(part, *prefetched, take, live, live_shards));
        std::erase_if(missing, [&](const std::string& shard) { return take.contains(shard); });
    }
    if (!missing.empty()) {  // the unsaved changes touched shards nobody read yet
        auto with_env = missing;  // a part is read with "env" (see prefetch)
        with_env.insert("env");
        auto rest = ENVPIN_TRY(traced("read target shards", [&] { return store_.manifest_part(target_, with_env); }));
        merge_in(part.manifest, rest, missing);
    }
    if (live)
        part.keep_live = live_to_keep(*live, live_shards, part);
    return part;
}

void keep_part(Manifest& live, const TargetPart& part)
{
    if (!part.shards)
        return;
    if (part.keep_live.size() != live.entries.size()) {  // not the manifest finish() saw
        std::erase_if(live.entries, [&](const ManifestEntry& entry) { return !compares(part, file_shard_of(entry.path), entry.path); });
        return;
    }
    size_t kept = 0;
    for (size_t i = 0; i < live.entries.size(); ++i) {
        if (part.keep_live[i] == 0)
            continue;
        if (kept != i)
            live.entries[kept] = std::move(live.entries[i]);
        ++kept;
    }
    live.entries.resize(kept);
}

}  // namespace envpin::store
