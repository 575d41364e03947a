#include "cli/render_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "base/strings.hpp"
#include "store/lifecycle/observe.hpp"
#include "sys/file.hpp"

namespace envpin::cli {

store::StoreOptions store_options(const Context& context, store::Access access, double wait_seconds)
{
    store::StoreOptions options;
    options.root = store::store_root(context.global.store);
    options.access = access;
    options.wait = std::chrono::milliseconds(static_cast<long long>(wait_seconds * 1000));
    options.background = sys::self_executable();
    if (!context.global.quiet) {
        options.on_wait = [&context](int pid) {
            context.err << "envpin: waiting for the store lock"
                        << (pid != 0 ? fmt::format(" (held by pid {})", pid) : std::string()) << "...\n";
        };
    }
    return options;
}

store::ProgressCallback progress_line(const Context& context)
{
    if (context.global.quiet || !::isatty(STDERR_FILENO))
        return {};
    return [&context](const store::Progress& progress) {
        if (progress.bytes_total > 0)
            fmt::print(context.err, "\r{} {}/{} files  {}/{}   ", progress.phase, progress.files_done,
                       progress.files_total, human_bytes(progress.bytes_done), human_bytes(progress.bytes_total));
        else
            fmt::print(context.err, "\r{} {}/{}   ", progress.phase, progress.files_done, progress.files_total);
        context.err.flush();
    };
}

void finish_progress(const Context& context)
{
    if (!context.global.quiet && ::isatty(STDERR_FILENO))
        context.err << "\r\033[K" << std::flush;
}

std::string short_commit(const std::string& commit)
{
    return commit.substr(0, 12);
}

nlohmann::json to_json(const store::SnapshotInfo& snapshot)
{
    return {{"environment", snapshot.environment}, {"seq", snapshot.seq}, {"commit", snapshot.commit},
            {"created", snapshot.created}, {"reason", snapshot.reason}, {"message", snapshot.message},
            {"files", snapshot.files}, {"bytes", snapshot.bytes}};
}

nlohmann::json to_json(const store::DistributionChange& change)
{
    auto optional = [](const std::optional<std::string>& value) {
        return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    };
    return {{"name", change.name}, {"from", optional(change.from)}, {"to", optional(change.to)}};
}

nlohmann::json distributions_json(const std::vector<store::DistributionChange>& changes)
{
    auto list = nlohmann::json::array();
    for (const auto& change : changes)
        list.push_back(to_json(change));
    return list;
}

nlohmann::json changes_json(const store::Changes& changes)
{
    return {{"clean", changes.empty()}, {"added", changes.added}, {"modified", changes.modified},
            {"removed", changes.removed}, {"distributions", distributions_json(changes.distributions)}};
}

static std::string change_text(const store::DistributionChange& change)
{
    if (!change.from)
        return fmt::format("{} {} (new)", change.name, *change.to);
    if (!change.to)
        return fmt::format("{} {} (removed)", change.name, *change.from);
    return fmt::format("{} {} -> {}", change.name, *change.from, *change.to);
}

namespace {

// The package a changed path belongs to: the first directory under site-packages ("torch/"),
// else the path's first component ("bin/").
std::string package_of(std::string_view path)
{
    constexpr std::string_view site = "/site-packages/";
    if (const auto at = path.find(site); at != std::string_view::npos) {
        const auto rest = path.substr(at + site.size());
        const auto slash = rest.find('/');
        return slash == std::string_view::npos ? std::string(rest) : std::string(rest.substr(0, slash + 1));
    }
    const auto slash = path.find('/');
    return slash == std::string_view::npos ? std::string(path) : std::string(path.substr(0, slash + 1));
}

void render_packages(const store::Changes& changes, std::ostream& out)
{
    struct Counts {
        size_t added = 0, modified = 0, removed = 0;
        [[nodiscard]] size_t total() const { return added + modified + removed; }
    };
    std::map<std::string, Counts> packages;
    for (const auto& path : changes.added)
        ++packages[package_of(path)].added;
    for (const auto& path : changes.modified)
        ++packages[package_of(path)].modified;
    for (const auto& path : changes.removed)
        ++packages[package_of(path)].removed;
    std::vector<std::pair<std::string, Counts>> sorted(packages.begin(), packages.end());
    std::ranges::stable_sort(sorted, [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
    constexpr size_t shown = 12;
    size_t width = 0;
    for (size_t i = 0; i < std::min(shown, sorted.size()); ++i)
        width = std::max(width, store::escape_field(sorted[i].first).size());
    for (size_t i = 0; i < std::min(shown, sorted.size()); ++i) {
        const auto& [name, counts] = sorted[i];
        std::vector<std::string> parts;
        if (counts.added > 0)
            parts.push_back(fmt::format("{} added", counts.added));
        if (counts.modified > 0)
            parts.push_back(fmt::format("{} modified", counts.modified));
        if (counts.removed > 0)
            parts.push_back(fmt::format("{} removed", counts.removed));
        fmt::print(out, "    {:<{}}  {}\n", store::escape_field(name), width, join(parts, ", "));
    }
    if (sorted.size() > shown)
        fmt::print(out, "    ... and {} more (--files lists every path)\n", sorted.size() - shown);
}

}  // namespace

void render_changes(const store::Changes& changes, std::ostream& out, FileDetail detail)
{
    for (const auto& change : changes.distributions)
        fmt::print(out, "  {}\n", change_text(change));
    if (detail != FileDetail::paths) {
        if (!changes.added.empty() || !changes.modified.empty() || !changes.removed.empty()) {
            fmt::print(out, "  files: {} added, {} modified, {} removed\n", changes.added.size(),
                       changes.modified.size(), changes.removed.size());
            if (detail == FileDetail::packages)
                render_packages(changes, out);
        }
        return;
    }
    auto section = [&](std::string_view title, const std::vector<std::string>& paths) {
        if (paths.empty())
            return;
        fmt::print(out, "{}:\n", title);
        for (const auto& path : paths)
            fmt::print(out, "  {}\n", store::escape_field(path));
    };
    section("added", changes.added);
    section("modified", changes.modified);
    section("removed", changes.removed);
}

void render_snapshot(const store::SnapshotOutcome& outcome, const store::Environment& environment, std::ostream& out)
{
    const auto& snapshot = outcome.snapshot;
    if (!outcome.created) {
        fmt::print(out, "{}: unchanged since {} ({})\n", environment.name, snapshot.label(), short_commit(snapshot.commit));
        return;
    }
    fmt::print(out, "{} ({}): {} files, {}, {} distributions\n", snapshot.label(), short_commit(snapshot.commit),
               snapshot.files, human_bytes(snapshot.bytes), outcome.distributions);
    if (outcome.previous) {
        fmt::print(out, "changes since {}:\n", outcome.previous->label());
        render_changes(outcome.changes, out, FileDetail::counts);
    }
    const bool copying = outcome.link_mode == store::LinkMode::link_then_copy && outcome.new_objects > 0;
    fmt::print(out, "hashed {} files ({}), {} new objects, link mode {}{}\n", outcome.hashed_files,
               human_bytes(outcome.hashed_bytes), outcome.new_objects, store::to_string(outcome.link_mode),
               copying ? " (each gets its own inode in the background)" : "");
    (void)environment;
}

nlohmann::json detach_json(const std::optional<store::DetachRecord>& detach)
{
    if (!detach)
        return nullptr;
    nlohmann::json body = {{"snapshot_id", detach->snapshot_id}, {"pending", !detach->finished_ns}};
    const long long end = detach->finished_ns.value_or(store::wall_clock_ns());
    body[detach->finished_ns ? "window_s" : "elapsed_s"] = static_cast<double>(end - detach->queued_ns) / 1e9;
    if (detach->finished_ns) {
        body["copied_objects"] = detach->copied;
        body["copied_bytes"] = detach->copied_bytes;
        body["damaged_objects"] = detach->damaged;
    }
    return body;
}

void render_detach(const std::optional<store::DetachRecord>& detach, std::ostream& out)
{
    if (!detach)
        return;
    const double elapsed = static_cast<double>(store::wall_clock_ns() - detach->queued_ns) / 1e9;
    if (!detach->finished_ns && elapsed >= 1.0) {  // a copy of a few files is done before anyone reads this
        fmt::print(out, "store: the background copy of the objects this environment's files share has run for {:.1f} s "
                        "(`envpin recover` waits for it)\n",
                   elapsed);
    } else if (detach->damaged > 0) {
        fmt::print(out, "store: {} objects were written in place before the background copy; `envpin fsck` names them\n",
                   detach->damaged);
    }
}

nlohmann::json snapshot_json(const store::SnapshotOutcome& outcome, const store::Environment& environment)
{
    nlohmann::json body = {{"environment", environment.name}, {"path", environment.path.string()},
                           {"created", outcome.created}, {"snapshot", to_json(outcome.snapshot)},
                           {"distributions", outcome.distributions}, {"hashed_files", outcome.hashed_files},
                           {"hashed_bytes", outcome.hashed_bytes}, {"new_objects", outcome.new_objects},
                           {"link_mode", store::to_string(outcome.link_mode)}};
    if (outcome.previous) {
        body["previous"] = to_json(*outcome.previous);
        body["changes"] = changes_json(outcome.changes);
    }
    return body;
}

// "1 snapshot", "2 snapshots".
static std::string counted(long long count, std::string_view noun)
{
    return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

void render_fsck(const store::FsckReport& report, std::ostream& out)
{
    for (const auto& problem : report.problems) {
        fmt::print(out, "{}{}{}: {}\n", problem.kind, problem.object.empty() ? "" : " ", problem.object, problem.detail);
        if (!problem.snapshots.empty())
            fmt::print(out, "  used by {}\n", fmt::join(problem.snapshots, ", "));
    }
    fmt::print(out, "checked {} and {}: {}\n", counted(report.objects_checked, "object"),
               counted(report.snapshots_checked, "snapshot"),
               report.clean() ? "clean" : counted(static_cast<long long>(report.problems.size()), "problem"));
    if (report.unreferenced_objects + report.stray_files > 0)
        fmt::print(out, "{} and {} (envpin gc removes them)\n", counted(report.unreferenced_objects, "unreferenced object"),
                   counted(report.stray_files, "stray file"));
    if (report.shared_pending > 0)
        fmt::print(out, "{} still shared with an environment until the background copy finishes (`envpin recover` waits)\n",
                   counted(report.shared_pending, "object"));
    if (report.shared_by_choice > 0)
        fmt::print(out, "{} shared with environments adopted with --link-mode hardlink (by choice)\n",
                   counted(report.shared_by_choice, "object"));
}

nlohmann::json fsck_json(const store::FsckReport& report)
{
    auto problems = nlohmann::json::array();
    for (const auto& problem : report.problems)
        problems.push_back({{"kind", problem.kind}, {"object", problem.object}, {"snapshots", problem.snapshots},
                            {"detail", problem.detail}});
    return {{"clean", report.clean()}, {"objects", report.objects_checked}, {"snapshots", report.snapshots_checked},
            {"unreferenced_objects", report.unreferenced_objects}, {"stray_files", report.stray_files},
            {"shared_pending", report.shared_pending}, {"shared_by_choice", report.shared_by_choice},
            {"problems", problems}};
}

void render_gc(const store::GcReport& report, bool dry_run, std::ostream& out)
{
    fmt::print(out, "{} {} objects ({}) and {} stray files; kept {} objects\n", dry_run ? "would remove" : "removed",
               report.removed_objects, human_bytes(report.removed_bytes), report.removed_strays, report.kept_objects);
}

nlohmann::json gc_json(const store::GcReport& report, bool dry_run)
{
    return {{"dry_run", dry_run}, {"removed_objects", report.removed_objects}, {"removed_bytes", report.removed_bytes},
            {"removed_strays", report.removed_strays}, {"kept_objects", report.kept_objects}};
}

}  // namespace envpin::cli
