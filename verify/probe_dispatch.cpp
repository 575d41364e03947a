#include "verify/probe_dispatch.hpp"

#include <exception>

#include "verify/check_support.hpp"
#include "base/strings.hpp"
#include "verify/gpu_checks.hpp"
#include "verify/suite.hpp"
#include "verify/suite_checks.hpp"

namespace envpin::verify {
namespace {

using CheckFinder = CheckFunction (*)(std::string_view name);

// Each table of checks: host/libs/train/python and the self-tests (suite_checks.cpp), the
// GPU compute checks kernels/cublas/cudnn/nccl (gpu_checks.cpp).
constexpr CheckFinder finders[] = {
    find_suite_check,
    find_gpu_check_function,
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
