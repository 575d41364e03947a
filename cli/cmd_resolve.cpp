// `envpin resolve`: which torch build works on this host (or on the host --driver/--gpu
// describe), and why every other candidate does not. No side effects.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_resolve.hpp"
#include "cli/resolve_inputs.hpp"
#include "resolver/resolve.hpp"

namespace envpin::cli {
namespace {

struct ResolveOptions {
    ResolveInputs inputs;
    RequestText request;
    bool native_only = false;
    bool explain = false;
};

Expected<ExitCode> run_resolve(const ResolveOptions& options, Context& context)
{
    const auto catalog = ENVPIN_TRY(load_catalog(options.inputs));
    auto text = options.request;
    text.compat =
        options.native_only ? CompatPolicy::native_only : CompatPolicy::allow_minor_version;
    const auto request = ENVPIN_TRY(make_request(catalog, text));
    const auto host = ENVPIN_TRY(host_facts(catalog, options.inputs));
    const auto resolution = ENVPIN_TRY(resolve(catalog, request, host));
    if (context.global.json)
        print_json(context.out, resolution_to_json(resolution, host));
    else
        render_resolution(resolution, request, host,
                          options.explain ? Detail::explain : Detail::summary, context.out);
    return std::holds_alternative<Plan>(resolution) ? ExitCode::ok : ExitCode::no;
}

} // namespace

void register_resolve(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* command = app.add_subcommand(
        "resolve", "Find the torch + CUDA stack that works on this host, and say why");
    auto options = std::make_shared<ResolveOptions>();
    command->add_option("--torch", options->request.torch,
                        "torch version or PEP 440 specifier (2.7.*, >=2.6,<2.9)");
    command
        ->add_option("--cuda", options->request.cuda,
                     "auto, cpu, a CUDA release (12.8), cu128 or a specifier")
        ->capture_default_str();
    command->add_option("--python", options->request.python,
                        "Python version (3.12, 3.13t) or specifier");
    command->add_flag("--native-only", options->native_only,
                      "Refuse builds needing minor-version compatibility");
    command->add_flag("--explain", options->explain,
                      "List every rejected candidate and the facts relied on");
    add_resolve_inputs(*command, options->inputs);
    command->callback([&context, &selected, options] {
        selected = [&context, options] { return run_resolve(*options, context); };
    });
}

} // namespace envpin::cli
