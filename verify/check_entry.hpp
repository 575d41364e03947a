#pragma once
// One verify check as the probe child dispatches it: a name and the function that runs it.
#include <string_view>

#include "verify/check_result.hpp"

namespace envpin::verify {

struct CheckEntry {
    std::string_view name;    // "kernels", "cublas", ...: ProbeRequest::check
    std::string_view summary; // one line, for listings
    CheckResult (*run)(const ProbeRequest&) = nullptr;
};

// Runs `entry` on `request` and stamps the result with the entry's name and the wall time it
// took (duration_ms). An exception escaping the check (host memory exhausted, say) becomes an
// error result rather than a crash of the probe child.
[[nodiscard]] CheckResult run_check(const CheckEntry& entry, const ProbeRequest& request);

} // namespace envpin::verify
