#pragma once
// The one table of verify's checks: each check's name, what it proves, the function its
// `envpin probe check` child runs, and whether it needs a GPU that CUDA can see. The suite runs
// them in this order; the probe child finds its function here. Each check lives in its own
// file, verify/checks/<name>_check.cpp. See docs/VERIFY.md.
#include <span>
#include <string_view>

#include "verify/runner/check_result.hpp"

namespace envpin::verify {

using CheckFunction = CheckResult (*)(const ProbeRequest& request);

struct CheckEntry {
    std::string_view name;    // "kernels", "cublas", ...: ProbeRequest::check
    std::string_view summary; // one line, for listings
    CheckFunction run = nullptr;
    bool needs_gpu = false;   // kernels, cublas, cudnn, nccl: skipped or failed without one
};

// The suite's checks, in the order it runs them.
[[nodiscard]] std::span<const CheckEntry> suite_checks();
// Their names, in that order.
[[nodiscard]] std::span<const std::string_view> suite_check_names();
// Whether `name` is a suite check that needs a GPU.
[[nodiscard]] bool is_gpu_check(std::string_view name);

// What a probe child may be asked to run: a suite check, "project" (one project check), or a
// self-test while ENVPIN_PROBE_SELFTEST=1. nullptr for any other name.
[[nodiscard]] CheckFunction find_check_function(std::string_view name);

// Self-test checks (probes that misbehave on purpose, for the watchdog's tests): only while
// ENVPIN_PROBE_SELFTEST=1.
[[nodiscard]] bool selftest_enabled();
[[nodiscard]] std::span<const std::string_view> selftest_check_names();

// host and libs: the host probe's facts and the environment's own CUDA libraries, no GPU.
CheckResult run_host_check(const ProbeRequest& request);
CheckResult run_libs_check(const ProbeRequest& request);

// Embedded kernels through the driver API: vector add, memory pattern test, copy bandwidth
// (parameters reference_bandwidth_gbs, bandwidth_floor = 0.75, memory_fraction = 0.9,
// copy_mib = 1024, repeats = 10), exact reduction; pinned and pageable host<->device copies
// against the PCIe link's peak from host_facts (host_copy_mib = 256, host_copy_repeats = 5,
// host_copy_floor = 0.3). Value: the slowest GPU's copy GB/s.
CheckResult run_kernels_check(const ProbeRequest& request);

// cuBLAS BF16, TF32 and strict FP32 GEMMs, and FP8 through cuBLASLt on sm_89+, against a host
// reference, bit-repeatability, TFLOP/s (parameters reference_{bf16,tf32,fp32,fp8}_tflops,
// tflops_floor = 0.6, gemm_size = 8192, repeats = 10, samples = 256), the SM clock meanwhile.
// Value: the slowest GPU's BF16 TFLOP/s.
CheckResult run_cublas_check(const ProbeRequest& request);

// cuDNN convolution forward, backward data and backward filter (fp32) against a direct CPU
// reference. Value: the largest relative error; above 1e-3 fails.
CheckResult run_cudnn_check(const ProbeRequest& request);

// NCCL all-reduce (sum) across every visible GPU in this process: no wrong element, algbw and
// bus bandwidth (parameters reference_busbw_gbs, busbw_floor = 0.7, max_mib = 1024).
// Value: bus bandwidth in GB/s, or algbw with one GPU.
CheckResult run_nccl_check(const ProbeRequest& request);

// train: the LibTorch training probe; python: the environment's own interpreter and torch;
// project: one of the project's own checks; the self-tests.
CheckResult run_train_check(const ProbeRequest& request);
CheckResult run_python_check(const ProbeRequest& request);
CheckResult run_project_check(const ProbeRequest& request);
CheckResult run_selftest_check(const ProbeRequest& request);

} // namespace envpin::verify
