// `envpin snapshot NAME [-m MSG]`: record the environment's current state (nothing when it is
// unchanged since the current snapshot).
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

struct SnapshotFlags {
    std::string name;
    std::string message;
    std::string link_mode;
    double wait = 60;
};

Expected<ExitCode> run_snapshot(Context& context, const SnapshotFlags& flags)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, flags.wait)));
    const auto environment = ENVPIN_TRY(store.environment(flags.name));
    store::SnapshotOptions options;
    options.message = flags.message;
    if (!flags.link_mode.empty())
        options.link_mode = store::parse_link_mode(flags.link_mode);
    options.progress = progress_line(context);
    const auto outcome = store::take_snapshot(store, environment, options);
    finish_progress(context);
    if (!outcome)
        return std::unexpected(outcome.error());
    if (context.global.json)
        print_json(context.out, snapshot_json(*outcome, environment));
    else if (!context.global.quiet)
        render_snapshot(*outcome, environment, context.out);
    return ExitCode::ok;
}

}  // namespace

void register_snapshot(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<SnapshotFlags>();
    auto* command = app.add_subcommand("snapshot", "Record the environment's current state (no-op when unchanged)");
    command->add_option("name", flags->name, "Environment name")->required();
    command->add_option("-m,--message", flags->message, "Note kept with the snapshot");
    command->add_option("--link-mode", flags->link_mode, "Override the environment's link mode for this snapshot")
        ->check(CLI::IsMember({"auto", "hardlink", "reflink", "copy"}));
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_snapshot(context, *flags); };
    });
}

}  // namespace envpin::cli
