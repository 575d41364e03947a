#include "verify/runner/probe_dispatch.hpp"

#include <exception>

#include "base/strings.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"

namespace envpin::verify {
namespace {

CheckResult error_result(std::string name, std::string detail)
{
    CheckResult result{.name = std::move(name), .status = CheckStatus::error};
    result.detail = std::move(detail);
    return result;
}

}  // namespace

CheckResult run_probe_check(const ProbeRequest& request)
{
    const CheckFunction run = find_check_function(request.check);
    if (run == nullptr) {
        std::vector<std::string> known(suite_check_names().begin(), suite_check_names().end());
        return error_result(request.check, fmt::format("unknown check '{}' (known: {})", request.check,
                                                       join(known, ", ")));
    }
    Stopwatch clock;
    CheckResult result;
    try {
        result = run(request);
    } catch (const std::exception& error) {
        result = error_result(request.check, fmt::format("the check threw: {}", error.what()));
    }
    result.name = request.check;
    if (result.duration_ms == 0)
        result.duration_ms = clock.elapsed_ms();
    return result;
}

CheckResult run_probe_check_text(std::string_view request_json)
{
    auto request = probe_request_from_json(request_json);
    if (!request)
        return error_result("", request.error().describe());
    return run_probe_check(*request);
}

}  // namespace envpin::verify
