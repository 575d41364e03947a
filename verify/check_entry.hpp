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

} // namespace envpin::verify
