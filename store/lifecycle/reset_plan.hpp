#pragma once
// What a reset changes: the entries of the live tree that differ from the target, as the fewest
// whole entries (a file, a symlink, or a directory with everything below it) to add, replace or
// remove, and the directories whose mode alone differs. Unchanged entries are not touched, so a
// reset costs what changed. Pure.
#include <string>
#include <string_view>
#include <vector>

#include "store/core/manifest.hpp"

namespace envpin::store {

enum class ResetStep {
    add,      // in the target only: staged, then renamed in (no-replace)
    replace,  // in both, different (kind, bytes, mode or link target): staged, then exchanged
    remove,   // in the live tree only: renamed out into the staging directory
    chmod,    // a directory in both whose mode alone differs
};

[[nodiscard]] std::string_view to_string(ResetStep step);
[[nodiscard]] std::optional<ResetStep> parse_reset_step(std::string_view text);

struct ResetOp {
    ResetStep step = ResetStep::add;
    std::string path;        // the manifest's path ("." is the environment's root)
    unsigned old_mode = 0;   // chmod: the live directory's mode
    unsigned new_mode = 0;   // chmod: the target's
    unsigned long long staged_inode = 0;  // add, replace: the staged entry's inode, once built
    bool operator==(const ResetOp&) const = default;
};

// The steps that take a tree matching `live` to `target`. `live` describes what is on disk: a
// snapshot's manifest, an empty manifest when the root is missing, or a manifest whose "." is a
// file when something else stands at the root. No step lies below another add, replace or
// remove step. Adds, replaces and removes come first (in path order), chmods last.
[[nodiscard]] std::vector<ResetOp> plan_reset(const Manifest& live, const Manifest& target);

// True when the staged entry of `op` is the target's (add, replace).
[[nodiscard]] inline bool stages(const ResetOp& op)
{
    return op.step == ResetStep::add || op.step == ResetStep::replace;
}

}  // namespace envpin::store
