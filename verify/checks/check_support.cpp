#include "verify/checks/check_support.hpp"

#include <algorithm>

namespace envpin::verify {

CheckResult combine_findings(std::string check_name, const std::vector<Finding>& findings)
{
    CheckResult result;
    result.name = std::move(check_name);
    const auto any = [&](CheckStatus status) {
        return std::ranges::any_of(findings, [&](const Finding& f) { return f.status == status; });
    };
    result.status = any(CheckStatus::fail)    ? CheckStatus::fail
                    : any(CheckStatus::error) ? CheckStatus::error
                    : any(CheckStatus::pass)  ? CheckStatus::pass
                                              : CheckStatus::skip;
    std::vector<const Finding*> ordered;
    for (const auto& f : findings)
        ordered.push_back(&f);
    std::ranges::stable_sort(ordered, [](const Finding* a, const Finding* b) {
        const auto bad = [](const Finding* f) { return f->status == CheckStatus::fail || f->status == CheckStatus::error; };
        return bad(a) && !bad(b);
    });
    auto list = nlohmann::json::array();
    for (const auto* f : ordered) {
        if (!result.detail.empty())
            result.detail += "; ";
        result.detail += f->name + ": " + f->detail;
        const bool bad = f->status == CheckStatus::fail || f->status == CheckStatus::error;
        if (bad && !f->hint.empty() && result.hint.find(f->hint) == std::string::npos)
            result.hint += (result.hint.empty() ? "" : " ") + f->hint;
        list.push_back({{"name", f->name}, {"status", std::string(to_string(f->status))}, {"detail", f->detail}});
    }
    result.measurements["findings"] = list;
    return result;
}

std::chrono::milliseconds inner_timeout(const ProbeRequest& request)
{
    const auto outer = static_cast<long long>(request.number(param::timeout_ms, 120000));
    const long long margin = std::clamp(outer / 5, 200LL, 5000LL);
    return std::chrono::milliseconds(std::max(outer - margin, 100LL));
}

std::string requested_device(const ProbeRequest& request)
{
    const auto device = request.parameter(param::device).value_or("auto");
    return device == "cpu" || device == "gpu" ? device : "auto";
}

}  // namespace envpin::verify
