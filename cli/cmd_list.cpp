// `envpin list [--all]`: every environment the store manages, each with its path, current
// snapshot, that snapshot's verdict on this host, its size and when it was recorded; with --all
// also those forgotten (`envpin forget`) whose snapshots are kept. Reads only.
#include <filesystem>

#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verdicts.hpp"
#include "store/lifecycle/verdicts.hpp"

namespace envpin::cli {
namespace {

struct Listed {
    store::Environment environment;
    std::optional<store::SnapshotInfo> current;
    std::optional<bool> verdict;
    bool present = false;  // the environment's directory is there
};

Expected<std::vector<Listed>> list_environments(store::Store& store, const std::string& fingerprint, bool all)
{
    std::vector<Listed> listed;
    for (auto& environment : ENVPIN_TRY(store.metadata().environments())) {
        if (environment.forgotten && !all)
            continue;
        Listed item{environment, ENVPIN_TRY(store.current_snapshot(environment)), std::nullopt, false};
        if (item.current)
            item.verdict = ENVPIN_TRY(store::load_verdicts(store.metadata(), environment, fingerprint)).verdict(*item.current);
        std::error_code ec;
        item.present = std::filesystem::is_directory(std::filesystem::symlink_status(environment.path, ec));
        listed.push_back(std::move(item));
    }
    return listed;
}

nlohmann::json listed_json(const Listed& item)
{
    const auto& current = item.current;
    return {{"name", item.environment.name},
            {"path", item.environment.path.string()},
            {"present", item.present},
            {"snapshot", current ? nlohmann::json{{"seq", current->seq}, {"commit", current->commit}} : nlohmann::json(nullptr)},
            {"verified", verdict_json(item.verdict)},
            {"files", current ? current->files : 0},
            {"bytes", current ? current->bytes : 0},
            {"created", current ? current->created : ""},
            {"forgotten", item.environment.forgotten ? nlohmann::json(*item.environment.forgotten) : nlohmann::json(nullptr)}};
}

std::string_view note(const Listed& item)
{
    if (item.environment.forgotten)
        return "  (forgotten: snapshots kept)";
    return item.present ? "" : "  (missing: `envpin reset` recreates it)";
}

Expected<ExitCode> run_list(Context& context, bool all)
{
    auto opened = store::Store::open(store_options(context, store::Access::read));
    if (!opened && opened.error().code == ErrorCode::not_found) {  // no store yet: nothing managed
        if (context.global.json)
            print_json(context.out, nlohmann::json{{"environments", nlohmann::json::array()}});
        else if (!context.global.quiet)
            context.err << "envpin: no environments yet (" << opened.error().describe() << ")\n";
        return ExitCode::ok;
    }
    auto store = ENVPIN_TRY(std::move(opened));
    const auto listed = ENVPIN_TRY(list_environments(store, this_host_fingerprint(store.root()), all));
    if (context.global.json) {
        auto json = nlohmann::json::array();
        for (const auto& item : listed)
            json.push_back(listed_json(item));
        print_json(context.out, nlohmann::json{{"environments", std::move(json)}});
        return ExitCode::ok;
    }
    for (const auto& item : listed) {
        const auto snapshot = item.current ? item.current->label() : std::string("(no snapshot)");
        fmt::print(context.out, "{:<16} {:<14} {:<15} {:>9}  {}  {}{}\n", item.environment.name, snapshot,
                   verdict_mark(item.verdict), item.current ? human_bytes(item.current->bytes) : "",
                   item.current ? item.current->created : "", item.environment.path.string(), note(item));
    }
    return ExitCode::ok;
}

}  // namespace

void register_list(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* command = app.add_subcommand("list", "List the managed environments with their current snapshot and verdict");
    auto all = std::make_shared<bool>(false);
    command->add_flag("--all", *all, "Also the forgotten environments whose snapshots are kept");
    command->callback([&context, &selected, all] {
        selected = [&context, all] { return run_list(context, *all); };
    });
}

}  // namespace envpin::cli
