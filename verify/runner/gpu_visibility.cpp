#include "verify/runner/gpu_visibility.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "verify/runner/run_context.hpp"

namespace envpin::verify {
namespace {

using Verdict = GpuVisibilityVerdict;

// "1 GPU (NVIDIA H200)", "2 GPUs (2x NVIDIA H100 80GB HBM3)".
std::string describe_gpus(const std::vector<GpuInfo>& gpus)
{
    std::vector<std::string> order;
    std::map<std::string, int> counts;
    for (const auto& gpu : gpus)
        if (counts[gpu.name]++ == 0)
            order.push_back(gpu.name);
    std::vector<std::string> names;
    for (const auto& name : order)
        names.push_back(counts[name] > 1 ? fmt::format("{}x {}", counts[name], name) : name);
    return fmt::format("{} GPU{} ({})", gpus.size(), gpus.size() == 1 ? "" : "s", join(names, ", "));
}

std::string cuda_count_text(int devices)
{
    return devices == 0 ? "none" : std::to_string(devices);
}

std::string quoted(const std::string& value)
{
    return fmt::format("\"{}\"", value);
}

// The MIG GPU that explains a shortfall: one with MIG mode on.
const GpuInfo* mig_gpu(const std::vector<GpuInfo>& gpus)
{
    const auto it = std::ranges::find_if(gpus, [](const GpuInfo& gpu) { return gpu.mig.value_or(false); });
    return it == gpus.end() ? nullptr : &*it;
}

GpuVisibility failure(std::string detail, std::string hint)
{
    return {Verdict::fail, std::move(detail), hint + "; to verify without GPUs, pass --device cpu"};
}

// NVML lists `gpus`, CUDA sees `devices`, fewer than `expected`: which cause to name.
GpuVisibility shortfall(const std::vector<GpuInfo>& gpus, int devices, long long expected,
                        const VisibilityVariables& variables)
{
    const auto seen = fmt::format("NVML sees {} but CUDA sees {}", describe_gpus(gpus), cuda_count_text(devices));
    const auto* mig = mig_gpu(gpus);
    const auto mig_note = mig == nullptr ? std::string()
                                         : fmt::format(" (GPU {} has MIG mode on: CUDA sees only its MIG instances)",
                                                       mig->index);
    if (variables.cuda_visible_devices) {
        const auto& value = *variables.cuda_visible_devices;
        const bool hides_all = expected == 0;
        return failure(
            fmt::format("CUDA_VISIBLE_DEVICES is set to {}: {}{}{}", quoted(value), seen,
                        hides_all || static_cast<long long>(gpus.size()) == expected
                            ? std::string()
                            : fmt::format(", fewer than the {} it names", expected),
                        mig_note),
            hides_all ? "unset CUDA_VISIBLE_DEVICES or list the GPUs to test in it (`nvidia-smi -L` lists them)"
                      : "CUDA stops at the first entry of CUDA_VISIBLE_DEVICES it cannot match: list valid GPU "
                        "indices, GPU-/MIG- UUIDs (`nvidia-smi -L`), or unset it");
    }
    if (mig != nullptr)
        return failure(fmt::format("GPU {} ({}) has MIG mode on and CUDA sees no MIG instance of it{}: {}", mig->index,
                                   mig->name,
                                   mig->mig_instances ? " (" + describe_mig_instances(*mig->mig_instances) + ")" : "",
                                   seen),
                       "create a GPU instance with a compute instance (`sudo nvidia-smi mig -cgi <profile> -C`), or "
                       "name an existing one in CUDA_VISIBLE_DEVICES=MIG-<uuid> (`nvidia-smi -L` lists them); or "
                       "turn MIG mode off (`sudo nvidia-smi -i N -mig 0`)");
    if (variables.nvidia_visible_devices)
        return failure(fmt::format("NVIDIA_VISIBLE_DEVICES is set to {}: {}", quoted(*variables.nvidia_visible_devices),
                                   seen),
                       "the container runtime gives the container the GPUs NVIDIA_VISIBLE_DEVICES names: start it "
                       "with the GPUs to test (`docker run --gpus all`, NVIDIA_VISIBLE_DEVICES=all)");
    return failure(seen + "; CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES are unset",
                   "CUDA cannot open GPUs the driver lists: check that this user may open /dev/nvidia* (the "
                   "`video` group, the container's device list) and look for Xid errors in `dmesg`");
}

GpuVisibility no_gpu(const std::string& why)
{
    return {Verdict::skip, "no GPU visible" + (why.empty() ? std::string() : " (" + why + ")"), ""};
}

}  // namespace

GpuVisibility judge_gpu_visibility(bool driver, const std::optional<NvmlSight>& nvml, const CudaSight& cuda,
                                   const VisibilityVariables& variables)
{
    if (!driver)
        return {Verdict::skip, "no NVIDIA driver on this host", ""};
    if (!nvml)  // nothing to compare with: CUDA's own count decides
        return cuda.devices.value_or(0) > 0 ? GpuVisibility{} : no_gpu(cuda.problem);
    if (nvml->gpus.empty()) {
        if (variables.nvidia_visible_devices)
            return failure(fmt::format("NVIDIA_VISIBLE_DEVICES is set to {}: the NVIDIA driver runs but NVML sees no "
                                       "GPU",
                                       quoted(*variables.nvidia_visible_devices)),
                           "the container runtime gives the container the GPUs NVIDIA_VISIBLE_DEVICES names: start "
                           "it with the GPUs to test (`docker run --gpus all`, NVIDIA_VISIBLE_DEVICES=all)");
        return no_gpu("NVML lists none");
    }
    if (!cuda.devices)
        return {};
    const auto expected = visible_gpu_count(static_cast<long long>(nvml->gpus.size()), variables.cuda_visible_devices);
    // A MIG GPU shows CUDA its instances, not itself: only their total absence is judged.
    const auto enough = mig_gpu(nvml->gpus) != nullptr ? std::min(expected, 1LL) : expected;
    // None at all fails even when CUDA_VISIBLE_DEVICES asks for it: nothing would be proven.
    if (*cuda.devices > 0 && *cuda.devices >= enough)
        return {};
    return shortfall(nvml->gpus, *cuda.devices, expected, variables);
}

GpuVisibility judge_gpu_visibility(const HostFacts& host, const VisibilityVariables& variables)
{
    std::optional<NvmlSight> nvml;
    if (host.gpu_source == "nvml")
        nvml = NvmlSight{host.gpus};
    // Without NVML, the GPU probe's own problem says most (both libraries' errors).
    const CudaSight cuda{host.cuda_devices, host.gpu_problem.value_or(host.cuda_problem.value_or(""))};
    return judge_gpu_visibility(host.driver.has_value(), nvml, cuda, variables);
}

std::string describe_mig_instances(const std::vector<MigInstance>& instances)
{
    if (instances.empty())
        return "no instances";
    std::vector<std::string> named;
    for (const auto& instance : instances)
        named.push_back(fmt::format("{} {} MiB", instance.uuid.empty() ? fmt::format("#{}", instance.index) : instance.uuid,
                                    instance.memory_mib));
    return fmt::format("{} instance{}: {}", instances.size(), instances.size() == 1 ? "" : "s", join(named, ", "));
}

std::string describe_mig_mode(const GpuInfo& gpu)
{
    if (!gpu.mig)
        return "";
    if (!*gpu.mig)
        return "MIG off";
    return gpu.mig_instances ? fmt::format("MIG on ({})", describe_mig_instances(*gpu.mig_instances)) : "MIG on";
}

std::vector<MigInstance> mig_instances_named(const GpuInfo& gpu, const std::optional<std::string>& cuda_visible_devices)
{
    std::vector<MigInstance> named;
    if (!cuda_visible_devices || !gpu.mig_instances)
        return named;
    const auto entries = split(*cuda_visible_devices, ',');
    const auto names = [&](const MigInstance& instance) {
        return std::ranges::any_of(entries, [&](std::string_view entry) {
            entry = trim(entry);
            return entry.size() > 4 && entry.starts_with("MIG-") && !instance.uuid.empty() &&
                   std::string_view(instance.uuid).starts_with(entry);
        });
    };
    for (const auto& instance : *gpu.mig_instances)
        if (names(instance))
            named.push_back(instance);
    return named;
}

VisibilityVariables visibility_variables_here()
{
    const auto read = [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name);
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
    };
    return {read("CUDA_VISIBLE_DEVICES"), read("NVIDIA_VISIBLE_DEVICES")};
}

}  // namespace envpin::verify
