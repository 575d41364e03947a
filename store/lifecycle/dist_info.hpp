#pragma once
// Distributions read from an environment's own *.dist-info directories, so a snapshot knows
// "torch 2.11.0+cu130" without asking pip. Parsing is pure; reading takes the root path.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "store/core/manifest.hpp"

namespace envpin::store {

struct NameVersion {
    std::string name;
    std::string version;
    bool operator==(const NameVersion&) const = default;
};

// METADATA (RFC 822 style headers): the Name and Version fields of the header block.
// bad_input when either is missing.
[[nodiscard]] Expected<NameVersion> parse_metadata(std::string_view text);

// direct_url.json: its "url", or nullopt when the document has none. bad_input on bad JSON.
[[nodiscard]] Expected<std::optional<std::string>> parse_direct_url(std::string_view text);

// True for "lib/python3.X/site-packages/NAME.dist-info" (or lib64/...): the dist-info
// directories envpin reads.
[[nodiscard]] bool is_dist_info_directory(std::string_view path);

// True for "lib/python3.X/site-packages" or "lib64/python3.X/site-packages".
[[nodiscard]] bool is_site_packages(std::string_view path);

// Reads METADATA, INSTALLER and direct_url.json of each dist-info directory in `entries`
// (paths relative to `root`). A dist-info without readable METADATA is named after its
// directory ("name-version.dist-info") rather than dropped.
[[nodiscard]] Expected<std::vector<Distribution>> read_distributions(
    const std::filesystem::path& root, const std::vector<ManifestEntry>& entries);

// The distributions installed in the environment at `root` now: every dist-info directory of
// its lib/python3.*/site-packages (lib64 too, once when it links to lib). not_found when
// `root` does not exist.
[[nodiscard]] Expected<std::vector<Distribution>> installed_distributions(const std::filesystem::path& root);

// The environment's Python from its pyvenv.cfg ("version = 3.11.7" from python -m venv,
// "version_info = 3.11.7" from uv); empty when it has none.
[[nodiscard]] std::string venv_python_version(const std::filesystem::path& environment);

}  // namespace envpin::store
