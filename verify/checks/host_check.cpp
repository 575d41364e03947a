// The `host` check: is this machine able to run the environment's stack at all? Driver
// version against the stack's minimum, every GPU's compute capability against the torch
// build's arch list, LD_LIBRARY_PATH shadowing, Fabric Manager on NVSwitch systems, MIG.
#include <cstdlib>

#include "base/strings.hpp"
#include "resolver/driver_version.hpp"
#include "sys/file.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/arch_coverage.hpp"
#include "verify/host/gpu_health.hpp"
#include "verify/host/host_facts_json.hpp"
#include "verify/host/host_probe.hpp"
#include "verify/host/shadowing.hpp"
#include "verify/runner/gpu_visibility.hpp"
#include "verify/runner/hints.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

HostFacts host_facts_for(const ProbeRequest& request)
{
    if (const auto text = request.parameter(param::host_facts)) {
        const auto document = nlohmann::json::parse(*text, nullptr, false);
        if (auto facts = host_facts_from_json(document))
            return *facts;
    }
    HostProbeOptions options;
    options.envpin_executable = sys::self_executable();
    options.gpu_timeout = inner_timeout(request);
    options.include_pythons = false;
    options.include_toolkits = false;
    return probe_host(options);
}

Finding driver_finding(const HostFacts& facts, const ProbeRequest& request)
{
    Finding f{"driver"};
    if (!facts.driver) {
        f.status = requested_device(request) == "gpu" ? CheckStatus::fail : CheckStatus::skip;
        f.detail = "no NVIDIA driver on this host";
        if (facts.gpu_problem && f.status == CheckStatus::fail)
            f.detail += " (" + *facts.gpu_problem + ")";
        f.hint = "Install the NVIDIA driver, or run verify with --device cpu on a machine without a GPU.";
        return f;
    }
    const auto minimum_text = request.parameter(param::min_driver);
    if (!minimum_text || minimum_text->empty()) {
        f.detail = *facts.driver + " (the stack states no minimum)";
        return f;
    }
    const auto have = DriverVersion::parse(*facts.driver);
    const auto need = DriverVersion::parse(*minimum_text);
    if (!have || !need) {
        f.status = CheckStatus::error;
        f.detail = fmt::format("cannot compare driver {} with the minimum {}", *facts.driver, *minimum_text);
        return f;
    }
    const auto torch_version = request.parameter(param::torch_version);
    const auto torch = torch_version ? "torch " + *torch_version : std::string("the environment's CUDA");
    if (*have < *need) {
        f.status = CheckStatus::fail;
        f.detail = fmt::format("{} < {} required by {}", *facts.driver, *minimum_text, torch);
        f.hint = hint_for("CUDA driver version is insufficient");
        return f;
    }
    f.detail = fmt::format("{} >= {} required by {}", *facts.driver, *minimum_text, torch);
    return f;
}

// "GPU N health": NVML's readings, failing only on a hard fault; none when nothing was read.
std::optional<Finding> health_finding(const GpuInfo& gpu)
{
    const auto verdict = judge_gpu_health(gpu.health);
    if (!verdict.read_anything)
        return std::nullopt;
    Finding f{fmt::format("GPU {} health", gpu.index)};
    auto said = verdict.faults;
    said.insert(said.end(), verdict.notes.begin(), verdict.notes.end());
    f.detail = join(said, "; ");
    if (!verdict.faults.empty()) {
        f.status = CheckStatus::fail;
        f.hint = "A fault of the GPU, not of the environment: drain it and reset it (nvidia-smi -r -i " +
                 std::to_string(gpu.index) + "), and have it serviced if the fault comes back.";
    }
    return f;
}

// What CUDA_VISIBLE_DEVICES picks of a MIG GPU's instances, in words.
std::string mig_selection(const GpuInfo& gpu, const std::optional<std::string>& cuda_visible_devices)
{
    if (!cuda_visible_devices)
        return "CUDA_VISIBLE_DEVICES is unset: it names none of them, and CUDA enumerates the instances this process "
               "may use";
    const auto named = mig_instances_named(gpu, cuda_visible_devices);
    if (named.empty())
        return fmt::format("CUDA_VISIBLE_DEVICES=\"{}\" names none of them", *cuda_visible_devices);
    std::vector<std::string> uuids;
    for (const auto& instance : named)
        uuids.push_back(instance.uuid);
    return fmt::format("CUDA_VISIBLE_DEVICES selects {}", join(uuids, ", "));
}

// "GPU N MIG": the instances and which of them CUDA_VISIBLE_DEVICES selects. Reported, never
// failed: whether CUDA sees an instance at all is judge_gpu_visibility's rule (the GPU checks).
Finding mig_finding(const GpuInfo& gpu, const std::optional<std::string>& cuda_visible_devices)
{
    Finding f{fmt::format("GPU {} MIG", gpu.index)};
    constexpr std::string_view nccl = "NCCL does not run across instances";
    if (!gpu.mig_instances)
        f.detail = fmt::format("MIG mode is on: CUDA sees only the MIG instances named in CUDA_VISIBLE_DEVICES, and {}",
                               nccl);
    else if (gpu.mig_instances->empty())
        f.detail = "MIG mode is on and the GPU has no MIG instance: CUDA cannot run on it until one is created";
    else
        f.detail = fmt::format("MIG mode is on with {}; {}; {}", describe_mig_instances(*gpu.mig_instances),
                               mig_selection(gpu, cuda_visible_devices), nccl);
    return f;
}

