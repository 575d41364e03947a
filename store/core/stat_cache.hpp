#pragma once
// The stat cache: for each file of an environment, the stat stamp under which its sha256 was
// computed. It is kept in envpin.db as one packed value per environment (schema 2), because a
// snapshot rewrites it whole: one blob costs a few milliseconds where 70,000 rows cost a third
// of a second. Pure: packing, unpacking and merging values.
#include <limits>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "store/core/records.hpp"

namespace envpin::store {

struct CachedFile {
    std::string path;
    CachedHash hash;
    bool operator==(const CachedFile&) const = default;
};
// Sorted by path (byte order, as manifests are), so lookups are a merge with a scan.
using StatCache = std::vector<CachedFile>;

// A row's ctime that matches any ctime: only in memory, for rows a reader trusts while a reset's
// cleanup is pending (its removal of the old tree moves the ctime of every file shared with it).
inline constexpr long long any_ctime = std::numeric_limits<long long>::min();

// True when a file seen with `seen` is the one the row was computed for.
[[nodiscard]] inline bool stamp_matches(const StatStamp& row, const StatStamp& seen)
{
    return row.dev == seen.dev && row.ino == seen.ino && row.size == seen.size && row.mtime_ns == seen.mtime_ns &&
           (row.ctime_ns == any_ctime || row.ctime_ns == seen.ctime_ns);
}

// The packed form's version, stored beside it; another version is read as an empty cache.
inline constexpr long long stat_cache_format = 1;

// Paths are front-coded against the previous one (a tree's sorted paths share long prefixes),
// numbers are LEB128 varints (times zigzag-coded), digests are raw. Expects `cache` sorted.
[[nodiscard]] std::string pack_stat_cache(const StatCache& cache);

// Packs rows one at a time, in path order, as pack_stat_cache does: for a caller whose rows
// are in another shape (the files a reset built), without copying them into a cache first.
class StatCachePacker {
public:
    explicit StatCachePacker(size_t expected_rows) { out_.reserve(expected_rows * 72); }
    void add(std::string_view path, const CachedHash& hash);
    [[nodiscard]] long long rows() const { return rows_; }
    [[nodiscard]] std::string take() { return std::move(out_); }

private:
    std::string out_;
    std::string previous_;
    long long rows_ = 0;
};

// A cache packed ahead of the transaction that stores it.
struct PackedStatCache {
    std::string bytes;
    long long entries = 0;
};
[[nodiscard]] inline PackedStatCache pack_for_storing(const StatCache& cache)
{
    return {pack_stat_cache(cache), static_cast<long long>(cache.size())};
}

// corrupt when the bytes are not a packed cache of `entries` files in path order.
[[nodiscard]] Expected<StatCache> unpack_stat_cache(std::string_view packed, long long entries);

// `base` with each of `upserts` put in (replacing the file's row) and `removed` paths taken out.
// All three sorted by path.
[[nodiscard]] StatCache merge_stat_cache(StatCache base, const StatCache& upserts,
                                         const std::vector<std::string>& removed);

// --- Small changes without rewriting the whole value ---
// A snapshot that hashed a few files, or a reset that restored a few, changes a few rows: those
// go to an overlay stored beside the packed value (a few hundred bytes instead of megabytes),
// which readers apply on top; a large overlay is folded into the value.

// An overlay row that takes its path out (no file has this size).
inline constexpr long long removed_row_size = -1;

struct StatCacheDelta {
    StatCache upserts;                  // sorted by path
    std::vector<std::string> removed;   // sorted
    [[nodiscard]] size_t size() const { return upserts.size() + removed.size(); }
};

// A row of a cache that is not built: its path and hash, or nullopt for an index without one.
using RowView = std::optional<std::pair<std::string_view, CachedHash>>;

// The rows that differ from `before` to the rows `row_at(0..count-1)` (both in path order), the
// one merge behind diff_stat_cache: a caller with the rows in another shape (an observation)
// need not copy them into a cache first.
template <class RowAt>
[[nodiscard]] StatCacheDelta diff_rows(const StatCache& before, size_t count, RowAt row_at)
{
    StatCacheDelta delta;
    auto old_row = before.begin();
    for (size_t i = 0; i < count; ++i) {
        const RowView row = row_at(i);
        if (!row)
            continue;
        const auto& [path, hash] = *row;
        while (old_row != before.end() && old_row->path < path)
            delta.removed.push_back((old_row++)->path);
        if (old_row != before.end() && old_row->path == path) {
            if (!(old_row->hash == hash))
                delta.upserts.push_back({std::string(path), hash});
            ++old_row;
        } else {
            delta.upserts.push_back({std::string(path), hash});
        }
    }
    for (; old_row != before.end(); ++old_row)
        delta.removed.push_back(old_row->path);
    return delta;
}

// The rows that differ from `before` to `after` (both sorted).
[[nodiscard]] StatCacheDelta diff_stat_cache(const StatCache& before, const StatCache& after);
// `overlay` with `delta` put on top (removals become rows of removed_row_size).
[[nodiscard]] StatCache add_to_overlay(const StatCache& overlay, const StatCacheDelta& delta);
// `base` as `overlay` changes it.
[[nodiscard]] StatCache apply_overlay(StatCache base, const StatCache& overlay);

}  // namespace envpin::store
