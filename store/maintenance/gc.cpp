#include "store/maintenance/gc.hpp"

#include "store/maintenance/references.hpp"

namespace envpin::store {

Expected<GcReport> gc(Store& store, const GcOptions& options)
{
    if (!store.writable())
        return fail(ErrorCode::internal, "gc needs the store opened for writing");
    const auto references = ENVPIN_TRY(collect_references(store));
    if (!references.unreadable.empty()) {
        const auto& first = references.unreadable.front();
        return fail(ErrorCode::corrupt, "gc removes nothing while a manifest is unreadable ({}: {}); run envpin fsck",
                    first.snapshot.label(), first.error.describe());
    }
    std::vector<std::string> strays;
    const auto listed = ENVPIN_TRY(store.objects().list(&strays));
    GcReport report;
    for (const auto& object : listed) {
        if (references.objects.contains(object.key)) {
            ++report.kept_objects;
            continue;
        }
        if (!options.dry_run)
            ENVPIN_TRY(store.objects().remove(object.key));
        ++report.removed_objects;
        report.removed_bytes += object.size;
    }
    for (const auto& stray : strays) {
        if (!options.dry_run)
            ENVPIN_TRY(store.objects().remove_stray(stray));
        ++report.removed_strays;
    }
    return report;
}

}  // namespace envpin::store
