#pragma once
// gc: remove objects no snapshot uses, stray files in objects/ and leftovers in tmp/. Runs
// only under the writer lock, so no snapshot can be adding objects meanwhile, and refuses to
// delete anything while any manifest is unreadable (it could not know what that one uses).
#include "base/error.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct GcReport {
    long long removed_objects = 0;
    long long removed_bytes = 0;
    long long kept_objects = 0;
    long long removed_strays = 0;
    bool operator==(const GcReport&) const = default;
};

struct GcOptions {
    bool dry_run = false;  // report what would go, remove nothing
};

[[nodiscard]] Expected<GcReport> gc(Store& store, const GcOptions& options = {});

}  // namespace envpin::store
