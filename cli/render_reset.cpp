#include "cli/render_reset.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/render_store.hpp"
#include "cli/render_verdicts.hpp"

namespace envpin::cli {
namespace {

nlohmann::json label_or_null(const std::optional<store::SnapshotInfo>& snapshot)
{
    return snapshot ? nlohmann::json(snapshot->label()) : nlohmann::json(nullptr);
}

std::string labels(const std::vector<store::SnapshotInfo>& snapshots)
{
    std::string text;
    for (const auto& snapshot : snapshots)
        text += (text.empty() ? "" : ", ") + snapshot.label();
    return text.empty() ? "none" : text;
}

}  // namespace

nlohmann::json reset_json(const store::ResetOutcome& outcome)
{
    if (const auto* preview = std::get_if<store::ResetPreview>(&outcome))
        return {{"status", "dry-run"},
                {"to", preview->to.label()},
                {"target_verified", preview->target_verified ? nlohmann::json(*preview->target_verified) : nlohmann::json()},
                {"root", preview->root},
                {"saves_drift", preview->drifted},
                {"changes", changes_json(preview->changes)}};
    if (const auto* refused = std::get_if<store::ResetRefused>(&outcome)) {
        auto verified = nlohmann::json::array();
        for (const auto& snapshot : refused->verified)
            verified.push_back(snapshot.label());
        return {{"status", "refused"}, {"to", label_or_null(refused->target)}, {"reason", refused->reason},
                {"verified", verified}};
    }
    const auto& done = std::get<store::ResetDone>(outcome);
    return {{"status", done.no_op ? "unchanged" : "reset"},
            {"from", done.from.label()},
            {"to", done.to.label()},
            {"saved", label_or_null(done.saved)},
            {"target_verified", done.target_verified ? nlohmann::json(*done.target_verified) : nlohmann::json()},
            {"root", done.root},
            {"steps", done.steps},
            {"reused_files", done.reused_files},
            {"restored_files", done.restored_files},
            {"linked_files", done.linked_files},
            {"detach_pending", done.detach_pending},
            {"spare_directories", done.spare_directories},
            {"switch_ms", done.switch_ms},
            {"old_tree", done.old_tree ? nlohmann::json(done.old_tree->string()) : nlohmann::json()}};
}

void render_reset(const store::ResetOutcome& outcome, const store::Environment& environment, std::ostream& out,
                  std::ostream& err, bool quiet)
{
    if (const auto* preview = std::get_if<store::ResetPreview>(&outcome)) {
        fmt::print(out, "reset {} to {} ({}) would:\n", environment.name, preview->to.label(),
                   verdict_words(preview->target_verified));
        if (preview->root == "missing")
            fmt::print(out, "  recreate the environment, which is missing\n");
        else if (preview->root == "replaced")
            fmt::print(out, "  keep what stands at {} beside it and recreate the environment\n", environment.path.string());
        if (preview->drifted)
            fmt::print(out, "  first save the unsaved changes as a pre-reset snapshot\n");
        const auto& changes = preview->changes;
        if (changes.empty())
            fmt::print(out, "  change nothing: the environment is already in that state\n");
        for (const auto& change : changes.distributions)
            fmt::print(out, "  {} {} -> {}\n", change.name, change.from.value_or("(not installed)"),
                       change.to.value_or("(removed)"));
        if (!changes.added.empty() || !changes.modified.empty() || !changes.removed.empty())
            fmt::print(out, "  files: {} put back, {} replaced, {} removed\n", changes.added.size(), changes.modified.size(),
                       changes.removed.size());
        return;
    }
    if (const auto* refused = std::get_if<store::ResetRefused>(&outcome)) {
        fmt::print(err, "envpin: not resetting {}: {}.\n  verified on this host: {}\n", environment.name,
                   refused->reason, labels(refused->verified));
        if (refused->target)
            fmt::print(err, "  run `envpin verify {}` first, or pass --force to reset to it anyway\n",
                       refused->target->label());
        return;
    }
    if (quiet)
        return;
    const auto& done = std::get<store::ResetDone>(outcome);
    if (done.saved)
        fmt::print(out, "saved unsaved changes of {} as {} (pre-reset)\n", environment.name, done.saved->label());
    if (done.no_op) {
        fmt::print(out, "{} is already at the state of {}: nothing to do\n", environment.name, done.to.label());
        return;
    }
    fmt::print(out, "reset {}: {} -> {} ({}) in {:.2f} s\n", environment.name, done.from.label(), done.to.label(),
               verdict_words(done.target_verified), static_cast<double>(done.switch_ms) / 1000);
    if (done.root == "missing")
        fmt::print(out, "  the environment was missing: recreated from the store\n");
    else if (done.root == "replaced")
        fmt::print(out, "  something else stood at {}: kept as {}\n", environment.path.string(),
                   done.old_tree ? done.old_tree->string() : std::string("?"));
    fmt::print(out, "  {} {} applied: {} files restored from the store, {} left as they were; {}\n", done.steps,
               done.steps == 1 ? "step" : "steps", done.restored_files, done.reused_files,
               done.old_tree && done.root != "replaced" ? "old entries kept at " + done.old_tree->string()
                                                        : std::string("old entries removed in the background"));
    if (done.detach_pending && done.linked_files >= 1000)
        fmt::print(out, "  {} files are linked to their objects until the background copy gives the store its own "
                        "(`envpin status {}` shows it)\n", done.linked_files, environment.name);
}

}  // namespace envpin::cli
