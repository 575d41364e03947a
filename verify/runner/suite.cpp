#include "verify/runner/suite.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <variant>

#include "base/strings.hpp"
#include "sys/file.hpp"
#include "sys/subreaper.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/checks/registry.hpp"
#include "verify/host/host_probe.hpp"
#include "verify/runner/check_runner.hpp"
#include "verify/runner/gpu_visibility.hpp"
#include "verify/runner/hints.hpp"
#include "verify/runner/train_probe_build.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

bool contains_name(std::span<const std::string_view> list, std::string_view name)
{
    return std::ranges::find(list, name) != list.end();
}

bool contains(const std::vector<std::string>& list, std::string_view name)
{
    return std::ranges::find(list, name) != list.end();
}

std::vector<std::string> project_names(const std::vector<ProjectCheck>& project_checks)
{
    std::vector<std::string> names;
    for (const auto& check : project_checks)
        names.push_back(std::string(project_check_prefix) + check.name);
    return names;
}

bool is_known(std::string_view name, const std::vector<std::string>& projects)
{
    return contains_name(suite_check_names(), name) || contains(projects, name) ||
           (selftest_enabled() && contains_name(selftest_check_names(), name));
}

std::string known_names(const std::vector<std::string>& projects)
{
    std::vector<std::string> names(suite_check_names().begin(), suite_check_names().end());
    names.insert(names.end(), projects.begin(), projects.end());
    return join(names, ", ");
}

CheckResult skipped(std::string name, std::string why)
{
    CheckResult result{.name = std::move(name), .status = CheckStatus::skip};
    result.detail = std::move(why);
    return result;
}

// The parameters every check child gets: device, timeout, host facts, the expected stack.
std::map<std::string, std::string> base_parameters(const SuiteRequest& request, const HostFacts& host)
{
    std::map<std::string, std::string> p;
    p[param::device] = std::string(to_string(request.device));
    p[param::timeout_ms] = std::to_string(request.timeout.count());
    p[param::host_facts] = host_to_json(host).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    p[param::gpu_count] = std::to_string(host.gpus.size());
    const auto& stack = request.stack;
    if (!stack.torch.empty())
        p[param::torch_version] = stack.torch;
    if (stack.min_driver)
        p[param::min_driver] = *stack.min_driver;
    if (!stack.arch_list.empty())
        p[param::arch_list] = join(stack.arch_list, " ");
    p[param::compat] = stack.minor_version_compat ? "minor-version" : "native";
    for (const auto& [name, version] : stack.distributions)
        p[std::string(param::distribution_prefix) + name] = version;
    if (request.references.bandwidth_gbps)
        p[param::bandwidth_gbps] = fmt::format("{}", *request.references.bandwidth_gbps);
    const auto& references = request.references;
    for (const auto& [key, value] : {std::pair{param::bf16_tflops, references.bf16_tflops},
                                     std::pair{param::tf32_tflops, references.tf32_tflops},
                                     std::pair{param::fp8_tflops, references.fp8_tflops},
                                     std::pair{param::fp32_tflops, references.fp32_tflops}})
        if (value)
            p[key] = fmt::format("{}", *value);
    for (const auto& [key, value] : request.parameters)
        p[key] = value;
    return p;
}

// A GPU check's result without starting its child (--device cpu, no driver or GPU, GPUs
// hidden from CUDA), or nullopt when it runs. With --device gpu a skip is the child's to say.
std::optional<CheckResult> gpu_check_without_child(const SuiteRequest& request, const GpuVisibility& visibility,
                                                   const std::string& name)
{
    if (request.device == Device::cpu)
        return skipped(name, "--device cpu: GPU checks do not run");
    if (visibility.verdict == GpuVisibilityVerdict::skip && request.device == Device::auto_select)
        return skipped(name, visibility.detail);
    if (visibility.verdict != GpuVisibilityVerdict::fail)
        return std::nullopt;
    CheckResult result{.name = name, .status = CheckStatus::fail};
    result.detail = visibility.detail;
    result.hint = visibility.hint;
    return result;
}

