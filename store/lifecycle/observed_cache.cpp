// The stat cache against an observation (store/lifecycle/observe.hpp): match_cache as the walk
// meets it, cache_after and cache_delta as the observation leaves it.
#include "store/lifecycle/observe.hpp"

#include <algorithm>
#include <iterator>

#include "store/core/parallel.hpp"

namespace envpin::store {
namespace {

// Entry `i`'s row in cache_after: a file whose digest is known for its stamp, else none.
RowView known_row(const Observation& observation, size_t i)
{
    const auto& entry = observation.manifest.entries[i];
    const bool known = observation.from_cache[i] ||
                       (observation.hashed[i] && !racy(observation.stamps[i], observation.started_ns));
    if (entry.kind != EntryKind::file || !known)
        return std::nullopt;
    return {{entry.path, CachedHash{observation.stamps[i], entry.digest}}};
}

}  // namespace

CacheMatch match_cache(Observation& observation, const StatCache& cache, bool list_gone, unsigned threads)
{
    auto& entries = observation.manifest.entries;
    constexpr size_t slice = 8192;
    const size_t slices = (entries.size() + slice - 1) / slice;
    // The first row that does not sort before slice s's first entry.
    const auto rows_from = [&](size_t s) {
        if (s == 0)
            return cache.begin();
        if (s >= slices)
            return cache.end();
        return std::ranges::lower_bound(cache, std::string_view(entries[s * slice].path), {},
                                        [](const CachedFile& row) { return std::string_view(row.path); });
    };
    std::vector<CacheMatch> found(slices);
    for_each_slice(entries.size(), slice, threads, [&](size_t s, size_t begin, size_t end) {
        auto& out = found[s];
        auto row = rows_from(s);
        const auto rows_end = rows_from(s + 1);
        const auto left_out = [&](const CachedFile& gone_row) {
            if (list_gone)
                out.gone.push_back(gone_row.path);
        };
        for (size_t i = begin; i < end; ++i) {
            auto& entry = entries[i];
            if (entry.kind != EntryKind::file)
                continue;
            for (; row != rows_end && row->path < entry.path; ++row)
                left_out(*row);
            if (row != rows_end && row->path == entry.path) {
                const bool same = stamp_matches(row->hash.stamp, observation.stamps[i]);
                if (same) {
                    entry.digest = row->hash.digest;
                    observation.from_cache[i] = 1;
                }
                ++row;  // this file's row, used or not: never reported as gone
                if (same)
                    continue;
            }
            out.todo.push_back(i);
            out.bytes += entry.size;
        }
        for (; row != rows_end; ++row)
            left_out(*row);
    });
    CacheMatch all;
    for (auto& part : found) {
        all.todo.insert(all.todo.end(), part.todo.begin(), part.todo.end());
        all.bytes += part.bytes;
        std::ranges::move(part.gone, std::back_inserter(all.gone));
    }
    return all;
}

StatCache cache_after(const Observation& observation)
{
    StatCache cache;
    cache.reserve(observation.manifest.entries.size());
    for (size_t i = 0; i < observation.manifest.entries.size(); ++i)
        if (const auto row = known_row(observation, i))
            cache.push_back({std::string(row->first), row->second});
    return cache;
}

StatCacheDelta cache_delta(const StatCache& before, const Observation& observation)
{
    return diff_rows(before, observation.manifest.entries.size(),
                     [&observation](size_t i) { return known_row(observation, i); });
}

}  // namespace envpin::store
