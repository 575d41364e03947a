#include "resolver/pylock.hpp"

#include <cctype>

#include <fmt/format.h>

#include "resolver/toml_reader.hpp"
#include "resolver/toml_writer.hpp"

namespace envpin {
namespace {

using toml_read::Reader;

Expected<PylockWheel> parse_wheel(const Reader& reader, const toml::table& table)
{
    PylockWheel wheel;
    wheel.name = ENVPIN_TRY(reader.string(table, "name")).value_or("");
    wheel.url = ENVPIN_TRY(reader.string(table, "url")).value_or("");
    wheel.path = ENVPIN_TRY(reader.string(table, "path")).value_or("");
    if (wheel.url.empty() == wheel.path.empty())
        return reader.error(table, "a wheel needs exactly one of 'url' and 'path'");
    const auto* hashes = ENVPIN_TRY(reader.table(table, "hashes"));
    if (hashes == nullptr)
        return reader.error(table, "a wheel needs 'hashes'");
    wheel.sha256 = ENVPIN_TRY(reader.string(*hashes, "sha256")).value_or("");
    if (wheel.sha256.size() != 64)
        return reader.error(*hashes, "a wheel needs a sha256 hash (64 hex digits)");
    return wheel;
}

Expected<PylockPackage> parse_package(const Reader& reader, const toml::table& table)
{
    PylockPackage package;
    package.name = ENVPIN_TRY(reader.required_string(table, "name"));
    package.version = ENVPIN_TRY(reader.string(table, "version")).value_or("");
    package.index = ENVPIN_TRY(reader.string(table, "index")).value_or("");
    for (const auto* source : {"vcs", "directory", "archive"})
        if (table.contains(source))
            return reader.error(table, fmt::format("package {}: a '{}' source (envpin installs wheels only)", package.name, source));
    // An sdist beside the wheels (uv lists a release's source archive too) is left aside.
    for (const auto* wheel : ENVPIN_TRY(reader.tables(table, "wheels")))
        package.wheels.push_back(ENVPIN_TRY(parse_wheel(reader, *wheel)));
    if (package.wheels.empty())
        return reader.error(table, fmt::format("package {} has no wheel{} (envpin installs wheels only)", package.name,
                                               table.contains("sdist") ? ", only a source archive" : ""));
    return package;
}

bool is_wheel_url(std::string_view url)
{
    return (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("file://")) &&
           url.ends_with(".whl") && url.find_first_of(" \t\r\n\"'\\") == std::string_view::npos;
}

// The file name at the end of a URL, %XX escapes decoded ("torch-2.7.1%2Bcu128-..." -> "+").
std::string file_name_of(std::string_view url)
{
    const auto encoded = url.substr(url.rfind('/') + 1);
    std::string name;
    for (size_t i = 0; i < encoded.size(); ++i) {
        const auto hex = [&](size_t at) { return std::isxdigit(static_cast<unsigned char>(encoded[at])) != 0; };
        if (encoded[i] == '%' && i + 2 < encoded.size() && hex(i + 1) && hex(i + 2)) {
            name += static_cast<char>(std::stoi(std::string(encoded.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            name += encoded[i];
        }
    }
    return name;
}

Expected<void> check_exportable(const Lock& lock, std::string_view origin)
{
    if (lock.installed.empty())
        return fail(ErrorCode::bad_input, "{} has no [[installed]] distributions to export (`envpin create` records them)",
                    origin);
    for (const auto& installed : lock.installed) {
        if (installed.sha256.empty())
            return fail(ErrorCode::bad_input, "{}: installed {} has no sha256 (create the environment again to record it)",
                        origin, installed.name);
        if (!is_wheel_url(installed.source))
            return fail(ErrorCode::bad_input,
                        "{}: installed {} has no wheel URL (source '{}'; locks record one since this release: create the "
                        "environment again)",
                        origin, installed.name, installed.source);
    }
    return {};
}

}  // namespace

Expected<Pylock> parse_pylock(std::string_view text, std::string_view origin)
{
    const Reader reader{origin};
    const auto root = ENVPIN_TRY(reader.parse(text));
    const auto version = ENVPIN_TRY(reader.string(root, "lock-version"));
    if (!version || !(version->starts_with("1.") || *version == "1"))
        return reader.error("'lock-version' must be \"1.0\" (PEP 751)");
    Pylock lock;
    lock.created_by = ENVPIN_TRY(reader.string(root, "created-by")).value_or("");
    lock.requires_python = ENVPIN_TRY(reader.string(root, "requires-python")).value_or("");
    lock.environments = ENVPIN_TRY(reader.strings(root, "environments"));
    for (const auto* package : ENVPIN_TRY(reader.tables(root, "packages")))
        lock.packages.push_back(ENVPIN_TRY(parse_package(reader, *package)));
    return lock;
}

std::string print_pylock(const Pylock& lock)
{
    toml_write::Writer out;
    out.string("lock-version", "1.0");
    if (!lock.environments.empty())
        out.strings("environments", lock.environments);
    out.nonempty_string("requires-python", lock.requires_python);
    out.string("created-by", lock.created_by);
    for (const auto& package : lock.packages) {
        out.array_table("packages");
        out.string("name", package.name);
        out.nonempty_string("version", package.version);
        out.nonempty_string("index", package.index);
        for (const auto& wheel : package.wheels) {
            out.array_table("packages.wheels");
            out.nonempty_string("name", wheel.name);
            out.nonempty_string("url", wheel.url);
            out.nonempty_string("path", wheel.path);
            out.table("packages.wheels.hashes");
            out.string("sha256", wheel.sha256);
        }
    }
    return out.text();
}

Expected<Pylock> pylock_from_lock(const Lock& lock, std::string_view origin)
{
    ENVPIN_TRY(check_exportable(lock, origin));
    Pylock pylock;
    if (!lock.stack.python.empty())
        pylock.requires_python = "==" + lock.stack.python + ".*";
    pylock.environments = {"sys_platform == 'linux' and platform_machine == 'x86_64'"};
    for (const auto& installed : lock.installed)
        pylock.packages.push_back(
            {installed.name, installed.version, "", {{file_name_of(installed.source), installed.source, "", installed.sha256}}});
    return pylock;
}

Expected<std::string> requirements_from_lock(const Lock& lock, std::string_view origin)
{
    ENVPIN_TRY(check_exportable(lock, origin));
    std::string text = fmt::format(
        "# torch {} ({}), Python {}: every distribution of the environment, each the exact wheel with its hash.\n"
        "#   pip install --require-hashes --no-deps -r requirements.txt\n"
        "#   uv pip install --require-hashes --no-deps -r requirements.txt\n",
        lock.stack.torch, lock.stack.variant, lock.stack.python);
    for (const auto& installed : lock.installed)
        text += fmt::format("{} @ {} \\\n    --hash=sha256:{}\n", installed.name, installed.source, installed.sha256);
    return text;
}

}  // namespace envpin
