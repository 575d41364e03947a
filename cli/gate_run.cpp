#include "cli/gate_run.hpp"

#include <chrono>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "cli/host_fingerprint.hpp"
#include "cli/render_lock.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verify.hpp"
#include "resolver/lock_check.hpp"
#include "resolver/spec_file.hpp"
#include "store/lifecycle/dist_info.hpp"
#include "store/lifecycle/reset.hpp"
#include "store/lifecycle/snapshot.hpp"
#include "store/lifecycle/stack_check.hpp"
#include "store/lifecycle/verdicts.hpp"
#include "sys/file.hpp"
#include "verify/runner/report.hpp"

namespace envpin::cli {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;
using verify::CheckResult;
using verify::CheckStatus;

CheckResult step(std::string_view name, CheckStatus status, std::string detail, std::string hint = {})
{
    CheckResult result;
    result.name = std::string(name);
    result.status = status;
    result.detail = std::move(detail);
    result.hint = std::move(hint);
    return result;
}

CheckResult passed(std::string_view name, std::string detail)
{
    return step(name, CheckStatus::pass, std::move(detail));
}

CheckResult said_no(std::string_view name, std::string detail, std::string hint)
{
    return step(name, CheckStatus::fail, std::move(detail), std::move(hint));
}

// At most `limit` lines joined with "; ", then how many more.
std::string listed(const std::vector<std::string>& lines, size_t limit = 8)
{
    std::vector<std::string> shown(lines.begin(), lines.begin() + static_cast<long>(std::min(limit, lines.size())));
    auto text = join(shown, "; ");
    if (lines.size() > limit)
        text += fmt::format("; and {} more", lines.size() - limit);
    return text;
}

// What the steps share as they go.
struct GateRun {
    const GateOptions& options;
    Context& context;
    GateReport& report;
    std::optional<Lock> lock;
    std::optional<Catalog> catalog;        // read once, at step 1
    std::optional<std::string> fingerprint;  // this host's, from step 1's probe when it probed
    std::optional<store::Environment> environment;
    std::optional<store::SnapshotInfo> current;
    std::optional<store::Store> store;
};

// Step 1: the lock parses and this host can run its stack.
Expected<CheckResult> check_lock(GateRun& run)
{
    auto text = sys::read_file(run.options.lock);
    if (!text && text.error().code == ErrorCode::not_found)
        return fail(ErrorCode::bad_input, "--lock {}: no such file (`envpin lock` writes one)", run.options.lock);
    const auto file = ENVPIN_TRY(parse_lock_file(ENVPIN_TRY(std::move(text)), run.options.lock));
    run.catalog = ENVPIN_TRY(load_catalog(run.options.host));
    const auto host = ENVPIN_TRY(host_facts(*run.catalog, run.options.host));
    if (run.options.host.driver.empty() && run.options.host.gpus.empty())  // this host's facts: no second probe
        run.fingerprint = verify::host_fingerprint(host, verify::suite_version);
    const auto choice = ENVPIN_TRY(choose_section(*run.catalog, file, host, run.options.target, run.options.lock));
    if (choice.section == nullptr)
        return said_no("lock", no_target_sentence(choice.mismatches), std::string(no_target_hint));
    run.lock = *choice.section;
    const auto& lock = *run.lock;
    const auto target = lock.target ? fmt::format("target {}: ", lock.target->name) : std::string();
    const auto problems = host_problems(lock, host);
    if (!problems.empty())
        return said_no("lock", listed(problems),
                       "the lock was made for another kind of machine: `envpin lock` on this host pins a stack for it");
    if (lock.stack.variant == "cpu")
        return passed("lock", fmt::format("{}torch {} (cpu): runs on any host", target, lock.stack.torch));
    std::vector<std::string> gpus;
    for (const auto& gpu : host.gpus)
        gpus.push_back(fmt::format("{} {}", gpu.name, sm_name(gpu.cc)));
    return passed("lock", fmt::format("{}torch {}: driver {} (the lock needs {}), {}", target, lock.stack.torch,
                                      host.driver.value_or("none"), lock.host.min_driver.value_or("any"),
                                      gpus.empty() ? std::string("no GPU to cover") : "kernels for " + join(gpus, ", ")));
}

// --env, else the name in the spec beside the lock (envpin.toml or pyproject.toml).
Expected<std::string> environment_name(const GateOptions& options)
{
    if (!options.environment.empty())
        return options.environment;
    const auto spec_path = project_spec(fs::path(options.lock).parent_path());
    auto text = sys::read_file(spec_path);
    if (text) {
        const auto spec = ENVPIN_TRY(parse_spec(*text, spec_path.string()));
        if (!spec.name.empty())
            return spec.name;
    }
    return fail(ErrorCode::bad_input, "gate: name the environment with --env NAME ({} does not name one)",
                spec_path.string());
}

// The environment's Python ("3.12.3", from pyvenv.cfg) when it is not the lock's; nullopt when
// it is or cannot be told.
std::optional<std::string> other_python(const fs::path& root, const Lock& lock)
{
    auto version = store::venv_python_version(root);
    if (version.empty() || lock.stack.python.empty() || version == lock.stack.python ||
        version.starts_with(lock.stack.python + "."))
        return std::nullopt;
    return version;
}

// What differs from the lock: with [[installed]] entries the whole set, else the stack as
// `create` checks it after installing (store/lifecycle/stack_check).
Expected<std::vector<std::string>> lock_differences_of(const GateRun& run,
                                                       const std::vector<store::Distribution>& distributions)
{
    const auto& lock = *run.lock;
    if (!lock.installed.empty()) {
        std::vector<InstalledVersion> installed;
        for (const auto& distribution : distributions)
            installed.push_back({distribution.name, distribution.version});
        return installed_differences(lock, installed);
    }
    std::vector<std::string> differences;
    for (const auto& mismatch :
         store::check_stack(store::stack_requirements(lock, pypi_serves_variant(*run.catalog, lock)), distributions))
        differences.push_back(mismatch.describe());
    return differences;
}

// Step 2: the environment is managed, present, and holds what the lock pins.
Expected<CheckResult> check_environment(GateRun& run, store::Store& store)
{
    const auto& name = run.report.environment;
    auto found = store.environment(name);
    if (!found && found.error().code == ErrorCode::not_found)
        return said_no("environment", found.error().describe(),
                       fmt::format("`envpin create --from-lock {} --name {}` makes it", run.options.lock, name));
    run.environment = ENVPIN_TRY(std::move(found));
    const auto& root = run.environment->path;
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(root, ec)))
        return said_no("environment", fmt::format("{} is missing (or not a directory)", root.string()),
                       fmt::format("`envpin reset {}` brings back its newest snapshot verified on this host", name));
    const auto distributions = ENVPIN_TRY(store::installed_distributions(root));
    auto differences = ENVPIN_TRY(lock_differences_of(run, distributions));
    if (const auto python = other_python(root, *run.lock))
        differences.insert(differences.begin(),
                           fmt::format("Python {}: the lock is for Python {}", *python, run.lock->stack.python));
    if (!differences.empty())
        return said_no("environment",
                       fmt::format("{} differs from the lock in {} place(s): {}", name, differences.size(), listed(differences)),
                       fmt::format("`envpin create --from-lock {}` makes it as locked; `envpin lock` pins what the spec "
                                   "asks for now",
                                   run.options.lock));
    const auto scope = run.lock->installed.empty() ? "the lock's stack pins hold" : "exactly the lock's set";
    return passed("environment",
                  fmt::format("{} at {}: {} distributions, {}", name, root.string(), distributions.size(), scope));
}

