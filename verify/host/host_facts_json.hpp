#pragma once
// Reads HostFacts back from the `host --json` form (host_to_json), so the suite runner can
// hand the facts it probed once to every check child.
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"

namespace envpin::verify {

// bad_input when `document` is not a host_to_json object.
[[nodiscard]] Expected<HostFacts> host_facts_from_json(const nlohmann::json& document);

}  // namespace envpin::verify
