#include "resolver/driver_version.hpp"

#include "base/strings.hpp"

namespace envpin {

std::optional<DriverVersion> DriverVersion::parse(std::string_view text)
{
    text = trim(text);
    const auto parts = split(text, '.');
    if (parts.empty() || parts.size() > 4)
        return std::nullopt;
    DriverVersion version;
    for (auto part : parts) {
        const auto number = parse_integer(part);
        if (!number)
            return std::nullopt;
        version.components_.push_back(*number);
    }
    version.text_ = std::string(text);
    return version;
}

std::strong_ordering DriverVersion::operator<=>(const DriverVersion& other) const
{
    const size_t n = std::max(components_.size(), other.components_.size());
    for (size_t i = 0; i < n; ++i) {
        const long long mine = i < components_.size() ? components_[i] : 0;
        const long long theirs = i < other.components_.size() ? other.components_[i] : 0;
        if (mine != theirs)
            return mine <=> theirs;
    }
    return std::strong_ordering::equal;
}

}  // namespace envpin
