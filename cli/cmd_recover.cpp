// `envpin recover`: finish what envpin leaves to the background or what a kill interrupted:
// resets (their old entries), and the detach of objects linked with link-then-copy. Any writer
// finishes resets on start; adopt, snapshot, reset and clone start this in the background.
// Run by hand, it waits for a background detach in progress and returns once every object is
// independent of the environments (and the window is closed).
#include <fmt/ostream.h>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/detach.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> run_recover(Context& context, double wait)
{
    auto options = store_options(context, store::Access::write, wait);
    options.background.clear();  // this is the background work: it starts no other
    ENVPIN_TRY(store::Store::open(options));  // finishes or takes back interrupted resets
    const auto outcome = ENVPIN_TRY(store::run_detaches(options.root, {store::DetachOptions{}.threads, options.wait}));
    if (context.global.json) {
        auto damaged = nlohmann::json::array();
        for (const auto& object : outcome.damaged)
            damaged.push_back({{"object", object.object}, {"detail", object.detail}});
        print_json(context.out, nlohmann::json{{"detached_objects", outcome.copied},
                                      {"detached_bytes", outcome.copied_bytes},
                                      {"longest_window_s", static_cast<double>(outcome.longest_window_ns) / 1e9},
                                      {"damaged", damaged}});
    } else if (!context.global.quiet && outcome.jobs > 0) {
        fmt::print(context.out, "recover: {} objects copied into the store ({}); longest window {:.1f} s\n",
                   outcome.copied, human_bytes(outcome.copied_bytes), static_cast<double>(outcome.longest_window_ns) / 1e9);
    }
    for (const auto& object : outcome.damaged)
        fmt::print(context.err, "envpin: object {}: {}\n", object.object, object.detail);
    return outcome.damaged.empty() ? ExitCode::ok : ExitCode::no;
}

}  // namespace

void register_recover(CLI::App& app, Context& context, CommandRun& selected)
{
    auto wait = std::make_shared<double>(3600);
    auto* command = app.add_subcommand(
        "recover", "Finish background work: interrupted resets, copies of objects still shared with an environment");
    command->add_option("--wait", *wait, "Seconds to wait for the store lock and a background copy in progress")
        ->check(CLI::NonNegativeNumber);
    command->callback([&context, &selected, wait] {
        selected = [&context, wait] { return run_recover(context, *wait); };
    });
}

}  // namespace envpin::cli
