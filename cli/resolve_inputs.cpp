#include "cli/resolve_inputs.hpp"

#include "base/strings.hpp"
#include "resolver/request.hpp"
#include "sys/file.hpp"
#include "verify/host_probe.hpp"

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

Expected<Catalog> load_catalog(const ResolveInputs& inputs)
{
    if (inputs.catalog.empty())
        return default_catalog();
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
    const auto spec = directory / "envpin.toml";
    std::error_code ec;
    if (std::filesystem::exists(spec, ec))
        return spec;
    const auto pyproject = directory / "pyproject.toml";
    if (const auto text = sys::read_file(pyproject); text && text->find("[tool.envpin") != std::string::npos)
        return pyproject;
    return spec;
}

} // namespace envpin::cli
