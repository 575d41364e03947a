#include "store/lifecycle/reset_stat_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "store/lifecycle/reset_plan.hpp"

namespace envpin::store {
namespace {

// The built files in the target manifest's order, which is the path order the cache keeps.
std::vector<const BuiltFile*> in_path_order(const TreeBuild& built)
{
    std::vector<const BuiltFile*> in_order;
    in_order.reserve(built.built_files.size());
    for (const auto& file : built.built_files)
        in_order.push_back(&file);
    std::ranges::sort(in_order, {}, &BuiltFile::entry);
    return in_order;
}

PackedStatCache pack_whole_tree(const TreeBuild& built)
{
    const auto in_order = in_path_order(built);
    StatCachePacker packer(in_order.size());
    for (const auto* file : in_order)
        packer.add(file->path, CachedHash{file->stamp, file->digest});
    const auto rows = packer.rows();
    return {packer.take(), rows};
}

}  // namespace

void store_whole_tree_beside(const Store& store, long long environment_id, const TreeBuild& built, WholeTreeCache& cache)
{
    cache.packed = pack_whole_tree(built);
    auto metadata = Metadata::open(store.root() / "envpin.db", OpenMode::read_write);
    if (!metadata)
        return;
    auto transaction = Transaction::begin(metadata->database(), Durability::unsynced);
    if (transaction && metadata->replace_stat_cache(environment_id, *cache.packed) && transaction->commit())
        cache.stored = true;
}

Expected<void> remember_restored(Store& store, const Environment& environment, const ResetJournal& journal,
                                 const Manifest& live, const TreeBuild& built, const WholeTreeCache& whole_cache)
{
    if (whole_cache.stored)
        return {};
    std::unordered_set<std::string_view> stepped;  // paths a step added, replaced or removed whole
    for (const auto& op : journal.ops)
        if (op.step != ResetStep::chmod)
            stepped.insert(op.path);
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database(), Durability::unsynced));
    if (stepped.contains(".")) {  // the whole tree was built: its rows are the whole cache
        ENVPIN_TRY(store.metadata().replace_stat_cache(environment.id,
                                                       whole_cache.packed ? *whole_cache.packed : pack_whole_tree(built)));
        return transaction.commit();
    }
    std::unordered_set<std::string_view> moved;
    for (const auto& op : journal.ops)
        if (stages(op))
            moved.insert(op.path);
    StatCacheDelta delta;
    delta.upserts.reserve(built.built_files.size());
    for (const auto* file : in_path_order(built)) {
        auto stamp = file->stamp;
        if (moved.contains(file->path)) {
            struct ::stat info{};
            if (::lstat((environment.path / file->path).c_str(), &info) != 0 || !S_ISREG(info.st_mode))
                continue;
            stamp = stamp_of(info);
        }
        delta.upserts.push_back({file->path, CachedHash{stamp, file->digest}});
    }
    std::unordered_set<std::string_view> rebuilt;
    for (const auto& row : delta.upserts)
        rebuilt.insert(row.path);
    auto under_a_step = [&](std::string_view path) {
        if (stepped.contains(path))
            return true;
        for (size_t slash = path.rfind('/'); slash != std::string_view::npos && slash > 0; slash = path.rfind('/', slash - 1))
            if (stepped.contains(path.substr(0, slash)))
                return true;
        return false;
    };
    for (const auto& entry : live.entries)
        if (entry.kind == EntryKind::file && !rebuilt.contains(entry.path) && under_a_step(entry.path))
            delta.removed.push_back(entry.path);
    ENVPIN_TRY(store.metadata().update_stat_cache(environment.id, delta));
    return transaction.commit();
}

}  // namespace envpin::store
