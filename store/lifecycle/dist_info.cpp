#include "store/lifecycle/dist_info.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "store/core/parallel.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;

Expected<NameVersion> parse_metadata(std::string_view text)
{
    NameVersion result;
    for (const auto raw : split(text, '\n')) {
        auto line = raw;
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break;  // end of the header block; the description follows
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t')
            continue;
        const auto key = to_lower(trim(line.substr(0, colon)));
        const auto value = trim(line.substr(colon + 1));
        if (key == "name" && result.name.empty())
            result.name = value;
        else if (key == "version" && result.version.empty())
            result.version = value;
    }
    if (result.name.empty() || result.version.empty())
        return fail(ErrorCode::bad_input, "METADATA has no {} field", result.name.empty() ? "Name" : "Version");
    return result;
}

Expected<std::optional<std::string>> parse_direct_url(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorCode::bad_input, "direct_url.json is not a JSON object");
    const auto url = document.find("url");
    if (url == document.end() || !url->is_string())
        return std::optional<std::string>();
    return std::optional<std::string>(url->get<std::string>());
}

bool is_site_packages(std::string_view path)
{
    const auto parts = split(path, '/');
    return parts.size() == 3 && (parts[0] == "lib" || parts[0] == "lib64") && parts[1].starts_with("python3.") &&
           parts[2] == "site-packages";
}

bool is_dist_info_directory(std::string_view path)
{
    const auto slash = path.rfind('/');
    return slash != std::string_view::npos && path.ends_with(".dist-info") && is_site_packages(path.substr(0, slash));
}

namespace {
// "torch-2.7.1+cu128.dist-info" -> {"torch", "2.7.1+cu128"}: the fallback when METADATA is unusable.
NameVersion name_from_directory(std::string_view path)
{
    auto stem = path.substr(path.rfind('/') + 1);
    stem.remove_suffix(std::string_view(".dist-info").size());
    const auto dash = stem.find('-');
    if (dash == std::string_view::npos)
        return {std::string(stem), ""};
    return {std::string(stem.substr(0, dash)), std::string(stem.substr(dash + 1))};
}

Expected<Distribution> read_distribution(const fs::path& root, const std::string& dist_info)
{
    const auto directory = root / dist_info;
    Distribution distribution;
    distribution.dist_info = dist_info;
    auto name_version = name_from_directory(dist_info);
    if (const auto metadata = sys::read_file(directory / "METADATA", 16u << 20)) {
        if (auto parsed = parse_metadata(*metadata))
            name_version = std::move(*parsed);
    }
    distribution.name = name_version.name;
    distribution.version = name_version.version;
    if (const auto installer = sys::read_file(directory / "INSTALLER", 4096))
        distribution.installer = std::string(trim(split(*installer, '\n').front()));
    if (const auto direct_url = sys::read_file(directory / "direct_url.json", 1u << 20)) {
        if (const auto url = parse_direct_url(*direct_url); url && *url)
            distribution.url = **url;
    }
    return distribution;
}
}  // namespace

Expected<std::vector<Distribution>> read_distributions(const fs::path& root, const std::vector<ManifestEntry>& entries)
{
    std::vector<const std::string*> dist_infos;
    for (const auto& entry : entries) {
        if (entry.kind == EntryKind::directory && is_dist_info_directory(entry.path))
            dist_infos.push_back(&entry.path);
    }
    // On all cores: three small files each, a few hundred directories in a PyTorch environment.
    std::vector<Expected<Distribution>> read(dist_infos.size());
    ENVPIN_TRY(parallel_for(dist_infos.size(), 0, [&](size_t i, unsigned) -> Expected<void> {
        read[i] = read_distribution(root, *dist_infos[i]);
        return {};
    }));
    std::vector<Distribution> distributions;
    distributions.reserve(read.size());
    for (auto& distribution : read)
        distributions.push_back(ENVPIN_TRY(std::move(distribution)));
    return distributions;
}

Expected<std::vector<Distribution>> installed_distributions(const fs::path& root)
{
    std::error_code ec;
    const auto canonical = fs::canonical(root, ec);
    if (ec)
        return fail(ErrorCode::not_found, "{}: {}", root.string(), ec.message());
    std::vector<fs::path> seen;  // site-packages, canonical: lib64 is often a link to lib
    std::vector<ManifestEntry> entries;
    for (const char* lib : {"lib", "lib64"}) {
        for (const auto& python : fs::directory_iterator(canonical / lib, ec)) {
            const auto site = python.path() / "site-packages";
            const auto relative_site = fs::path(lib) / python.path().filename() / "site-packages";
            const auto real = fs::canonical(site, ec);
            if (ec || !is_site_packages(relative_site.string()) || std::ranges::find(seen, real) != seen.end())
                continue;
            seen.push_back(real);
            for (const auto& child : fs::directory_iterator(site, ec)) {
                const auto relative = (relative_site / child.path().filename()).string();
                if (child.is_directory(ec) && is_dist_info_directory(relative))
                    entries.push_back({.path = relative, .kind = EntryKind::directory});
            }
        }
    }
    std::ranges::sort(entries, {}, &ManifestEntry::path);
    return read_distributions(canonical, entries);
}

std::string venv_python_version(const std::filesystem::path& environment)
{
    const auto text = sys::read_file(environment / "pyvenv.cfg", 1u << 16);
    if (!text)
        return "";
    for (const auto line : split(*text, '\n')) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos)
            continue;
        const auto key = trim(line.substr(0, eq));
        if (key == "version" || key == "version_info")
            return std::string(trim(line.substr(eq + 1)));
    }
    return "";
}

}  // namespace envpin::store
