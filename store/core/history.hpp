#pragma once
// manifests.git: a bare repository with one branch per environment (refs/heads/<name>) and one
// commit per snapshot, whose tree holds the manifest as text: "distributions", and "files/"
// with the file list in shards (store/manifest.hpp, print_file_shards), so that stock
// `git --git-dir manifests.git log -p <name>` reads a snapshot's changes. Stores written before
// the shards hold "files" as one blob; reading takes both.
// Behind it, libgit2 is seen only in store/core (git_handles.*, history.cpp, history_read.cpp,
// git_stored_objects.*); libgit2's fsync of the git directory is switched on.
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "store/core/database.hpp"
#include "store/core/manifest.hpp"

struct git_repository;

namespace envpin::store {

struct CommitRequest {
    // The file list's shards: names, entry counts, and what prints entries [begin, end) of shard
    // i (the header line comes with begin 0). Pieces of every shard are printed on all cores,
    // then each shard is written as one blob, in index order (put the largest first:
    // plan_file_shards does).
    std::vector<std::string> shard_names;
    std::vector<size_t> shard_entries;
    std::function<std::string(size_t shard, size_t begin, size_t end)> print_shard;
    std::string distributions_text;  // print_distributions(...)
    std::optional<std::string> parent;  // the previous snapshot's commit id
    std::string message;
    long long time_seconds = 0;  // commit and author time (UTC)
};

struct ManifestTexts {
    std::vector<FileShard> files;  // sharded: the shards of files/; else one, named "files"
    bool sharded = true;
    std::string distributions;
};

// A commit's file-list shards: name -> blob id (hex). Equal ids mean equal entries.
using ShardIds = std::map<std::string, std::string>;

// A commit as `History::log` walks it.
struct LoggedCommit {
    std::string id;
    std::optional<std::string> parent;  // first parent
    std::string message;
    long long time_seconds = 0;
};

class History {
public:
    // Opens the bare repository at `git_dir`; with OpenMode::create, initializes it if absent.
    [[nodiscard]] static Expected<History> open(const std::filesystem::path& git_dir, OpenMode mode);
    History(History&&) noexcept;
    History& operator=(History&&) noexcept;
    ~History();

    // Writes blobs, tree and commit (all fsynced) without moving any branch; returns the id.
    // The shards are printed, compressed and written on all cores, each worker on its own
    // repository handle (a git_repository is never shared between threads); a shard whose blob
    // exists already costs only its printing and hash.
    [[nodiscard]] Expected<std::string> write_commit(const CommitRequest& request);
    // Points refs/heads/<environment> at `commit` (HEAD follows the first branch made).
    [[nodiscard]] Expected<void> set_branch(std::string_view environment, std::string_view commit);
    // The branch's commit id; nullopt when the branch does not exist.
    [[nodiscard]] Expected<std::optional<std::string>> branch(std::string_view environment);
    // Removes the environment's branch (its commits are then unreachable); true when there was one.
    [[nodiscard]] Expected<bool> delete_branch(std::string_view environment);
    // Every branch (environment name, commit id), from the ref files and packed-refs as stock git
    // keeps them, without starting libgit2; empty when the repository is absent.
    [[nodiscard]] Expected<std::vector<std::pair<std::string, std::string>>> branches() const;
    // The commits from `commit` back to the first, along first parents (newest first).
    [[nodiscard]] Expected<std::vector<LoggedCommit>> log(std::string_view commit);
    // Removes ref lock files (refs/heads/*.lock, HEAD.lock) that a killed writer left; the
    // caller holds the store lock, so no envpin writer owns them. Returns how many.
    [[nodiscard]] Expected<size_t> clear_stale_locks();
    // The manifest texts of `commit`; not_found when the commit is absent, corrupt when its
    // tree lacks the manifest files. With `only`, just the file-list shards it names (a
    // manifest from before the shards is read whole).
    [[nodiscard]] Expected<ManifestTexts> read(std::string_view commit, const std::set<std::string>* only = nullptr);
    // The shards of `commit`'s file list and their blob ids, without reading them; nullopt for
    // a manifest from before the shards.
    [[nodiscard]] Expected<std::optional<ShardIds>> shard_ids(std::string_view commit);

private:
    // write_commit without the repository's path in its errors.
    [[nodiscard]] Expected<std::string> write_commit_objects(const CommitRequest& request);
    History(std::filesystem::path git_dir, git_repository* repository)
        : git_dir_(std::move(git_dir)), repository_(repository)
    {
    }
    // Opens the repository on first use, so a reader that never needs a manifest pays nothing
    // for libgit2's start-up.
    [[nodiscard]] Expected<git_repository*> repository();

    std::filesystem::path git_dir_;
    git_repository* repository_ = nullptr;
    // libgit2's start-up on a thread of its own (open() for writing); waited for by the
    // destructor, so that it never runs on while the process exits.
    std::future<void> starting_;
};

}  // namespace envpin::store
