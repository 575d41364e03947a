#include "cli/verify_target.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "store/lifecycle/compare.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/lifecycle/tree_builder.hpp"
#include "store/lifecycle/verdicts.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

// The run's checks as a report to compare figures with.
Expected<std::optional<verify::Report>> baseline_of(store::Store& store, long long run_id)
{
    const auto run = ENVPIN_TRY(store.metadata().verify_run(run_id));
    if (!run)
        return std::optional<verify::Report>();
    verify::Report baseline;
    baseline.fingerprint = run->record.fingerprint;
    baseline.passed = run->record.passed;
    for (const auto& check : run->record.checks)
        if (auto parsed = verify::check_result_from_json(nlohmann::json::parse(check.json, nullptr, false)))
            baseline.checks.push_back(std::move(*parsed));
    return baseline;
}

EarlierPass earlier_pass(const store::Verdicts& verdicts, const store::VerifyRun& run)
{
    const auto snapshot = verdicts.snapshot_of(run);
    auto context = verify::run_context_from_json(nlohmann::json::parse(run.record.context_json, nullptr, false));
    return {snapshot ? snapshot->label() : std::string("?"), run.record.started,
            context ? std::optional(std::move(*context)) : std::nullopt};
}

// From the verdicts on this host: the snapshot to suggest in hints (the newest verified one
// with other bytes), the regression baseline (the newest passing run), and the newest pass of
// the target's own bytes.
Expected<void> read_verdicts(store::Store& store, VerifyTarget& target, const std::string& fingerprint)
{
    const auto verdicts = ENVPIN_TRY(store::load_verdicts(store.metadata(), target.environment, fingerprint));
    const auto verified = verdicts.verified_snapshots();
    for (auto it = verified.rbegin(); it != verified.rend() && !target.reset_suggestion; ++it)
        if (it->state != target.snapshot.state)
            target.reset_suggestion = it->label();
    if (const auto newest = verdicts.newest_pass())
        target.baseline = ENVPIN_TRY(baseline_of(store, newest->id));
    if (const auto pass = verdicts.last_pass(target.snapshot))
        target.earlier_pass = earlier_pass(verdicts, *pass);
    return {};
}

Expected<void> materialize(store::Store& store, VerifyTarget& target, const store::SnapshotInfo& current)
{
    (void)current;
    const auto wanted = ENVPIN_TRY(store.manifest(target.snapshot));
    const auto& root = target.environment.path;
    target.path = root.parent_path() / fmt::format(".{}.envpin-verify-{}", root.filename().string(), ::getpid());
    target.temporary = true;
    auto built = store::build_tree(wanted, target.path, store.objects(), {store::LinkMode::copy, 0, false});
    if (!built) {
        release_verify_target(target);
        return std::unexpected(built.error().with_context("materializing " + target.snapshot.label()));
    }
    target.distributions = wanted.distributions;
    return {};
}

// Whether any snapshot of the environment lists torch: one that never did has no torch stack
// by design (`create --torch none`), rather than a broken one.
Expected<bool> held_torch(store::Store& store, const store::Environment& environment)
{
    for (const auto& snapshot : ENVPIN_TRY(store.metadata().snapshots(environment.id)))
        for (const auto& distribution : ENVPIN_TRY(store.metadata().distributions(snapshot.id)))
            if (store::normalize_name(distribution.name) == "torch")
                return true;
    return false;
}

}  // namespace

Expected<VerifyTarget> prepare_verify_target(store::Store& store, const std::string& name, const std::string& ref,
                                             const std::string& fingerprint)
{
    VerifyTarget target;
    target.environment = ENVPIN_TRY(store.environment(name));
    auto current = ENVPIN_TRY(store.current_snapshot(target.environment));
    if (!current)
        return fail(ErrorCode::not_found, "environment '{}' has no snapshot yet", name);
    const auto wanted = ref.empty() ? *current : ENVPIN_TRY(store.resolve(ref));
    if (wanted.environment_id != target.environment.id)
        return fail(ErrorCode::bad_input, "{} is a snapshot of '{}', not of '{}'", ref, wanted.environment, name);
    if (wanted.id == current->id) {
        // What is proven must be what is recorded: save drift first.
        store::SnapshotOptions options{.reason = "verify", .message = "state before verify"};
        const auto outcome = ENVPIN_TRY(store::take_snapshot(store, target.environment, options));
        target.snapshot = outcome.snapshot;
        target.path = target.environment.path;
        target.distributions = ENVPIN_TRY(store.metadata().distributions(target.snapshot.id));
    } else {
        target.snapshot = wanted;
        ENVPIN_TRY(materialize(store, target, *current));
    }
    ENVPIN_TRY(read_verdicts(store, target, fingerprint));
    target.held_torch = ENVPIN_TRY(held_torch(store, target.environment));
    return target;
}

