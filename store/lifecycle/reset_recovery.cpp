// Finishing or rolling back resets that a crash interrupted, and the last step of every reset.
#include <stdio.h>
#include <sys/stat.h>

#include <unordered_map>

#include "store/core/parallel.hpp"
#include "store/lifecycle/reset.hpp"
#include "store/lifecycle/reset_journal.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

bool exists(const std::string& path)
{
    struct ::stat info{};
    return ::lstat(path.c_str(), &info) == 0;
}

std::optional<unsigned long long> inode(const std::string& path)
{
    struct ::stat info{};
    if (::lstat(path.c_str(), &info) != 0)
        return std::nullopt;
    return static_cast<unsigned long long>(info.st_ino);
}

// Removing the old tree's links to shared inodes changed their ctime, not their content: take
// the new ctime for cache rows whose file still has the cached device, inode, size and mtime.
StatCache refreshed_ctimes(const StatCache& cache, const fs::path& root)
{
    StatCache updates;
    for (const auto& [path, cached] : cache) {
        struct ::stat info{};
        if (::lstat((root / path).c_str(), &info) != 0)
            continue;
        const auto stamp = stamp_of(info);
        if (stamp.dev == cached.stamp.dev && stamp.ino == cached.stamp.ino && stamp.size == cached.stamp.size &&
            stamp.mtime_ns == cached.stamp.mtime_ns && stamp.ctime_ns != cached.stamp.ctime_ns)
            updates.push_back({path, CachedHash{stamp, cached.digest}});
    }
    return updates;
}

// Strictly older than the exchange's coarse clock reading: a change in the same tick or later
// has a ctime at least that. A filesystem that keeps whole seconds truncates a later change's
// ctime below it, hence the two seconds there.
bool untouched_since(long long ctime_ns, long long swapped_ns)
{
    const long long margin = ctime_ns % 1'000'000'000 == 0 ? 2'000'000'000LL : 0;
    return ctime_ns < swapped_ns - margin;
}

// Rows for the files the reset brought from the object store: each regular file of the target
// whose row does not name its inode gets the target manifest's digest, if its ctime says
// nothing touched it since the exchange (a write, chmod or link would have moved the ctime).
// The rest keep no row and are hashed by the next status.
Expected<StatCache> restored_rows(const Manifest& target, const StatCache& cache, const ResetJournal& journal,
                                  unsigned threads)
{
    std::unordered_map<std::string_view, const StatStamp*> cached;
    for (const auto& [path, hash] : cache)
        cached.emplace(path, &hash.stamp);
    std::vector<const ManifestEntry*> files;
    for (const auto& entry : target.entries)
        if (entry.kind == EntryKind::file)
            files.push_back(&entry);
    std::vector<std::optional<StatStamp>> stamps(files.size());
    ENVPIN_TRY(parallel_for(files.size(), threads, [&](size_t i, unsigned) -> Expected<void> {
        struct ::stat info{};
        const auto path = fs::path(journal.environment) / files[i]->path;
        if (::lstat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && info.st_size == files[i]->size)
            stamps[i] = stamp_of(info);
        return {};
    }));
    StatCache updates;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!stamps[i] || !untouched_since(stamps[i]->ctime_ns, journal.swapped_ns))
            continue;
        const auto row = cached.find(files[i]->path);
        if (row != cached.end() && row->second->dev == stamps[i]->dev && row->second->ino == stamps[i]->ino)
            continue;  // linked from the old tree: its row is right (refreshed_ctimes took the ctime)
        updates.push_back({files[i]->path, CachedHash{*stamps[i], files[i]->digest}});
    }
    return updates;
}

// Cached paths that are not files of the target (the reset removed them).
std::vector<std::string> paths_not_in(const Manifest& target, const StatCache& cache)
{
    std::vector<std::string> removed;
    auto entry = target.entries.begin();
    for (const auto& [path, _] : cache) {
        while (entry != target.entries.end() && entry->path < path)
            ++entry;
        if (entry == target.entries.end() || entry->path != path || entry->kind != EntryKind::file)
            removed.push_back(path);
    }
    return removed;
}

// The rows a reset's cleanup settles: new ctimes for the files shared with the old tree (linking
// and unlinking them moved only their ctime) and, where the exchange's time is known, rows for
// the files that came from the object store.
Expected<StatCache> settled_rows(const Manifest& target, const StatCache& cache, const ResetJournal& journal,
                                 unsigned threads)
{
    auto updates = refreshed_ctimes(cache, journal.environment);
    if (journal.swapped_ns != 0)  // older journals lack the exchange's time: hash those files
        updates = merge_stat_cache(updates, ENVPIN_TRY(restored_rows(target, cache, journal, threads)), {});
    return updates;
}

