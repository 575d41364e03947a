#pragma once
// Builds parts of an environment tree from a manifest and the object store: for reset (each
// entry that differs from the live tree, staged beside it), for clone (a whole tree at a new
// path) and for verify of an older snapshot (a whole tree beside the environment).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/core/manifest.hpp"
#include "store/core/metadata.hpp"
#include "store/core/object_store.hpp"
#include "store/core/records.hpp"

namespace envpin::store {

// One subtree to build: the manifest's entry at `path` (a file, a symlink, or a directory with
// everything below it), created as `destination`, which must not exist; its parent must.
struct SubtreeJob {
    std::string path;
    std::filesystem::path destination;
};

// A regular file as built, for the stat cache: the manifest's path and digest, and the stamp
// the file got.
struct BuiltFile {
    std::string path;
    StatStamp stamp;
    Digest digest;
    std::filesystem::path built;  // where it was built
    long long size = 0;
    bool executable = false;      // with digest: the object it came from
    bool linked = false;          // it is the object's inode
    StatStamp object_before;      // the object's stamp before the build placed it
    size_t entry = 0;             // its entry's index in the target manifest (sorted by path)

    [[nodiscard]] ObjectKey key() const { return {digest, executable}; }
};

struct TreeBuild {
    long long directories = 0;
    long long files = 0;
    long long symlinks = 0;
    long long linked = 0;        // files that share their object's inode (no bytes written)
    long long linked_bytes = 0;
    std::vector<ObjectKey> linked_objects;  // link_then_copy: the objects linked (each once), to detach
    std::vector<BuiltFile> built_files;     // every regular file, in no particular order
    // Objects whose bytes this build verified, with the stamp each has now: for the caller to
    // record (Metadata::record_verified).
    std::vector<std::pair<std::string, StatStamp>> verified_objects;
    long long files_hashed = 0;   // read back and hashed
    long long files_trusted = 0;  // their object's stamp was the verified one: not read
    bool spare_used = false;      // the directories came from BuildOptions::directories_from
};

struct BuildOptions {
    LinkMode mode = LinkMode::copy;  // effective (ObjectStore::place)
    unsigned threads = 0;            // 0: all cores
    bool durable = true;             // sync the filesystem once the tree is built (syncfs)
    // Objects whose bytes did not hash to their digest (a build that found any fails, corrupt):
    // filled when set, for the caller to record them.
    std::vector<ObjectKey>* damaged = nullptr;
    // The stamps of objects verified before (Metadata::verified_stamps), asked for once with
    // the names of the objects the build uses; unset: every file is read back.
    std::function<Expected<VerifiedStamps>(const std::vector<std::string>& objects)> verified;
    // A tree of the target's directories, empty (a spare, store/lifecycle/spare.hpp), renamed
    // to the destination of a build of the whole tree instead of making them; the directories
    // it lacks are made still. Empty, or a build of parts: every directory is made.
    std::filesystem::path directories_from;
    // Once every file is placed: run on a thread of its own while the bytes are verified and
    // synced (it may read the build's files and their stamps, which no longer change); the
    // build returns after it. For work that needs only the stamps (the stat cache's rows).
    std::function<void(const TreeBuild& placed)> while_syncing;
};

// Builds each job's subtree from `target`. Directories are created owner-writable, filled on
// all cores (a worker per directory), then given their modes deepest first. Files come from
// the object store (ObjectStore::place); with link_then_copy, each object is linked at most once
// per build (a second file with the same bytes is copied), so that two files of a tree never
// share an inode. A build never hands over bytes it has not verified against the manifest: each
// regular file built is read back and hashed (the largest first, on all cores) unless its object
// still had the stamp recorded when its bytes were last verified (`verified`), so an object
// changed in the store fails the build (corrupt, naming the object and the file) instead of
// being restored. On failure, what was made stays for the caller to remove.
[[nodiscard]] Expected<TreeBuild> build_subtrees(const Manifest& target, const std::vector<SubtreeJob>& jobs,
                                                 const ObjectStore& objects, const BuildOptions& options);

// The bytes of the regular files the jobs would build (what a copy would write).
[[nodiscard]] long long bytes_to_build(const Manifest& target, const std::vector<SubtreeJob>& jobs);

// The whole tree of `target` at `new_root`.
[[nodiscard]] Expected<TreeBuild> build_tree(const Manifest& target, const std::filesystem::path& new_root,
                                             const ObjectStore& objects, const BuildOptions& options);

// Removes a directory tree that envpin owns (an old tree after a reset), in parallel: files of
// each directory by a worker, then the directories deepest first. Read-only directories are
// made writable first. A missing `root` is success; a `root` that is a file is removed.
[[nodiscard]] Expected<void> remove_tree(const std::filesystem::path& root, unsigned threads);

}  // namespace envpin::store
