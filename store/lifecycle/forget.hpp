#pragma once
// `envpin forget NAME [--purge]`: envpin stops managing an environment. Its directory is never
// touched; the spare directories envpin made beside it are removed. Without --purge its
// snapshots stay (readable with `log`, restorable with `clone`, and counted by gc as in use);
// the name stays theirs and the directory can be adopted again. With --purge they go too: the
// branch of manifests.git first, then the database rows in one transaction (a crash between
// leaves the rows, and the next writer puts the branch back, so a second `forget --purge`
// finishes); `envpin gc` then removes the objects nothing else uses.
#include <string>

#include "base/error.hpp"
#include "store/store.hpp"

namespace envpin::store {

struct ForgetOutcome {
    Environment environment;    // as it was before
    bool already_forgotten = false;
    bool purged = false;
    size_t snapshots = 0;        // the environment's snapshots: kept, or dropped by --purge
    long long spares_removed = 0;  // its spare directories beside it (lifecycle/spare.hpp)
};

// Needs a writable store. not_found when there is no environment `name`.
[[nodiscard]] Expected<ForgetOutcome> forget_environment(Store& store, const std::string& name, bool purge);

}  // namespace envpin::store
