#pragma once
// The catalog overlay: what `envpin catalog update` read from the package indexes themselves
// (releases, Python tags, companions, the exact Requires-Dist pins of each build and each
// wheel's sha256), kept as a TOML file in the store and applied on top of the built-in catalog.
// Everything here is pure: deriving from wheels already fetched, TOML both ways, applying and
// comparing.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/core_metadata.hpp"
#include "resolver/simple_index.hpp"
#include "resolver/wheel_filename.hpp"

namespace envpin {

struct OverlayWheel {
    std::string project;  // "torch", "torchvision", "torchaudio"
    std::string filename;
    std::string url;
    std::string sha256;
    std::vector<std::string> python; // "3.12", "3.13t"; empty for pure-Python wheels
    bool operator==(const OverlayWheel&) const = default;
};

// One variant of one release as an index serves it.
struct OverlayBuild {
    std::string variant;               // "cu130", "cpu"
    std::string index;                 // the index URL it was read from
    std::string toolkit;               // from a cuda-toolkit==X pin; empty otherwise
    std::vector<std::string> requires_dist; // nvidia-* / cuda-* Requires-Dist for Linux x86_64, markers dropped
    std::vector<OverlayWheel> wheels;  // torch's and its companions', for this variant
    bool operator==(const OverlayBuild&) const = default;
};

struct OverlayRelease {
    Version version; // public ("2.11.0")
    std::vector<std::string> python;
    std::string torchvision, torchaudio, triton; // empty when no index served them
    std::string pypi_default;                    // the variant PyPI's plain torch wheel is; may be empty
    std::vector<OverlayBuild> builds;
    bool operator==(const OverlayRelease&) const = default;
};

struct CatalogOverlay {
    std::string updated;              // "2026-12-05"
    std::vector<std::string> indexes; // every index read, in the order given
    std::vector<OverlayRelease> releases; // newest first
    bool operator==(const CatalogOverlay&) const = default;
};

// A wheel file listed by an index, with its METADATA when it was read.
struct IndexedWheel {
    std::string index;     // the index URL ("https://download.pytorch.org/whl/cu130")
    IndexFile file;
    WheelFilename name;
    std::optional<CoreMetadata> metadata;
};

// The variant an index URL serves: its last path segment when that is "cpu" or "cuNNN";
// empty for PyPI and other general indexes.
[[nodiscard]] std::string index_variant(std::string_view index_url);

// Folds the torch, torchvision and torchaudio wheels of every index into an overlay dated
// `updated`. `notes` receives a sentence for each wheel left out and why.
[[nodiscard]] CatalogOverlay derive_overlay(const std::vector<IndexedWheel>& wheels,
                                            std::vector<std::string> indexes, std::string updated,
                                            std::vector<std::string>& notes);

// TOML both ways. Parsing fails with bad_input naming `origin`, the line and what was expected.
[[nodiscard]] std::string overlay_to_toml(const CatalogOverlay& overlay);
[[nodiscard]] Expected<CatalogOverlay> parse_overlay(std::string_view text, std::string_view origin);

// `newer` over `older`: the releases `newer` read replace the same releases of `older`; the
// rest of `older` stays (an update limited with --torch keeps what earlier updates read).
[[nodiscard]] CatalogOverlay merge_overlays(CatalogOverlay older, const CatalogOverlay& newer);

// `catalog` with the overlay on top: releases and builds the built-in catalog lacks are added
// (a new build borrows the arch list of the newest build of its variant, marked unverified), and
// where both know a build, the index's pins, Python tags and companions win, marked verified
// with the index and date. `notes` receives a sentence for each build left out.
[[nodiscard]] Catalog apply_overlay(Catalog catalog, const CatalogOverlay& overlay,
                                    std::vector<std::string>& notes);

// Where the built-in catalog and the overlay disagree.
struct CatalogDifference {
    std::string subject;  // "torch 2.11.0", "torch 2.11.0+cu130"
    std::string field;    // "release", "build", "python", "torchvision", "cudnn", ...
    std::string built_in; // "" when the built-in catalog lacks it
    std::string index;    // "" when the index lacks it
    Evidence evidence = Evidence::sourced; // how firmly the built-in catalog held its value
    bool operator==(const CatalogDifference&) const = default;
};
[[nodiscard]] std::vector<CatalogDifference> diff_catalog(const Catalog& built_in, const CatalogOverlay& overlay);

} // namespace envpin