std::string change_summary(const store::Changes& changes)
{
    std::vector<std::string> parts;
    for (const auto& change : changes.distributions)
        parts.push_back(fmt::format("{} {} -> {}", change.name, change.from.value_or("(none)"), change.to.value_or("(removed)")));
    const auto files = [&](const std::vector<std::string>& paths, std::string_view what) {
        if (!paths.empty())
            parts.push_back(fmt::format("{} file(s) {}, first {}", paths.size(), what, paths.front()));
    };
    files(changes.modified, "modified");
    files(changes.added, "added");
    files(changes.removed, "removed");
    return listed(parts);
}

// Step 3: nothing changed since the current snapshot.
Expected<CheckResult> check_drift(GateRun& run, store::Store& store)
{
    const auto& environment = *run.environment;
    if (const auto underway = ENVPIN_TRY(store::reset_underway(store, environment)))
        return said_no("drift", fmt::format("a reset of {} to {} is under way", environment.name, underway->target),
                       "gate again once it has finished (`envpin recover` finishes an interrupted one)");
    const auto drift = ENVPIN_TRY(store::status(store, environment, 0, progress_line(run.context)));
    finish_progress(run.context);
    run.current = drift.snapshot;
    if (drift.clean())
        return passed("drift", fmt::format("unchanged since {}", drift.snapshot.label()));
    return said_no("drift", fmt::format("changed since {}: {}", drift.snapshot.label(), change_summary(drift.changes)),
                   fmt::format("`envpin reset {0}` puts back its verified state; `envpin snapshot {0}` records the "
                               "change (then gate again to verify it)",
                               environment.name));
}

