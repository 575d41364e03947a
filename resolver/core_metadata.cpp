#include "resolver/core_metadata.hpp"

#include <utility>

#include "base/strings.hpp"

namespace envpin {
namespace {

// The header block's fields in order, continuation lines (leading space or tab) folded in.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> fields;
    for (auto line : split(text, '\n')) {
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break;
        if ((line.front() == ' ' || line.front() == '\t') && !fields.empty()) {
            fields.back().second += " " + std::string(trim(line));
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        fields.emplace_back(to_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    return fields;
}

} // namespace

Expected<CoreMetadata> CoreMetadata::parse(std::string_view text, std::string_view origin)
{
    CoreMetadata metadata;
    std::string version_text;
    for (const auto& [key, value] : header_fields(text)) {
        if (key == "name")
            metadata.name = value;
        else if (key == "version")
            version_text = value;
        else if (key == "requires-python")
            metadata.requires_python = value;
        else if (key == "requires-dist") {
            auto requirement = Requirement::parse(value);
            if (!requirement)
                return std::unexpected(requirement.error().with_context(fmt::format("{}: Requires-Dist", origin)));
            metadata.requires_dist.push_back(std::move(*requirement));
        }
    }
    if (metadata.name.empty())
        return fail(ErrorCode::bad_input, "{}: no Name field (expected wheel METADATA)", origin);
    const auto version = Version::parse(version_text);
    if (!version)
        return fail(ErrorCode::bad_input, "{}: Version '{}' is not a PEP 440 version", origin, version_text);
    metadata.version = *version;
    return metadata;
}

} // namespace envpin
