// `envpin reset NAME [REF] [--force] [--keep-old] [--dry-run]`: put the environment back to a
// snapshot (default: the newest one before the current that passed verification on this host);
// --dry-run says what would change and changes nothing.
#include <future>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_reset.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/reset.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

struct ResetFlags {
    std::string name;
    std::string ref;
    bool force = false;
    bool keep_old = false;
    bool dry_run = false;
    double wait = 60;
};

Expected<ExitCode> run_reset(Context& context, const ResetFlags& flags)
{
    store::ResetRequest request;
    request.target = flags.ref;
    request.force = flags.force;
    request.keep_old = flags.keep_old;
    request.dry_run = flags.dry_run;
    // The host probe (a child that may take a GPU driver's start-up) runs beside the reset.
    auto probe = std::async(std::launch::async, this_host_fingerprint, store::store_root(context.global.store)).share();
    request.fingerprint = [probe] { return std::optional<std::string>(probe.get()); };
    request.progress = progress_line(context);
    const auto access = flags.dry_run ? store::Access::read : store::Access::write;
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, access, flags.wait)));
    const auto environment = ENVPIN_TRY(store.environment(flags.name));
    const auto outcome = store::reset_environment(store, environment, request);
    finish_progress(context);
    if (!outcome)
        return std::unexpected(outcome.error());
    if (context.global.json)
        print_json(context.out, reset_json(*outcome));
    else
        render_reset(*outcome, environment, context.out, context.err, context.global.quiet);
    return std::holds_alternative<store::ResetRefused>(*outcome) ? ExitCode::no : ExitCode::ok;
}

}  // namespace

void register_reset(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<ResetFlags>();
    auto* command = app.add_subcommand(
        "reset", "Put an environment back to a snapshot, atomically (default: the last one verified on this host)");
    command->add_option("name", flags->name, "Environment name")->required();
    command->add_option("ref", flags->ref, "Target snapshot: NAME@SEQ, NAME@~N or a commit prefix");
    command->add_flag("--force", flags->force, "Allow a target that was never verified on this host");
    command->add_flag("--keep-old", flags->keep_old, "Keep the replaced tree beside the environment");
    command->add_flag("--dry-run", flags->dry_run, "Say what the reset would change, and change nothing");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_reset(context, *flags); };
    });
}

}  // namespace envpin::cli
