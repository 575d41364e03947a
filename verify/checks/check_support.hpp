#pragma once
// Helpers shared by the checks that run inside `envpin probe check`: findings that combine
// into one CheckResult, a stopwatch, and the parameter names the runner sends.
#include <chrono>
#include <string>
#include <vector>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

// ProbeRequest parameter keys the suite runner fills (verify/runner/suite.cpp) and checks read.
namespace param {
inline constexpr const char* device = "device";              // "auto" | "cpu" | "gpu"
inline constexpr const char* timeout_ms = "timeout_ms";      // the watchdog's limit for this check
inline constexpr const char* host_facts = "host_facts";      // host --json of the parent's probe
inline constexpr const char* gpu_count = "gpu_count";        // GPUs in host_facts
inline constexpr const char* min_driver = "min_driver";      // "580.65.06"
inline constexpr const char* compat = "compat";              // "native" | "minor-version"
inline constexpr const char* torch_version = "torch_version";  // "2.11.0+cu130"
inline constexpr const char* arch_list = "torch_arch_list";  // "sm_75 sm_80 ... sm_120"
// "none": a managed environment that never held torch (`envpin create --torch none`, or an
// adopted environment without one); the python check then proves only that Python starts.
inline constexpr const char* torch_stack = "torch_stack";
inline constexpr const char* distribution_prefix = "dist:";  // "dist:nvidia-nccl-cu13" = "2.28.9"
inline constexpr const char* bandwidth_gbps = "reference_bandwidth_gbps";
inline constexpr const char* bf16_tflops = "reference_bf16_tflops";
inline constexpr const char* tf32_tflops = "reference_tf32_tflops";
inline constexpr const char* fp8_tflops = "reference_fp8_tflops";
inline constexpr const char* fp32_tflops = "reference_fp32_tflops";
inline constexpr const char* train_binary = "train_binary";  // the built training probe
inline constexpr const char* train_torch_dir = "train_torch_dir";  // the LibTorch it was built against
inline constexpr const char* sysroot = "sysroot";            // tests: prefix for /dev and /proc
// A project check: its name ("project:smoke"), command (a JSON array), directory and timeout.
inline constexpr const char* project_name = "project_name";
inline constexpr const char* project_run = "project_run";
inline constexpr const char* project_directory = "project_directory";
inline constexpr const char* project_timeout_ms = "project_timeout_ms";
// The python check started ahead of its turn: its probe imports torch at once and trains only
// once this file exists (the suite makes it when the checks before python are done), waiting at
// most python_gate_limit_ms.
inline constexpr const char* python_gate = "python_gate";
inline constexpr const char* python_gate_limit_ms = "python_gate_limit_ms";
}  // namespace param

// One thing a check looked at ("driver", "sm coverage", "libnccl"): checks collect findings
// and combine them, so a report says everything that is wrong, not only the first thing.
struct Finding {
    std::string name;
    CheckStatus status = CheckStatus::pass;
    std::string detail;
    std::string hint;  // what to do, for fail/error findings
};

// fail if any finding failed, else error if any errored, else pass if any passed, else skip.
// detail: the findings' "name: detail" joined with "; ", failures first; hint: the distinct
// hints of failed/errored findings. The findings go to measurements["findings"].
[[nodiscard]] CheckResult combine_findings(std::string check_name, const std::vector<Finding>& findings);

// Milliseconds since construction.
class Stopwatch {
public:
    [[nodiscard]] long long elapsed_ms() const
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_)
            .count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The limit for a grandchild (python, the training binary) inside a check child: a little
// under the check's own, so the inner watchdog fires first and names what hung.
[[nodiscard]] std::chrono::milliseconds inner_timeout(const ProbeRequest& request);

// "auto" | "cpu" | "gpu" from the request.
[[nodiscard]] std::string requested_device(const ProbeRequest& request);

}  // namespace envpin::verify
