// The stat cache as an observation leaves it (store/lifecycle/observe.hpp): cache_after and
// cache_delta.
#include "store/lifecycle/observe.hpp"

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
