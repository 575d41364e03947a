// `envpin recover`: finish what envpin leaves to the background or what a kill interrupted:
// resets (their old entries), and the detach of objects linked with link-then-copy. Any writer
// finishes resets on start; adopt, snapshot, reset and clone start this in the background.
// Run by hand, it waits for a background detach in progress and returns once every object is
// independent of the environments (and the window is closed). Beside the detach it makes the
// spare directories a whole-tree reset renames in (store/lifecycle/spare.hpp).
#include <fmt/ostream.h>

#include <future>

#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "store/lifecycle/detach.hpp"
#include "store/lifecycle/spare.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> run_recover(Context& context, double wait)
{
    auto options = store_options(context, store::Access::write, wait);
    options.background.clear();  // this is the background work: it starts no other
    ENVPIN_TRY(store::Store::open(options));  // finishes or takes back interrupted resets
    // The spare directories are made while the detach copies: the one is the disk's work, the
    // other the inode allocator's, and neither waits for the other.
    auto preparing = std::async(std::launch::async, [&] { return store::prepare_spares(options.root, options.wait); });
    const auto outcome = ENVPIN_TRY(store::run_detaches(options.root, {store::DetachOptions{}.threads, options.wait}));
    const auto spares = preparing.get();
    if (context.global.json) {
        auto damaged = nlohmann::json::array();
        for (const auto& object : outcome.damaged)
            damaged.push_back({{"object", object.object}, {"detail", object.detail}});
        print_json(context.out, nlohmann::json{{"detached_objects", outcome.copied},
                                      {"detached_bytes", outcome.copied_bytes},
                                      {"longest_window_s", static_cast<double>(outcome.longest_window_ns) / 1e9},
                                      {"damaged", damaged},
                                      {"spares_made", spares ? spares->made : 0},
                                      {"spare_directories", spares ? spares->directories : 0}});
    } else if (!context.global.quiet && outcome.jobs > 0) {
        fmt::print(context.out, "recover: {} objects copied into the store ({}); longest window {:.1f} s\n",
                   outcome.copied, human_bytes(outcome.copied_bytes), static_cast<double>(outcome.longest_window_ns) / 1e9);
    }
    if (!context.global.json && !context.global.quiet && spares && spares->made > 0)
        fmt::print(context.out, "recover: spare directories made for {} {} ({} directories)\n", spares->made,
                   spares->made == 1 ? "environment" : "environments", spares->directories);
    for (const auto& object : outcome.damaged)
        fmt::print(context.err, "envpin: object {}: {}\n", object.object, object.detail);
    // A spare only saves a whole-tree reset time: not having one is said, and is no failure.
    if (!spares)
        fmt::print(context.err, "envpin: no spare directories made: {}\n", spares.error().describe());
    else
        for (const auto& skipped : spares->skipped)
            fmt::print(context.err, "envpin: no spare directories for {}\n", skipped);
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
