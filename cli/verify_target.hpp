#pragma once
// `verify NAME [REF]` over the store: which tree is proven (the live environment, after saving
// its drift; or REF materialized beside it), what the result is recorded against, and the
// run it is compared with for regressions.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/store.hpp"
#include "verify/report.hpp"

namespace envpin::cli {

struct VerifyTarget {
    store::Environment environment;
    store::SnapshotInfo snapshot;  // the result is recorded for this snapshot
    std::filesystem::path path;    // the tree the suite runs against
    bool temporary = false;        // `path` was built for this run and is removed after it
    std::vector<store::Distribution> distributions;
    std::optional<std::string> reset_suggestion;  // "NAME@N": verified on this host, for hints
    std::optional<verify::Report> baseline;       // the newest passing run on this host
    bool held_torch = true;  // false: no snapshot of the environment ever listed torch
};

// Opens the target: no REF (or REF = the current snapshot) proves the live environment, after
// snapshotting unsaved drift (reason "verify") so the result belongs to what was tested; another
// REF is built beside the environment from the store. Needs a writable store.
[[nodiscard]] Expected<VerifyTarget> prepare_verify_target(store::Store& store, const std::string& name,
                                                           const std::string& ref, const std::string& fingerprint);

// Fills the report's snapshot and regressions, then records the run in the store.
[[nodiscard]] Expected<void> record_verify_result(store::Store& store, const VerifyTarget& target,
                                                  verify::Report& report);

// Removes a temporary tree (no-op for the live environment).
void release_verify_target(const VerifyTarget& target);

}  // namespace envpin::cli
