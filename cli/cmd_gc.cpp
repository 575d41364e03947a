// `envpin gc [--dry-run]`: remove objects no snapshot uses.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

struct GcFlags {
    bool dry_run = false;
    double wait = 60;
};

Expected<ExitCode> run_gc(Context& context, const GcFlags& flags)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, flags.wait)));
    const auto report = ENVPIN_TRY(store::gc(store, {flags.dry_run}));
    if (context.global.json)
        print_json(context.out, gc_json(report, flags.dry_run));
    else if (!context.global.quiet)
        render_gc(report, flags.dry_run, context.out);
    return ExitCode::ok;
}

}  // namespace

void register_gc(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<GcFlags>();
    auto* command = app.add_subcommand("gc", "Remove objects that no snapshot uses");
    command->add_flag("--dry-run", flags->dry_run, "Only report what would be removed");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_gc(context, *flags); };
    });
}

}  // namespace envpin::cli
