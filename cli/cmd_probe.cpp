// `envpin probe ...`: internal. Work that touches CUDA runs here, in a child process that the
// parent watches with a timeout; it prints JSON on stdout. Not part of the user contract.
#include <iostream>
#include <iterator>

#include "cli/command.hpp"
#include "verify/gpu_probe.hpp"
#include "verify/probe_commands.hpp"
#include "verify/probe_dispatch.hpp"

namespace envpin::cli {

void register_probe(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* probe = app.add_subcommand("probe", "Internal: GPU probes run in a child process");
    probe->group("");  // hidden from --help
    probe->require_subcommand(1);
    auto* gpus = probe->add_subcommand("gpus", "List GPUs through NVML or the driver API");
    gpus->callback([&context, &selected] {
        selected = [&context]() -> Expected<ExitCode> {
            context.out << verify::to_json(verify::probe_gpus_here()).dump() << '\n';
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
    // One check of the verify suite: a ProbeRequest on stdin, its CheckResult on stdout.
    auto* check = probe->add_subcommand("check", "Run one verify check (request as JSON on stdin)");
    check->callback([&context, &selected] {
        selected = [&context]() -> Expected<ExitCode> {
            const std::string request{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
            const auto result = verify::run_probe_check_text(request);
            context.out << verify::to_json(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                        << '\n';
            const bool good = result.status == verify::CheckStatus::pass || result.status == verify::CheckStatus::skip;
            return good ? ExitCode::ok : ExitCode::no;
        };
    });
}

}  // namespace envpin::cli
