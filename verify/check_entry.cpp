#include "verify/check_entry.hpp"

#include <chrono>
#include <exception>

namespace envpin::verify {

CheckResult run_check(const CheckEntry& entry, const ProbeRequest& request)
{
    const auto started = std::chrono::steady_clock::now();
    CheckResult result;
    try {
        result = entry.run(request);
    } catch (const std::exception& exception) {
        result = CheckResult{};
        result.status = CheckStatus::error;
        result.detail = std::string("the check stopped on an exception: ") + exception.what();
    }
    result.name = std::string(entry.name);
    result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    return result;
}

} // namespace envpin::verify
