#include "store/lifecycle/compare.hpp"

#include <algorithm>
#include <map>

#include "base/strings.hpp"

namespace envpin::store {
namespace {

struct Installed {
    std::string name;
    std::vector<std::string> versions;
};

// normalized name -> spelling and versions (a broken environment can hold two dist-infos).
std::map<std::string, Installed> by_name(const std::vector<Distribution>& distributions)
{
    std::map<std::string, Installed> installed;
    for (const auto& distribution : distributions) {
        auto& slot = installed[normalize_name(distribution.name)];
        slot.name = distribution.name;
        slot.versions.push_back(distribution.version);
    }
    return installed;
}

std::vector<DistributionChange> compare_distributions(const std::vector<Distribution>& before,
                                                      const std::vector<Distribution>& after)
{
    const auto old_set = by_name(before);
    const auto new_set = by_name(after);
    std::vector<DistributionChange> changes;
    for (const auto& [key, installed] : new_set) {
        const auto old = old_set.find(key);
        if (old == old_set.end())
            changes.push_back({installed.name, std::nullopt, join(installed.versions, ", ")});
        else if (old->second.versions != installed.versions)
            changes.push_back({installed.name, join(old->second.versions, ", "), join(installed.versions, ", ")});
    }
    for (const auto& [key, installed] : old_set) {
        if (!new_set.contains(key))
            changes.push_back({installed.name, join(installed.versions, ", "), std::nullopt});
    }
    std::ranges::sort(changes, {}, [](const DistributionChange& change) { return normalize_name(change.name); });
    return changes;
}

}  // namespace

Changes compare(const Manifest& before, const Manifest& after)
{
    Changes changes;
    const auto& old_entries = before.entries;
    const auto& new_entries = after.entries;
    size_t i = 0, j = 0;
    while (i < old_entries.size() || j < new_entries.size()) {
        if (j == new_entries.size() || (i < old_entries.size() && old_entries[i].path < new_entries[j].path)) {
            changes.removed.push_back(old_entries[i++].path);
        } else if (i == old_entries.size() || new_entries[j].path < old_entries[i].path) {
            changes.added.push_back(new_entries[j++].path);
        } else {
            if (!same_state(old_entries[i], new_entries[j]))
                changes.modified.push_back(new_entries[j].path);
            ++i;
            ++j;
        }
    }
    changes.distributions = compare_distributions(before.distributions, after.distributions);
    return changes;
}

}  // namespace envpin::store
