// `envpin resolve`: which torch build works on this host (or on the host --driver/--gpu
// describe, or for a target of envpin.toml), and why every other candidate does not: for the
// request given by flags, or by `--spec envpin.toml` as `lock` reads it. No side effects.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_resolve.hpp"
#include "cli/resolve_inputs.hpp"
#include <algorithm>

#include <fmt/format.h>

#include "resolver/resolve.hpp"
#include "resolver/spec_file.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct ResolveOptions {
    ResolveInputs inputs;
    RequestText request;
    bool native_only = false;
    bool explain = false;
    std::string spec;    // --spec envpin.toml: its request instead of the flags'
    std::string target;  // --target NAME: that target of the spec, resolved for its own facts
};

std::string join_names(const std::vector<Target>& targets)
{
    std::string text;
    for (const auto& target : targets)
        text += (text.empty() ? "" : ", ") + target.name;
    return text;
}

// The request (from the flags, or the spec and its target) and the host it is resolved for.
Expected<std::pair<Request, HostFacts>> request_and_host(const ResolveOptions& options, const Catalog& catalog)
{
    if (options.spec.empty()) {
        if (!options.target.empty())
            return fail(ErrorCode::bad_input, "--target {}: targets are envpin.toml's; give --spec", options.target);
        auto text = options.request;
        text.compat = options.native_only ? CompatPolicy::native_only : CompatPolicy::allow_minor_version;
        return std::pair{ENVPIN_TRY(make_request(catalog, text)), ENVPIN_TRY(host_facts(catalog, options.inputs))};
    }
    const bool flags = !options.request.torch.empty() || options.request.cuda != "auto" ||
                       !options.request.python.empty() || options.native_only;
    if (flags)
        return fail(ErrorCode::bad_input, "--spec {}: the spec gives torch, cuda, python and native_only; drop "
                                          "those flags", options.spec);
    const auto spec = ENVPIN_TRY(parse_spec(ENVPIN_TRY_CTX("--spec", sys::read_file(options.spec)), options.spec));
    std::optional<Target> target;
    if (!options.target.empty()) {
        const auto found = std::ranges::find(spec.targets, options.target, &Target::name);
        if (found == spec.targets.end())
            return fail(ErrorCode::bad_input, "--target {}: {} has no such [[target]]{}", options.target, options.spec,
                        spec.targets.empty() ? std::string(" (it has none)")
                                             : ": expected one of " + join_names(spec.targets));
        target = *found;
    }
    const auto prefix = target ? fmt::format("{}: [[target]] {}: ", options.spec, target->name)
                               : fmt::format("{}: ", options.spec);
    auto request = ENVPIN_TRY(make_request(catalog, request_text(lock_request(spec), prefix, target)));
    auto host = target ? ENVPIN_TRY(target_facts(catalog, *target, options.spec))
                       : ENVPIN_TRY(host_facts(catalog, options.inputs));
    return std::pair{std::move(request), std::move(host)};
}

Expected<ExitCode> run_resolve(const ResolveOptions& options, Context& context)
{
    const auto catalog = ENVPIN_TRY(load_catalog(options.inputs));
    const auto [request, host] = ENVPIN_TRY(request_and_host(options, catalog));
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
    command->add_option("--spec", options->spec, "Resolve this envpin.toml's request instead of the flags'");
    command->add_option("--target", options->target, "With --spec: resolve that [[target]] for its own facts");
    add_resolve_inputs(*command, options->inputs);
    command->callback([&context, &selected, options] {
        selected = [&context, options] {
            options->inputs.store = context.global.store;
            return run_resolve(*options, context);
        };
    });
}

} // namespace envpin::cli
