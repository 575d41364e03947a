#include "verify/probe_dispatch.hpp"

#include <exception>

#include "verify/check_support.hpp"
#include "verify/suite_checks.hpp"

namespace envpin::verify {
namespace {

using CheckFinder = CheckFunction (*)(std::string_view name);

// Each table of checks: host/libs/train/python (suite_checks.cpp); the GPU compute checks
// (kernels, cublas, cudnn, nccl) add their finder here.
constexpr CheckFinder finders[] = {
    find_suite_check,
};

CheckResult error_result(std::string name, std::string detail)
{
    CheckResult result{.name = std::move(name), .status = CheckStatus::error};
    result.detail = std::move(detail);
    return result;
}

}  // namespace

CheckResult run_probe_check(const ProbeRequest& request)
{
    CheckFunction run = nullptr;
    for (const auto finder : finders)
        if ((run = finder(request.check)) != nullptr)
            break;
    if (run == nullptr)
        return error_result(request.check, fmt::format("this envpin has no probe for the check '{}'", request.check));
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
