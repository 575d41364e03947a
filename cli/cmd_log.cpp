// `envpin log NAME [-n N]`: the environment's snapshots, newest first (the N newest with -n),
// each with its verdict on this host and the runs behind it.
#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verdicts.hpp"
#include "cli/run_proof.hpp"

namespace envpin::cli {
namespace {

// "verified:pass (pass 15:19, fail 15:20)": the verdict, then the runs of its bytes;
// "verified:pass (GPU not proven; pass 15:19)" when no pass ran the GPU checks.
std::string mark_text(const store::Verdicts& verdicts, const store::SnapshotInfo& snapshot, std::string_view today,
                      const std::optional<verify::NotProven>& unproven)
{
    const auto runs = verdicts.history(snapshot);
    auto mark = verdict_mark(verdicts.verdict(snapshot));
    const auto note = unproven ? verify::mark(*unproven) : std::string();
    if (runs.empty())
        return mark;
    return fmt::format("{} ({}{})", mark, note.empty() ? "" : note + "; ", runs_text(runs, today));
}

struct LogFlags {
    std::string name;
    long long count = 0;  // -n: the newest this many; 0: all
};

Expected<ExitCode> run_log(Context& context, const LogFlags& flags)
{
    const auto& name = flags.name;
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::read)));
    const auto environment = ENVPIN_TRY(store.environment(name, true));  // a forgotten one's snapshots too
    // Verdicts are per host: runs on this host's fingerprint (GPU models + driver + suite).
    const auto verdicts = ENVPIN_TRY(store::load_verdicts(store.metadata(), environment, this_host_fingerprint(store.root())));
    const auto& snapshots = verdicts.snapshots();
    const auto today = today_utc();
    auto json = nlohmann::json::array();
    long long shown = 0;
    for (auto it = snapshots.rbegin(); it != snapshots.rend() && (flags.count == 0 || shown < flags.count); ++it, ++shown) {
        const bool current = environment.current_snapshot == it->id;
        const auto unproven = ENVPIN_TRY(unproven_by_passes(store.metadata(), verdicts, *it));
        if (context.global.json) {
            json.push_back({{"seq", it->seq}, {"commit", it->commit}, {"created", it->created}, {"reason", it->reason},
                            {"message", it->message}, {"verified", verdict_json(verdicts.verdict(*it))},
                            {"runs", runs_json(verdicts.history(*it), verdicts)}, {"current", current},
                            {"files", it->files}, {"bytes", it->bytes}, {"not_proven", verify::to_json(unproven)}});
            continue;
        }
        fmt::print(context.out, "{:<16} {}  {}  {:<9} {:<10} {}{}\n", it->label(), short_commit(it->commit),
                   it->created, it->reason, mark_text(verdicts, *it, today, unproven), it->message, current ? "  (current)" : "");
    }
    if (context.global.json)
        print_json(context.out, nlohmann::json{{"environment", environment.name}, {"snapshots", std::move(json)}});
    return ExitCode::ok;
}

}  // namespace

void register_log(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<LogFlags>();
    auto* command = app.add_subcommand("log", "List an environment's snapshots with their verdicts on this host");
    command->add_option("name", flags->name, "Environment name")->required();
    command->add_option("-n,--max-count", flags->count, "Only the N newest snapshots")->check(CLI::Range(1LL, 1000000000LL));
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_log(context, *flags); };
    });
}

}  // namespace envpin::cli