// The stat cache once the old tree is gone, written in one transaction: the settled rows, and no
// rows for paths the target lacks. Until then readers apply the same rows in memory
// (with_pending_reset_rows).
Expected<void> settle_stat_cache(Store& store, long long environment_id, const ResetJournal& journal,
                                 unsigned threads)
{
    const auto cache = ENVPIN_TRY(store.metadata().load_stat_cache(environment_id));
    StatCache updates;
    std::vector<std::string> removed;
    if (const auto target = ENVPIN_TRY(store.metadata().snapshot(journal.target))) {
        const auto manifest = ENVPIN_TRY(store.manifest(*target));
        removed = paths_not_in(manifest, cache);
        updates = ENVPIN_TRY(settled_rows(manifest, cache, journal, threads));
    } else {
        updates = refreshed_ctimes(cache, journal.environment);
    }
    if (updates.empty() && removed.empty())
        return {};
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
    ENVPIN_TRY(store.metadata().replace_stat_cache(environment_id, merge_stat_cache(cache, updates, removed)));
    return transaction.commit();
}

Expected<void> roll_back(Store& store, const JournalEntry& entry, const ResetJournal& journal, unsigned threads)
{
    if (!exists(journal.environment) && exists(journal.aside) &&
        ::rename(journal.aside.c_str(), journal.environment.c_str()) != 0)
        return fail(ErrorCode::io, "cannot move {} back to {}: {}", journal.aside, journal.environment,
                    sys::errno_text(errno));
    ENVPIN_TRY(remove_tree(journal.staging, threads));
    return store.metadata().end_journal(entry.id);
}

Expected<void> recover_one(Store& store, const JournalEntry& entry, unsigned threads)
{
    auto journal = ENVPIN_TRY(parse_reset_journal(entry.payload));
    if (entry.state == reset_building)
        return roll_back(store, entry, journal, threads);
    if (entry.state == reset_built) {
        // Did the swap happen? The environment's path holds the staging root exactly when it did.
        const auto now = inode(journal.environment);
        if (!now || !journal.staging_inode || *now != *journal.staging_inode)
            return roll_back(store, entry, journal, threads);
        journal.old_tree = exists(journal.aside) ? journal.aside : journal.staging;
        auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
        ENVPIN_TRY(store.metadata().set_current_snapshot(entry.environment_id, journal.target));
        ENVPIN_TRY(store.metadata().update_journal(entry.id, reset_swapped, print_reset_journal(journal)));
        ENVPIN_TRY(transaction.commit());
    }
    return finish_reset_journal(store, entry.id, journal, threads);
}

}  // namespace

Expected<void> finish_reset_journal(Store& store, long long journal_id, const ResetJournal& journal, unsigned threads)
{
    if (!journal.old_tree.empty() && exists(journal.old_tree)) {
        if (journal.keep_old) {
            if (::rename(journal.old_tree.c_str(), journal.kept.c_str()) != 0)
                return fail(ErrorCode::io, "cannot keep the old tree as {}: {}", journal.kept, sys::errno_text(errno));
        } else {
            ENVPIN_TRY_CTX("removing the old tree " + journal.old_tree, remove_tree(journal.old_tree, threads));
        }
    }
    const auto environment = ENVPIN_TRY(store.metadata().find_environment_by_path(journal.environment));
    if (environment) {
        ENVPIN_TRY(settle_stat_cache(store, environment->id, journal, threads));
    }
    return store.metadata().end_journal(journal_id);
}

Expected<StatCache> with_pending_reset_rows(Store& store, const Environment& environment, StatCache cache,
                                           unsigned threads)
{
    for (const auto& entry : ENVPIN_TRY(store.metadata().open_journals())) {
        if (entry.environment_id != environment.id || entry.operation != "reset" || entry.state != reset_swapped)
            continue;
        const auto journal = parse_reset_journal(entry.payload);
        if (!journal || journal->swapped_ns == 0 || environment.current_snapshot != journal->target ||
            fs::path(journal->environment) != environment.path)
            continue;
        const auto target = ENVPIN_TRY(store.metadata().snapshot(journal->target));
        if (!target)
            continue;
        const auto manifest = store.manifest_apart(*target);
        if (!manifest)
            continue;
        // The cleanup may be removing the old tree right now, moving the ctime of every file
        // shared with it: the rows it would refresh match whatever the ctime, as it will take
        // them (refreshed_ctimes); the files that came from the object store get exact rows.
        auto restored = ENVPIN_TRY(restored_rows(*manifest, cache, *journal, threads));
        for (auto& row : cache)
            row.hash.stamp.ctime_ns = any_ctime;
        cache = merge_stat_cache(cache, restored, {});
    }
    return cache;
}

Expected<void> recover_resets(Store& store)
{
    for (const auto& entry : ENVPIN_TRY(store.metadata().open_journals()))
        if (entry.operation == "reset")
            ENVPIN_TRY_CTX(fmt::format("finishing an interrupted reset (journal {})", entry.id),
                           recover_one(store, entry, 0));
    return {};
}

}  // namespace envpin::store
