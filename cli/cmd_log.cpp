// `envpin log NAME`: the environment's snapshots, newest first, with verified marks.
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_store.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> run_log(Context& context, const std::string& name)
{
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::read)));
    const auto environment = ENVPIN_TRY(store.environment(name));
    auto snapshots = ENVPIN_TRY(store.metadata().snapshots(environment.id));
    // Marks are per host: the newest run on this host's fingerprint (GPU models + driver).
    const auto marks = ENVPIN_TRY(store.metadata().verified_marks(environment.id, this_host_fingerprint()));
    auto json = nlohmann::json::array();
    for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
        const auto mark = marks.find(it->id);
        const auto verified = mark == marks.end() ? nlohmann::json(nullptr) : nlohmann::json(mark->second ? "pass" : "fail");
        const bool current = environment.current_snapshot == it->id;
        if (context.global.json) {
            json.push_back({{"seq", it->seq}, {"commit", it->commit}, {"created", it->created}, {"reason", it->reason},
                            {"message", it->message}, {"verified", verified}, {"current", current},
                            {"files", it->files}, {"bytes", it->bytes}});
            continue;
        }
        fmt::print(context.out, "{:<16} {}  {}  {:<9} {:<10} {}{}\n", it->label(), short_commit(it->commit),
                   it->created, it->reason, verified.is_null() ? "unverified" : "verified:" + verified.get<std::string>(),
                   it->message, current ? "  (current)" : "");
    }
    if (context.global.json)
        context.out << json.dump(2) << '\n';
    return ExitCode::ok;
}

}  // namespace

void register_log(CLI::App& app, Context& context, CommandRun& selected)
{
    auto name = std::make_shared<std::string>();
    auto* command = app.add_subcommand("log", "List an environment's snapshots with verified marks");
    command->add_option("name", *name, "Environment name")->required();
    command->callback([&context, &selected, name] {
        selected = [&context, name] { return run_log(context, *name); };
    });
}

}  // namespace envpin::cli
