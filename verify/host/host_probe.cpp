#include "verify/host/host_probe.hpp"

#include <gnu/libc-version.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <regex>
#include <set>

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "sys/process.hpp"
#include "verify/host/gpu_probe.hpp"
#include "verify/host/host_files.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

struct DriverReading {
    std::optional<std::string> version;
    std::string source;
};

std::optional<std::string> read_and_parse(const fs::path& path,
                                          std::optional<std::string> (*parse)(std::string_view))
{
    auto text = sys::read_file(path, 16u << 20);  // cuda.h is over 1 MB
    return text ? parse(*text) : std::nullopt;
}

// The driver from files and overrides, before any library is touched.
std::optional<DriverReading> driver_from_files()
{
    if (const char* forced = std::getenv("ENVPIN_DRIVER_VERSION"); forced != nullptr && *forced) {
        if (std::string_view(forced) == "none")
            return DriverReading{std::nullopt, "ENVPIN_DRIVER_VERSION"};
        return DriverReading{std::string(trim(forced)), "ENVPIN_DRIVER_VERSION"};
    }
    if (auto v = read_and_parse("/sys/module/nvidia/version", parse_sys_module_version))
        return DriverReading{v, "/sys/module/nvidia/version"};
    if (auto v = read_and_parse("/proc/driver/nvidia/version", parse_proc_driver_version))
        return DriverReading{v, "/proc/driver/nvidia/version"};
    return std::nullopt;
}

std::optional<std::string> driver_from_nvidia_smi()
{
    if (!sys::find_on_path("nvidia-smi"))
        return std::nullopt;
    sys::ProcessSpec spec;
    spec.argv = {"nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"};
    spec.timeout = std::chrono::seconds(10);
    auto result = sys::run_process(spec);
    if (!result || !result->success())
        return std::nullopt;
    return parse_nvidia_smi_driver(result->out);
}

// The child prints NVML's report, then the same with what the driver API sees: the last line
// that parses is the answer (NVML's alone when cuInit hung).
std::optional<GpuProbeReport> last_report(std::string_view out)
{
    std::optional<GpuProbeReport> last;
    for (const auto line : split(out, '\n'))
        if (auto parsed = parse_gpu_probe_report(line))
            last = std::move(*parsed);
    return last;
}

GpuProbeReport run_gpu_probe_child(const HostProbeOptions& options)
{
    sys::ProcessSpec spec;
    spec.argv = {options.envpin_executable.string(), "probe", "gpus"};
    spec.timeout = options.gpu_timeout;
    auto result = sys::run_process(spec);
    GpuProbeReport report;
    if (!result) {
        report.problem = "cannot start the GPU probe: " + result.error().message;
        return report;
    }
    if (auto nvml_only = last_report(result->out); nvml_only && !result->success() && nvml_only->source == "nvml") {
        if (!nvml_only->cuda_devices && !nvml_only->cuda_problem)
            nvml_only->cuda_problem = fmt::format("cuInit did not return ({})", result->describe_status());
        return *nvml_only;
    }
    if (!result->success()) {
        report.problem = fmt::format("the GPU probe failed ({}){}", result->describe_status(),
                                     result->timed_out ? ": cuInit or NVML hung" : "");
        return report;
    }
    if (auto parsed = last_report(result->out))
        return *parsed;
    report.problem = "the GPU probe printed no report";
    return report;
}

std::optional<std::string> toolkit_version(const fs::path& root)
{
    if (auto v = read_and_parse(root / "version.json", parse_cuda_version_json))
        return v;
    return read_and_parse(root / "include" / "cuda.h", parse_cuda_header_version);
}

std::vector<ToolkitInfo> find_toolkits()
{
    std::set<fs::path> roots;
    for (const char* variable : {"CUDA_HOME", "CUDA_PATH"})
        if (const char* value = std::getenv(variable); value != nullptr && *value)
            roots.insert(value);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/local", ec)) {
        const auto name = entry.path().filename().string();
        if (name == "cuda" || name.starts_with("cuda-"))
            roots.insert(entry.path());
    }
    std::vector<ToolkitInfo> toolkits;
    std::set<fs::path> seen;
    for (const auto& root : roots) {
        const auto canonical = fs::weakly_canonical(root, ec);
        if (ec || !seen.insert(canonical).second)
            continue;
        if (auto version = toolkit_version(canonical))
            toolkits.push_back({canonical.string(), *version});
    }
    return toolkits;
}

std::optional<std::string> python_version(const fs::path& interpreter)
{
    sys::ProcessSpec spec;
    spec.argv = {interpreter.string(), "--version"};
    spec.timeout = std::chrono::seconds(10);
    auto result = sys::run_process(spec);
    if (!result || !result->success())
        return std::nullopt;
    // Python 2 printed its version on stderr.
    auto version = parse_python_version_output(result->out);
    return version ? version : parse_python_version_output(result->err);
}