// Builds (or finds cached) the training probe; a result when the check cannot run.
std::optional<CheckResult> prepare_train(const SuiteRequest& request, std::map<std::string, std::string>& parameters,
                                         nlohmann::json& build_info)
{
    if (parameters.contains(param::train_binary))
        return std::nullopt;  // the caller brought its own probe
    const auto cache_root = request.cache_root.empty() ? fs::temp_directory_path() / "envpin-cache" : request.cache_root;
    TrainProbeRequest build{request.environment, request.torch_dir, cache_root, request.build_timeout, {}};
    if (request.on_step)
        build.on_build_start = [&request] {
            request.on_step("building the training probe against this environment's LibTorch (once per torch build)");
        };
    auto probe = prepare_train_probe(build);
    if (!probe) {
        if (probe.error().code == ErrorCode::not_found)
            return skipped("train", probe.error().message);
        CheckResult result{.name = "train", .status = CheckStatus::error};
        result.detail = "cannot build the training probe: " + probe.error().describe();
        result.hint = "The environment's LibTorch could not be compiled against (its headers, TorchConfig.cmake, or "
                      "the CUDA toolkit CMake needs to find for a CUDA torch): read the build log named above.";
        return result;
    }
    parameters[param::train_binary] = probe->binary.string();
    parameters[param::train_torch_dir] = probe->torch_dir.string();
    build_info = {{"binary", probe->binary.string()}, {"torch_dir", probe->torch_dir.string()},
                  {"key", probe->key},                {"built_now", probe->built_now},
                  {"build_ms", probe->build_ms}};
    return std::nullopt;
}

// After a check's child is gone: processes it left behind (re-parented to us) are ended, and
// a check that leaked any fails for it.
void end_leftovers(const sys::Subreaper& reaper, CheckResult& result, std::span<const pid_t> spare = {})
{
    const auto leftovers = reaper.end_adopted(spare);
    if (leftovers.empty())
        return;
    std::vector<std::string> pids;
    for (const auto pid : leftovers)
        pids.push_back(std::to_string(pid));
    result.measurements["leftover_pids"] = leftovers;
    result.detail += fmt::format("{}left {} process(es) running after it ended (killed: {})",
                                 result.detail.empty() ? "" : "; ", leftovers.size(), join(pids, " "));
    if (result.status == CheckStatus::pass || result.status == CheckStatus::skip) {
        result.status = CheckStatus::fail;
        result.hint = "A probe must not leave processes behind: something in the environment starts daemons or "
                      "background workers at import time.";
    }
}

// What one run shares between its checks.
struct RunFacts {
    const HostFacts& host;
    GpuVisibility visibility;
    const sys::Subreaper& reaper;
    fs::path executable;
    std::span<const pid_t> spare;  // children other threads run (the python check ahead)
};

// A project check in its own child: the command runs under the check's timeout there, and
// the watchdog here gives the child a little longer to report it.
CheckResult run_project(const SuiteRequest& request, const RunFacts& run, const std::string& name)
{
    const auto it = std::ranges::find_if(request.project_checks, [&](const ProjectCheck& check) {
        return std::string(project_check_prefix) + check.name == name;
    });
    const auto timeout = it->timeout.value_or(request.timeout);
    std::map<std::string, std::string> parameters{
        {param::project_name, name},
        {param::project_run, nlohmann::json(it->run).dump()},
        {param::project_directory, request.project_directory.string()},
        {param::project_timeout_ms, std::to_string(timeout.count())},
        {param::timeout_ms, std::to_string(timeout.count())},
    };
    CheckChild child{run.executable, ProbeRequest{"project", request.environment, std::move(parameters)},
                     timeout + std::chrono::seconds(5)};
    auto result = run_check_child(child);
    result.name = name;
    end_leftovers(run.reaper, result, run.spare);
    return result;
}

