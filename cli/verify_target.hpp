#pragma once
// `verify NAME [REF]` over the store: which tree is proven (the live environment, after saving
// its drift; or REF materialized beside it), what the result is recorded against, the run it
// is compared with for regressions, and the earlier pass of the same bytes a failure is told
// against. What counts as verified comes from store/lifecycle/verdicts.hpp.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/store.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {

// The newest run on this host that passed for the target's bytes.
struct EarlierPass {
    std::string ref;  // the snapshot it was recorded for ("train@1")
    std::string at;   // ISO 8601 UTC
    std::optional<verify::RunContext> context;  // nullopt: that run recorded none
};

struct VerifyTarget {
    store::Environment environment;
    store::SnapshotInfo snapshot;  // the result is recorded for this snapshot
    std::filesystem::path path;    // the tree the suite runs against
    bool temporary = false;        // `path` was built for this run and is removed after it
    std::vector<store::Distribution> distributions;
    std::optional<std::string> reset_suggestion;  // "NAME@N": verified on this host, for hints
    std::optional<verify::Report> baseline;       // the newest passing run on this host
    std::optional<EarlierPass> earlier_pass;      // these bytes passed on this host before
    bool held_torch = true;  // false: no snapshot of the environment ever listed torch
};

// Opens the target: no REF (or REF = the current snapshot) proves the live environment, after
// snapshotting unsaved drift (reason "verify") so the result belongs to what was tested; another
// REF is built beside the environment from the store. Needs a writable store.
[[nodiscard]] Expected<VerifyTarget> prepare_verify_target(store::Store& store, const std::string& name,
                                                           const std::string& ref, const std::string& fingerprint);

// Fills the report's snapshot, regressions and (for a failure of bytes that passed here
// before) passed_before, then records the run with its context in the store.
[[nodiscard]] Expected<void> record_verify_result(store::Store& store, const VerifyTarget& target,
                                                  verify::Report& report);

// Removes a temporary tree (no-op for the live environment).
void release_verify_target(const VerifyTarget& target);

}  // namespace envpin::cli
