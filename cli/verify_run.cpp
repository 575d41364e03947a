#include "cli/verify_run.hpp"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <ostream>

#include <fmt/format.h>

#include "cli/project_checks.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verify.hpp"
#include "cli/verify_inputs.hpp"
#include "cli/verify_target.hpp"
#include "sys/file.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/host/host_probe.hpp"
#include "verify/runner/junit.hpp"
#include "verify/runner/suite.hpp"

namespace envpin::cli {
namespace {

// Where envpin keeps its data: --store, else $ENVPIN_HOME, else ${XDG_DATA_HOME:-~/.local/share}/envpin.
std::filesystem::path store_directory(const GlobalOptions& global)
{
    if (!global.store.empty())
        return global.store;
    if (const char* home = std::getenv("ENVPIN_HOME"); home != nullptr && *home)
        return home;
    if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && *data)
        return std::filesystem::path(data) / "envpin";
    const char* user_home = std::getenv("HOME");
    return std::filesystem::path(user_home != nullptr ? user_home : "/tmp") / ".local/share/envpin";
}

Expected<verify::SuiteRequest> make_request(const VerifyOptions& options, const GlobalOptions& global)
{
    verify::SuiteRequest request;
    request.environment = options.path;
    request.only = options.only;
    request.skip = options.skip;
    request.timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_s * 1000));
    request.build_timeout = std::chrono::milliseconds(static_cast<long long>(options.build_timeout_s * 1000));
    request.device = verify::parse_device(options.device).value_or(verify::Device::auto_select);
    request.cache_root = store_directory(global) / "cache";
    if (!options.torch_dir.empty())
        request.torch_dir = options.torch_dir;
    for (const auto& assignment : options.set) {
        const auto eq = assignment.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail(ErrorCode::bad_input, "--set {}: expected KEY=VALUE", assignment);
        request.parameters[assignment.substr(0, eq)] = assignment.substr(eq + 1);
    }
    return request;
}

// Runs the suite on `request.environment`, showing each check on text output; `record` (NAME
// mode) stores the report.
Expected<verify::Report> run_shown(verify::SuiteRequest& request, const VerifyOptions& options, Context& context,
                                   const std::function<Expected<void>(verify::Report&)>& record)
{
    const bool table = !context.global.json && !context.global.quiet;
    const bool color = context.color_enabled();
    // On a terminal, say which check is running (the first training probe build takes minutes).
    const bool progress = table && ::isatty(STDERR_FILENO);
    if (progress) {
        request.on_check_start = [&](std::string_view name) { context.err << "running " << name << "..." << std::flush; };
        request.on_step = [&](std::string_view step) { context.err << "\r\x1b[K" << step << "..." << std::flush; };
    }
    if (table)
        request.on_check_done = [&, progress](const verify::CheckResult& check) {
            if (progress)
                context.err << "\r\x1b[K" << std::flush;
            const auto build = check.measurements.value("probe_build", nlohmann::json::object());
            if (progress && build.value("built_now", false))
                context.err << fmt::format("built the training probe in {:.1f} s (cached for the next runs)\n",
                                           static_cast<double>(build.value("build_ms", 0LL)) / 1000);
            render_check(check, context.out, color);
            context.out.flush();
        };
    auto report = ENVPIN_TRY(verify::run_suite(request));
    if (record)
        ENVPIN_TRY_CTX("recording the verification run", record(report));
    if (!options.junit.empty())
        ENVPIN_TRY_CTX("writing --junit " + options.junit,
                       sys::write_file_atomic(options.junit, verify::to_junit_xml(report)));
    return report;
}

// The project checks of the environment at `environment`, into the request.
Expected<void> add_project_checks(verify::SuiteRequest& request, const VerifyOptions& options,
                                  const std::filesystem::path& environment)
{
    auto project = ENVPIN_TRY(load_project_checks(options.spec, environment));
    request.project_checks = std::move(project.checks);
    request.project_directory = std::move(project.directory);
    return {};
}

}  // namespace

Expected<verify::Report> run_verify(const VerifyOptions& options, Context& context)
{
    if (options.name.empty() == options.path.empty())
        return fail(ErrorCode::bad_input, "verify: give an environment NAME (with an optional REF) or --path ENV, not {}",
                    options.name.empty() ? "neither" : "both");
    auto request = ENVPIN_TRY(make_request(options, context.global));
    const auto catalog = ENVPIN_TRY(default_catalog());
    verify::HostProbeOptions probe;
    probe.envpin_executable = sys::self_executable();
    probe.include_pythons = false;
    request.host = verify::probe_host(probe);
    request.references = gpu_references(catalog, *request.host);
    if (!options.path.empty()) {
        ENVPIN_TRY(add_project_checks(request, options, options.path));
        const auto distributions = installed_distributions(options.path);
        if (distributions)
            request.stack = expected_stack(catalog, *distributions, *request.host);
        return run_shown(request, options, context, {});
    }
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, 60)));
    ENVPIN_TRY(add_project_checks(request, options, ENVPIN_TRY(store.environment(options.name)).path));
    const auto fingerprint = verify::host_fingerprint(*request.host, verify::suite_version);
    const auto target = ENVPIN_TRY(prepare_verify_target(store, options.name, options.ref, fingerprint));
    request.environment = target.path;
    request.stack = expected_stack(catalog, target.distributions, *request.host);
    request.reset_target = target.reset_suggestion;
    if (!target.held_torch)
        request.parameters.try_emplace(verify::param::torch_stack, "none");
    // A run with --set overrides is a drill, not a proof: it is shown but not recorded.
    const bool drill = !options.set.empty();
    if (drill && !context.global.json)
        context.err << "envpin: --set overrides a check parameter: this run is not recorded\n";
    auto result = run_shown(request, options, context, [&](verify::Report& report) -> Expected<void> {
        return drill ? Expected<void>() : record_verify_result(store, target, report);
    });
    release_verify_target(target);
    return result;
}
}  // namespace envpin::cli
