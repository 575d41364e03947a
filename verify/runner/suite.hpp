#pragma once
// The verify suite's runner: picks the checks, probes the host once, builds the training
// probe when needed, and runs each check in its own `envpin probe check` child under a
// watchdog, collecting a Report. Whatever a check does (fail, hang, crash, fork, flood), the
// suite goes on with the next one and no process of it outlives the suite.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
#include "verify/runner/report.hpp"

namespace envpin::verify {

enum class Device { auto_select, cpu, gpu };

// What the environment is supposed to be (from its lock or snapshot); every field may be
// empty, and the checks then say what they could not compare.
struct ExpectedStack {
    std::string torch;                       // "2.11.0+cu130"
    std::optional<std::string> min_driver;   // "580.65.06"
    std::vector<std::string> arch_list;      // "sm_75", ..., "sm_120", "compute_120"
    bool minor_version_compat = false;       // compat = "minor-version": no PTX JIT
    std::map<std::string, std::string> distributions;  // "nvidia-cudnn-cu13" -> "9.19.0.56"
};

// Reference figures of the GPU model, from the resolver's catalog, for the GPU checks.
struct GpuReferences {
    std::optional<double> bandwidth_gbps;  // HBM peak, GB/s
    std::optional<double> bf16_tflops;     // dense BF16 peak, TFLOP/s
    std::optional<double> tf32_tflops;     // dense TF32 peak, TFLOP/s
    std::optional<double> fp8_tflops;      // dense FP8 peak, TFLOP/s
    std::optional<double> fp32_tflops;     // plain FP32 peak, TFLOP/s
};

// A project's own check ([verify] checks in envpin.toml), run like the built-in ones: in its
// own `envpin probe check` child under the watchdog, recorded as "project:<name>".
struct ProjectCheck {
    std::string name;              // "smoke"
    std::vector<std::string> run;  // argv; a leading "python" is the environment's own
    std::optional<std::chrono::milliseconds> timeout;  // nullopt: the suite's per-check timeout
};

// How a project check is named in reports, JUnit, --only and --skip: "project:smoke".
inline constexpr std::string_view project_check_prefix = "project:";

struct SuiteRequest {
    std::filesystem::path environment;        // the virtual environment's root
    std::filesystem::path envpin_executable;  // the probe children; empty: this executable
    std::vector<std::string> only;            // --only: these checks, nothing else
    std::vector<std::string> skip;            // --skip: reported as skipped on request
    std::chrono::milliseconds timeout{120000};                // per check
    std::chrono::milliseconds build_timeout{20 * 60 * 1000};  // first build of the training probe
    Device device = Device::auto_select;
    ExpectedStack stack;
    GpuReferences references;
    std::filesystem::path cache_root;                 // $ENVPIN_HOME/cache (training probe builds)
    std::optional<std::filesystem::path> torch_dir;   // LibTorch when the environment has none
    std::map<std::string, std::string> parameters;    // extra ProbeRequest parameters; override the above
    std::optional<HostFacts> host;                    // probed (in a child) when absent
    std::optional<std::string> reset_target;          // "NAME@N" that passed on this host, for hints
    std::vector<ProjectCheck> project_checks;         // run after the built-in checks, in this order
    std::filesystem::path project_directory;          // where project checks run (envpin.toml's directory)
    std::function<void(std::string_view check)> on_check_start;
    std::function<void(std::string_view step)> on_step;  // a long step inside a check (the probe build)
    std::function<void(const CheckResult&)> on_check_done;
};

// The checks to run, in suite order and then the project checks ("project:<name>", those of
// `project_checks`), from --only (empty: all) minus nothing: --skip'ed ones stay in the list
// and are reported as skipped. bad_input naming an unknown check (self-test checks are known
// only with ENVPIN_PROBE_SELFTEST=1 set).
[[nodiscard]] Expected<std::vector<std::string>> select_checks(const std::vector<std::string>& only,
                                                               const std::vector<std::string>& skip,
                                                               const std::vector<ProjectCheck>& project_checks = {});

// Runs the suite. Fails only on bad input (unknown check: bad_input; missing environment:
// not_found) or when nothing can run; failed checks are part of the Report.
[[nodiscard]] Expected<Report> run_suite(const SuiteRequest& request);

// "auto" | "cpu" | "gpu".
[[nodiscard]] std::string_view to_string(Device device);
[[nodiscard]] std::optional<Device> parse_device(std::string_view text);

}  // namespace envpin::verify
