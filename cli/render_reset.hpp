#pragma once
// Text and JSON rendering of a reset's outcome.
#include <ostream>

#include <nlohmann/json.hpp>

#include "store/lifecycle/reset.hpp"

namespace envpin::cli {

// {"status": "reset"|"unchanged"|"refused", "from", "to", "saved", "target_verified",
//  "reused_files", "restored_files", "switch_ms", "old_tree", "reason", "verified"}
[[nodiscard]] nlohmann::json reset_json(const store::ResetOutcome& outcome);
void render_reset(const store::ResetOutcome& outcome, const store::Environment& environment, std::ostream& out,
                  std::ostream& err, bool quiet);

}  // namespace envpin::cli
