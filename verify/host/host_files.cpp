#include "verify/host/host_files.hpp"

#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "resolver/driver_version.hpp"

namespace envpin::verify {
namespace {

// A driver version has 2-3 numeric components ("580.95.05", "550.54").
bool looks_like_driver_version(std::string_view token)
{
    const auto version = DriverVersion::parse(token);
    return version && version->components().size() >= 2 && version->components().size() <= 3;
}

}  // namespace

std::optional<std::string> parse_proc_driver_version(std::string_view text)
{
    for (auto line : split(text, '\n')) {
        line = trim(line);
        if (!line.starts_with("NVRM version:"))
            continue;
        for (auto token : split_whitespace(line.substr(13)))
            if (looks_like_driver_version(token))
                return std::string(token);
    }
    return std::nullopt;
}

std::optional<std::string> parse_sys_module_version(std::string_view text)
{
    const auto value = trim(text);
    if (!looks_like_driver_version(value))
        return std::nullopt;
    return std::string(value);
}

std::optional<std::string> parse_nvidia_smi_driver(std::string_view text)
{
    for (auto line : split(text, '\n')) {
        const auto value = trim(line);
        if (looks_like_driver_version(value))
            return std::string(value);
    }
    return std::nullopt;
}

std::optional<std::string> parse_cuda_version_json(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object())
        return std::nullopt;
    const auto cuda = document.find("cuda");
    if (cuda == document.end() || !cuda->is_object())
        return std::nullopt;
    const auto version = cuda->find("version");
    if (version == cuda->end() || !version->is_string())
        return std::nullopt;
    return version->get<std::string>();
}

std::optional<std::string> parse_cuda_header_version(std::string_view text)
{
    for (auto line : split(text, '\n')) {
        const auto fields = split_whitespace(trim(line));
        if (fields.size() == 3 && fields[0] == "#define" && fields[1] == "CUDA_VERSION") {
            const auto encoded = parse_integer(fields[2]);
            if (!encoded)
                return std::nullopt;
            return std::to_string(*encoded / 1000) + "." + std::to_string((*encoded % 1000) / 10);
        }
    }
    return std::nullopt;
}

std::optional<std::string> parse_os_release(std::string_view text)
{
    for (auto line : split(text, '\n')) {
        line = trim(line);
        if (!line.starts_with("PRETTY_NAME="))
            continue;
        auto value = line.substr(12);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return std::nullopt;
}

std::optional<std::string> parse_python_version_output(std::string_view text)
{
    const auto fields = split_whitespace(trim(text));
    if (fields.size() != 2 || fields[0] != "Python")
        return std::nullopt;
    const auto parts = split(fields[1], '.');
    if (parts.size() < 2 || !all_digits(parts[0]) || !all_digits(parts[1]))
        return std::nullopt;
    return std::string(fields[1]);
}

}  // namespace envpin::verify
