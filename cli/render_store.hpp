#pragma once
// What the store commands share: opening the store as the global options say, the progress
// line (on a TTY only), and text / JSON rendering of the store's results.
#include <ostream>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"  // human_bytes
#include "cli/command.hpp"
#include "store/lifecycle/compare.hpp"
#include "store/maintenance/fsck.hpp"
#include "store/maintenance/gc.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/store.hpp"

namespace envpin::cli {

// --store / $ENVPIN_HOME / XDG; a writer waits `wait_seconds` for the lock, saying so on stderr.
[[nodiscard]] store::StoreOptions store_options(const Context& context, store::Access access, double wait_seconds = 0);

// A "\rhashing 120/4000 files  1.2/7.6 GB" line on stderr when it is a TTY and not --quiet;
// an empty callback otherwise. Call finish_progress() before printing results.
[[nodiscard]] store::ProgressCallback progress_line(const Context& context);
void finish_progress(const Context& context);

[[nodiscard]] std::string short_commit(const std::string& commit);

[[nodiscard]] nlohmann::json to_json(const store::SnapshotInfo& snapshot);
[[nodiscard]] nlohmann::json to_json(const store::DistributionChange& change);
[[nodiscard]] nlohmann::json distributions_json(const std::vector<store::DistributionChange>& changes);
// {"clean", "added", "modified", "removed", "distributions"}: the status --json contract.
[[nodiscard]] nlohmann::json changes_json(const store::Changes& changes);

void render_snapshot(const store::SnapshotOutcome& outcome, const store::Environment& environment, std::ostream& out);
// The environment's newest background detach (link-then-copy): pending, or its window.
[[nodiscard]] nlohmann::json detach_json(const std::optional<store::DetachRecord>& detach);
void render_detach(const std::optional<store::DetachRecord>& detach, std::ostream& out);
[[nodiscard]] nlohmann::json snapshot_json(const store::SnapshotOutcome& outcome, const store::Environment& environment);
// How much of a change set to print after its distributions: the file counts; the counts per
// top-level package ("torch/  2,800 modified"), the most changed first; or every path.
enum class FileDetail { counts, packages, paths };
void render_changes(const store::Changes& changes, std::ostream& out, FileDetail detail);
void render_fsck(const store::FsckReport& report, std::ostream& out);
[[nodiscard]] nlohmann::json fsck_json(const store::FsckReport& report);
void render_gc(const store::GcReport& report, bool dry_run, std::ostream& out);
[[nodiscard]] nlohmann::json gc_json(const store::GcReport& report, bool dry_run);

}  // namespace envpin::cli
