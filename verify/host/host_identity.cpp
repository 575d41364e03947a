#include "verify/host/host_identity.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "sys/file.hpp"
#include "verify/runner/digest.hpp"
#include "verify/runner/report.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

// Appends "name\n<contents or '-'>\n" for each file.
void add_file(std::string& text, const fs::path& root, std::string_view name)
{
    auto contents = sys::read_file(root / name, 1u << 20);
    text.append(name).append("\n").append(contents ? *contents : std::string("-")).append("\n");
}

// The sorted names in `directory` that start with `prefix`.
std::vector<std::string> names_in(const fs::path& directory, std::string_view prefix)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec))
        if (auto name = it->path().filename().string(); name.starts_with(prefix))
            names.push_back(std::move(name));
    std::ranges::sort(names);
    return names;
}

}  // namespace

std::optional<std::string> host_identity(const fs::path& root)
{
    if (const char* forced = std::getenv("ENVPIN_DRIVER_VERSION"); forced != nullptr && *forced)
        return std::nullopt;
    std::error_code ec;
    if (!fs::exists(root / "proc/driver/nvidia/version", ec) && !fs::exists(root / "sys/module/nvidia/version", ec))
        return std::nullopt;
    std::string text = fmt::format("suite {}\n", suite_version);
    add_file(text, root, "proc/sys/kernel/random/boot_id");
    add_file(text, root, "proc/driver/nvidia/version");
    add_file(text, root, "sys/module/nvidia/version");
    for (const auto& gpu : names_in(root / "proc/driver/nvidia/gpus", ""))
        add_file(text, root, "proc/driver/nvidia/gpus/" + gpu + "/information");
    for (const auto& node : names_in(root / "dev", "nvidia"))
        text.append("dev/").append(node).append("\n");
    return sha256_hex(text);
}

}  // namespace envpin::verify
