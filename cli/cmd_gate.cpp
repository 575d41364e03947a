// `envpin gate`: may CI trust this environment on this machine? Four steps, stopping at the
// first "no" (cli/gate_run.hpp); exit 0 pass, 1 a step said no, 2 bad input, 3 envpin failed.
// --junit FILE says which step met bad input or a failure too.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/gate_run.hpp"
#include "cli/render_gate.hpp"
#include "sys/file.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> gate_and_render(const GateOptions& options, Context& context)
{
    const auto report = run_gate(options, context);
    if (!options.junit.empty())
        ENVPIN_TRY_CTX("writing --junit " + options.junit,
                       sys::write_file_atomic(options.junit, verify::to_junit_xml(gate_junit_suite(report))));
    if (report.error)  // main prints it (on stdout too, with --json) and picks the exit code
        return std::unexpected(*report.error);
    if (context.global.json)
        print_json(context.out, gate_to_json(report));
    else if (!context.global.quiet)
        render_gate_summary(report, context.out, context.color_enabled());
    return report.passed() ? ExitCode::ok : ExitCode::no;
}

}  // namespace

void register_gate(CLI::App& app, Context& context, CommandRun& selected)
{
    auto options = std::make_shared<GateOptions>();
    auto* command = app.add_subcommand(
        "gate", "For CI: check the lock against this host, the environment against the lock, drift, and that the "
                "current snapshot passed verify here (verify runs if it has not)");
    command->add_option("--lock", options->lock, "The lock to gate on")->capture_default_str();
    command->add_option("--target", options->target,
                        "The lock's target to gate on (default: the first whose hosts include this one)");
    command->add_option("--env", options->environment,
                        "The managed environment (default: the name in envpin.toml beside the lock)");
    command->add_option("--junit", options->junit, "Also write the run as JUnit XML to FILE");
    command->add_flag("--no-verify", options->no_verify,
                      "Never run verify: step 4 needs a pass already recorded on this host");
    add_resolve_inputs(*command, options->host);
    command->add_option("--only", options->verify.only, "Verify only these checks (comma-separated)")->delimiter(',');
    command->add_option("--skip", options->verify.skip, "Verify without these checks (comma-separated)")->delimiter(',');
    command->add_option("--device", options->verify.device, "Where verify's checks run")
        ->check(CLI::IsMember({"auto", "cpu", "gpu"}));
    command->add_option("--timeout", options->verify.timeout_s, "Seconds each verify check may run")
        ->check(CLI::PositiveNumber);
    command->callback([&context, &selected, options] {
        selected = [&context, options] {
            options->host.store = context.global.store;
            return gate_and_render(*options, context);
        };
    });
}

}  // namespace envpin::cli
