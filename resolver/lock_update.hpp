#pragma once
// What `envpin lock` decides, without its file I/O: resolve the spec for each of its targets
// (or, without targets, for one host) and compare the answer with the lock already on disk.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/lock.hpp"
#include "resolver/spec_file.hpp"

namespace envpin {

// One target's answer; without targets, the one host's (`target` nullopt).
struct TargetResolution {
    std::optional<Target> target;
    Request request;
    HostFacts facts;  // what it was resolved for
    Resolution resolution;
};

struct LockUpdate {
    std::vector<TargetResolution> resolutions;  // in envpin.toml's order
    std::optional<LockFile> lock;               // the lock to write; nullopt on any conflict
    std::vector<std::string> differences;       // against the existing lock; empty when it is current

    // The first resolution that is a conflict; nullptr when there is none.
    [[nodiscard]] const TargetResolution* conflict() const;
};

// Resolves `spec`: each [[target]] for its own facts, or, without targets, for `host`. Where
// `existing` records the same resolution for a section, the new one keeps its `installed` list
// (what `create` installed is still what the lock describes) and its `made_for`. Fails with
// bad_input naming `spec_origin` when the spec's values are malformed.
[[nodiscard]] Expected<LockUpdate> update_lock(const Catalog& catalog, const Spec& spec,
                                               const HostFacts& host,
                                               const std::optional<LockFile>& existing,
                                               std::string_view spec_origin);

// The host a lock without targets was made for, as facts to check it against again; nullopt
// for a lock with targets or one (version 1) that does not record it.
[[nodiscard]] std::optional<HostFacts> recorded_host(const LockFile& lock);

} // namespace envpin
