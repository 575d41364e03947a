// `envpin clone REF PATH --name NEW`: a second managed environment from any snapshot, to try an
// old state beside the current one.
#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/clone.hpp"

namespace envpin::cli {
namespace {

struct CloneFlags {
    std::string ref;
    std::string path;
    std::string name;
    std::string link_mode;
    double wait = 60;
};

Expected<ExitCode> run_clone(Context& context, const CloneFlags& flags)
{
    store::CloneRequest request{flags.ref, flags.path, flags.name, std::nullopt, 0, progress_line(context)};
    if (!flags.link_mode.empty())
        request.link_mode = store::parse_link_mode(flags.link_mode);
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, flags.wait)));
    const auto outcome = store::clone_environment(store, request);
    finish_progress(context);
    if (!outcome)
        return std::unexpected(outcome.error());
    const auto environment = ENVPIN_TRY(store.environment(flags.name));
    if (context.global.json) {
        auto json = snapshot_json(outcome->adopted, environment);
        json["source"] = outcome->source.label();
        json["rewritten_files"] = outcome->rewritten;
        json["linked_files"] = outcome->linked_files;
        print_json(context.out, json);
    } else if (!context.global.quiet) {
        fmt::print(context.out, "cloned {} to {} as {}\n", outcome->source.label(), environment.path.string(), environment.name);
        render_snapshot(outcome->adopted, environment, context.out);
        if (outcome->rewritten > 0)
            fmt::print(context.out, "  {} files name the new path instead of the old (bin/ scripts, pyvenv.cfg)\n",
                       outcome->rewritten);
    }
    return ExitCode::ok;
}

}  // namespace

void register_clone(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<CloneFlags>();
    auto* command = app.add_subcommand("clone", "Make a second managed environment from any snapshot, at a new path");
    command->add_option("ref", flags->ref, "Snapshot to clone: NAME, NAME@SEQ, NAME@~N or a commit prefix")->required();
    command->add_option("path", flags->path, "Where the new environment goes (must not exist, or be empty)")->required();
    command->add_option("--name", flags->name, "Name of the new environment in the store")->required();
    command->add_option("--link-mode", flags->link_mode, "How files come out of the store (default: the source's)")
        ->check(CLI::IsMember({"auto", "hardlink", "reflink", "copy"}));
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_clone(context, *flags); };
    });
}

}  // namespace envpin::cli
