#pragma once
// What `envpin lock` decides, without its file I/O: resolve the spec for a host and compare the
// answer with the lock already on disk.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/lock.hpp"
#include "resolver/spec_file.hpp"

namespace envpin {

struct LockUpdate {
    Request request;
    Resolution resolution;
    std::optional<Lock> lock;             // the lock to write; nullopt on a conflict
    std::vector<std::string> differences; // against the existing lock; empty when it is current
};

// Resolves `spec` for `host`. When `existing` records the same resolution, the new lock keeps
// its `installed` list (what `create` installed is still what the lock describes). Fails with
// bad_input naming `spec_origin` when the spec's values are malformed.
[[nodiscard]] Expected<LockUpdate> update_lock(const Catalog& catalog, const Spec& spec,
                                               const HostFacts& host,
                                               const std::optional<Lock>& existing,
                                               std::string_view spec_origin);

} // namespace envpin
