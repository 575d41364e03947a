// `envpin forget NAME [--purge]`: stop managing an environment; its directory is left as it is.
// Its snapshots stay (for `log`, `clone`, and `forget --purge` later) unless --purge drops them;
// `envpin gc` then removes the objects nothing else uses.
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/json_out.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/forget.hpp"

namespace envpin::cli {
namespace {

struct ForgetFlags {
    std::string name;
    bool purge = false;
    double wait = 60;
};

void render_forget(const store::ForgetOutcome& outcome, std::ostream& out)
{
    const auto& environment = outcome.environment;
    if (outcome.purged) {
        fmt::print(out, "forgot {} and dropped its {} snapshot(s); {} is left as it is; `envpin gc` removes the "
                        "objects nothing else uses\n",
                   environment.name, outcome.snapshots, environment.path.string());
        return;
    }
    if (outcome.already_forgotten) {
        fmt::print(out, "{} was forgotten already ({}); its {} snapshot(s) are kept (`envpin forget {} --purge` drops "
                        "them)\n",
                   environment.name, *environment.forgotten, outcome.snapshots, environment.name);
        return;
    }
    fmt::print(out, "forgot {}: envpin no longer manages {} (left as it is); its {} snapshot(s) are kept: `envpin "
                    "log {}`, `envpin clone {}@N PATH --name NEW`, `envpin forget {} --purge` drops them\n",
               environment.name, environment.path.string(), outcome.snapshots, environment.name, environment.name,
               environment.name);
}

Expected<ExitCode> run_forget(Context& context, const ForgetFlags& flags)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, flags.wait)));
    const auto outcome = ENVPIN_TRY(store::forget_environment(store, flags.name, flags.purge));
    if (context.global.json)
        print_json(context.out, nlohmann::json{{"environment", outcome.environment.name},
                                               {"path", outcome.environment.path.string()},
                                               {"forgotten", true},
                                               {"already_forgotten", outcome.already_forgotten},
                                               {"purged", outcome.purged},
                                               {"snapshots", outcome.snapshots},
                                               {"spares_removed", outcome.spares_removed}});
    else if (!context.global.quiet)
        render_forget(outcome, context.out);
    return ExitCode::ok;
}

}  // namespace

void register_forget(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<ForgetFlags>();
    auto* command = app.add_subcommand(
        "forget", "Stop managing an environment (its directory is left as it is); --purge also drops its snapshots");
    command->add_option("name", flags->name, "The environment")->required();
    command->add_flag("--purge", flags->purge, "Also drop its snapshots (then `envpin gc` frees their objects)");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_forget(context, *flags); };
    });
}

}  // namespace envpin::cli
