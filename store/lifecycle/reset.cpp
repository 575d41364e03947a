#include "store/lifecycle/reset.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/ranges.h>

#include "base/trace.hpp"
#include "store/lifecycle/detach.hpp"
#include "store/lifecycle/reset_apply.hpp"
#include "store/lifecycle/reset_journal.hpp"
#include "store/lifecycle/reset_plan.hpp"
#include "store/lifecycle/reset_stat_cache.hpp"
#include "store/lifecycle/reset_target.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/lifecycle/spare.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "sys/beneath.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "sys/file.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// The target, or a refusal when it is not verified on this host and --force is absent.
// With unsaved drift, the state to leave is newer than every snapshot (it is saved as the next
// one), so every verified snapshot is "before" it.
std::optional<std::string> fingerprint_of(const ResetRequest& request)
{
    return request.fingerprint ? request.fingerprint() : std::nullopt;
}

Expected<std::variant<SnapshotInfo, ResetRefused>> choose_target(Store& store, const Environment& environment,
                                                                 const SnapshotInfo& current, bool drifted,
                                                                 const ResetRequest& request)
{
    if (!request.target.empty() && request.force) {  // no verdict needed: the host probe may go on
        auto target = ENVPIN_TRY(store.resolve(request.target));
        if (target.environment_id != environment.id)
            return fail(ErrorCode::bad_input, "{} is a snapshot of '{}', not of '{}'", request.target,
                        target.environment, environment.name);
        return target;
    }
    const auto verdicts = ENVPIN_TRY(load_verdicts(store.metadata(), environment, fingerprint_of(request)));
    if (request.target.empty()) {
        const auto& all = verdicts.snapshots();
        for (auto it = all.rbegin(); it != all.rend(); ++it)
            if ((drifted || it->seq < current.seq) && verdicts.verified(*it))
                return *it;
        return ResetRefused{std::nullopt,
                            drifted ? std::string("no snapshot passed verification on this host")
                                    : fmt::format("no snapshot before {} passed verification on this host",
                                                  current.label()),
                            verdicts.verified_snapshots()};
    }
    auto target = ENVPIN_TRY(store.resolve(request.target));
    if (target.environment_id != environment.id)
        return fail(ErrorCode::bad_input, "{} is a snapshot of '{}', not of '{}'", request.target, target.environment,
                    environment.name);
    if (!request.force && !verdicts.verified(target)) {
        const auto mark = verdicts.verdict(target);
        return ResetRefused{target,
                            fmt::format("{} {} on this host", target.label(),
                                        mark ? "failed verification" : "was never verified"),
                            verdicts.verified_snapshots()};
    }
    return target;
}

// What stands at the environment's path.
enum class RootState { directory, missing, other };

RootState root_state(const fs::path& path)
{
    struct ::stat info{};
    if (::lstat(path.c_str(), &info) != 0)
        return RootState::missing;
    return S_ISDIR(info.st_mode) ? RootState::directory : RootState::other;
}

// What the plan compares the target with when the root is not a directory: nothing, or a
// non-directory "." that is replaced as a whole.
Manifest live_without_tree(RootState state)
{
    Manifest live;
    if (state == RootState::other)
        live.entries.push_back({".", EntryKind::file, 0, -1, 0, {}, {}});
    return live;
}

// A name beside the environment that nothing uses: <environment>.envpin-<role>-<seq>[-N].
fs::path unused_sibling(const fs::path& environment, std::string_view role, long long seq)
{
    const auto base = fmt::format("{}.envpin-{}-{}", environment.string(), role, seq);
    fs::path candidate = base;
    std::error_code ec;
    for (int n = 2; fs::exists(fs::symlink_status(candidate, ec)); ++n)
        candidate = base + "-" + std::to_string(n);
    return candidate;
}

// "train@1, train@3": the snapshots whose manifests name any of `keys` (a damaged object's
// reach, on the failure path only: it reads every manifest).
std::string snapshots_using(Store& store, const std::vector<ObjectKey>& keys)
{
    const std::unordered_set<ObjectKey, ObjectKeyHash> wanted(keys.begin(), keys.end());
    std::vector<std::string> labels;
    const auto snapshots = store.metadata().all_snapshots();
    if (!snapshots)
        return "unknown (" + snapshots.error().describe() + ")";
    for (const auto& snapshot : *snapshots) {
        const auto manifest = store.manifest_apart(snapshot);
        if (manifest && std::ranges::any_of(manifest->entries, [&](const ManifestEntry& entry) {
                return entry.kind == EntryKind::file && wanted.contains(ObjectKey{entry.digest, entry.executable()});
            }))
            labels.push_back(snapshot.label());
    }
    return labels.empty() ? std::string("none") : fmt::format("{}", fmt::join(labels, ", "));
}

