// Reading a snapshot's manifest back from manifests.git: its tree, its shards' ids, and the
// texts of the shards asked for, inflated on all cores.
#include "store/core/history.hpp"

#include "store/core/git_handles.hpp"
#include "store/core/parallel.hpp"

namespace envpin::store {
namespace {

// What a commit's tree says of the manifest: its distributions blob and its files, either one
// blob (a store from before the shards) or a tree of shards, by name.
struct ManifestTree {
    git_oid distributions{};
    std::optional<git_oid> unsharded;
    std::vector<std::pair<std::string, git_oid>> shards;
};

Expected<ManifestTree> manifest_tree(git_repository* repo, std::string_view commit_id)
{
    const auto oid = ENVPIN_TRY(parse_oid(commit_id));
    git_commit* raw_commit = nullptr;
    const int code = git_commit_lookup(&raw_commit, repo, &oid);
    if (code == GIT_ENOTFOUND)
        return fail(ErrorCode::not_found, "commit {} is missing from manifests.git", commit_id);
    ENVPIN_GIT(fmt::format("reading commit {}", commit_id), code);
    Commit commit(raw_commit);
    git_tree* raw_tree = nullptr;
    ENVPIN_GIT(fmt::format("reading the tree of {}", commit_id), git_commit_tree(&raw_tree, commit.get()));
    Tree tree(raw_tree);
    const git_tree_entry* distributions = git_tree_entry_byname(tree.get(), "distributions");
    if (distributions == nullptr || git_tree_entry_type(distributions) != GIT_OBJECT_BLOB)
        return fail(ErrorCode::corrupt, "commit {} has no 'distributions' manifest", commit_id);
    const git_tree_entry* files = git_tree_entry_byname(tree.get(), "files");
    if (files == nullptr)
        return fail(ErrorCode::corrupt, "commit {} has no 'files' manifest", commit_id);
    ManifestTree found;
    git_oid_cpy(&found.distributions, git_tree_entry_id(distributions));
    if (git_tree_entry_type(files) == GIT_OBJECT_BLOB) {
        found.unsharded = *git_tree_entry_id(files);
        return found;
    }
    if (git_tree_entry_type(files) != GIT_OBJECT_TREE)
        return fail(ErrorCode::corrupt, "commit {}: 'files' is neither a manifest nor a tree of shards", commit_id);
    git_tree* raw_files = nullptr;
    ENVPIN_GIT(fmt::format("reading the files tree of {}", commit_id), git_tree_lookup(&raw_files, repo, git_tree_entry_id(files)));
    Tree files_tree(raw_files);
    const size_t count = git_tree_entrycount(files_tree.get());
    for (size_t i = 0; i < count; ++i) {
        const git_tree_entry* entry = git_tree_entry_byindex(files_tree.get(), i);
        if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
            return fail(ErrorCode::corrupt, "commit {}: files/{} is not a manifest shard", commit_id, git_tree_entry_name(entry));
        found.shards.emplace_back(git_tree_entry_name(entry), *git_tree_entry_id(entry));
    }
    return found;
}

Expected<std::string> read_blob(git_repository* handle, const git_oid& id, std::string_view name, std::string_view commit_id)
{
    git_blob* raw_blob = nullptr;
    ENVPIN_GIT(fmt::format("reading '{}' of {}", name, commit_id), git_blob_lookup(&raw_blob, handle, &id));
    Blob blob(raw_blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), static_cast<size_t>(git_blob_rawsize(blob.get())));
}

}  // namespace

Expected<std::optional<ShardIds>> History::shard_ids(std::string_view commit_id)
{
    const auto tree = ENVPIN_TRY(manifest_tree(ENVPIN_TRY(repository()), commit_id));
    if (tree.unsharded)
        return std::nullopt;
    ShardIds ids;
    for (const auto& [name, oid] : tree.shards)
        ids.emplace(name, oid_hex(oid));
    return ids;
}

Expected<ManifestTexts> History::read(std::string_view commit_id, const std::set<std::string>* only)
{
    auto* repo = ENVPIN_TRY(repository());
    const auto tree = ENVPIN_TRY(manifest_tree(repo, commit_id));
    ManifestTexts texts;
    texts.distributions = ENVPIN_TRY(read_blob(repo, tree.distributions, "distributions", commit_id));
    if (tree.unsharded) {
        texts.sharded = false;
        texts.files.push_back({"files", ENVPIN_TRY(read_blob(repo, *tree.unsharded, "files", commit_id))});
        return texts;
    }
    std::vector<const git_oid*> ids;
    for (const auto& [name, oid] : tree.shards) {
        if (only != nullptr && !only->contains(name))
            continue;
        texts.files.push_back({name, {}});
        ids.push_back(&oid);
    }
    // Inflated on all cores, each worker on its own repository handle.
    const size_t count = ids.size();
    const unsigned workers = worker_count(0, count);
    WorkerRepositories handles(git_dir_, workers);
    ENVPIN_TRY(parallel_for(count, workers, [&](size_t i, unsigned worker) -> Expected<void> {
        texts.files[i].text = ENVPIN_TRY(read_blob(ENVPIN_TRY(handles.get(worker)), *ids[i], "files/" + texts.files[i].name, commit_id));
        return {};
    }));
    return texts;
}

}  // namespace envpin::store
