#include "store/maintenance/repair.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "store/maintenance/references.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view repair_staging = "repair";

struct Scratch {
    Sha256 hasher;
    std::vector<char> buffer = std::vector<char>(1 << 20);
};

std::optional<ObjectKey> key_of(const std::string& name)
{
    if (name.size() < 3 || name[2] != '/')
        return std::nullopt;
    return ObjectKey::from_name(name.substr(0, 2), name.substr(3));
}

// Gives every shared object an inode of its own, as the detach does: all copies, one sync, then
// the renames. Returns the objects whose shared bytes were not theirs any more (to take back).
Expected<std::vector<ObjectKey>> detach_shared(Store& store, const std::vector<ObjectKey>& keys, int staging_fd,
                                               Scratch& scratch, RepairOutcome& outcome)
{
    std::vector<ObjectStore::SharedCopy> copies;
    std::vector<ObjectKey> changed;
    for (const auto& key : keys) {
        auto copy = ENVPIN_TRY(store.objects().copy_shared(key, staging_fd, key.staging_name(), scratch.hasher, scratch.buffer));
        if (!copy) {
            outcome.detached.push_back(key.name());  // not shared any more
        } else if (!copy->intact) {
            ::unlinkat(staging_fd, copy->name.c_str(), 0);
            changed.push_back(key);
        } else {
            copies.push_back(std::move(*copy));
        }
    }
    ENVPIN_TRY(store.objects().sync());
    for (const auto& copy : copies)
        if (ENVPIN_TRY(store.objects().replace_shared(copy, staging_fd)))
            outcome.detached.push_back(copy.key.name());
    return changed;
}

// Files that may hold the object's bytes: its twin with the other exec bit, and every path of
// a managed environment where a snapshot using the bytes has them.
Expected<std::vector<fs::path>> candidates(Store& store, const ObjectKey& key, const References& references)
{
    std::vector<fs::path> paths;
    const ObjectKey twin{key.digest, !key.executable};
    if (store.objects().contains(twin))
        paths.push_back(store.objects().path(twin));
    for (const auto& probe : {key, twin}) {
        const auto use = references.objects.find(probe);
        if (use == references.objects.end())
            continue;
        for (const size_t index : use->second.snapshots) {
            const auto& snapshot = references.snapshots[index];
            const auto environment = ENVPIN_TRY(store.metadata().environment_by_id(snapshot.environment_id));
            if (!environment)
                continue;
            for (const auto& entry : ENVPIN_TRY(store.manifest(snapshot)).entries)
                if (entry.kind == EntryKind::file && entry.digest == key.digest)
                    paths.push_back(environment->path / entry.path);
        }
    }
    std::ranges::sort(paths);
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    return paths;
}

// The first candidate that hashes to the object's bytes becomes the object; its path, or nullopt.
Expected<std::optional<fs::path>> restore_one(Store& store, const ObjectKey& key, const References& references,
                                              int staging_fd, Scratch& scratch)
{
    for (const auto& path : ENVPIN_TRY(candidates(store, key, references))) {
        sys::UniqueFd source(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!source)
            continue;
        if (ENVPIN_TRY(store.objects().restore_from(key, source.get(), staging_fd, scratch.hasher, scratch.buffer)))
            return std::optional<fs::path>(path);
    }
    return std::optional<fs::path>();
}

}  // namespace

Expected<RepairOutcome> repair(Store& store, const FsckReport& report, unsigned threads)
{
    (void)threads;
    if (!store.writable())
        return fail(ErrorCode::internal, "repair needs the store opened for writing");
    RepairOutcome outcome;
    const auto references = ENVPIN_TRY(collect_references(store));
    const auto staging = ENVPIN_TRY(store.objects().open_staging(repair_staging));
    Scratch scratch;
    std::vector<ObjectKey> shared;
    std::vector<std::pair<ObjectKey, FsckProblem>> damaged;
    for (const auto& problem : report.problems) {
        const auto key = key_of(problem.object);
        if (key && problem.kind == "shared-object")
            shared.push_back(*key);
        else if (key && (problem.kind == "corrupt-object" || problem.kind == "missing-object"))
            damaged.emplace_back(*key, problem);
        else
            outcome.unrepaired.push_back(problem);
    }
    // Shared bytes that changed already are damaged too: their bytes from another copy.
    for (const auto& key : ENVPIN_TRY(detach_shared(store, shared, staging.get(), scratch, outcome)))
        for (const auto& problem : report.problems)
            if (problem.object == key.name() && problem.kind == "shared-object")
                damaged.emplace_back(key, problem);
    for (const auto& [key, problem] : damaged) {
        if (const auto from = ENVPIN_TRY(restore_one(store, key, references, staging.get(), scratch))) {
            ENVPIN_TRY(store.metadata().forget_damaged_object(problem.object));
            outcome.restored.push_back(fmt::format("{} from {}", problem.object, from->string()));
            continue;
        }
        auto left = problem;
        left.detail += "; no other copy of its bytes was found";
        outcome.unrepaired.push_back(std::move(left));
    }
    ENVPIN_TRY(store.objects().sync());
    return outcome;
}

}  // namespace envpin::store
