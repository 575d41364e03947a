#pragma once
// Which objects the snapshots use, read from every snapshot's manifest: what gc keeps and
// what fsck expects to find.
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "store/core/object_store.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct ObjectUse {
    long long size = 0;                  // as the manifests record it
    std::vector<size_t> snapshots;       // indexes into References::snapshots
};

struct UnreadableManifest {
    SnapshotInfo snapshot;
    Error error;
};

struct References {
    std::vector<SnapshotInfo> snapshots;  // every snapshot of every environment
    std::unordered_map<ObjectKey, ObjectUse, ObjectKeyHash> objects;
    std::vector<UnreadableManifest> unreadable;  // manifests that are missing, corrupt or unsafe

    // "train@1, train@2" for an object's users.
    [[nodiscard]] std::vector<std::string> labels(const ObjectUse& use) const;
};

[[nodiscard]] Expected<References> collect_references(Store& store);

}  // namespace envpin::store