std::vector<Finding> gpu_findings(const HostFacts& facts, const ProbeRequest& request)
{
    std::vector<Finding> findings;
    if (facts.driver && facts.gpus.empty()) {
        const bool want_gpu = requested_device(request) == "gpu";
        findings.push_back({"gpus", want_gpu ? CheckStatus::fail : CheckStatus::skip,
                            "no GPU visible" + (facts.gpu_problem ? ": " + *facts.gpu_problem : std::string()),
                            hint_for(facts.gpu_problem.value_or(""))});
        return findings;
    }
    const auto arch_text = request.parameter(param::arch_list).value_or("");
    const auto arch_list = split_arch_list(arch_text);
    const bool ptx_allowed = request.parameter(param::compat).value_or("native") != "minor-version";
    for (const auto& gpu : facts.gpus) {
        Finding f{fmt::format("GPU {}", gpu.index)};
        const auto sm = fmt::format("sm_{}{}", gpu.cc.major, gpu.cc.minor);
        if (arch_list.empty()) {
            f.status = CheckStatus::skip;
            f.detail = fmt::format("{} {}: the stack's arch list is unknown", gpu.name, sm);
        } else if (const auto arch = covering_arch(arch_list, gpu.cc, ptx_allowed)) {
            f.detail = fmt::format("{} {} runs the build's {}", gpu.name, sm, *arch);
        } else {
            f.status = CheckStatus::fail;
            f.detail = fmt::format("{} {} is not covered by the build's arch list ({}){}", gpu.name, sm,
                                   join(arch_list, " "),
                                   ptx_allowed ? "" : "; PTX cannot be used under minor-version compatibility");
            f.hint = hint_for("no kernel image is available");
        }
        findings.push_back(std::move(f));
        if (auto health = health_finding(gpu))
            findings.push_back(std::move(*health));
        if (gpu.mig.value_or(false))
            findings.push_back(mig_finding(gpu, visibility_variables_here().cuda_visible_devices));
    }
    return findings;
}

Finding shadowing_finding(const fs::path& environment)
{
    Finding f{"LD_LIBRARY_PATH"};
    const char* value = std::getenv("LD_LIBRARY_PATH");
    if (value == nullptr || *value == '\0') {
        f.detail = "not set";
        return f;
    }
    const auto copies = find_shadowing(environment, value);
    if (copies.empty()) {
        f.detail = "no entry holds another copy of the environment's CUDA libraries";
        return f;
    }
    std::vector<std::string> named;
    for (const auto& copy : copies)
        named.push_back(fmt::format("{} in {}", copy.library, copy.directory.string()));
    f.status = CheckStatus::fail;
    f.detail = "shadows the environment's own " + join(named, ", ");
    f.hint = "LD_LIBRARY_PATH is searched before the environment's own nvidia-* libraries: remove those "
             "directories from LD_LIBRARY_PATH (or unset it) before running the environment.";
    return f;
}

bool has_nvswitch(const fs::path& root)
{
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "dev", ec))
        if (entry.path().filename().string().starts_with("nvidia-nvswitch"))
            return true;
    return !fs::is_empty(root / "proc/driver/nvidia-nvswitch/devices", ec) && !ec;
}

// The pid of a running nv-fabricmanager ("nv-fabricmanage": comm is cut to 15 characters).
std::optional<std::string> fabric_manager_pid(const fs::path& root)
{
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "proc", ec)) {
        auto pid = entry.path().filename().string();
        if (!all_digits(pid))
            continue;
        if (auto comm = sys::read_file(entry.path() / "comm", 256); comm && trim(*comm).starts_with("nv-fabricmanage"))
            return pid;
    }
    return std::nullopt;
}

std::optional<Finding> fabric_manager_finding(const fs::path& root)
{
    if (!has_nvswitch(root))
        return std::nullopt;
    Finding f{"Fabric Manager"};
    if (const auto pid = fabric_manager_pid(root)) {
        f.detail = "NVSwitch present, nv-fabricmanager running (pid " + *pid + ")";
        return f;
    }
    std::error_code ec;
    if (fs::exists(root / ".dockerenv", ec) || fs::exists(root / "run/.containerenv", ec)) {
        f.status = CheckStatus::skip;
        f.detail = "NVSwitch present, but the host's processes are not visible from this container";
        return f;
    }
    f.status = CheckStatus::fail;
    f.detail = "NVSwitch present but nv-fabricmanager is not running: CUDA will fail with error 802";
    f.hint = hint_for("system not yet initialized");
    return f;
}

}  // namespace

CheckResult run_host_check(const ProbeRequest& request)
{
    Stopwatch clock;
    const auto facts = host_facts_for(request);
    const fs::path root = request.parameter(param::sysroot).value_or("/");
    std::vector<Finding> findings{driver_finding(facts, request)};
    for (auto& f : gpu_findings(facts, request))
        findings.push_back(std::move(f));
    findings.push_back(shadowing_finding(request.environment));
    if (auto f = fabric_manager_finding(root))
        findings.push_back(std::move(*f));
    auto result = combine_findings("host", findings);
    result.measurements["driver"] = facts.driver ? nlohmann::json(*facts.driver) : nlohmann::json(nullptr);
    result.measurements["gpus"] = host_to_json(facts)["gpus"];
    result.duration_ms = clock.elapsed_ms();
    return result;
}

}  // namespace envpin::verify
