#include "verify/probe_check.hpp"

#include <string>
#include <vector>

#include "base/strings.hpp"
#include "verify/gpu_checks.hpp"

namespace envpin::verify {

CheckResult run_gpu_probe_check(std::string_view request_text)
{
    CheckResult result;
    const auto request = probe_request_from_json(request_text);
    if (!request) {
        result.detail = request.error().describe();
        return result;
    }
    result.name = request->check;
    const CheckEntry* entry = find_gpu_check(request->check);
    if (entry == nullptr) {
        std::vector<std::string> known;
        for (const auto& check : gpu_checks())
            known.emplace_back(check.name);
        result.detail =
            fmt::format("unknown check '{}' (known: {})", request->check, join(known, ", "));
        return result;
    }
    return run_check(*entry, *request);
}

} // namespace envpin::verify
