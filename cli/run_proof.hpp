#pragma once
// What a snapshot's passes on this host did not prove: store (the runs and their checks) and
// verify (the not-proven rule) meet here, for log.
#include <optional>

#include "base/error.hpp"
#include "store/core/metadata.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "verify/runner/not_proven.hpp"

namespace envpin::cli {

// nullopt when the snapshot's bytes never passed here, or when a passing run of them ran
// every GPU check; otherwise what the newest passing run left unproven.
[[nodiscard]] Expected<std::optional<verify::NotProven>> unproven_by_passes(store::Metadata& metadata,
                                                                           const store::Verdicts& verdicts,
                                                                           const store::SnapshotInfo& snapshot);

}  // namespace envpin::cli
