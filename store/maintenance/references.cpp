#include "store/maintenance/references.hpp"

#include <unordered_set>

namespace envpin::store {

std::vector<std::string> References::labels(const ObjectUse& use) const
{
    std::vector<std::string> names;
    for (const size_t index : use.snapshots)
        names.push_back(snapshots[index].seq == 0 ? snapshots[index].environment : snapshots[index].label());
    return names;
}

namespace {

// Commits of manifests.git that no snapshot row names and `envpin prune` did not drop (the store
// refuses to open while a branch points at one, so only a history edited by hand has them):
// their manifests are kept alive too, as snapshots labelled by commit.
Expected<void> add_unrecorded_commits(Store& store, References& references)
{
    auto recorded = ENVPIN_TRY(store.metadata().pruned_commits());  // dropped on purpose: not kept
    for (const auto& snapshot : references.snapshots)
        recorded.insert(snapshot.commit);
    for (const auto& [name, tip] : ENVPIN_TRY(store.history().branches()))
        for (const auto& commit : ENVPIN_TRY(store.history().log(tip)))
            if (recorded.insert(commit.id).second) {
                SnapshotInfo unrecorded;
                unrecorded.environment = fmt::format("{} (commit {}, not in the database)", name, commit.id.substr(0, 12));
                unrecorded.commit = commit.id;
                references.snapshots.push_back(std::move(unrecorded));
            }
    return {};
}

}  // namespace

Expected<References> collect_references(Store& store)
{
    References references;
    references.snapshots = ENVPIN_TRY(store.metadata().all_snapshots());
    const size_t recorded = references.snapshots.size();
    ENVPIN_TRY(add_unrecorded_commits(store, references));
    for (size_t index = 0; index < references.snapshots.size(); ++index) {
        const auto& snapshot = references.snapshots[index];
        auto manifest = store.manifest(snapshot);
        if (manifest && index < recorded && state_digest(*manifest) != snapshot.state)
            manifest = fail(ErrorCode::corrupt, "manifest of {} does not match the state recorded for it", snapshot.label());
        if (!manifest) {
            references.unreadable.push_back({snapshot, std::move(manifest.error())});
            continue;
        }
        for (const auto& entry : manifest->entries) {
            if (entry.kind != EntryKind::file)
                continue;
            auto& use = references.objects[ObjectKey{entry.digest, entry.executable()}];
            use.size = entry.size;
            if (use.snapshots.empty() || use.snapshots.back() != index)
                use.snapshots.push_back(index);
        }
    }
    return references;
}

}  // namespace envpin::store
