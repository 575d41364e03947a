#pragma once
// libgit2 as manifests.git uses it, internal to store/core (history.cpp, history_read.cpp): the
// owners of its handles, its failures as envpin's errors, object ids as text, and one repository
// handle per worker. With git_stored_objects.*, the only place that sees libgit2.
#include <git2.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace envpin::store {

template <class T, void (*Free)(T*)>
struct GitFree {
    void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

using Blob = GitPtr<git_blob, git_blob_free>;
using Commit = GitPtr<git_commit, git_commit_free>;
using Tree = GitPtr<git_tree, git_tree_free>;
using TreeBuilder = GitPtr<git_treebuilder, git_treebuilder_free>;
using Signature = GitPtr<git_signature, git_signature_free>;
using Reference = GitPtr<git_reference, git_reference_free>;
using Repository = GitPtr<git_repository, git_repository_free>;

// Once per process: libgit2's global state, and fsync of what libgit2 itself writes (refs;
// off by default). A commit's objects go through the stored-object writer, synced once.
void initialize_libgit2();

// libgit2's last error for `doing`.
[[nodiscard]] Error git_failure(std::string_view doing, int code);

// libgit2 reports some system failures in its own words only ("failed to insert entry: invalid
// object specified" when the open of an object failed): the system's words are added when errno
// still holds them.
[[nodiscard]] Error git_failure_with_errno(std::string_view doing, int code, int system);

// Returns git_failure_with_errno from the enclosing function when the libgit2 `call` fails.
#define ENVPIN_GIT(doing, call)                                                        \
    do {                                                                               \
        errno = 0;                                                                     \
        if (const int git_code_ = (call); git_code_ < 0)                               \
            return std::unexpected(git_failure_with_errno((doing), git_code_, errno)); \
    } while (false)

[[nodiscard]] Expected<git_oid> parse_oid(std::string_view hex);
[[nodiscard]] std::string oid_hex(const git_oid& oid);

// A handle for writing a commit's objects: through the stored-object writer, unsynced (the
// caller syncs once).
[[nodiscard]] Expected<Repository> open_for_writing(const std::filesystem::path& git_dir);

// One repository handle per worker, opened on first use by that worker only.
class WorkerRepositories {
public:
    WorkerRepositories(std::filesystem::path git_dir, unsigned workers) : git_dir_(std::move(git_dir)), handles_(workers) {}

    [[nodiscard]] Expected<git_repository*> get(unsigned worker);

private:
    std::filesystem::path git_dir_;
    std::vector<Repository> handles_;
};

}  // namespace envpin::store