// python3 and python3.N on PATH as the shell would find them (the first of each name wins),
// one entry per real file. Versions are asked for in parallel: pyenv shims take ~0.1 s each.
std::vector<PythonInfo> find_pythons()
{
    static const std::regex name_pattern(R"(python3(\.[0-9]+)?)");
    std::vector<fs::path> interpreters;
    std::set<std::string> seen_names;
    std::set<fs::path> seen_files;
    const char* path_variable = std::getenv("PATH");
    for (auto directory : split(path_variable ? path_variable : "", ':')) {
        std::error_code ec;
        std::vector<fs::path> candidates;
        for (const auto& entry : fs::directory_iterator(fs::path(directory), ec))
            if (std::regex_match(entry.path().filename().string(), name_pattern))
                candidates.push_back(entry.path());
        std::ranges::sort(candidates);
        for (const auto& candidate : candidates) {
            const auto name = candidate.filename().string();
            const auto real = fs::canonical(candidate, ec);
            if (ec || seen_names.contains(name) || !seen_files.insert(real).second)
                continue;
            seen_names.insert(name);
            interpreters.push_back(candidate);
        }
    }
    std::vector<std::future<std::optional<std::string>>> versions;
    for (const auto& interpreter : interpreters)
        versions.push_back(std::async(std::launch::async, python_version, interpreter));
    std::vector<PythonInfo> pythons;
    for (size_t i = 0; i < interpreters.size(); ++i)
        if (auto version = versions[i].get())
            pythons.push_back({interpreters[i].string(), *version});
    return pythons;
}

void fill_platform(HostFacts& facts)
{
    utsname names{};
    if (::uname(&names) == 0)
        facts.arch = names.machine;
    facts.glibc = gnu_get_libc_version();
    facts.os = read_and_parse("/etc/os-release", parse_os_release).value_or("unknown");
}

}  // namespace

HostFacts probe_host(const HostProbeOptions& options)
{
    HostFacts facts;
    fill_platform(facts);
    const auto from_files = driver_from_files();
    const bool forced_no_driver = from_files && from_files->source == "ENVPIN_DRIVER_VERSION" &&
                                  !from_files->version;
    if (from_files) {
        facts.driver = from_files->version;
        facts.driver_source = from_files->source;
    }
    if (!forced_no_driver) {
        auto report = run_gpu_probe_child(options);
        facts.gpus = std::move(report.gpus);
        facts.gpu_source = report.source;
        facts.gpu_problem = report.problem;
        facts.cuda_driver_api = report.cuda_driver_api;
        facts.cuda_devices = report.cuda_devices;
        facts.cuda_problem = report.cuda_problem;
        if (!facts.driver && report.driver) {
            facts.driver = report.driver;
            facts.driver_source = "nvml";
        }
        if (!facts.driver) {
            facts.driver = driver_from_nvidia_smi();
            if (facts.driver)
                facts.driver_source = "nvidia-smi";
        }
    }
    if (options.include_toolkits)
        facts.toolkits = find_toolkits();
    if (options.include_pythons)
        facts.pythons = find_pythons();
    return facts;
}

nlohmann::json host_to_json(const HostFacts& facts)
{
    const auto optional = [](const std::optional<std::string>& value) {
        return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    };
    auto gpus = nlohmann::json::array();
    for (const auto& gpu : facts.gpus)
        gpus.push_back(gpu_to_json(gpu));
    auto toolkits = nlohmann::json::array();
    for (const auto& toolkit : facts.toolkits)
        toolkits.push_back({{"path", toolkit.path}, {"version", toolkit.version}});
    auto pythons = nlohmann::json::array();
    for (const auto& python : facts.pythons)
        pythons.push_back({{"path", python.path}, {"version", python.version}});
    return {{"driver", optional(facts.driver)},
            {"driver_source", facts.driver_source},
            {"cuda_driver_api", optional(facts.cuda_driver_api)},
            {"gpus", gpus},
            {"gpu_source", facts.gpu_source},
            {"gpu_problem", optional(facts.gpu_problem)},
            {"cuda_devices", facts.cuda_devices ? nlohmann::json(*facts.cuda_devices) : nlohmann::json(nullptr)},
            {"cuda_problem", optional(facts.cuda_problem)},
            {"toolkits", toolkits},
            {"pythons", pythons},
            {"glibc", facts.glibc},
            {"arch", facts.arch},
            {"os", facts.os}};
}

}  // namespace envpin::verify
