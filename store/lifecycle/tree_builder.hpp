#pragma once
// Builds an environment tree from a manifest, beside the live one, for reset: every file the
// current tree already has in the same state is hardlinked from it (no bytes move), the rest
// comes from the object store. The result is complete and synced before anything swaps it in.
#include <filesystem>

#include "base/error.hpp"
#include "store/core/metadata.hpp"
#include "store/core/manifest.hpp"
#include "store/core/object_store.hpp"

namespace envpin::store {

struct TreeBuild {
    long long directories = 0;
    long long reused = 0;        // files hardlinked from the current tree
    long long from_objects = 0;  // files taken from the object store
    long long symlinks = 0;
};

// Creates `new_root` (which must not exist) holding exactly `target`. `current` is the manifest
// the tree at `current_root` is known to match (its drift was checked and saved); files with the
// same state in both are linked from `current_root`. Other files: hardlinked objects when `mode`
// is hardlink and the object has the entry's permission bits, else cloned or copied with the
// entry's mode and mtime. Directory modes are applied last, deepest first. `threads` workers.
[[nodiscard]] Expected<TreeBuild> build_tree(const Manifest& target, const Manifest& current,
                                             const std::filesystem::path& current_root,
                                             const std::filesystem::path& new_root, const ObjectStore& objects,
                                             LinkMode mode, unsigned threads);

// Removes a directory tree that envpin owns (an old tree after a reset), in parallel: files of
// each directory by a worker, then the directories deepest first. Read-only directories are
// made writable first. A missing `root` is success.
[[nodiscard]] Expected<void> remove_tree(const std::filesystem::path& root, unsigned threads);

}  // namespace envpin::store
