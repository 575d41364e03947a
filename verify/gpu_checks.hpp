#pragma once
// The GPU compute checks of the verify suite. Each runs inside an `envpin probe check` child,
// loads the environment's own libraries, runs on every visible GPU, and returns its outcome as
// a value: pass, fail (ran, but results were wrong or too slow), skip (no driver, no GPU, no
// library: the detail says which) or error (a CUDA or library call failed: the detail names the
// call and the library's error text, the hint what to do). See docs/VERIFY.md.
#include <span>
#include <string_view>

#include "verify/check_entry.hpp"
#include "verify/check_result.hpp"

namespace envpin::verify {

// Embedded kernels through the driver API: vector add, memory pattern test, copy bandwidth
// (parameters reference_bandwidth_gbs, bandwidth_floor = 0.75, memory_fraction = 0.9,
// copy_mib = 1024, repeats = 10), exact reduction; pinned and pageable host<->device copies
// against the PCIe link's peak from host_facts (host_copy_mib = 256, host_copy_repeats = 5,
// host_copy_floor = 0.3). Value: the slowest GPU's copy GB/s.
[[nodiscard]] CheckResult check_kernels(const ProbeRequest& request);

// cuBLAS BF16 and TF32 GEMMs against a host reference, bit-repeatability, TFLOP/s (parameters
// reference_bf16_tflops, reference_tf32_tflops, tflops_floor = 0.6, gemm_size = 8192,
// repeats = 10, samples = 256). Value: the slowest GPU's BF16 TFLOP/s.
[[nodiscard]] CheckResult check_cublas(const ProbeRequest& request);

// cuDNN convolution forward, backward data and backward filter (fp32) against a direct CPU
// reference. Value: the largest relative error; above 1e-3 fails.
[[nodiscard]] CheckResult check_cudnn(const ProbeRequest& request);

// NCCL all-reduce (sum) across every visible GPU in this process: no wrong element, algbw and
// bus bandwidth (parameters reference_busbw_gbs, busbw_floor = 0.7, max_mib = 1024).
// Value: bus bandwidth in GB/s, or algbw with one GPU.
[[nodiscard]] CheckResult check_nccl(const ProbeRequest& request);

// The entry of check `name` among the four above; nullptr for any other name.
[[nodiscard]] const CheckEntry* find_gpu_check(std::string_view name);
// The same lookup in the shape of a probe dispatcher's table of finders: the check's run
// function, or nullptr.
using GpuCheckFunction = CheckResult (*)(const ProbeRequest&);
[[nodiscard]] GpuCheckFunction find_gpu_check_function(std::string_view name);
// All four, in suite order.
[[nodiscard]] std::span<const CheckEntry> gpu_checks();

} // namespace envpin::verify
