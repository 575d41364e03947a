#include "verify/host/env_distributions.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/host/env_libraries.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;

std::string normalize_distribution_name(std::string_view name)
{
    std::string out = to_lower(name);
    std::ranges::replace(out, '_', '-');
    std::ranges::replace(out, '.', '-');
    return out;
}

bool is_distribution(std::string_view name, std::string_view prefix)
{
    if (name == prefix)
        return true;
    if (!name.starts_with(prefix) || !name.substr(prefix.size()).starts_with("-cu"))
        return false;
    return all_digits(name.substr(prefix.size() + 3));
}

std::map<std::string, std::string> installed_distributions(const fs::path& environment)
{
    std::map<std::string, std::string> found;
    for (const auto& site : find_site_packages(environment)) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(site, ec)) {
            auto name = entry.path().filename().string();
            if (!name.ends_with(".dist-info"))
                continue;
            name.resize(name.size() - 10);
            if (const size_t dash = name.find('-'); dash != std::string::npos)
                found[normalize_distribution_name(name.substr(0, dash))] = name.substr(dash + 1);
        }
    }
    return found;
}

std::optional<std::pair<std::string, std::string>> expected_distribution(
    std::string_view prefix, const ProbeRequest& request, const std::map<std::string, std::string>& installed)
{
    const std::string_view pin = param::distribution_prefix;
    for (const auto& [key, version] : request.parameters)
        if (key.starts_with(pin) && is_distribution(normalize_distribution_name(key.substr(pin.size())), prefix))
            return std::pair{key.substr(pin.size()), version};
    for (const auto& [name, version] : installed)
        if (is_distribution(name, prefix))
            return std::pair{name, version};
    return std::nullopt;
}

bool versions_agree(std::string_view runtime, std::string_view distribution)
{
    const auto a = split(runtime, '.');
    const auto b = split(distribution, '.');
    if (b.size() < a.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (parse_integer(a[i]) != parse_integer(b[i]))
            return false;
    return true;
}

std::string cudnn_version_text(long long encoded)
{
    return encoded >= 90000 ? fmt::format("{}.{}.{}", encoded / 10000, encoded % 10000 / 100, encoded % 100)
                      : fmt::format("{}.{}.{}", encoded / 1000, encoded % 1000 / 100, encoded % 100);
}

std::string nccl_version_text(long long encoded)
{
    return encoded >= 20900 ? fmt::format("{}.{}.{}", encoded / 10000, encoded % 10000 / 100, encoded % 100)
                      : fmt::format("{}.{}.{}", encoded / 1000, encoded % 1000 / 100, encoded % 100);
}

}  // namespace envpin::verify
