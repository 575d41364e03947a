// `envpin diff A B [--files]`: what changed between two snapshots, distributions first.
#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

struct DiffFlags {
    std::string from;
    std::string to;
    bool files = false;
};

Expected<ExitCode> run_diff(Context& context, const DiffFlags& flags)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::read)));
    const auto from = ENVPIN_TRY(store.resolve(flags.from));
    const auto to = ENVPIN_TRY(store.resolve(flags.to));
    const auto changes = store::compare(ENVPIN_TRY(store.manifest(from)), ENVPIN_TRY(store.manifest(to)));
    if (context.global.json) {
        nlohmann::json body = {{"from", to_json(from)}, {"to", to_json(to)},
                               {"distributions", distributions_json(changes.distributions)},
                               {"same", changes.empty()}};
        if (flags.files) {
            body["added"] = changes.added;
            body["modified"] = changes.modified;
            body["removed"] = changes.removed;
        } else {
            body["files"] = {{"added", changes.added.size()}, {"modified", changes.modified.size()},
                             {"removed", changes.removed.size()}};
        }
        print_json(context.out, body);
        return ExitCode::ok;
    }
    fmt::print(context.out, "{} ({}) -> {} ({}){}\n", from.label(), short_commit(from.commit), to.label(),
               short_commit(to.commit), changes.empty() ? ": no differences" : "");
    render_changes(changes, context.out, flags.files ? FileDetail::paths : FileDetail::packages);
    return ExitCode::ok;
}

}  // namespace

void register_diff(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<DiffFlags>();
    auto* command = app.add_subcommand("diff", "Differences between two snapshots (NAME, NAME@SEQ, NAME@~N, commit)");
    command->add_option("from", flags->from, "Older snapshot")->required();
    command->add_option("to", flags->to, "Newer snapshot")->required();
    command->add_flag("--files", flags->files, "List added, modified and removed files");
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_diff(context, *flags); };
    });
}

}  // namespace envpin::cli
