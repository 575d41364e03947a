#pragma once
// The child side of the suite: `envpin probe check` reads a ProbeRequest on stdin, runs the
// named check through this dispatcher and prints its CheckResult on stdout.
#include <string_view>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

// Runs `request.check`, found in the tables of checks this envpin carries. Never throws: a
// name no table knows, a malformed request or an exception out of a check becomes an
// `error` result that says so. The result's name is the requested one; its duration is
// measured here when the check left it at 0.
[[nodiscard]] CheckResult run_probe_check(const ProbeRequest& request);

// What `envpin probe check` does with its stdin: parse the request, run it.
[[nodiscard]] CheckResult run_probe_check_text(std::string_view request_json);

}  // namespace envpin::verify
