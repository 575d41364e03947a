#include "store/maintenance/fsck.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <unordered_set>

#include "store/core/parallel.hpp"
#include "store/maintenance/references.hpp"

namespace envpin::store {
namespace {

Expected<void> check_database(Store& store, FsckReport& report)
{
    auto statement = ENVPIN_TRY(store.metadata().database().prepare("PRAGMA integrity_check"));
    while (ENVPIN_TRY(statement.step())) {
        if (const auto line = statement.text(0); line != "ok")
            report.problems.push_back({"database", "", {}, line});
    }
    return {};
}

// Re-hashes every object in parallel; appends a problem per damaged object.
Expected<void> check_objects(Store& store, const References& references, const std::vector<ObjectStore::Listed>& listed,
                             const FsckOptions& options, FsckReport& report)
{
    std::mutex mutex;
    std::atomic<long long> done{0};
    constexpr size_t buffer_size = 1u << 20;
    const unsigned workers = worker_count(options.threads, listed.size());
    std::vector<std::unique_ptr<char[]>> buffers;
    std::vector<std::unique_ptr<Sha256>> hashers;
    for (unsigned i = 0; i < workers; ++i) {
        buffers.emplace_back(new char[buffer_size]);
        hashers.push_back(std::make_unique<Sha256>());
    }
    auto add = [&](FsckProblem problem) {
        std::lock_guard lock(mutex);
        report.problems.push_back(std::move(problem));
    };
    auto job = [&](size_t index, unsigned worker) -> Expected<void> {
        const auto& object = listed[index];
        const auto use = references.objects.find(object.key);
        const auto users = use == references.objects.end() ? std::vector<std::string>() : references.labels(use->second);
        auto actual = store.objects().rehash(object.key, *hashers[worker], {buffers[worker].get(), buffer_size});
        ++done;
        if (!actual)
            add({"corrupt-object", object.key.name(), users, actual.error().describe()});
        else if (*actual != object.key.digest)
            add({"corrupt-object", object.key.name(), users,
                 fmt::format("content hashes to {} (changed in place?)", actual->hex())});
        else if (((object.mode & 0111) != 0) != object.key.executable)
            add({"object-mode", object.key.name(), users,
                 fmt::format("mode {:04o} does not match its {} name", object.mode,
                             object.key.executable ? "executable" : "non-executable")});
        return {};
    };
    auto tick = [&] {
        if (options.progress)
            options.progress({"checking", done.load(), static_cast<long long>(listed.size()), 0, 0});
    };
    ENVPIN_TRY(parallel_for(listed.size(), workers, job, tick));
    report.objects_checked = static_cast<long long>(listed.size());
    return {};
}

// Objects that share their inode with another name (an environment's file): a problem unless
// every environment using the object asked for hardlinks, or a detach that will copy them is
// still pending.
Expected<void> check_sharing(Store& store, const References& references, const std::vector<ObjectStore::Listed>& listed,
                             FsckReport& report)
{
    std::unordered_map<long long, LinkMode> modes;
    for (const auto& environment : ENVPIN_TRY(store.metadata().environments()))
        modes[environment.id] = environment.link_mode;
    const bool pending = !ENVPIN_TRY(store.metadata().pending_detaches()).empty();
    std::unordered_set<std::string> corrupt;  // reported already: repair takes their bytes back
    for (const auto& problem : report.problems)
        corrupt.insert(problem.object);
    for (const auto& object : listed) {
        const auto use = references.objects.find(object.key);
        // An unreferenced object (a killed snapshot's) serves no snapshot: gc removes it.
        if (object.links <= 1 || use == references.objects.end() || corrupt.contains(object.key.name()))
            continue;
        bool by_choice = !use->second.snapshots.empty();
        for (const size_t index : use->second.snapshots)
            by_choice = by_choice && modes[references.snapshots[index].environment_id] == LinkMode::hardlink;
        if (by_choice) {
            ++report.shared_by_choice;
        } else if (pending) {
            ++report.shared_pending;
        } else {
            report.problems.push_back(
                {"shared-object", object.key.name(), references.labels(use->second),
                 fmt::format("shares its inode with {} other name(s), an environment's file: a write in place there "
                             "changes the snapshot; `envpin fsck --repair` gives it its own inode",
                             object.links - 1)});
        }
    }
    return {};
}

// A missing object that a detach removed says why.
Expected<void> explain_missing(Store& store, FsckReport& report)
{
    const auto damaged = ENVPIN_TRY(store.metadata().damaged_objects());
    for (auto& problem : report.problems) {
        if (problem.kind != "missing-object")
            continue;
        for (const auto& record : damaged)
            if (record.object == problem.object)
                problem.detail = fmt::format("removed by the detach at {}: {}", record.detected, record.detail);
    }
    return {};
}

}  // namespace

Expected<FsckReport> fsck(Store& store, const FsckOptions& options)
{
    FsckReport report;
    ENVPIN_TRY(check_database(store, report));
    const auto references = ENVPIN_TRY(collect_references(store));
    report.snapshots_checked = static_cast<long long>(references.snapshots.size());
    for (const auto& unreadable : references.unreadable)
        report.problems.push_back({"bad-manifest", "", {unreadable.snapshot.label()}, unreadable.error.describe()});
    std::vector<std::string> strays;
    const auto listed = ENVPIN_TRY(store.objects().list(&strays));
    report.stray_files = static_cast<long long>(strays.size());
    ENVPIN_TRY(check_objects(store, references, listed, options, report));
    std::unordered_set<ObjectKey, ObjectKeyHash> present;
    for (const auto& object : listed) {
        present.insert(object.key);
        report.unreferenced_objects += references.objects.contains(object.key) ? 0 : 1;
    }
    for (const auto& [key, use] : references.objects) {
        if (!present.contains(key))
            report.problems.push_back({"missing-object", key.name(), references.labels(use), "not in objects/"});
    }
    ENVPIN_TRY(check_sharing(store, references, listed, report));
    ENVPIN_TRY(explain_missing(store, report));
    std::ranges::sort(report.problems, [](const FsckProblem& a, const FsckProblem& b) {
        return std::tie(a.kind, a.object, a.snapshots) < std::tie(b.kind, b.object, b.snapshots);
    });
    return report;
}

}  // namespace envpin::store
