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

#include "base/trace.hpp"
#include "store/lifecycle/reset_journal.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "sys/file.hpp"
#include "sys/process.hpp"

namespace envpin::store {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// The target, or a refusal when it is not verified on this host and --force is absent.
// With unsaved drift, the state to leave is newer than every snapshot (it is saved as the next
// one), so every verified snapshot is "before" it.
Expected<std::variant<SnapshotInfo, ResetRefused>> choose_target(Store& store, const Environment& environment,
                                                                 const SnapshotInfo& current, bool drifted,
                                                                 const ResetRequest& request)
{
    const auto verdicts = ENVPIN_TRY(load_verdicts(store.metadata(), environment, request.fingerprint));
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

fs::path sibling(const fs::path& environment, std::string_view role)
{
    return environment.parent_path() /
           fmt::format(".{}.envpin-{}-{}", environment.filename().string(), role, ::getpid());
}

Expected<unsigned long long> inode_of(const fs::path& path)
{
    struct ::stat info{};
    if (::lstat(path.c_str(), &info) != 0)
        return fail(ErrorCode::io, "cannot stat {}: {}", path.string(), sys::errno_text(errno));
    return static_cast<unsigned long long>(info.st_ino);
}

// Swaps the staging tree in. Returns where the old tree is now.
// ENVPIN_RESET_NO_EXCHANGE=1 takes the two-rename path as on a filesystem without
// RENAME_EXCHANGE (for tests and for filesystems that misreport it).
bool exchange_allowed()
{
    const char* value = std::getenv("ENVPIN_RESET_NO_EXCHANGE");
    return value == nullptr || std::string_view(value) != "1";
}

Expected<fs::path> swap_in(const ResetJournal& journal, bool& exchanged)
{
    if (exchange_allowed()) {
        if (::renameat2(AT_FDCWD, journal.staging.c_str(), AT_FDCWD, journal.environment.c_str(), RENAME_EXCHANGE) == 0) {
            exchanged = true;
            return fs::path(journal.staging);
        }
    } else {
        errno = EINVAL;
    }
    if (errno != EINVAL && errno != ENOSYS)
        return fail(ErrorCode::io, "cannot swap {} into place: {}", journal.environment, sys::errno_text(errno));
    // The filesystem cannot exchange: two renames; the journal rolls a crash between them back.
    exchanged = false;
    if (::rename(journal.environment.c_str(), journal.aside.c_str()) != 0)
        return fail(ErrorCode::io, "cannot move {} aside: {}", journal.environment, sys::errno_text(errno));
    if (::rename(journal.staging.c_str(), journal.environment.c_str()) != 0) {
        const int error = errno;
        ::rename(journal.aside.c_str(), journal.environment.c_str());
        return fail(ErrorCode::io, "cannot move the new tree into {}: {}", journal.environment, sys::errno_text(error));
    }
    return fs::path(journal.aside);
}

// The clock file timestamps are taken from (a tick of a few ms): a file changed after this
// instant gets a ctime no earlier than it.
long long coarse_wall_clock_ns()
{
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

// The coarse clock once it has moved past `tick` (at most one tick, a few ms, of waiting; a
// large tree's build is long past it): every file of a tree built by `tick` then has a ctime
// strictly older than the exchange.
long long clock_tick_after(long long tick)
{
    auto now = coarse_wall_clock_ns();
    while (now <= tick) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        now = coarse_wall_clock_ns();
    }
    return now;
}

// Builds the target beside the environment; on failure removes it and closes the journal.
Expected<TreeBuild> stage_target(Store& store, long long journal_id, const ResetJournal& journal,
                                 const Manifest& target, const Manifest& current, LinkMode mode, unsigned threads)
{
    auto built = traced("build tree", [&] {
        return build_tree(target, current, journal.environment, journal.staging, store.objects(), mode, threads);
    });
    if (built)
        if (auto synced = traced("sync", [&] { return sys::sync_filesystem_of(journal.staging); }); !synced)
            built = std::unexpected(synced.error());
    if (!built) {
        (void)remove_tree(journal.staging, threads);
        (void)store.metadata().end_journal(journal_id);
        return std::unexpected(built.error().with_context("building the target tree beside the environment"));
    }
    return *built;
}

// The switch in the database: the current snapshot and the journal's "swapped" state. The stat
// cache is settled by finish_reset_journal, off the critical path; until then the rows of the
// paths the reset changed name the old inodes, so a status in between hashes those files
// instead of trusting them.
Expected<void> record_switch(Store& store, const Environment& environment, long long journal_id,
                             const ResetJournal& journal)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(store.metadata().database()));
    ENVPIN_TRY(store.metadata().set_current_snapshot(environment.id, journal.target));
    ENVPIN_TRY(store.metadata().update_journal(journal_id, reset_swapped, print_reset_journal(journal)));
    return transaction.commit();
}

// A name for the kept old tree that nothing else uses: <parent>/<name>.envpin-old-<seq>[-N].
fs::path kept_name(const fs::path& environment, const SnapshotInfo& from)
{
    const auto base = environment.string() + ".envpin-old-" + std::to_string(from.seq);
    fs::path candidate = base;
    std::error_code ec;
    for (int n = 2; fs::exists(fs::symlink_status(candidate, ec)); ++n)
        candidate = base + "-" + std::to_string(n);
    return candidate;
}

}  // namespace