// What a check needs before its child starts: a result when it runs no child (skipped, failed
// for GPU visibility, no training probe), else the child to run.
std::variant<CheckResult, CheckChild> prepare_one(const SuiteRequest& request, const RunFacts& run,
                                                  const std::string& name, nlohmann::json& build_info)
{
    if (contains(request.skip, name))
        return skipped(name, "skipped on request (--skip)");
    if (is_gpu_check(name))
        if (auto result = gpu_check_without_child(request, run.visibility, name))
            return *result;
    auto parameters = base_parameters(request, run.host);
    if (name == "train")
        if (auto result = prepare_train(request, parameters, build_info))
            return *result;
    return CheckChild{run.executable, ProbeRequest{name, request.environment, std::move(parameters)}, request.timeout};
}

CheckResult run_one(const SuiteRequest& request, const RunFacts& run, const std::string& name)
{
    if (name.starts_with(project_check_prefix) && !contains(request.skip, name))
        return run_project(request, run, name);
    nlohmann::json build_info;
    auto prepared = prepare_one(request, run, name, build_info);
    if (auto* result = std::get_if<CheckResult>(&prepared))
        return std::move(*result);
    auto result = run_check_child(std::get<CheckChild>(prepared));
    end_leftovers(run.reaper, result, run.spare);
    if (!build_info.is_null())
        result.measurements["probe_build"] = build_info;
    return result;
}

// The python check, started beside the checks before it: its interpreter spends seconds of CPU
// importing torch while they run, then waits at the gate (a file this class makes when the
// suite reaches python's turn) before it trains, so its training never shares the GPU with a
// check that measures. The gate opens on every way out, so the child never waits for nothing.
class PythonAhead {
public:
    PythonAhead(const SuiteRequest& request, const RunFacts& run) : gate_(gate_path())
    {
        nlohmann::json unused;
        auto prepared = prepare_one(request, run, "python", unused);
        auto* child = std::get_if<CheckChild>(&prepared);
        if (child == nullptr)
            return;  // skipped: it runs in turn, without a child
        auto& parameters = child->request.parameters;
        parameters[param::python_gate] = gate_.string();
        parameters[param::python_gate_limit_ms] = std::to_string(request.timeout.count());
        parameters[param::timeout_ms] = std::to_string(2 * request.timeout.count());
        child->timeout = 2 * request.timeout;
        auto started = std::make_shared<std::promise<pid_t>>();
        auto pid = started->get_future();
        result_ = std::async(std::launch::async, [child = std::move(*child), started]() mutable {
            bool told = false;
            child.on_started = [&](pid_t value) {
                started->set_value(value);
                told = true;
            };
            auto result = run_check_child(child);
            if (!told)
                started->set_value(0);  // it never started: the result says why
            return result;
        });
        pid_ = pid.get();
    }
    PythonAhead(const PythonAhead&) = delete;
    PythonAhead& operator=(const PythonAhead&) = delete;
    ~PythonAhead()
    {
        if (!result_.valid())
            return;  // never started, or its result was taken (the gate was opened then)
        open_gate();
        result_.wait();
        std::error_code ec;
        fs::remove(gate_, ec);
    }

    [[nodiscard]] bool started() const { return result_.valid(); }
    // The pids other checks' leftover sweeps must spare while it runs.
    [[nodiscard]] std::span<const pid_t> spare() const { return result_.valid() && pid_ > 0 ? std::span(&pid_, 1) : std::span<const pid_t>{}; }
    // Opens the gate and waits for the check's result.
    [[nodiscard]] CheckResult result()
    {
        open_gate();
        auto result = result_.get();
        std::error_code ec;
        fs::remove(gate_, ec);
        return result;
    }

private:
    static fs::path gate_path()
    {
        static std::atomic<unsigned> counter{0};
        return fs::temp_directory_path() / fmt::format("envpin-python-gate-{}-{}", ::getpid(), counter++);
    }
    // The probe only looks for the file: an empty one, no write or sync.
    void open_gate() const { (void)std::ofstream(gate_); }

