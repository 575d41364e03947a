// `envpin probe ...`: internal. Work that touches CUDA runs here, in a child process that the
// parent watches with a timeout; it prints JSON on stdout. Not part of the user contract.
#include <iostream>
#include <iterator>
#include <string>

#include "cli/command.hpp"
#include "verify/host/gpu_probe.hpp"
#include "verify/runner/probe_commands.hpp"
#include "verify/runner/probe_dispatch.hpp"

namespace envpin::cli {

void register_probe(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* probe = app.add_subcommand("probe", "Internal: GPU probes run in a child process");
    probe->group("");  // hidden from --help
    probe->require_subcommand(1);
    auto* gpus = probe->add_subcommand("gpus", "List GPUs through NVML or the driver API");
    gpus->callback([&context, &selected] {
        selected = [&context]() -> Expected<ExitCode> {
            // NVML's answer first: cuInit may hang, and the parent then keeps this line.
            auto report = verify::probe_gpus_here();
            context.out << verify::to_json(report).dump() << '\n' << std::flush;
            verify::count_cuda_devices(report);
            context.out << verify::to_json(report).dump() << '\n';
            return ExitCode::ok;
        };
    });
    auto* vector_add = probe->add_subcommand("vector-add", "Run the embedded vector-add kernel on every GPU");
    vector_add->callback([&context, &selected] {
        selected = [&context]() -> Expected<ExitCode> {
            const auto report = verify::probe_vector_add();
            context.out << report.dump() << '\n';
            return report.value("status", "") == "pass" ? ExitCode::ok : ExitCode::no;
        };
    });
    // One check of the verify suite: a ProbeRequest on stdin, one CheckResult line on stdout,
    // exit 0 whatever the check's status (the status is in the JSON; only a hang or a crash is
    // the watchdog's business).
    auto* check = probe->add_subcommand("check", "Run one verify check (request as JSON on stdin)");
    check->callback([&context, &selected] {
        selected = [&context]() -> Expected<ExitCode> {
            const std::string request{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
            // Replace invalid UTF-8 (a library path or loader message can carry any bytes)
            // rather than throw: the child must always print a result.
            context.out << verify::to_json(verify::run_probe_check_text(request))
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                        << '\n';
            return ExitCode::ok;
        };
    });
}

}  // namespace envpin::cli