// The stamps of the objects the build verified, unsynced: losing them costs the next restore
// some reading, nothing else.
Expected<void> remember_verified(Store& store, const TreeBuild& built)
{
    if (built.verified_objects.empty())
        return {};
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database(), Durability::unsynced));
    ENVPIN_TRY(store.metadata().record_verified(built.verified_objects));
    return transaction.commit();
}

// Phase 1: the journal entry, then the staging directory it names, beside the environment (a
// private, random name: nothing can be planted there, and a kill between the two leaves a
// journal whose directory is missing, never a directory no journal knows).
Expected<long long> open_journal(Store& store, const Environment& environment, ResetJournal& journal)
{
    const auto parent = environment.path.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);  // restoring from nothing
    for (int attempt = 0;; ++attempt) {
        journal.staging = (parent / sys::random_name(fmt::format(".{}.envpin-reset-", environment.path.filename().string()))).string();
        const auto id = ENVPIN_TRY(store.metadata().begin_journal(environment.id, "reset", reset_building, print_reset_journal(journal)));
        if (::mkdir(journal.staging.c_str(), 0700) == 0)
            return id;
        const int error = errno;
        ENVPIN_TRY(store.metadata().end_journal(id));
        if (error != EEXIST || attempt == 8)
            return fail(ErrorCode::io, "cannot create a directory in {}: {}", parent.string(), sys::errno_text(error));
    }
}

// Phase 2: every add and replace staged as <staging>/<i>, synced, its inode noted in the step.
// A build of the whole tree also packs and stores its stat cache, beside the verifying and the
// sync.
Expected<TreeBuild> stage_steps(Store& store, long long environment_id, ResetJournal& journal, const Manifest& target,
                                LinkMode mode, unsigned threads, WholeTreeCache& whole_cache)
{
    std::vector<SubtreeJob> jobs;
    for (size_t i = 0; i < journal.ops.size(); ++i)
        if (stages(journal.ops[i]))
            jobs.push_back({journal.ops[i].path, fs::path(journal.staging) / staged_name(i)});
    mode = for_bytes(mode, bytes_to_build(target, jobs));  // a few files back: copied, no window
    std::vector<ObjectKey> damaged;
    BuildOptions options{mode, threads, true, &damaged,
                         [&store](const std::vector<std::string>& objects) { return store.metadata().verified_stamps(objects); }};
    if (jobs.size() == 1 && jobs.front().path == ".") {  // the whole tree: its directories may be ready
        options.directories_from = traced("find spare", [&] { return find_spare(journal.environment, target); }).value_or(fs::path());
        options.while_syncing = [&](const TreeBuild& placed) {
            traced("stat cache (beside)", [&] { store_whole_tree_beside(store, environment_id, placed, whole_cache); });
        };
    }
    auto building = traced("build steps", [&] { return build_subtrees(target, jobs, store.objects(), options); });
    if (!building && !damaged.empty()) {
        auto error = std::move(building.error());
        error.message += fmt::format(". Snapshots that use them: {}. Nothing was changed; `envpin fsck --repair` "
                                     "restores an object from any copy that still holds its bytes",
                                     snapshots_using(store, damaged));
        return std::unexpected(std::move(error));
    }
    auto built = ENVPIN_TRY(std::move(building));
    ENVPIN_TRY(traced("remember verified", [&] { return remember_verified(store, built); }));
    for (size_t i = 0; i < journal.ops.size(); ++i) {
        if (!stages(journal.ops[i]))
            continue;
        struct ::stat info{};
        const auto path = fs::path(journal.staging) / staged_name(i);
        if (::lstat(path.c_str(), &info) != 0)
            return fail(ErrorCode::io, "cannot stat {}: {}", path.string(), sys::errno_text(errno));
        journal.ops[i].staged_inode = static_cast<unsigned long long>(info.st_ino);
    }
    return built;
}

// Phase 3: the steps applied and synced. On failure every applied step is taken back; when
// that fails too, the journal stays "built" and nothing is removed: the next envpin command
// takes the steps back (reset_recovery.cpp). `undone` says whether the tree is the old one.
Expected<void> apply_or_undo(const ResetJournal& journal, bool& undone)
{
    auto applied = traced("apply steps", [&] { return apply_steps(journal); });
    if (applied)
        applied = traced("sync steps", [&] { return sync_steps(journal); });
    if (applied)
        return {};
    auto taken_back = undo_steps(journal);
    undone = static_cast<bool>(taken_back);
    if (!taken_back)
        return std::unexpected(applied.error().with_context(fmt::format(
            "and taking the applied steps back failed too ({}); the next envpin command takes them back",
            taken_back.error().describe())));
    return std::unexpected(applied.error());
}