    fs::path gate_;
    std::future<CheckResult> result_;
    pid_t pid_ = 0;
};
void finish_hint(const SuiteRequest& request, CheckResult& result)
{
    if (result.status != CheckStatus::fail && result.status != CheckStatus::error)
        return;
    if (result.hint.empty())
        result.hint = hint_for(result.detail);
    result.hint = with_reset_suggestion(std::move(result.hint), request.reset_target);
}

CheckResult python_result(PythonAhead& python, const RunFacts& run)
{
    auto result = python.result();
    end_leftovers(run.reaper, result);
    return result;
}

HostFacts probe_host_for(const SuiteRequest& request, const fs::path& executable)
{
    if (request.host)
        return *request.host;
    HostProbeOptions options;
    options.envpin_executable = executable;
    options.gpu_timeout = std::min(request.timeout, std::chrono::milliseconds(30000));
    options.include_pythons = false;
    return probe_host(options);
}

}  // namespace

Expected<std::vector<std::string>> select_checks(const std::vector<std::string>& only,
                                                 const std::vector<std::string>& skip,
                                                 const std::vector<ProjectCheck>& project_checks)
{
    const auto projects = project_names(project_checks);
    for (const auto* list : {&only, &skip})
        for (const auto& name : *list)
            if (!is_known(name, projects))
                return fail(ErrorCode::bad_input, "unknown check '{}' in --{} (the checks are: {})", name,
                            list == &only ? "only" : "skip", known_names(projects));
    std::vector<std::string> selected;
    for (const auto name : suite_check_names())
        if (only.empty() || contains(only, name))
            selected.emplace_back(name);
    for (const auto& name : projects)
        if (only.empty() || contains(only, name))
            selected.push_back(name);
    for (const auto& name : only)  // self-tests, in the order asked
        if (!contains(selected, name))
            selected.push_back(name);
    return selected;
}

Expected<Report> run_suite(const SuiteRequest& request)
{
    std::error_code ec;
    if (!fs::exists(request.environment, ec))
        return fail(ErrorCode::not_found, "environment {} does not exist", request.environment.string());
    if (!fs::is_directory(request.environment, ec))
        return fail(ErrorCode::bad_input, "environment {} is not a directory", request.environment.string());
    const auto names = ENVPIN_TRY(select_checks(request.only, request.skip, request.project_checks));
    const auto executable = request.envpin_executable.empty() ? sys::self_executable() : request.envpin_executable;
    const Stopwatch clock;
    Report report;
    report.host = probe_host_for(request, executable);
    report.fingerprint = host_fingerprint(report.host, suite_version);
    report.context = capture_run_context(report.host);
    const sys::Subreaper reaper;
    RunFacts run{report.host, judge_gpu_visibility(report.host, visibility_variables_here()), reaper, executable, {}};
    std::optional<PythonAhead> python;
    if (contains(names, "python"))
        run.spare = python.emplace(request, run).spare();
    for (const auto& name : names) {
        if (request.on_check_start)
            request.on_check_start(name);
        auto result = name == "python" && python->started() ? python_result(*python, run) : run_one(request, run, name);
        if (name == "python")
            run.spare = {};
        finish_hint(request, result);
        if (request.on_check_done)
            request.on_check_done(result);
        report.checks.push_back(std::move(result));
    }
    report.passed = suite_passed(report.checks);
    report.duration_ms = clock.elapsed_ms();
    return report;
}

std::string_view to_string(Device device)
{
    switch (device) {
    case Device::cpu: return "cpu";
    case Device::gpu: return "gpu";
    case Device::auto_select: return "auto";
    }
    return "auto";
}

std::optional<Device> parse_device(std::string_view text)
{
    for (auto device : {Device::auto_select, Device::cpu, Device::gpu})
        if (to_string(device) == text)
            return device;
    return std::nullopt;
}

}  // namespace envpin::verify
