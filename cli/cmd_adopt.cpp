// `envpin adopt PATH --name NAME`: take an existing environment under management and record
// its first snapshot.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "base/trace.hpp"

namespace envpin::cli {
namespace {

struct AdoptFlags {
    std::string path;
    std::string name;
    std::string link_mode = "auto";
    std::string message;
    double wait = 60;
};

Expected<ExitCode> run_adopt(Context& context, const AdoptFlags& flags)
{
    // Inputs are checked before the store is touched, so a bad one changes nothing.
    const auto path = ENVPIN_TRY(store::check_adoptable(flags.path, flags.name));
    const auto options_for_store = store_options(context, store::Access::create, flags.wait);
    ENVPIN_TRY(store::check_apart(path, options_for_store.root));
    auto store = ENVPIN_TRY(traced("open store", [&] { return store::Store::open(options_for_store); }));
    store::AdoptOptions options{path, flags.name, *store::parse_link_mode(flags.link_mode), {}};
    options.snapshot.reason = "adopt";
    options.snapshot.message = flags.message;
    options.snapshot.progress = progress_line(context);
    const auto outcome = traced("adopt", [&] { return store::adopt(store, options); });
    finish_progress(context);
    if (!outcome)
        return std::unexpected(outcome.error());
    const auto environment = ENVPIN_TRY(store.environment(flags.name));
    if (context.global.json)
        print_json(context.out, snapshot_json(*outcome, environment));
    else if (!context.global.quiet) {
        context.out << "adopted " << environment.name << " (" << environment.path.string() << ")\n";
        render_snapshot(*outcome, environment, context.out);
    }
    return ExitCode::ok;
}

}  // namespace

void register_adopt(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<AdoptFlags>();
    auto* command = app.add_subcommand("adopt", "Take an existing Python environment under management (first snapshot)");
    command->add_option("path", flags->path, "The environment's directory")->required();
    command->add_option("--name", flags->name, "Name for it in the store")->required();
    command->add_option("--link-mode", flags->link_mode, "How files enter the store (kept for later snapshots)")
        ->check(CLI::IsMember({"auto", "hardlink", "reflink", "copy"}));
    command->add_option("-m,--message", flags->message, "Note kept with the snapshot");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_adopt(context, *flags); };
    });
}

}  // namespace envpin::cli
