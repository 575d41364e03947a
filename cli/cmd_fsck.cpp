// `envpin fsck [--repair] [--rebuild-database]`: re-hash every object, check every manifest, find
// objects still shared with an environment; exit 1 naming what is damaged. --repair fixes what it
// can first; --rebuild-database first rebuilds a database that disagrees with manifests.git.
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "store/maintenance/rebuild.hpp"
#include "store/maintenance/repair.hpp"

namespace envpin::cli {
namespace {

// The rebuild, said as it happened (before the check that follows it).
Expected<store::RebuildReport> rebuild(Context& context, store::Store& store)
{
    auto rebuilt = ENVPIN_TRY(store::rebuild_database(store));
    if (context.global.json)
        return rebuilt;
    if (!rebuilt.set_aside.empty())
        fmt::print(context.out, "kept the old database as {}\n", rebuilt.set_aside.string());
    fmt::print(context.out, "rebuilt the database from manifests.git: {} snapshot(s) of {}\n", rebuilt.snapshots,
               fmt::join(rebuilt.environments, ", "));
    fmt::print(context.out, "each environment is at its newest snapshot; verify runs start anew\n");
    return rebuilt;
}

Expected<ExitCode> run_fsck(Context& context, double wait, bool repair, bool rebuild_database)
{
    // Under the writer lock: a concurrent gc must not make live objects look missing.
    auto options = store_options(context, store::Access::write, wait);
    options.rebuild_database = rebuild_database;
    auto store = ENVPIN_TRY(store::Store::open(options));
    std::optional<store::RebuildReport> rebuilt;
    if (rebuild_database)
        rebuilt = ENVPIN_TRY(rebuild(context, store));
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
        if (rebuilt)
            body["rebuilt"] = {{"environments", rebuilt->environments}, {"snapshots", rebuilt->snapshots},
                               {"set_aside", rebuilt->set_aside.string()}};
        print_json(context.out, body);
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
    auto rebuild_database = std::make_shared<bool>(false);
    auto* command = app.add_subcommand("fsck", "Check every object and manifest in the store");
    command->add_flag("--repair", *repair,
                      "Give shared objects their own inode and take damaged ones back from any copy that has their bytes");
    command->add_flag("--rebuild-database", *rebuild_database,
                      "Rebuild a database that was deleted, emptied or replaced from manifests.git (the old one is kept)");
    command->add_option("--wait", *wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, wait, repair, rebuild_database] {
        selected = [&context, wait, repair, rebuild_database] {
            return run_fsck(context, *wait, *repair, *rebuild_database);
        };
    });
}

}  // namespace envpin::cli
