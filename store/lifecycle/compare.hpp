#pragma once
// Differences between two manifests: what `status`, `diff` and `snapshot` report. Pure.
#include <optional>
#include <string>
#include <vector>

#include "store/core/manifest.hpp"

namespace envpin::store {

struct DistributionChange {
    std::string name;                 // as the newer side spells it (the older when removed)
    std::optional<std::string> from;  // nullopt: installed since
    std::optional<std::string> to;    // nullopt: removed since
    bool operator==(const DistributionChange&) const = default;
};

struct Changes {
    std::vector<std::string> added;     // paths, sorted
    std::vector<std::string> modified;  // content, mode, kind or symlink target changed
    std::vector<std::string> removed;
    std::vector<DistributionChange> distributions;  // sorted by normalized name

    [[nodiscard]] bool empty() const
    {
        return added.empty() && modified.empty() && removed.empty() && distributions.empty();
    }
    bool operator==(const Changes&) const = default;
};

// What changed from `before` to `after` (both sorted, as manifests are). File mtimes alone are
// not a change.
[[nodiscard]] Changes compare(const Manifest& before, const Manifest& after);

}  // namespace envpin::store
