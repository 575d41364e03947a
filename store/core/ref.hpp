#pragma once
// Snapshot references as users type them: NAME (the current snapshot), NAME@SEQ, NAME@~N
// (N back from the current one), or a commit id prefix. Pure parsing; the store resolves them.
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace envpin::store {

struct SnapshotRef {
    enum class Kind {
        bare,  // "train" or "3f2a9c": an environment name, else a commit prefix
        seq,   // "train@3"
        back,  // "train@~2"
    };
    Kind kind = Kind::bare;
    std::string text;    // the environment name, or the bare word
    long long number = 0;  // SEQ (>= 1) or N (>= 0)
    bool operator==(const SnapshotRef&) const = default;
};

// bad_input naming `text` when it is none of the forms above.
[[nodiscard]] Expected<SnapshotRef> parse_ref(std::string_view text);

// Environment names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit, not ending in
// ".lock" or "." and without "..", so that each is a valid git branch name as it stands.
[[nodiscard]] Expected<void> check_environment_name(std::string_view name);

// True for 4 to 40 hex digits: could be a commit id prefix.
[[nodiscard]] bool looks_like_commit_prefix(std::string_view text);

}  // namespace envpin::store
