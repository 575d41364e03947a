// `envpin catalog update|show|diff`: keep the catalog current from the package indexes
// themselves (an overlay in the store, on top of the built-in catalog), show what the catalog
// knows and where each fact came from, and list where the built-in data and the indexes disagree.
#include <unistd.h>

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/json_out.hpp"
#include "cli/render_catalog.hpp"
#include "cli/resolve_inputs.hpp"
#include "net/catalog_update.hpp"
#include "base/strings.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct CatalogFlags {
    std::vector<std::string> indexes; // update: --index URL (repeatable)
    std::string torch;                // update, show: --torch SPEC
    std::string out;                  // update: --out FILE instead of the store's overlay
    bool offline = false;
    int parallel = 8;
    bool exit_code = false;           // diff: exit 1 when they disagree
};

Expected<std::optional<SpecifierSet>> torch_filter(const std::string& text)
{
    if (text.empty())
        return std::nullopt;
    auto spec = SpecifierSet::parse(text);
    if (!spec)
        return fail(ErrorCode::bad_input, "--torch '{}': expected a version specifier such as '>=2.10' or '==2.11.0' ({})",
                    text, spec.error().message);
    return std::optional<SpecifierSet>(std::move(*spec));
}

std::string today_utc()
{
    return fmt::format("{:%Y-%m-%d}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

Expected<net::UpdateRequest> update_request(const CatalogFlags& flags, const Context& context, const Catalog& catalog)
{
    net::UpdateRequest request;
    request.indexes = flags.indexes.empty() ? net::default_indexes(catalog) : flags.indexes;
    for (const auto& index : request.indexes)
        ENVPIN_TRY_CTX("--index", parse_url(index));
    request.torch = ENVPIN_TRY(torch_filter(flags.torch));
    request.offline = flags.offline;
    request.cache_dir = http_cache_path(context.global.store);
    request.today = today_utc();
    request.parallel = flags.parallel;
    if (!context.global.quiet && !context.global.json && ::isatty(STDERR_FILENO))
        request.progress = [&context](std::string_view stage, size_t done, size_t total) {
            fmt::print(context.err, "\rreading {} {}/{}{}", stage, done, total, done == total ? "\n" : "");
            context.err.flush();
        };
    return request;
}

// The overlay to write: what was read now, over what earlier updates read (store overlay only).
Expected<CatalogOverlay> overlay_to_write(const CatalogFlags& flags, const Context& context, CatalogOverlay read)
{
    if (!flags.out.empty())
        return read;
    auto earlier = ENVPIN_TRY(load_overlay(context.global.store));
    return earlier ? merge_overlays(std::move(*earlier), read) : read;
}

Expected<ExitCode> run_update(const CatalogFlags& flags, Context& context)
{
    const auto built_in = ENVPIN_TRY(default_catalog());
    const auto request = ENVPIN_TRY(update_request(flags, context, built_in));
    const auto result = ENVPIN_TRY(net::read_indexes(request));
    if (result.overlay.releases.empty())
        return fail(ErrorCode::not_found, "the indexes served no torch wheel for Linux x86_64{} (nothing written): {}",
                    flags.torch.empty() ? "" : " matching --torch " + flags.torch, join(request.indexes, ", "));
    const auto overlay = ENVPIN_TRY(overlay_to_write(flags, context, result.overlay));
    UpdateReport report{&result, &overlay, flags.out.empty() ? overlay_path(context.global.store) : std::filesystem::path(flags.out), {}};
    const auto merged = apply_overlay(built_in, overlay, report.left_out);
    if (const auto problems = check_catalog(merged); !problems.empty())
        return fail(ErrorCode::network, "what the indexes say does not make a sound catalog (nothing written): {}",
                    problems.front());
    std::error_code ignored;
    std::filesystem::create_directories(report.path.parent_path(), ignored);
    ENVPIN_TRY_CTX("writing the catalog overlay", sys::write_file_atomic(report.path, overlay_to_toml(overlay)));
    if (context.global.json)
        print_json(context.out, update_to_json(report));
    else if (!context.global.quiet)
        render_update(report, context.global.verbose > 0, context.out);
    return ExitCode::ok;
}

Expected<ExitCode> run_show(const CatalogFlags& flags, Context& context)
{
    const auto torch = ENVPIN_TRY(torch_filter(flags.torch));
    CatalogOrigin origin{ENVPIN_TRY(default_catalog()).revision, ENVPIN_TRY(load_overlay(context.global.store)),
                         overlay_path(context.global.store)};
    const auto catalog = ENVPIN_TRY(load_catalog(ResolveInputs{"", "", {}, context.global.store}));
    if (torch && std::ranges::none_of(catalog.releases, [&](const TorchRelease& r) { return torch->contains(r.version, PreReleases::include); }))
        return fail(ErrorCode::not_found, "--torch {}: the catalog has no such release", flags.torch);
    if (context.global.json)
        print_json(context.out, catalog_to_json(catalog, origin, torch));
    else
        render_catalog(catalog, origin, torch, context.out);
    return ExitCode::ok;
}

Expected<ExitCode> run_diff(const CatalogFlags& flags, Context& context)
{
    const auto overlay = ENVPIN_TRY(load_overlay(context.global.store));
    if (!overlay)
        return fail(ErrorCode::not_found, "no catalog overlay at {}: `envpin catalog update` reads the indexes first",
                    overlay_path(context.global.store).string());
    const auto differences = diff_catalog(ENVPIN_TRY(default_catalog()), *overlay);
    if (context.global.json)
        print_json(context.out, differences_to_json(differences, *overlay));
    else
        render_differences(differences, *overlay, context.out);
    return flags.exit_code && !differences.empty() ? ExitCode::no : ExitCode::ok;
}

} // namespace

void register_catalog(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<CatalogFlags>();
    auto* catalog = app.add_subcommand("catalog", "Keep the catalog current from the package indexes, show it, compare it");
    catalog->require_subcommand(1);

    auto* update = catalog->add_subcommand(
        "update", "Read releases, pins and wheel hashes from the indexes' own metadata into the store's catalog overlay");
    update->add_option("--index", flags->indexes,
                       "Index URL (JSON simple API), repeatable; default: each variant index of the catalog, then PyPI");
    update->add_option("--torch", flags->torch, "Only torch releases matching this specifier ('>=2.10')");
    update->add_option("--out", flags->out, "Write the overlay to FILE instead of the store");
    update->add_flag("--offline", flags->offline, "Read nothing from the network: use what earlier updates fetched");
    update->add_option("--parallel", flags->parallel, "Transfers at once")->check(CLI::Range(1, 64));
    update->callback([&context, &selected, flags] { selected = [&context, flags] { return run_update(*flags, context); }; });

    auto* show = catalog->add_subcommand("show", "What the catalog knows of each torch release, and where it came from");
    show->add_option("--torch", flags->torch, "Only releases matching this specifier ('2.11', '>=2.10')");
    show->callback([&context, &selected, flags] { selected = [&context, flags] { return run_show(*flags, context); }; });

    auto* diff = catalog->add_subcommand("diff", "Where the built-in catalog and the indexes read by `catalog update` disagree");
    diff->add_flag("--exit-code", flags->exit_code, "Exit 1 when they disagree");
    diff->callback([&context, &selected, flags] { selected = [&context, flags] { return run_diff(*flags, context); }; });
}

} // namespace envpin::cli
