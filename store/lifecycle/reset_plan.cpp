#include "store/lifecycle/reset_plan.hpp"

#include <unordered_map>
#include <unordered_set>

namespace envpin::store {
namespace {

using Index = std::unordered_map<std::string_view, const ManifestEntry*>;

Index index_of(const Manifest& manifest)
{
    Index index;
    index.reserve(manifest.entries.size());
    for (const auto& entry : manifest.entries)
        index.emplace(entry.path, &entry);
    return index;
}

// Whether a proper ancestor of `path` is already added, replaced or removed as a whole.
bool under_step(std::string_view path, const std::unordered_set<std::string_view>& whole)
{
    if (path == "." || whole.contains("."))
        return path != "." && whole.contains(".");
    for (size_t slash = path.rfind('/'); slash != std::string_view::npos; slash = path.rfind('/', slash - 1)) {
        if (whole.contains(path.substr(0, slash)))
            return true;
        if (slash == 0)
            break;
    }
    return false;
}

}  // namespace

std::string_view to_string(ResetStep step)
{
    switch (step) {
    case ResetStep::add: return "add";
    case ResetStep::replace: return "replace";
    case ResetStep::remove: return "remove";
    case ResetStep::chmod: return "chmod";
    }
    return "add";
}

std::optional<ResetStep> parse_reset_step(std::string_view text)
{
    for (const auto step : {ResetStep::add, ResetStep::replace, ResetStep::remove, ResetStep::chmod})
        if (to_string(step) == text)
            return step;
    return std::nullopt;
}

std::vector<ResetOp> plan_reset(const Manifest& live, const Manifest& target)
{
    const auto live_index = index_of(live);
    const auto target_index = index_of(target);
    std::vector<ResetOp> ops, chmods;
    std::unordered_set<std::string_view> whole;  // paths added, replaced or removed as a whole
    // Sorted order puts every parent before its children, so a whole step is known before the
    // entries below it are seen.
    for (const auto& entry : target.entries) {
        if (under_step(entry.path, whole))
            continue;
        const auto found = live_index.find(entry.path);
        if (found == live_index.end()) {
            ops.push_back({ResetStep::add, entry.path});
            whole.insert(entry.path);
            continue;
        }
        const auto& now = *found->second;
        if (now.kind == EntryKind::directory && entry.kind == EntryKind::directory) {
            if (now.mode != entry.mode)
                chmods.push_back({ResetStep::chmod, entry.path, now.mode, entry.mode});
            continue;
        }
        if (!same_state(now, entry)) {
            ops.push_back({ResetStep::replace, entry.path});
            whole.insert(entry.path);
        }
    }
    for (const auto& entry : live.entries) {
        if (target_index.contains(entry.path) || under_step(entry.path, whole))
            continue;
        ops.push_back({ResetStep::remove, entry.path});
        whole.insert(entry.path);
    }
    ops.insert(ops.end(), chmods.begin(), chmods.end());
    return ops;
}

}  // namespace envpin::store
