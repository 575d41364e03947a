// `envpin status NAME [--exit-code]`: drift of the environment against its current snapshot,
// and that snapshot's verdict on this host. Reads only: never waits for a writer.
#include <fmt/ostream.h>

#include <future>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verdicts.hpp"
#include "store/lifecycle/reset.hpp"

namespace envpin::cli {
namespace {

struct StatusFlags {
    std::string name;
    bool exit_code = false;
    bool files = false;  // every changed path, not the counts per package
};

// A tree in the middle of a reset is neither drift nor an error: said as such (exit 0; 1 with
// --exit-code, since it cannot be called clean).
ExitCode render_reset_underway(Context& context, const StatusFlags& flags, const store::Environment& environment,
                               const store::ResetUnderway& underway)
{
    const auto target = underway.target.empty() ? std::string("an earlier snapshot") : underway.target;
    if (context.global.json) {
        print_json(context.out, nlohmann::json{{"environment", environment.name},
                                      {"clean", false},
                                      {"reset_underway", {{"target", underway.target}, {"running", underway.running}}}}
                           );
    } else if (underway.running) {
        fmt::print(context.out, "{}: a reset to {} is running; the environment is the old or the new tree entry by "
                                "entry until it finishes (`envpin status` again after it)\n",
                   environment.name, target);
    } else {
        fmt::print(context.out, "{}: a reset to {} was interrupted before it finished; the next envpin command that "
                                "writes the store takes its steps back (`envpin recover` does it now)\n",
                   environment.name, target);
    }
    return flags.exit_code ? ExitCode::no : ExitCode::ok;
}

Expected<ExitCode> run_status(Context& context, const StatusFlags& flags)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::read)));
    // The host probe (a child process) runs while the tree is walked and hashed.
    auto fingerprint = std::async(std::launch::async, this_host_fingerprint, store.root());
    // A reset that ran while the tree was walked leaves a picture of neither tree: walked again
    // (a few times), then said as a reset under way.
    auto environment = ENVPIN_TRY(store.environment(flags.name));
    if (const auto underway = ENVPIN_TRY(store::reset_underway(store, environment)))
        return render_reset_underway(context, flags, environment, *underway);
    std::optional<Expected<store::Drift>> seen;
    for (int attempt = 0; attempt < 3 && !seen; ++attempt) {
        auto drift = store::status(store, environment, 0, progress_line(context));
        finish_progress(context);
        if (const auto underway = ENVPIN_TRY(store::reset_underway(store, environment)))
            return render_reset_underway(context, flags, environment, *underway);
        const auto after = ENVPIN_TRY(store.environment(flags.name));
        if (after.current_snapshot == environment.current_snapshot)
            seen = std::move(drift);
        environment = after;
    }
    if (!seen)
        return fail(ErrorCode::busy, "environment '{}' was reset three times while it was being read; run status again",
                    environment.name);
    const auto& drift = *seen;
    if (!drift)
        return std::unexpected(drift.error());
    const auto detach = ENVPIN_TRY(store.metadata().latest_detach(environment.id));
    const auto verdicts = ENVPIN_TRY(store::load_verdicts(store.metadata(), environment, fingerprint.get()));
    const auto verdict = verdicts.verdict(drift->snapshot);
    if (context.global.json) {
        auto body = changes_json(drift->changes);
        body["environment"] = environment.name;
        body["snapshot"] = {{"seq", drift->snapshot.seq}, {"commit", drift->snapshot.commit}};
        body["detach"] = detach_json(detach);
        body["verified"] = verdict_json(verdict);
        print_json(context.out, body);
    } else if (drift->clean()) {
        fmt::print(context.out, "{}: clean (at {}, {}; {})\n", environment.name, drift->snapshot.label(),
                   short_commit(drift->snapshot.commit), verdict_words(verdict));
    } else {
        const auto& changes = drift->changes;
        fmt::print(context.out, "{}: changed since {} ({}; {})\n", environment.name, drift->snapshot.label(),
                   short_commit(drift->snapshot.commit), verdict_words(verdict));
        if (!changes.distributions.empty())
            fmt::print(context.out, "distributions:\n");
        render_changes(changes, context.out, flags.files ? FileDetail::paths : FileDetail::packages);
    }
    if (!context.global.json)
        render_detach(detach, context.out);
    return flags.exit_code && !drift->clean() ? ExitCode::no : ExitCode::ok;
}

}  // namespace

void register_status(CLI::App& app, Context& context, CommandRun& selected)
{
    auto flags = std::make_shared<StatusFlags>();
    auto* command = app.add_subcommand("status", "Show drift against the current snapshot");
    command->add_option("name", flags->name, "Environment name")->required();
    command->add_flag("--exit-code", flags->exit_code, "Exit 1 when the environment has drifted");
    command->add_flag("--files", flags->files, "List every changed path (default: counts per package)");
    command->callback([&context, &selected, flags] {
        selected = [&context, flags] { return run_status(context, *flags); };
    });
}

}  // namespace envpin::cli
