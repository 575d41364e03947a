#include "verify/host/proc_maps.hpp"

#include <algorithm>
#include <filesystem>

#include "base/strings.hpp"
#include "sys/file.hpp"

namespace envpin::verify {

std::vector<std::string> mapped_files(std::string_view maps, std::string_view prefix)
{
    std::vector<std::string> files;
    for (const auto line : split(maps, '\n')) {
        // address perms offset dev inode path: the path is the sixth field and may hold spaces.
        const size_t slash = line.find('/');
        if (slash == std::string_view::npos || split_whitespace(line.substr(0, slash)).size() != 5)
            continue;
        const std::string path(trim(line.substr(slash)));
        const auto name = std::filesystem::path(path).filename().string();
        if (name.starts_with(prefix) && std::ranges::find(files, path) == files.end())
            files.push_back(path);
    }
    return files;
}

std::vector<std::string> mapped_files_here(std::string_view prefix)
{
    const auto text = sys::read_file("/proc/self/maps");
    return text ? mapped_files(*text, prefix) : std::vector<std::string>{};
}

} // namespace envpin::verify
