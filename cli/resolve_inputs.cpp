#include "cli/resolve_inputs.hpp"

#include "base/strings.hpp"
#include "resolver/request.hpp"
#include "store/store.hpp"
#include "sys/file.hpp"
#include "verify/host/host_probe.hpp"

namespace envpin::cli {

void add_resolve_inputs(CLI::App& command, ResolveInputs& inputs)
{
    command.add_option("--catalog", inputs.catalog,
                       "Catalog file to use instead of the built-in one");
    command.add_option("--driver", inputs.driver,
                       "Resolve for this NVIDIA driver version (or none)");
    command.add_option("--gpu", inputs.gpus,
                       "Resolve for this GPU: a name (H100), sm_XY or X.Y; repeatable");
}

std::filesystem::path overlay_path(std::string_view store_flag)
{
    return store::store_root(store_flag) / "catalog" / "overlay.toml";
}

std::filesystem::path http_cache_path(std::string_view store_flag)
{
    return store::store_root(store_flag) / "catalog" / "http-cache";
}

Expected<std::optional<CatalogOverlay>> load_overlay(std::string_view store_flag)
{
    const auto path = overlay_path(store_flag);
    auto text = sys::read_file(path);
    if (!text && text.error().code == ErrorCode::not_found)
        return std::nullopt;
    auto overlay = parse_overlay(ENVPIN_TRY(std::move(text)), path.string());
    if (!overlay)
        return std::unexpected(overlay.error().with_context(
            "the catalog overlay (`envpin catalog update` writes it again; deleting it goes back to the built-in catalog)"));
    return std::optional<CatalogOverlay>(std::move(*overlay));
}

Expected<Catalog> load_catalog(const ResolveInputs& inputs)
{
    if (inputs.catalog.empty()) {
        auto catalog = ENVPIN_TRY(default_catalog());
        const auto overlay = ENVPIN_TRY(load_overlay(inputs.store));
        if (!overlay)
            return catalog;
        std::vector<std::string> left_out;  // `envpin catalog update` reported them
        return apply_overlay(std::move(catalog), *overlay, left_out);
    }
    const auto text = ENVPIN_TRY_CTX("--catalog", sys::read_file(inputs.catalog));
    auto catalog = ENVPIN_TRY(parse_catalog(text, inputs.catalog));
    if (const auto problems = check_catalog(catalog); !problems.empty())
        return fail(ErrorCode::bad_input, "{}: {} (and {} more problems)", inputs.catalog,
                    problems.front(), problems.size() - 1);
    return catalog;
}

Expected<HostFacts> host_facts(const Catalog& catalog, const ResolveInputs& inputs)
{
    std::optional<std::optional<std::string>> driver;
    if (!inputs.driver.empty())
        driver = ENVPIN_TRY(driver_from_flag(inputs.driver));
    std::vector<GpuInfo> gpus;
    for (const auto& text : inputs.gpus)
        gpus.push_back(ENVPIN_TRY(gpu_from_flag(catalog, text, static_cast<int>(gpus.size()))));
    HostFacts facts;
    const bool described = driver && (!gpus.empty() || !*driver);
    if (!described) {
        verify::HostProbeOptions options;
        options.envpin_executable = sys::self_executable();
        options.include_toolkits = false;
        facts = verify::probe_host(options);
    }
    if (driver) {
        facts.driver = *driver;
        facts.driver_source = "--driver";
    }
    if (!gpus.empty() || described) {
        facts.gpus = std::move(gpus);
        facts.gpu_source = "--gpu";
    }
    return facts;
}

std::filesystem::path project_spec(const std::filesystem::path& directory)
{
    auto spec = directory / "envpin.toml";
    std::error_code ec;
    if (std::filesystem::exists(spec, ec))
        return spec;
    auto pyproject = directory / "pyproject.toml";
    if (const auto text = sys::read_file(pyproject); text && text->find("[tool.envpin") != std::string::npos)
        return pyproject;
    return spec;
}

} // namespace envpin::cli
