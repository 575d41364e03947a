#include "store/lifecycle/reset_plan.hpp"

#include <algorithm>
#include <unordered_set>

namespace envpin::store {
namespace {

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
    // Both lists are sorted by path: one merge finds every entry that differs, without hashing
    // 70,000 paths twice.
    std::vector<ResetOp> differing, chmods;
    auto now = live.entries.begin();
    auto wanted = target.entries.begin();
    while (now != live.entries.end() || wanted != target.entries.end()) {
        // A step on the root takes everything with it: it is the only step (a tree that is gone
        // or replaced comes back as one add or replace, without listing its 70,000 entries).
        if (!differing.empty() && differing.front().path == ".")
            return {std::move(differing.front())};
        if (wanted == target.entries.end() || (now != live.entries.end() && now->path < wanted->path)) {
            differing.push_back({ResetStep::remove, now->path});
            ++now;
        } else if (now == live.entries.end() || wanted->path < now->path) {
            differing.push_back({ResetStep::add, wanted->path});
            ++wanted;
        } else {
            if (now->kind == EntryKind::directory && wanted->kind == EntryKind::directory) {
                if (now->mode != wanted->mode)
                    chmods.push_back({ResetStep::chmod, wanted->path, now->mode, wanted->mode});
            } else if (!same_state(*now, *wanted)) {
                differing.push_back({ResetStep::replace, wanted->path});
            }
            ++now;
            ++wanted;
        }
    }
    if (!differing.empty() && differing.front().path == ".")
        return {std::move(differing.front())};
    // Only the topmost of them are steps: an entry below an added, replaced or removed one goes
    // with it. Parents sort before their children, so the order keeps them first (the merge of
    // two sorted lists is sorted already; the check costs one pass, the sort many).
    if (!std::ranges::is_sorted(differing, {}, &ResetOp::path))
        std::ranges::stable_sort(differing, {}, &ResetOp::path);
    std::unordered_set<std::string_view> whole;  // views into `differing`, which stays put
    std::vector<ResetOp> ops;
    for (const auto& op : differing) {
        if (under_step(op.path, whole))
            continue;
        whole.insert(op.path);
        ops.push_back(op);
    }
    std::erase_if(chmods, [&](const ResetOp& op) { return under_step(op.path, whole) || whole.contains(op.path); });
    // Adds and replaces in path order, then removes, then chmods (as callers and tests expect).
    std::ranges::stable_partition(ops, [](const ResetOp& op) { return op.step != ResetStep::remove; });
    ops.insert(ops.end(), chmods.begin(), chmods.end());
    return ops;
}

}  // namespace envpin::store
