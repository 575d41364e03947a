#pragma once
// A libgit2 object-database backend for manifests.git that writes loose objects deflated at
// level 0 (stored blocks) and without an fsync each. Committing a large environment's manifest
// spent most of its time deflating sha256 columns, which hardly compress (libgit2's own writer
// deflates at level 1 and cannot be asked for level 0), and in an fsync per shard. The objects
// are ordinary loose objects that libgit2 and stock git read, and `git gc` packs; a writer
// through this backend makes them durable with one filesystem sync (History::write_commit).
// Internal to store/core (history.cpp, git_handles.cpp), like git_handles.hpp.
#include <git2.h>

#include <filesystem>
#include <string_view>

#include "base/error.hpp"

namespace envpin::store {

// Puts the backend in front of libgit2's writers in `repository`'s object database (reads
// still go through libgit2's own backends). A libgit2 error code (< 0) on failure.
[[nodiscard]] int add_stored_object_writer(git_repository* repository, const std::filesystem::path& objects_dir);

// Writes `data` as a blob in the same form, without libgit2 (its id hashed with OpenSSL, see
// sha1_of), unless the object is already there; unsynced, like the backend's. Its id.
[[nodiscard]] Expected<git_oid> write_stored_blob(const std::filesystem::path& objects_dir, std::string_view data);

}  // namespace envpin::store