namespace {

// A failure of bytes that passed on this host before: the cause is outside the environment.
std::optional<verify::PassedBefore> passed_before(const VerifyTarget& target, const verify::Report& report)
{
    if (report.passed || !target.earlier_pass)
        return std::nullopt;
    const auto& pass = *target.earlier_pass;
    verify::PassedBefore passed{pass.ref, pass.at, std::nullopt};
    if (pass.context)
        passed.differences = verify::context_differences(*pass.context, report.context);
    return passed;
}

// A path as people name it: inside site-packages, from there ("torch/nn/modules/linear.py").
std::string shown_path(const std::string& path)
{
    constexpr std::string_view site = "site-packages/";
    const auto at = path.find(site);
    return at == std::string::npos ? path : path.substr(at + site.size());
}

// A failure of other bytes than the newest snapshot that passed here: what changed since it,
// distributions first. nullopt when no snapshot passed here, or its manifest cannot be read
// (the failure is reported all the same).
std::optional<verify::ChangedSince> changed_since(store::Store& store, const VerifyTarget& target,
                                                  const verify::Report& report)
{
    if (report.passed || report.passed_before || !target.reset_suggestion)
        return std::nullopt;
    const auto passed = store.resolve(*target.reset_suggestion);
    const auto before = passed ? store.manifest(*passed) : Expected<store::Manifest>(std::unexpected(passed.error()));
    const auto after = store.manifest(target.snapshot);
    if (!before || !after)
        return std::nullopt;
    const auto changes = store::compare(*before, *after);
    verify::ChangedSince changed{*target.reset_suggestion, {}, static_cast<long long>(changes.added.size()),
                                 static_cast<long long>(changes.modified.size()),
                                 static_cast<long long>(changes.removed.size()), {}};
    for (const auto& change : changes.distributions)
        changed.distributions.push_back(fmt::format("{} {} -> {}", change.name, change.from.value_or("(none)"),
                                                    change.to.value_or("(removed)")));
    constexpr size_t shown = 5;
    for (const auto* paths : {&changes.modified, &changes.added, &changes.removed})
        for (const auto& path : *paths)
            if (changed.paths.size() < shown && !path.ends_with("/"))
                changed.paths.push_back(shown_path(path));
    return changed;
}

store::VerifyRunRecord run_record(const VerifyTarget& target, const verify::Report& report)
{
    const auto text = [](const nlohmann::json& json) {
        return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    store::VerifyRunRecord record;
    record.snapshot_id = target.snapshot.id;
    record.fingerprint = report.fingerprint;
    record.passed = report.passed;
    record.started = store::utc_now();
    record.duration_ms = report.duration_ms;
    record.suite_version = report.suite_version;
    record.host_json = verify::to_json(report).at("host").dump();
    record.context_json = text(verify::to_json(report.context));
    for (const auto& check : report.checks)
        record.checks.push_back({check.name, std::string(verify::to_string(check.status)), text(verify::to_json(check))});
    return record;
}

}  // namespace

Expected<void> record_verify_result(store::Store& store, const VerifyTarget& target, verify::Report& report)
{
    report.snapshot = {{"environment", target.environment.name},
                       {"ref", target.snapshot.label()},
                       {"commit", target.snapshot.commit},
                       {"path", target.environment.path.string()}};
    if (target.baseline)
        report.regressions = verify::find_regressions(report, *target.baseline);
    report.passed_before = passed_before(target, report);
    report.changed_since = changed_since(store, target, report);
    ENVPIN_TRY(store.metadata().record_verify_run(run_record(target, report)));
    return {};
}

void release_verify_target(const VerifyTarget& target)
{
    if (target.temporary)
        (void)store::remove_tree(target.path, 0);
}

}  // namespace envpin::cli
