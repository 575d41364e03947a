// `envpin fsck`: re-hash every object, check every manifest; exit 1 naming what is damaged.
#include "cli/command.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> run_fsck(Context& context, double wait)
{
    // Under the writer lock: a concurrent gc must not make live objects look missing.
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, wait)));
    const auto report = store::fsck(store, {0, progress_line(context)});
    finish_progress(context);
    if (!report)
        return std::unexpected(report.error());
    if (context.global.json)
        context.out << fsck_json(*report).dump(2) << '\n';
    else
        render_fsck(*report, context.out);
    return report->clean() ? ExitCode::ok : ExitCode::no;
}

}  // namespace

void register_fsck(CLI::App& app, Context& context, CommandRun& selected)
{
    auto wait = std::make_shared<double>(60);
    auto* command = app.add_subcommand("fsck", "Check every object and manifest in the store");
    command->add_option("--wait", *wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, wait] {
        selected = [&context, wait] { return run_fsck(context, *wait); };
    });
}

}  // namespace envpin::cli
