// The catalog overlay as TOML: [[torch]] releases, [[torch.build]] variants, [[torch.build.wheel]]
// files. Written by `envpin catalog update`, read by every command that uses the catalog.
#include <algorithm>

#include "resolver/catalog_overlay.hpp"
#include "resolver/toml_reader.hpp"
#include "resolver/toml_writer.hpp"

namespace envpin {
namespace {

using toml_read::Reader;

constexpr long long overlay_format = 1;

void write_build(toml_write::Writer& out, const OverlayBuild& build)
{
    out.array_table("torch.build");
    out.string("variant", build.variant);
    out.string("index", build.index);
    out.nonempty_string("toolkit", build.toolkit);
    out.strings("requires", build.requires_dist);
    for (const auto& wheel : build.wheels) {
        out.array_table("torch.build.wheel");
        out.string("project", wheel.project);
        out.string("filename", wheel.filename);
        out.string("url", wheel.url);
        out.nonempty_string("sha256", wheel.sha256);
        out.strings("python", wheel.python);
    }
}

Expected<OverlayWheel> parse_wheel(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[torch.build.wheel]]", {"project", "filename", "url", "sha256", "python"}));
    OverlayWheel wheel;
    wheel.project = ENVPIN_TRY(reader.required_string(table, "project"));
    wheel.filename = ENVPIN_TRY(reader.required_string(table, "filename"));
    wheel.url = ENVPIN_TRY(reader.required_string(table, "url"));
    wheel.sha256 = ENVPIN_TRY(reader.string(table, "sha256")).value_or("");
    wheel.python = ENVPIN_TRY(reader.strings(table, "python"));
    return wheel;
}

Expected<OverlayBuild> parse_build(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[torch.build]]", {"variant", "index", "toolkit", "requires", "wheel"}));
    OverlayBuild build;
    build.variant = ENVPIN_TRY(reader.required_string(table, "variant"));
    build.index = ENVPIN_TRY(reader.required_string(table, "index"));
    build.toolkit = ENVPIN_TRY(reader.string(table, "toolkit")).value_or("");
    build.requires_dist = ENVPIN_TRY(reader.strings(table, "requires"));
    for (const auto& line : build.requires_dist)
        if (auto parsed = Requirement::parse(line); !parsed)
            return reader.error(table, fmt::format("requires: {}", parsed.error().message));
    for (const auto* wheel : ENVPIN_TRY(reader.tables(table, "wheel")))
        build.wheels.push_back(ENVPIN_TRY(parse_wheel(reader, *wheel)));
    return build;
}

Expected<OverlayRelease> parse_release(const Reader& reader, const toml::table& table)
{
    ENVPIN_TRY(reader.only_keys(table, "[[torch]]",
                                {"version", "python", "torchvision", "torchaudio", "triton", "pypi_default", "build"}));
    OverlayRelease release;
    const auto version_text = ENVPIN_TRY(reader.required_string(table, "version"));
    const auto version = Version::parse(version_text);
    if (!version || version->has_local())
        return reader.error(table, fmt::format("version \"{}\" is not a public PEP 440 version", version_text));
    release.version = *version;
    release.python = ENVPIN_TRY(reader.strings(table, "python"));
    release.torchvision = ENVPIN_TRY(reader.string(table, "torchvision")).value_or("");
    release.torchaudio = ENVPIN_TRY(reader.string(table, "torchaudio")).value_or("");
    release.triton = ENVPIN_TRY(reader.string(table, "triton")).value_or("");
    release.pypi_default = ENVPIN_TRY(reader.string(table, "pypi_default")).value_or("");
    for (const auto* build : ENVPIN_TRY(reader.tables(table, "build")))
        release.builds.push_back(ENVPIN_TRY(parse_build(reader, *build)));
    return release;
}

} // namespace

std::string overlay_to_toml(const CatalogOverlay& overlay)
{
    toml_write::Writer out;
    out.comment("envpin catalog overlay: written by `envpin catalog update` from the package indexes'");
    out.comment("own metadata; applied on top of the built-in catalog. Run the update again rather than editing.");
    out.integer("format", overlay_format);
    out.string("updated", overlay.updated);
    out.strings("indexes", overlay.indexes);
    for (const auto& release : overlay.releases) {
        out.array_table("torch");
        out.string("version", release.version.to_string());
        out.strings("python", release.python);
        out.nonempty_string("torchvision", release.torchvision);
        out.nonempty_string("torchaudio", release.torchaudio);
        out.nonempty_string("triton", release.triton);
        out.nonempty_string("pypi_default", release.pypi_default);
        for (const auto& build : release.builds)
            write_build(out, build);
    }
    return out.text();
}

CatalogOverlay merge_overlays(CatalogOverlay older, const CatalogOverlay& newer)
{
    std::erase_if(older.releases, [&](const OverlayRelease& release) {
        return std::ranges::find(newer.releases, release.version, &OverlayRelease::version) != newer.releases.end();
    });
    older.releases.insert(older.releases.end(), newer.releases.begin(), newer.releases.end());
    std::ranges::sort(older.releases, std::greater{}, &OverlayRelease::version);
    for (const auto& index : newer.indexes)
        if (std::ranges::find(older.indexes, index) == older.indexes.end())
            older.indexes.push_back(index);
    older.updated = newer.updated;
    return older;
}

Expected<CatalogOverlay> parse_overlay(std::string_view text, std::string_view origin)
{
    const Reader reader{origin};
    const auto document = ENVPIN_TRY(reader.parse(text));
    ENVPIN_TRY(reader.only_keys(document, "the overlay", {"format", "updated", "indexes", "torch"}));
    if (ENVPIN_TRY(reader.integer(document, "format")).value_or(0) != overlay_format)
        return reader.error(fmt::format("format must be {} (written by this envpin's `catalog update`)", overlay_format));
    CatalogOverlay overlay;
    overlay.updated = ENVPIN_TRY(reader.required_string(document, "updated"));
    overlay.indexes = ENVPIN_TRY(reader.strings(document, "indexes"));
    for (const auto* release : ENVPIN_TRY(reader.tables(document, "torch")))
        overlay.releases.push_back(ENVPIN_TRY(parse_release(reader, *release)));
    return overlay;
}

} // namespace envpin
