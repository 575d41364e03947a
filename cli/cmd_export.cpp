// `envpin export requirements|pylock|dockerfile [--lock F] [--target T] [--out FILE]`: the
// lock's environment in the formats other tools read. Each names every distribution's exact
// wheel with its sha256 (from [[installed]], which `lock` and `create` record): `requirements` as
// `name @ URL --hash=...` lines for pip and uv, `pylock` as a PEP 751 pylock.toml for uv
// (`uv pip install -r pylock.toml`), `dockerfile` as an image that installs those lines on a
// CUDA base image matching the stack, with `envpin verify` as its health check.
#include "cli/command.hpp"
#include "cli/json_out.hpp"
#include "cli/resolve_inputs.hpp"
#include "base/strings.hpp"
#include "resolver/dockerfile.hpp"
#include "resolver/lock_check.hpp"
#include "resolver/pylock.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct ExportOptions {
    std::string format;
    std::string lock = "envpin.lock";
    std::string target;  // the section to export; needed when the lock has several
    std::string out;     // empty: stdout
    DockerfileOptions docker;
    std::string catalog;  // --catalog FILE: where the base image comes from
    std::string store;    // the global --store (its catalog overlay)
};

// The section to export: --target's, or the lock's only one.
Expected<Lock> section_to_export(const LockFile& file, const ExportOptions& options)
{
    if (options.target.empty() && file.sections.size() > 1)
        return fail(ErrorCode::bad_input, "--lock {} has {} targets ({}): name one with --target NAME", options.lock,
                    file.sections.size(), join(file.target_names(), ", "));
    if (options.target.empty())
        return file.sections.front();
    const auto choice = ENVPIN_TRY(choose_section(Catalog{}, file, HostFacts{}, options.target, options.lock));
    return *choice.section;
}

Expected<std::string> exported_text(const Lock& lock, const ExportOptions& options)
{
    if (options.format == "pylock")
        return print_pylock(ENVPIN_TRY(pylock_from_lock(lock, options.lock)));
    if (options.format == "dockerfile")
        return dockerfile_from_lock(ENVPIN_TRY(load_catalog(ResolveInputs{options.catalog, "", {}, options.store})), lock,
                                    options.docker, options.lock);
    return requirements_from_lock(lock, options.lock);
}

Expected<ExitCode> run_export(const ExportOptions& options, Context& context)
{
    auto text = sys::read_file(options.lock);
    if (!text && text.error().code == ErrorCode::not_found)
        return fail(ErrorCode::bad_input, "--lock {}: no such file (`envpin lock` or `envpin create` writes one)",
                    options.lock);
    const auto file = ENVPIN_TRY(parse_lock_file(ENVPIN_TRY(std::move(text)), options.lock));
    const auto lock = ENVPIN_TRY(section_to_export(file, options));
    const auto exported = ENVPIN_TRY(exported_text(lock, options));
    if (!options.out.empty())
        ENVPIN_TRY_CTX("writing --out " + options.out, sys::write_file_atomic(options.out, exported));
    if (context.global.json) {
        nlohmann::json document{{"format", options.format},
                                {"target", lock.target ? nlohmann::json(lock.target->name) : nlohmann::json(nullptr)},
                                {"distributions", lock.installed.size()},
                                {"path", options.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.out)}};
        if (options.out.empty())
            document["content"] = exported;
        print_json(context.out, document);
    } else if (options.out.empty()) {
        context.out << exported;
    } else if (!context.global.quiet) {
        context.err << "envpin: wrote " << options.out << " (" << lock.installed.size() << " distributions)\n";
    }
    return ExitCode::ok;
}

}  // namespace

void register_export(CLI::App& app, Context& context, CommandRun& selected)
{
    auto options = std::make_shared<ExportOptions>();
    auto* command = app.add_subcommand(
        "export", "Write the lock's environment for other tools: requirements.txt with hashes, PEP 751 pylock.toml, "
                  "or a Dockerfile");
    command->add_option("format", options->format, "requirements | pylock | dockerfile")
        ->required()
        ->check(CLI::IsMember({"requirements", "pylock", "dockerfile"}));
    command->add_option("--lock", options->lock, "The lock to export")->capture_default_str();
    command->add_option("--target", options->target, "The lock's target to export (needed when it has several)");
    command->add_option("--base", options->docker.base_image,
                        "dockerfile: the image to build on (default: the CUDA base image of the stack's CUDA release)");
    command->add_option("--catalog", options->catalog, "dockerfile: catalog file to use instead of the built-in one");
    command->add_option("--name", options->docker.environment, "dockerfile: the environment's name in the image's store")
        ->capture_default_str();
    command->add_option("-o,--out", options->out, "Write to FILE instead of stdout");
    command->callback([&context, &selected, options] {
        selected = [&context, options] {
            options->store = context.global.store;
            return run_export(*options, context);
        };
    });
}

}  // namespace envpin::cli
