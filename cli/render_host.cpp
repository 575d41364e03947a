#include "cli/render_host.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "verify/runner/gpu_visibility.hpp"

namespace envpin::cli {
namespace {

void row(std::ostream& out, std::string_view label, std::string_view value)
{
    fmt::print(out, "{:<17}{}\n", label, value);
}

std::string mig_text(const GpuInfo& gpu)
{
    const auto text = verify::describe_mig_mode(gpu);
    return text.empty() ? text : "  " + text;
}

}  // namespace

void render_host(const HostFacts& facts, std::ostream& out)
{
    if (facts.driver)
        row(out, "NVIDIA driver", fmt::format("{}  (from {})", *facts.driver, facts.driver_source));
    else
        row(out, "NVIDIA driver", facts.driver_source == "ENVPIN_DRIVER_VERSION"
                                      ? "none (ENVPIN_DRIVER_VERSION=none)"
                                      : "none found: this machine runs CPU-only stacks "
                                        "(resolve for another host with --driver and --gpu)");
    row(out, "CUDA driver API", facts.cuda_driver_api.value_or("-"));
    for (const auto& gpu : facts.gpus)
        row(out, fmt::format("GPU {}", gpu.index),
            fmt::format("{}  sm_{}{}  {} MiB{}  {}", gpu.name, gpu.cc.major, gpu.cc.minor,
                        gpu.memory_mib, mig_text(gpu), gpu.uuid));
    if (facts.gpus.empty())
        row(out, "GPUs", facts.gpu_problem ? fmt::format("none ({})", *facts.gpu_problem) : "none");
    for (const auto& toolkit : facts.toolkits)
        row(out, "CUDA toolkit", fmt::format("{}  {}", toolkit.version, toolkit.path));
    if (facts.toolkits.empty())
        row(out, "CUDA toolkit", "none found");
    for (const auto& python : facts.pythons)
        row(out, "Python", fmt::format("{}  {}", python.version, python.path));
    row(out, "glibc", facts.glibc);
    row(out, "arch", facts.arch);
    row(out, "OS", facts.os);
}

}  // namespace envpin::cli
