#pragma once
// `envpin catalog update`: read the torch, torchvision and torchaudio pages of each index through
// the JSON simple API, the METADATA of one wheel per release and variant (PEP 658/714, never the
// wheel), and fold them into a catalog overlay. Nothing is written here: the caller writes the
// overlay once everything was read, so a failure leaves the previous overlay as it was.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "net/http_cache.hpp"
#include "resolver/catalog.hpp"
#include "resolver/catalog_overlay.hpp"
#include "resolver/specifier.hpp"

namespace envpin::net {

struct UpdateRequest {
    std::vector<std::string> indexes;  // index URLs (".../whl/cu130", ".../simple")
    std::optional<SpecifierSet> torch; // only these torch releases; nullopt: all
    bool offline = false;              // answer from the cache of earlier updates only
    std::filesystem::path cache_dir;
    std::string today;                 // the overlay's date, "2026-12-05"
    int parallel = 8;                  // transfers at once
    HttpLimits limits;
    // Called after each transfer: what is being read, how many of how many are done.
    std::function<void(std::string_view stage, size_t done, size_t total)> progress;
};

struct UpdateResult {
    CatalogOverlay overlay;
    std::vector<std::string> notes; // files left out, projects an index lacks
    FetchCounts counts;
    size_t pages = 0, wheels = 0, metadata_files = 0;
};

// The indexes read when none are given: each variant index the catalog names, then PyPI.
[[nodiscard]] std::vector<std::string> default_indexes(const Catalog& catalog);

[[nodiscard]] Expected<UpdateResult> read_indexes(const UpdateRequest& request);

} // namespace envpin::net