// Step 4 without running verify: a recorded pass of the current snapshot's bytes on this host.
Expected<std::optional<CheckResult>> recorded_verdict(GateRun& run, store::Store& store)
{
    const auto verdicts = ENVPIN_TRY(store::load_verdicts(store.metadata(), *run.environment,
                                                                 run.fingerprint ? *run.fingerprint : this_host_fingerprint(store.root())));
    const auto& current = *run.current;
    if (const auto pass = verdicts.last_pass(current))
        return passed("verified", fmt::format("{} passed verify on this host at {}", current.label(), pass->record.started));
    if (!run.options.no_verify)
        return std::nullopt;
    const auto history = verdicts.history(current);
    const auto detail = history.empty() ? fmt::format("{} was never verified on this host", current.label())
                                        : fmt::format("{} failed verify on this host at {}", current.label(),
                                                      history.back().record.started);
    return said_no("verified", detail, fmt::format("`envpin verify {}` proves it (or gate without --no-verify)",
                                                   run.environment->name));
}

// Step 4 by running the suite now (recorded in the store like any `envpin verify NAME`).
Expected<CheckResult> verify_now(GateRun& run)
{
    auto options = run.options.verify;
    options.name = run.environment->name;
    options.junit.clear();
    // The project checks are those of the spec beside the lock, when it has one.
    if (const auto spec = project_spec(fs::path(run.options.lock).parent_path()); options.spec.empty() && fs::exists(spec))
        options.spec = spec.string();
    run.report.verify = ENVPIN_TRY(run_verify(options, run.context));
    const auto& report = *run.report.verify;
    if (!run.context.global.json && !run.context.global.quiet)
        render_verify_summary(report, run.context.out, run.context.color_enabled());
    std::vector<std::string> failed;
    std::string hint;
    int skipped = 0;
    for (const auto& check : report.checks) {
        skipped += check.status == CheckStatus::skip;
        if (check.status == CheckStatus::fail || check.status == CheckStatus::error) {
            failed.push_back(check.name);
            if (hint.empty())
                hint = check.hint;
        }
    }
    return report.passed
                      ? passed("verified", fmt::format("{} passed verify now: {} checks, {} skipped", run.current->label(),
                                                       report.checks.size(), skipped))
                      : said_no("verified",
                                fmt::format("{} failed verify now: {}{}", run.current->label(), join(failed, ", "),
                                            report.changed_since ? "; " + verify::describe(*report.changed_since) : ""),
                                hint);
}

// Step 2 opens the store (for reading: the gate never waits for a writer); step 4 closes it
// before a verify run opens it for writing.
Expected<CheckResult> open_and_check_environment(GateRun& run)
{
    run.report.environment = ENVPIN_TRY(environment_name(run.options));
    auto opened = store::Store::open(store_options(run.context, store::Access::read));
    if (!opened && opened.error().code == ErrorCode::not_found)
        return said_no("environment", opened.error().describe(),
                       fmt::format("`envpin create --from-lock {} --name {}` makes it", run.options.lock,
                                   run.report.environment));
    run.store.emplace(ENVPIN_TRY(std::move(opened)));
    return check_environment(run, *run.store);
}

Expected<CheckResult> check_verified(GateRun& run)
{
    if (auto recorded = ENVPIN_TRY(recorded_verdict(run, *run.store)))
        return *recorded;
    run.store.reset();
    return verify_now(run);
}

Expected<CheckResult> run_step(size_t index, GateRun& run)
{
    switch (index) {
    case 0:
        return check_lock(run);
    case 1:
        return open_and_check_environment(run);
    case 2:
        return check_drift(run, *run.store);
    default:
        return check_verified(run);
    }
}

// Each step as it finishes, on text output (an error is main's to print).
void show(const GateRun& run, const CheckResult& result)
{
    constexpr int name_width = 11;  // "environment"
    if (!run.context.global.json && !run.context.global.quiet && result.status != CheckStatus::error) {
        render_check(result, run.context.out, run.context.color_enabled(), name_width);
        run.context.out.flush();
    }
}

}  // namespace

bool GateReport::passed() const
{
    return !error && stopped_at().empty();
}

std::string GateReport::stopped_at() const
{
    for (const auto& step : steps)
        if (step.status == CheckStatus::fail || step.status == CheckStatus::error)
            return step.name;
    return {};
}

GateReport run_gate(const GateOptions& options, Context& context)
{
    const auto started = Clock::now();
    GateReport report;
    report.lock = options.lock;
    GateRun run{options, context, report, {}, {}, {}, {}, {}, {}};
    for (size_t index = 0; index < std::size(gate_steps); ++index) {
        const auto step_started = Clock::now();
        auto result = run_step(index, run);
        if (!result) {
            report.error = result.error();
            result = step(gate_steps[index], CheckStatus::error, result.error().describe());
        }
        if (result->duration_ms == 0)
            result->duration_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started).count();
        show(run, *result);
        report.steps.push_back(std::move(*result));
        if (report.steps.back().status != CheckStatus::pass)
            break;
    }
    const auto stopped = report.stopped_at();
    for (size_t index = report.steps.size(); index < std::size(gate_steps); ++index)
        report.steps.push_back(
            step(gate_steps[index], CheckStatus::skip, fmt::format("not run: the gate stopped at {}", stopped)));
    report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return report;
}

}  // namespace envpin::cli