// Unsaved drift becomes a pre-reset snapshot (when `save`); returns the manifest of the state the
// environment is in (empty when it was not read: the caller reads the current snapshot's).
Expected<Manifest> save_drift(Store& store, const Environment& environment, const SnapshotInfo& target, bool save,
                              const ResetRequest& request, std::optional<SnapshotInfo>& current, ResetDone& done,
                              TargetReading& target_reading)
{
    if (!save)
        return Manifest();
    SnapshotOptions options{.reason = "pre-reset", .message = "before reset to " + target.label()};
    options.threads = request.threads;
    options.progress = request.progress;
    options.list_changes = false;
    options.on_changed_paths = [&target_reading](const std::vector<std::string>& paths) { target_reading.prefetch(paths); };
    auto saved = ENVPIN_TRY_CTX("saving unsaved changes before the reset",
                                traced("save drift", [&] { return take_snapshot(store, environment, options); }));
    if (saved.created)
        done.saved = saved.snapshot;
    current = saved.snapshot;
    return std::move(saved.manifest);
}

// The switch in the database: the current snapshot, the journal's "swapped" state and the
// detach of the objects the build linked, in one transaction.
Expected<void> record_switch(Store& store, const Environment& environment, long long journal_id,
                             const ResetJournal& journal, const TreeBuild& built, long long started_ns,
                             long long target_files)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
    ENVPIN_TRY(store.metadata().set_current_snapshot(environment.id, journal.target));
    ENVPIN_TRY(store.metadata().update_journal(journal_id, reset_swapped, print_reset_journal(journal)));
    ENVPIN_TRY(queue_detach(store.metadata(), environment.id, journal.target, built.linked_objects, target_files,
                            started_ns));  // empty unless link_then_copy linked objects
    return transaction.commit();
}

