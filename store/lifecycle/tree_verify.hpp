#pragma once
// A tree build's last check: every regular file built holds the bytes its manifest entry names.
// A file is read back and hashed unless its object is known good without reading it: it still
// had the stamp recorded when its bytes were last verified, or (a copy of an object the same
// build linked) the stamp that link gave it.
#include "base/error.hpp"
#include "store/core/metadata.hpp"
#include "store/core/object_store.hpp"
#include "store/lifecycle/tree_builder.hpp"

namespace envpin::store {

// Reads back what it cannot vouch for, largest first on all cores, and collects every file whose
// bytes differ (corrupt, naming up to five of them and their objects; `options.damaged` gets
// their objects). Fills `built`'s verified objects and its hashed and trusted counts.
[[nodiscard]] Expected<void> verify_built(TreeBuild& built, const ObjectStore& objects, const BuildOptions& options,
                                          const VerifiedStamps& verified);

}  // namespace envpin::store
