// `envpin verify NAME [REF]` / `envpin verify --path ENV`: run the verify suite against an
// environment and report it as a table, JSON (--json) and JUnit XML (--junit FILE); with NAME
// the run is recorded for the snapshot in the store. Exit 0 when every check passed or
// skipped, 1 when one failed.
#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "cli/command.hpp"
#include "cli/render_store.hpp"
#include "cli/render_verify.hpp"
#include "cli/verify_inputs.hpp"
#include "cli/verify_target.hpp"
#include "verify/host_probe.hpp"
#include "sys/file.hpp"
#include "verify/junit.hpp"
#include "verify/suite.hpp"

namespace envpin::cli {
namespace {

struct VerifyOptions {
    std::string name;
    std::string ref;
    std::string path;
    std::vector<std::string> only;
    std::vector<std::string> skip;
    double timeout_s = 120;
    double build_timeout_s = 1200;
    std::string junit;
    std::string device = "auto";
    std::string torch_dir;
    std::vector<std::string> set;  // KEY=VALUE check parameters
};

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

// Runs the suite on `request.environment` and renders the report; `record` (NAME mode) stores it.
Expected<ExitCode> run_and_render(verify::SuiteRequest& request, const VerifyOptions& options, Context& context,
                                  const std::function<Expected<void>(verify::Report&)>& record)
{
    const bool table = !context.global.json && !context.global.quiet;
    const bool color = context.color_enabled();
    // On a terminal, say which check is running (the first training probe build takes minutes).
    const bool progress = table && ::isatty(STDERR_FILENO);
    if (progress)
        request.on_check_start = [&](std::string_view name) { context.err << "running " << name << "..." << std::flush; };
    if (table)
        request.on_check_done = [&, progress](const verify::CheckResult& check) {
            if (progress)
                context.err << "\r\x1b[K" << std::flush;
            render_check(check, context.out, color);
            context.out.flush();
        };
    auto report = ENVPIN_TRY(verify::run_suite(request));
    if (record)
        ENVPIN_TRY_CTX("recording the verification run", record(report));
    if (!options.junit.empty())
        ENVPIN_TRY_CTX("writing --junit " + options.junit,
                       sys::write_file_atomic(options.junit, verify::to_junit_xml(report)));
    if (context.global.json)
        context.out << verify::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    else if (table)
        render_verify_summary(report, context.out, color);
    return report.passed ? ExitCode::ok : ExitCode::no;
}

Expected<ExitCode> run_verify(const VerifyOptions& options, Context& context)
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
        const auto distributions = installed_distributions(options.path);
        if (distributions)
            request.stack = expected_stack(catalog, *distributions, *request.host);
        return run_and_render(request, options, context, {});
    }
    auto store = ENVPIN_TRY(store::Store::open(store_options(context, store::Access::write, 60)));
    const auto fingerprint = verify::host_fingerprint(*request.host, verify::suite_version);
    const auto target = ENVPIN_TRY(prepare_verify_target(store, options.name, options.ref, fingerprint));
    request.environment = target.path;
    request.stack = expected_stack(catalog, target.distributions, *request.host);
    request.reset_target = target.reset_suggestion;
    // A run with --set overrides is a drill, not a proof: it is shown but not recorded.
    const bool drill = !options.set.empty();
    if (drill && !context.global.json)
        context.err << "envpin: --set overrides a check parameter: this run is not recorded\n";
    auto result = run_and_render(request, options, context, [&](verify::Report& report) -> Expected<void> {
        return drill ? Expected<void>() : record_verify_result(store, target, report);
    });
    release_verify_target(target);
    return result;
}

}  // namespace

void register_verify(CLI::App& app, Context& context, CommandRun& selected)
{
    auto options = std::make_shared<VerifyOptions>();
    auto* command = app.add_subcommand("verify", "Prove an environment on this machine: driver, libraries, GPU "
                                                 "kernels, cuBLAS, cuDNN, NCCL, a LibTorch and a Python training run");
    command->add_option("name", options->name, "Environment name (the run is recorded in the store)");
    command->add_option("ref", options->ref, "Snapshot to prove (NAME@SEQ, NAME@~N, commit prefix); default: current");
    command->add_option("--path", options->path, "Prove the environment at this directory instead (nothing recorded)");
    command->add_option("--only", options->only, "Run only these checks (comma-separated)")->delimiter(',');
    command->add_option("--skip", options->skip, "Skip these checks (comma-separated)")->delimiter(',');
    command->add_option("--timeout", options->timeout_s, "Seconds each check may run before it is killed")
        ->check(CLI::PositiveNumber);
    command->add_option("--build-timeout", options->build_timeout_s,
                        "Seconds the first build of the training probe may take")
        ->check(CLI::PositiveNumber);
    command->add_option("--junit", options->junit, "Also write the results as JUnit XML to FILE");
    command->add_option("--device", options->device, "Where the checks run")
        ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    command->add_option("--torch-dir", options->torch_dir,
                        "LibTorch (its TorchConfig.cmake directory or prefix) for the training probe when the "
                        "environment has none");
    command->add_option("--set", options->set, "Override a check parameter, KEY=VALUE (e.g. train_learning_rate=1e9)");
    command->callback([&context, &selected, options] {
        selected = [&context, options]() { return run_verify(*options, context); };
    });
}

}  // namespace envpin::cli
