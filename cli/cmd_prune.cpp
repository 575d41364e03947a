// `envpin prune NAME --keep N [--dry-run]`: drop the old snapshots nobody can want back (never
// the N newest, the current one, or one whose bytes passed verify on any host); `envpin gc`
// then frees their objects.
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/json_out.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/prune.hpp"

namespace envpin::cli {
namespace {

struct PruneFlags {
    std::string name;
    long long keep = 0;
    bool dry_run = false;
    double wait = 60;
};

std::vector<std::string> labels(const std::vector<store::SnapshotInfo>& snapshots)
{
    std::vector<std::string> names;
    for (const auto& snapshot : snapshots)
        names.push_back(snapshot.label());
    return names;
}

void render_prune(const store::PruneOutcome& outcome, std::ostream& out)
{
    const auto& plan = outcome.plan;
    const auto name = outcome.environment.name;
    if (plan.dropped.empty()) {
        fmt::print(out, "{}: nothing to prune ({} snapshot(s), each among the newest, current or verified)\n", name,
                   plan.kept.size());
        return;
    }
    long long bytes = 0;
    for (const auto& snapshot : plan.dropped)
        bytes += snapshot.bytes;
    fmt::print(out, "{} {} snapshot(s) of {}: {}\n", outcome.dry_run ? "would prune" : "pruned", plan.dropped.size(),
               name, fmt::join(labels(plan.dropped), ", "));
    fmt::print(out, "kept {}: {}\n", plan.kept.size(), fmt::join(labels(plan.kept), ", "));
    if (!outcome.dry_run)
        fmt::print(out, "`envpin gc` frees the objects no kept snapshot uses (the pruned ones held {} in all)\n",
                   human_bytes(bytes));
}

Expected<ExitCode> run_prune(Context& context, const PruneFlags& flags)
{
    const auto access = flags.dry_run ? store::Access::read : store::Access::write;
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, access, flags.wait)));
    const auto outcome =
        ENVPIN_TRY(store::prune_environment(store, flags.name, static_cast<size_t>(flags.keep), flags.dry_run));
    if (context.global.json)
        print_json(context.out, nlohmann::json{{"environment", outcome.environment.name},
                                               {"dry_run", outcome.dry_run},
                                               {"pruned", labels(outcome.plan.dropped)},
                                               {"kept", labels(outcome.plan.kept)}});
    else if (!context.global.quiet)
        render_prune(outcome, context.out);
    return ExitCode::ok;
}

}  // namespace

void register_prune(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<PruneFlags>();
    auto* command = app.add_subcommand(
        "prune", "Drop old snapshots: never the N newest, the current one, or one that passed verify anywhere");
    command->add_option("name", flags->name, "The environment")->required();
    command->add_option("--keep", flags->keep, "How many of the newest snapshots to keep (at least 1)")
        ->required()
        ->check(CLI::Range(1LL, 1'000'000'000LL));
    command->add_flag("--dry-run", flags->dry_run, "Only say what would be pruned");
    command->add_option("--wait", flags->wait, "Seconds to wait for another envpin writing the store")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_prune(context, *flags); };
    });
}

}  // namespace envpin::cli
