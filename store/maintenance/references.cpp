#include "store/maintenance/references.hpp"

namespace envpin::store {

std::vector<std::string> References::labels(const ObjectUse& use) const
{
    std::vector<std::string> names;
    for (const size_t index : use.snapshots)
        names.push_back(snapshots[index].label());
    return names;
}

Expected<References> collect_references(Store& store)
{
    References references;
    references.snapshots = ENVPIN_TRY(store.metadata().all_snapshots());
    for (size_t index = 0; index < references.snapshots.size(); ++index) {
        const auto& snapshot = references.snapshots[index];
        auto manifest = store.manifest(snapshot);
        if (manifest && state_digest(*manifest) != snapshot.state)
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
