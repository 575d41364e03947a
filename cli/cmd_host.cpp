// `envpin host`: what envpin sees on this machine (driver, GPUs, toolkits, Pythons).
#include "cli/command.hpp"
#include "cli/json_out.hpp"
#include "cli/render_host.hpp"
#include "sys/file.hpp"
#include "verify/host/host_probe.hpp"

namespace envpin::cli {

void register_host(CLI::App& app, Context& context, CommandRun& selected)
{
    auto* command = app.add_subcommand("host", "Show host facts: NVIDIA driver, GPUs, CUDA toolkits, Pythons");
    auto timeout = std::make_shared<double>(20.0);
    command->add_option("--gpu-timeout", *timeout, "Seconds to wait for the GPU probe (cuInit can hang)")
        ->check(CLI::PositiveNumber);
    command->callback([&context, &selected, timeout] {
        selected = [&context, timeout]() -> Expected<ExitCode> {
            verify::HostProbeOptions options;
            options.envpin_executable = sys::self_executable();
            options.gpu_timeout = std::chrono::milliseconds(static_cast<long long>(*timeout * 1000));
            const auto facts = verify::probe_host(options);
            if (context.global.json)
                print_json(context.out, verify::host_to_json(facts));
            else
                render_host(facts, context.out);
            return ExitCode::ok;
        };
    });
}

}  // namespace envpin::cli
