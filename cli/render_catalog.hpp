#pragma once
// Rendering of `envpin catalog update|show|diff`: text for people, JSON for scripts.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/catalog_update.hpp"
#include "resolver/catalog.hpp"
#include "resolver/catalog_overlay.hpp"
#include "resolver/specifier.hpp"

namespace envpin::cli {

struct UpdateReport {
    const net::UpdateResult* result = nullptr;
    const CatalogOverlay* written = nullptr; // what the file holds now (merged with earlier updates)
    std::filesystem::path path;
    std::vector<std::string> left_out; // builds the catalog cannot use (apply_overlay's notes)
};
void render_update(const UpdateReport& report, bool verbose, std::ostream& out);
[[nodiscard]] nlohmann::json update_to_json(const UpdateReport& report);

// Where the catalog came from, for `show`'s heading.
struct CatalogOrigin {
    std::string revision; // the built-in catalog's
    std::optional<CatalogOverlay> overlay;
    std::filesystem::path overlay_path;
};
void render_catalog(const Catalog& catalog, const CatalogOrigin& origin, const std::optional<SpecifierSet>& torch,
                    std::ostream& out);
[[nodiscard]] nlohmann::json catalog_to_json(const Catalog& catalog, const CatalogOrigin& origin,
                                             const std::optional<SpecifierSet>& torch);

void render_differences(const std::vector<CatalogDifference>& differences, const CatalogOverlay& overlay,
                        std::ostream& out);
[[nodiscard]] nlohmann::json differences_to_json(const std::vector<CatalogDifference>& differences,
                                                 const CatalogOverlay& overlay);

} // namespace envpin::cli
