#include "verify/runner/not_proven.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/checks/registry.hpp"
#include "verify/runner/suite.hpp"

namespace envpin::verify {

std::optional<NotProven> not_proven(const std::vector<CheckResult>& checks)
{
    NotProven result;
    std::vector<std::string> reasons;
    for (const auto name : suite_check_names()) {
        if (!is_gpu_check(name))
            continue;
        const auto it = std::ranges::find_if(checks, [&](const CheckResult& check) { return check.name == name; });
        if (it != checks.end() && it->status != CheckStatus::skip)
            continue;
        const auto reason = it == checks.end() ? std::string("not selected (--only)") : it->detail;
        if (std::ranges::find(reasons, reason) == reasons.end())
            reasons.push_back(reason);
        result.checks.emplace_back(name);
    }
    if (result.checks.empty())
        return std::nullopt;
    result.reason = join(reasons, "; ");
    return result;
}

std::string describe(const NotProven& not_proven)
{
    return fmt::format("GPU checks not run: {} ({} skipped)", not_proven.reason, join(not_proven.checks, ", "));
}

std::string mark(const NotProven& not_proven)
{
    const auto gpu_checks = std::ranges::count_if(suite_check_names(), is_gpu_check);
    if (std::cmp_equal(not_proven.checks.size(), gpu_checks))
        return "GPU not proven";
    return join(not_proven.checks, ", ") + " not proven";
}

nlohmann::json to_json(const std::optional<NotProven>& not_proven)
{
    if (!not_proven)
        return nullptr;
    return {{"reason", not_proven->reason}, {"checks", not_proven->checks}};
}

}  // namespace envpin::verify