Expected<ResetOutcome> reset_environment(Store& store, const Environment& environment, const ResetRequest& request)
{
    const auto started = Clock::now();
    if (!store.writable())
        return fail(ErrorCode::internal, "reset needs the store opened for writing");
    auto current = ENVPIN_TRY(store.current_snapshot(environment));
    if (!current)
        return fail(ErrorCode::not_found, "environment '{}' has no snapshot to reset from", environment.name);
    Manifest current_manifest;  // what the environment is now, once drift is saved
    // The default target depends on whether there is drift; an explicit one does not. Drift is
    // saved only once the reset goes ahead: a refusal changes nothing.
    bool drifted = false;
    if (request.target.empty())
        drifted = !ENVPIN_TRY(traced("drift check", [&] {
                       return status(store, environment, request.threads, request.progress);
                   })).clean();
    auto chosen = ENVPIN_TRY(choose_target(store, environment, *current, drifted, request));
    if (auto* refused = std::get_if<ResetRefused>(&chosen))
        return ResetOutcome(std::move(*refused));
    const auto target = std::get<SnapshotInfo>(chosen);

    // The target's manifest is read on another thread, through its own repository handle,
    // while the unsaved state is saved (both are git work of about 0.2 s on a large tree).
    auto target_reading = std::async(std::launch::async, [&store, &target] {
        return traced("read target manifest (beside)", [&] { return store.manifest_apart(target); });
    });
    ResetDone done;
    done.to = target;
    done.target_verified = ENVPIN_TRY(load_verdicts(store.metadata(), environment, request.fingerprint)).verdict(target);
    // Save unsaved drift first: nothing the user had is lost (a no-op when there is none).
    if (drifted || !request.target.empty()) {
        SnapshotOptions options{.reason = "pre-reset", .message = "before reset to " + target.label()};
        options.threads = request.threads;
        options.progress = request.progress;
        options.list_changes = false;
        auto saved = ENVPIN_TRY_CTX("saving unsaved changes before the reset", traced("save drift", [&] {
                                        return take_snapshot(store, environment, options);
                                    }));
        if (saved.created)
            done.saved = saved.snapshot;
        current = saved.snapshot;
        current_manifest = std::move(saved.manifest);
    }
    done.from = *current;
    if (current->state == target.state) {
        if (current->id != target.id)
            ENVPIN_TRY(store.metadata().set_current_snapshot(environment.id, target.id));
        done.no_op = true;
        return ResetOutcome(done);
    }
    if (current_manifest.entries.empty())
        current_manifest = ENVPIN_TRY(traced("read manifest", [&] { return store.manifest(*current); }));
    const auto target_manifest = ENVPIN_TRY(target_reading.get());

    ResetJournal journal;
    journal.environment = environment.path.string();
    journal.staging = sibling(environment.path, "reset").string();
    journal.aside = sibling(environment.path, "aside").string();
    journal.from = current->id;
    journal.target = target.id;
    journal.keep_old = request.keep_old;
    if (request.keep_old)
        journal.kept = kept_name(environment.path, *current).string();
    sys::UniqueFd root(::open(environment.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        return fail(ErrorCode::io, "cannot open {}: {}", environment.path.string(), sys::errno_text(errno));
    const auto mode = store.objects().effective_mode(root.get(), environment.path, environment.link_mode)
                          .value_or(LinkMode::copy);
    const auto journal_id = ENVPIN_TRY(
        store.metadata().begin_journal(environment.id, "reset", reset_building, print_reset_journal(journal)));
    const auto built = ENVPIN_TRY(stage_target(store, journal_id, journal, target_manifest, current_manifest, mode,
                                               request.threads));
    const auto built_tick = coarse_wall_clock_ns();  // no file of the new tree has a later ctime
    journal.staging_inode = ENVPIN_TRY(inode_of(journal.staging));
    ENVPIN_TRY(store.metadata().update_journal(journal_id, reset_built, print_reset_journal(journal)));

    bool exchanged = true;
    {
        TraceSpan span("swap");
        journal.swapped_ns = clock_tick_after(built_tick);
        journal.old_tree = ENVPIN_TRY(swap_in(journal, exchanged)).string();
        ENVPIN_TRY(sys::fsync_directory(environment.path.parent_path()));
    }
    done.switch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    done.swapped_by_exchange = exchanged;
    done.reused_files = built.reused;
    done.restored_files = built.from_objects;
    ENVPIN_TRY(traced("record", [&] {
        return record_switch(store, environment, journal_id, journal);
    }));

    // The environment is the target now; what is left is disposing of the old tree.
    if (request.keep_old) {
        ENVPIN_TRY(finish_reset_journal(store, journal_id, journal, request.threads));
        done.old_tree = journal.kept;
    } else if (!request.cleanup_executable.empty()) {
        const auto spawned = sys::spawn_detached(
            {request.cleanup_executable.string(), "--store", store.root().string(), "recover"});
        if (!spawned)
            ENVPIN_TRY(finish_reset_journal(store, journal_id, journal, request.threads));
    } else {
        ENVPIN_TRY(finish_reset_journal(store, journal_id, journal, request.threads));
    }
    return ResetOutcome(done);
}

}  // namespace envpin::store
