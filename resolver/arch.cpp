#include "resolver/arch.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

namespace envpin {
namespace {

// "90" -> 9.0, "120" -> 12.0, "103" -> 10.3: the last digit is the minor.
std::optional<ComputeCapability> from_digits(std::string_view digits)
{
    if (digits.size() < 2 || digits.size() > 3 || !all_digits(digits) || digits.front() == '0')
        return std::nullopt;
    const auto major = parse_integer(digits.substr(0, digits.size() - 1));
    const auto minor = parse_integer(digits.substr(digits.size() - 1));
    return ComputeCapability{static_cast<int>(*major), static_cast<int>(*minor)};
}

} // namespace

std::optional<ArchTarget> parse_arch_target(std::string_view text)
{
    text = trim(text);
    if (text.starts_with("sm_")) {
        if (auto cc = from_digits(text.substr(3)))
            return ArchTarget{*cc, CodeKind::sass};
    } else if (text.starts_with("compute_")) {
        if (auto cc = from_digits(text.substr(8)))
            return ArchTarget{*cc, CodeKind::ptx};
    }
    return std::nullopt;
}

std::string to_string(const ArchTarget& target)
{
    return fmt::format("{}_{}{}", target.kind == CodeKind::sass ? "sm" : "compute", target.cc.major,
                       target.cc.minor);
}

std::string to_string(const std::vector<ArchTarget>& targets)
{
    std::vector<std::string> names;
    for (const auto& target : targets)
        names.push_back(to_string(target));
    return join(names, " ");
}

std::optional<ComputeCapability> parse_compute_capability(std::string_view text)
{
    text = trim(text);
    if (text.starts_with("sm_"))
        return from_digits(text.substr(3));
    const auto parts = split(text, '.');
    if (parts.size() == 1)
        return from_digits(text);
    if (parts.size() != 2 || parts[1].size() != 1)
        return std::nullopt;
    const auto major = parse_integer(parts[0]);
    const auto minor = parse_integer(parts[1]);
    if (!major || !minor || *major < 1 || *major > 99)
        return std::nullopt;
    return ComputeCapability{static_cast<int>(*major), static_cast<int>(*minor)};
}

std::string to_string(ComputeCapability cc)
{
    return fmt::format("{}.{}", cc.major, cc.minor);
}

std::string sm_name(ComputeCapability cc)
{
    return fmt::format("sm_{}{}", cc.major, cc.minor);
}

Coverage coverage(const std::vector<ArchTarget>& targets, ComputeCapability gpu, PtxJit jit)
{
    Coverage result;
    std::optional<ArchTarget> best_ptx;
    for (const auto& target : targets) {
        if (target.kind == CodeKind::sass) {
            // A cubin runs on the same major with an equal or higher minor.
            if (target.cc.major == gpu.major && target.cc.minor <= gpu.minor &&
                (!result.target || target.cc > result.target->cc))
                result.target = target;
        } else if (target.cc <= gpu && (!best_ptx || target.cc > best_ptx->cc)) {
            best_ptx = target;
        }
    }
    if (result.target || !best_ptx)
        return result;
    if (jit == PtxJit::allowed)
        result.target = best_ptx;
    else
        result.ptx_blocked = best_ptx;
    return result;
}

} // namespace envpin