// How files come out of the store into this environment (its own link mode on the filesystem
// it is on, or would be on when it is missing).
LinkMode restore_mode(Store& store, const Environment& environment)
{
    auto where = environment.path;
    if (root_state(where) != RootState::directory)
        where = where.parent_path();
    sys::UniqueFd fd(::open(where.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return LinkMode::copy;
    return store.objects().effective_mode(fd.get(), where, environment.link_mode).value_or(LinkMode::copy);
}

// Closes a journal entry whose steps were never applied (or were all taken back).
std::unexpected<Error> abandon(Store& store, long long journal_id, const ResetJournal& journal, Error error)
{
    (void)remove_tree(journal.staging, 0);
    (void)store.metadata().end_journal(journal_id);
    return std::unexpected(std::move(error));
}

// Phases 1 to 4 of a reset that changes something: stage, apply, record, dispose.
Expected<ResetOutcome> switch_to(Store& store, const Environment& environment, const ResetRequest& request,
                                 const Manifest& target, const Manifest& live, const SnapshotInfo& target_info,
                                 ResetDone done, Clock::time_point started)
{
    const long long started_ns = wall_clock_ns();
    ResetJournal journal;
    journal.environment = environment.path.string();
    journal.from = done.from.id;
    journal.target = target_info.id;
    journal.ops = traced("plan", [&] { return plan_reset(live, target); });
    // Whatever stood at the root when it is not a directory is kept, never deleted.
    journal.keep_old = request.keep_old || done.root == "replaced";
    if (journal.keep_old)
        journal.kept = unused_sibling(environment.path, done.root == "replaced" ? "replaced" : "old", done.from.seq).string();
    const auto mode = restore_mode(store, environment);
    const auto journal_id = ENVPIN_TRY(open_journal(store, environment, journal));
    WholeTreeCache whole_cache;
    auto built = stage_steps(store, environment.id, journal, target, mode, request.threads, whole_cache);
    if (!built)
        return abandon(store, journal_id, journal, built.error().with_context("staging the target's entries beside the environment"));
    if (auto noted = store.metadata().update_journal(journal_id, reset_built, print_reset_journal(journal)); !noted)
        return abandon(store, journal_id, journal, noted.error());
    bool undone = false;
    if (auto applied = apply_or_undo(journal, undone); !applied)
        return undone ? abandon(store, journal_id, journal, applied.error()) : std::unexpected(applied.error());
    done.switch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    ENVPIN_TRY(traced("record", [&] {
        return record_switch(store, environment, journal_id, journal, *built, started_ns, target_info.files);
    }));
    if (auto remembered = traced("stat cache", [&] { return remember_restored(store, environment, journal, live, *built, whole_cache); }); !remembered)
        trace_note(fmt::format("the stat cache was not updated: {}", remembered.error().describe()));
    done.steps = static_cast<long long>(journal.ops.size());
    done.restored_files = built->files;
    done.linked_files = built->linked;
    done.reused_files = std::max(0LL, target_info.files - built->files);
    if (journal.keep_old)
        done.old_tree = journal.kept;
    // What is left is off the critical path: the old entries, and the copies of linked objects.
    // Entries to keep are only renamed, so that is done before returning.
    if (journal.keep_old || !store.start_background(true))
        ENVPIN_TRY(finish_reset_journal(store, journal_id, journal, request.threads));

    done.detach_pending = !built->linked_objects.empty();
    done.spare_directories = built->spare_used;
    return ResetOutcome(done);
}

// What the reset to `target` would change, without changing anything.
// `live`: the tree as it is (empty when it is missing or replaced); `drifted`: it differs from
// the current snapshot.
Expected<ResetPreview> preview_reset(Store& store, const Environment& environment, const Manifest& live, bool drifted,
                                     const SnapshotInfo& target, RootState root, const ResetRequest& request)
{
    ResetPreview preview;
    preview.to = target;
    preview.root = root == RootState::directory ? "present" : root == RootState::missing ? "missing" : "replaced";
    preview.drifted = drifted && root == RootState::directory;
    preview.changes = compare(live, ENVPIN_TRY(store.manifest(target)));
    preview.target_verified =
        ENVPIN_TRY(load_verdicts(store.metadata(), environment, fingerprint_of(request))).verdict(target);
    return preview;
}

}  // namespace

Expected<ResetOutcome> reset_environment(Store& store, const Environment& environment, const ResetRequest& request)
{
    const auto started = Clock::now();
    if (!store.writable() && !request.dry_run)
        return fail(ErrorCode::internal, "reset needs the store opened for writing");
    auto current = ENVPIN_TRY(store.current_snapshot(environment));
    if (!current)
        return fail(ErrorCode::not_found, "environment '{}' has no snapshot to reset from", environment.name);
    const auto root = root_state(environment.path);
    // The default target depends on whether there is drift; an explicit one does not. Drift is
    // saved only once the reset goes ahead: a refusal changes nothing. A missing or replaced
    // environment has nothing to save and counts as drifted (any verified snapshot will do).
    bool drifted = root != RootState::directory;
    // A dry run reads the tree once: its drift and its preview come from the same walk.
    Manifest seen = live_without_tree(root);
    if (request.dry_run && root == RootState::directory) {
        seen = ENVPIN_TRY(live_manifest(store, environment, request.threads, request.progress));
        drifted = current->state != state_digest(seen);
    } else if (request.target.empty() && root == RootState::directory) {
        drifted = !ENVPIN_TRY(traced("drift check", [&] {
                       return status(store, environment, request.threads, request.progress);
                   })).clean();
    }
    auto chosen = ENVPIN_TRY(choose_target(store, environment, *current, drifted, request));
    if (auto* refused = std::get_if<ResetRefused>(&chosen))
        return ResetOutcome(std::move(*refused));
    const auto target = std::get<SnapshotInfo>(chosen);
    if (request.dry_run)
        return ResetOutcome(ENVPIN_TRY(preview_reset(store, environment, seen, drifted, target, root, request)));
    TargetReading target_reading(store, target, root == RootState::directory ? current : std::nullopt);
    ResetDone done;
    done.to = target;
    done.root = root == RootState::directory ? "present" : root == RootState::missing ? "missing" : "replaced";
    Manifest live = live_without_tree(root);
    if (root == RootState::directory)
        live = ENVPIN_TRY(save_drift(store, environment, target, drifted || !request.target.empty(), request, current, done,
                                     target_reading));
    done.from = *current;
    // Whether the target passed here, for the report (the host probe has had the reset's time).
    const auto verdict_of_target = [&]() -> Expected<std::optional<bool>> {
        return ENVPIN_TRY(load_verdicts(store.metadata(), environment, fingerprint_of(request))).verdict(target);
    };
    if (root == RootState::directory && current->state == target.state) {
        done.target_verified = ENVPIN_TRY(verdict_of_target());
        if (current->id != target.id)
            ENVPIN_TRY(store.metadata().set_current_snapshot(environment.id, target.id));
        done.no_op = true;
        return ResetOutcome(done);
    }
    const auto part = ENVPIN_TRY(target_reading.finish(root == RootState::directory ? current : std::nullopt,
                                                       live.entries.empty() ? nullptr : &live));
    if (root == RootState::directory && live.entries.empty())
        live = ENVPIN_TRY(traced("read manifest", [&] {
            return part.shards ? store.manifest_part(*current, *part.shards) : store.manifest(*current);
        }));
    keep_part(live, part);
    auto outcome = ENVPIN_TRY(switch_to(store, environment, request, part.manifest, live, target, std::move(done), started));
    std::get<ResetDone>(outcome).target_verified = ENVPIN_TRY(verdict_of_target());
    return outcome;
}

}  // namespace envpin::store
