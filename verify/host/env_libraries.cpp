#include "verify/host/env_libraries.hpp"

#include <algorithm>

#include "base/strings.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;

std::vector<fs::path> find_site_packages(const fs::path& environment)
{
    std::vector<fs::path> found;
    for (const char* lib : {"lib", "lib64"}) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(environment / lib, ec)) {
            const auto name = entry.path().filename().string();
            const auto candidate = entry.path() / "site-packages";
            if (name.starts_with("python3") && fs::is_directory(candidate, ec) &&
                std::ranges::find(found, fs::canonical(candidate, ec)) == found.end())
                found.push_back(fs::canonical(candidate, ec));
        }
    }
    std::ranges::sort(found);
    return found;
}

bool is_library_file(std::string_view filename, std::string_view stem)
{
    const std::string prefix = "lib" + std::string(stem);
    if (!filename.starts_with(prefix))
        return false;
    auto rest = filename.substr(prefix.size());
    if (rest.starts_with("-")) {  // bundled copy: lib<stem>-<8 hex>.so...
        const size_t dot = rest.find('.');
        if (dot != 9)  // "-" and 8 hex digits, then ".so"
            return false;
        rest = rest.substr(dot);
    }
    if (!rest.starts_with(".so"))
        return false;
    rest.remove_prefix(3);
    if (rest.empty())
        return true;
    if (!rest.starts_with("."))
        return false;
    for (auto part : split(rest.substr(1), '.'))
        if (!all_digits(part))
            return false;
    return true;
}

namespace {

// Soname major version of a library file name ("libcublas.so.13.1.0.3" -> 13); -1 if none.
long long soname_major(const std::string& filename)
{
    const size_t so = filename.find(".so.");
    if (so == std::string::npos)
        return -1;
    const auto parts = split(std::string_view(filename).substr(so + 4), '.');
    return parse_integer(parts.front()).value_or(-1);
}

void collect(const fs::path& directory, std::string_view stem, int depth, std::vector<fs::path>& out)
{
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
        const auto name = entry.path().filename().string();
        if (entry.is_directory(ec) && depth > 0)
            collect(entry.path(), stem, depth - 1, out);
        else if (is_library_file(name, stem))
            out.push_back(entry.path());
    }
}

}  // namespace

std::optional<fs::path> best_library(std::vector<fs::path> candidates)
{
    if (candidates.empty())
        return std::nullopt;
    // Highest soname major first; then the plain soname (lib<stem>.so.N) over longer names.
    std::ranges::sort(candidates, [](const fs::path& a, const fs::path& b) {
        const auto an = a.filename().string(), bn = b.filename().string();
        if (soname_major(an) != soname_major(bn))
            return soname_major(an) > soname_major(bn);
        if (an.size() != bn.size())
            return an.size() < bn.size();
        return a < b;
    });
    return candidates.front();
}

std::optional<fs::path> find_env_library(const fs::path& environment, std::string_view stem)
{
    std::vector<fs::path> candidates;
    for (const auto& site : find_site_packages(environment)) {
        collect(site / "nvidia", stem, 3, candidates);
        collect(site / "torch" / "lib", stem, 0, candidates);
    }
    return best_library(std::move(candidates));
}

std::optional<fs::path> find_library_in(const fs::path& directory, std::string_view stem)
{
    std::vector<fs::path> candidates;
    collect(directory, stem, 0, candidates);
    return best_library(std::move(candidates));
}

}  // namespace envpin::verify
