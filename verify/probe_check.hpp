#pragma once
// The body of `envpin probe check`, the child process the suite runner starts for each check.
#include <string_view>

#include "verify/check_result.hpp"

namespace envpin::verify {

// Runs the check that `request_text` (a ProbeRequest as JSON, read from the child's stdin)
// names, looked up among the GPU checks (gpu_checks.hpp), and returns its result, to be printed as
// one JSON line. A malformed request or an unknown check name is an error result with the reason,
// never a crash: the child always prints a result and exits 0, and only a hang or a crash is the
// watchdog's business.
[[nodiscard]] CheckResult run_gpu_probe_check(std::string_view request_text);

} // namespace envpin::verify
