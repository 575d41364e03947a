#pragma once
// The forms of a gate run (cli/gate_run.hpp): the closing line of the text output, the JSON
// document (--json) and the JUnit suite (--junit). Steps render as verify's checks do.
#include <ostream>

#include <nlohmann/json.hpp>

#include "cli/gate_run.hpp"
#include "verify/runner/junit.hpp"

namespace envpin::cli {

// "gate: PASS  4 steps in 3.2 s  (envpin.lock, environment train)", or FAIL naming the step.
void render_gate_summary(const GateReport& report, std::ostream& out, bool color);

// {"status": "pass"|"fail", "lock", "environment", "stopped_at": null|step, "steps": [check...],
//  "verify": null|verify's report, "duration_ms"}. (A run that met an error is main's to print.)
[[nodiscard]] nlohmann::json gate_to_json(const GateReport& report);

// One suite "envpin gate": the four steps under "envpin.gate", then verify's checks when
// step 4 ran the suite.
[[nodiscard]] verify::JUnitSuite gate_junit_suite(const GateReport& report);

}  // namespace envpin::cli
