// `envpin verify NAME [REF]` / `envpin verify --path ENV`: run the verify suite against an
// environment and report it as a table, JSON (--json) and JUnit XML (--junit FILE); with NAME
// the run is recorded for the snapshot in the store. Exit 0 when every check passed or
// skipped, 1 when one failed.
#include "cli/json_out.hpp"
#include "cli/command.hpp"
#include "cli/render_verify.hpp"
#include "cli/verify_run.hpp"

namespace envpin::cli {
namespace {

Expected<ExitCode> verify_and_render(const VerifyOptions& options, Context& context)
{
    const auto report = ENVPIN_TRY(run_verify(options, context));
    if (context.global.json)
        print_json(context.out, verify::to_json(report));
    else if (!context.global.quiet)
        render_verify_summary(report, context.out, context.color_enabled());
    return report.passed ? ExitCode::ok : ExitCode::no;
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
    command->add_option("--spec", options->spec,
                        "envpin.toml (or pyproject.toml) whose [verify] checks run; default: the environment's "
                        "project directory's, else the current directory's");
    command->add_option("--set", options->set, "Override a check parameter, KEY=VALUE (e.g. train_learning_rate=1e9)");
    command->callback([&context, &selected, options] {
        selected = [&context, options]() { return verify_and_render(*options, context); };
    });
}

}  // namespace envpin::cli
