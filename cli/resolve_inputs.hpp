#pragma once
// Inputs shared by resolve and lock: the catalog (built in, or --catalog FILE) and the host
// (this machine's facts, or the one --driver/--gpu describe).
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "resolver/catalog.hpp"
#include "resolver/catalog_overlay.hpp"
#include "resolver/host_facts.hpp"

namespace envpin::cli {

struct ResolveInputs {
    std::string catalog;           // --catalog FILE; empty: the built-in catalog
    std::string driver;            // --driver V|none; empty: this host's
    std::vector<std::string> gpus; // --gpu NAME|sm_XY|X.Y (repeatable); empty: this host's
    std::string store;             // the global --store: where the catalog overlay is
};

// Adds --catalog, --driver and --gpu to `command`.
void add_resolve_inputs(CLI::App& command, ResolveInputs& inputs);

// The built-in catalog with the store's catalog overlay on top (`envpin catalog update`), or
// --catalog FILE alone, after parsing and the schema check.
[[nodiscard]] Expected<Catalog> load_catalog(const ResolveInputs& inputs);

// Where `envpin catalog update` keeps its overlay and its HTTP cache for the store `store_flag`
// names (--store; empty: the default store).
[[nodiscard]] std::filesystem::path overlay_path(std::string_view store_flag);
[[nodiscard]] std::filesystem::path http_cache_path(std::string_view store_flag);
// The store's overlay; nullopt when there is none.
[[nodiscard]] Expected<std::optional<CatalogOverlay>> load_overlay(std::string_view store_flag);

// --driver and --gpu together (or --driver none) describe another machine: nothing is probed,
// and no host python3 is known. Otherwise this host is probed (`envpin host`) and either flag
// replaces its part of the facts.
[[nodiscard]] Expected<HostFacts> host_facts(const Catalog& catalog, const ResolveInputs& inputs);

// The project's spec in `directory`: envpin.toml, else a pyproject.toml with a [tool.envpin]
// table, else (neither there) the envpin.toml path, for the message that it is missing.
[[nodiscard]] std::filesystem::path project_spec(const std::filesystem::path& directory);

} // namespace envpin::cli
