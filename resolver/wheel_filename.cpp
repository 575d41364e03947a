#include "resolver/wheel_filename.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "resolver/marker.hpp"

namespace envpin {
namespace {

std::vector<std::string> tag_set(std::string_view text)
{
    std::vector<std::string> tags;
    for (const auto part : split(text, '.'))
        tags.emplace_back(part);
    return tags;
}

bool linux_x86_64(std::string_view tag)
{
    if (tag == "any")
        return true;
    const bool on_linux = tag.starts_with("manylinux") || tag.starts_with("musllinux") || tag.starts_with("linux");
    return on_linux && tag.ends_with("_x86_64");
}

} // namespace

Expected<WheelFilename> WheelFilename::parse(std::string_view filename)
{
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::bad_input, "wheel file name '{}': {}", filename, why);
    };
    if (!filename.ends_with(".whl"))
        return bad("expected a name ending in .whl");
    const auto parts = split(filename.substr(0, filename.size() - 4), '-');
    if (parts.size() != 5 && parts.size() != 6)
        return bad("expected NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl");
    const auto version = Version::parse(parts[1]);
    if (parts[0].empty() || !version)
        return bad(fmt::format("'{}' is not a PEP 440 version", parts[1]));
    if (std::ranges::any_of(parts, [](std::string_view part) { return part.empty(); }))
        return bad("a part between dashes is empty");
    const size_t tags = parts.size() - 3;
    return WheelFilename{normalize_name(parts[0]), *version, tag_set(parts[tags]), tag_set(parts[tags + 1]),
                         tag_set(parts[tags + 2])};
}

bool WheelFilename::runs_on_linux_x86_64() const
{
    return std::ranges::any_of(platform, linux_x86_64);
}

std::vector<std::string> WheelFilename::cpython_versions() const
{
    std::vector<std::string> versions;
    for (const auto& tag : python) {
        if (!tag.starts_with("cp") || tag.size() < 4)
            continue;
        const auto digits = tag.substr(2);
        if (!all_digits(digits))
            continue;
        auto text = digits.substr(0, 1) + "." + digits.substr(1);
        const bool free_threaded = std::ranges::any_of(abi, [&](const std::string& a) { return a == tag + "t"; });
        versions.push_back(free_threaded ? text + "t" : text);
    }
    return versions;
}

} // namespace envpin
