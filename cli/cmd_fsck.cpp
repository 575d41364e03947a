// `envpin fsck [--repair]`: re-hash every object, check every manifest, find objects still
// shared with an environment; exit 1 naming what is damaged. --repair fixes what it can first.
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "store/maintenance/repair.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> run_fsck(Context& context, double wait, bool repair)
{
    // Under the writer lock: a concurrent gc must not make live objects look missing.
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, wait)));
    auto report = store::fsck(store, {0, progress_line(context)});
    finish_progress(context);
    if (!report)
        return std::unexpected(report.error());
    std::optional<store::RepairOutcome> repaired;
    if (repair && !report->clean()) {
        repaired = ENVPIN_TRY(store::repair(store, *report));
        report = store::fsck(store, {0, progress_line(context)});  // what is left
        finish_progress(context);
        if (!report)
            return std::unexpected(report.error());
    }
    if (context.global.json) {
        auto body = fsck_json(*report);
        if (repaired)
            body["repaired"] = {{"detached", repaired->detached}, {"restored", repaired->restored}};
        context.out << body.dump(2) << '\n';
    } else {
        if (repaired) {
            for (const auto& object : repaired->detached)
                fmt::print(context.out, "repaired {}: it has its own inode now\n", object);
            for (const auto& restored : repaired->restored)
                fmt::print(context.out, "repaired {}\n", restored);
        }
        render_fsck(*report, context.out);
    }
    return report->clean() ? ExitCode::ok : ExitCode::no;
}

}  // namespace

void register_fsck(CLI::App& app, Context& context, CommandRun& selected)
{
    auto wait = std::make_shared<double>(60);
    auto repair = std::make_shared<bool>(false);
    auto* command = app.add_subcommand("fsck", "Check every object and manifest in the store");
    command->add_flag("--repair", *repair,
                      "Give shared objects their own inode and take damaged ones back from any copy that has their bytes");
    command->add_option("--wait", *wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, wait, repair] {
        selected = [&context, wait, repair] { return run_fsck(context, *wait, *repair); };
    });
}

}  // namespace envpin::cli
