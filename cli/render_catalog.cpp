#include "cli/render_catalog.hpp"

#include <fmt/ostream.h>

#include "base/strings.hpp"

namespace envpin::cli {
namespace {

std::string variants_of(const OverlayRelease& release)
{
    std::vector<std::string> names;
    for (const auto& build : release.builds)
        names.push_back(build.variant);
    return join(names, ", ");
}

size_t hashed_wheels(const CatalogOverlay& overlay)
{
    size_t count = 0;
    for (const auto& release : overlay.releases)
        for (const auto& build : release.builds)
            for (const auto& wheel : build.wheels)
                count += !wheel.sha256.empty();
    return count;
}

bool selected(const TorchRelease& release, const std::optional<SpecifierSet>& torch)
{
    return !torch || torch->contains(release.version, PreReleases::include);
}

// "cudnn 9.19.0.56" with the evidence when it is not plainly sourced.
std::string pin_text(const Pin& pin)
{
    auto text = fmt::format("{} {}", pin.role, pin.version_text());
    if (pin.fact.evidence != Evidence::sourced)
        text += fmt::format(" ({})", to_string(pin.fact.evidence));
    return text;
}

std::string arch_text(const TorchBuild& build)
{
    if (!build.arch_known)
        return "arch unknown";
    std::vector<std::string> names;
    for (const auto& target : build.arch)
        names.push_back(to_string(target));
    auto text = join(names, " ");
    if (const auto fact = fact_of(build.facts, "arch"); fact.evidence != Evidence::sourced)
        text += fmt::format(" ({})", to_string(fact.evidence));
    return text;
}

nlohmann::json build_to_json(const TorchBuild& build)
{
    nlohmann::json pins = nlohmann::json::array();
    for (const auto& pin : build.pins)
        if (pin.kind == Pin::Kind::requires_dist)
            pins.push_back({{"role", pin.role},
                            {"distribution", pin.requirement.name},
                            {"version", pin.version_text()},
                            {"evidence", to_string(pin.fact.evidence)},
                            {"note", pin.fact.note}});
    nlohmann::json arch = nlohmann::json::array();
    for (const auto& target : build.arch)
        arch.push_back(to_string(target));
    return {{"variant", build.variant},
            {"toolkit", build.toolkit},
            {"arch", build.arch_known ? arch : nlohmann::json(nullptr)},
            {"arch_evidence", to_string(fact_of(build.facts, "arch").evidence)},
            {"pins", pins},
            {"origin", build.origin.empty() ? std::string("built-in") : build.origin}};
}

} // namespace

void render_update(const UpdateReport& report, bool verbose, std::ostream& out)
{
    const auto& result = *report.result;
    const auto& counts = result.counts;
    fmt::print(out, "read {} index pages and {} METADATA files ({} requests, {} not modified, {} received)\n",
               result.pages, result.metadata_files, counts.requests, counts.not_modified, human_bytes(counts.bytes));
    for (const auto& release : result.overlay.releases)
        fmt::print(out, "  torch {}: {}\n", release.version.to_string(), variants_of(release));
    fmt::print(out, "catalog overlay {} written: {} releases, {} wheels with sha256 (updated {})\n", report.path.string(),
               report.written->releases.size(), hashed_wheels(*report.written), report.written->updated);
    for (const auto& note : report.left_out)
        fmt::print(out, "note: {}\n", note);
    const size_t shown = verbose ? result.notes.size() : std::min<size_t>(result.notes.size(), 5);
    for (size_t i = 0; i < shown; ++i)
        fmt::print(out, "note: {}\n", result.notes[i]);
    if (shown < result.notes.size())
        fmt::print(out, "note: and {} more (-v lists them)\n", result.notes.size() - shown);
}

nlohmann::json update_to_json(const UpdateReport& report)
{
    const auto& result = *report.result;
    nlohmann::json releases = nlohmann::json::array();
    for (const auto& release : result.overlay.releases) {
        nlohmann::json variants = nlohmann::json::array();
        for (const auto& build : release.builds)
            variants.push_back(build.variant);
        releases.push_back({{"version", release.version.to_string()}, {"variants", variants}});
    }
    auto notes = result.notes;
    notes.insert(notes.begin(), report.left_out.begin(), report.left_out.end());
    return {{"overlay", report.path.string()},
            {"updated", report.written->updated},
            {"releases_read", releases},
            {"releases_in_overlay", report.written->releases.size()},
            {"wheels_with_sha256", hashed_wheels(*report.written)},
            {"pages", result.pages},
            {"metadata_files", result.metadata_files},
            {"requests", result.counts.requests},
            {"not_modified", result.counts.not_modified},
            {"bytes_received", result.counts.bytes},
            {"notes", notes}};
}

void render_catalog(const Catalog& catalog, const CatalogOrigin& origin, const std::optional<SpecifierSet>& torch,
                    std::ostream& out)
{
    fmt::print(out, "catalog: built-in {}", origin.revision);
    if (origin.overlay)
        fmt::print(out, " + overlay {} ({}, {} indexes)", origin.overlay->updated, origin.overlay_path.string(),
                   origin.overlay->indexes.size());
    fmt::print(out, "\n");
    for (const auto& release : catalog.releases) {
        if (!selected(release, torch))
            continue;
        fmt::print(out, "\ntorch {}  python {}  torchvision {}  torchaudio {}  triton {}{}\n", release.version.to_string(),
                   join(release.python, " "), release.torchvision.empty() ? "-" : release.torchvision,
                   release.torchaudio.empty() ? "-" : release.torchaudio, release.triton.empty() ? "-" : release.triton,
                   release.pypi_default.empty() ? "" : "  PyPI: " + release.pypi_default);
        for (const auto& build : release.builds) {
            std::vector<std::string> pins;
            for (const auto& pin : build.pins)
                if (pin.kind == Pin::Kind::requires_dist)
                    pins.push_back(pin_text(pin));
            fmt::print(out, "  {:<6} toolkit {:<7} {}\n", build.variant, build.toolkit.empty() ? "-" : build.toolkit,
                       arch_text(build));
            if (!pins.empty())
                fmt::print(out, "         pins: {}\n", join(pins, ", "));
            fmt::print(out, "         from: {}\n", build.origin.empty() ? "built-in catalog" : build.origin);
        }
    }
}

nlohmann::json catalog_to_json(const Catalog& catalog, const CatalogOrigin& origin, const std::optional<SpecifierSet>& torch)
{
    nlohmann::json releases = nlohmann::json::array();
    for (const auto& release : catalog.releases) {
        if (!selected(release, torch))
            continue;
        nlohmann::json builds = nlohmann::json::array();
        for (const auto& build : release.builds)
            builds.push_back(build_to_json(build));
        releases.push_back({{"version", release.version.to_string()},
                            {"python", release.python},
                            {"torchvision", release.torchvision},
                            {"torchaudio", release.torchaudio},
                            {"triton", release.triton},
                            {"pypi_default", release.pypi_default},
                            {"builds", builds}});
    }
    nlohmann::json overlay = nullptr;
    if (origin.overlay)
        overlay = {{"path", origin.overlay_path.string()},
                   {"updated", origin.overlay->updated},
                   {"indexes", origin.overlay->indexes}};
    return {{"built_in_revision", origin.revision}, {"overlay", overlay}, {"releases", releases}};
}

void render_differences(const std::vector<CatalogDifference>& differences, const CatalogOverlay& overlay,
                        std::ostream& out)
{
    if (differences.empty()) {
        fmt::print(out, "the built-in catalog agrees with the indexes read on {}\n", overlay.updated);
        return;
    }
    fmt::print(out, "{} differences between the built-in catalog and the indexes read on {}:\n", differences.size(),
               overlay.updated);
    for (const auto& difference : differences) {
        const auto built_in = difference.built_in.empty() ? std::string("absent") : difference.built_in;
        const auto evidence = difference.built_in.empty() || difference.evidence == Evidence::sourced
                                  ? std::string()
                                  : fmt::format(" ({})", to_string(difference.evidence));
        fmt::print(out, "  {}  {}: built-in {}{}, index {}\n", difference.subject, difference.field, built_in, evidence,
                   difference.index.empty() ? std::string("absent") : difference.index);
    }
}

nlohmann::json differences_to_json(const std::vector<CatalogDifference>& differences, const CatalogOverlay& overlay)
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto& difference : differences)
        list.push_back({{"subject", difference.subject},
                        {"field", difference.field},
                        {"built_in", difference.built_in.empty() ? nlohmann::json(nullptr) : nlohmann::json(difference.built_in)},
                        {"index", difference.index.empty() ? nlohmann::json(nullptr) : nlohmann::json(difference.index)},
                        {"built_in_evidence", to_string(difference.evidence)}});
    return {{"updated", overlay.updated}, {"differences", list}};
}

} // namespace envpin::cli
