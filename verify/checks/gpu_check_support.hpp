#pragma once
// What the GPU checks (kernels, cublas, cudnn, nccl) share: finding the environment's
// libraries, finding the GPUs, and turning an Error into a finished CheckResult.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "verify/runner/check_result.hpp"
#include "verify/vendor/cuda_driver.hpp"
#include "verify/vendor/shared_library.hpp"

namespace envpin::verify {

// The file of library `stem` ("cudart", "cublas", "cublasLt", "cudnn", "nccl") a check loads:
// from parameter `library_dir` when the request has one (tests, or a deliberate override),
// else from the environment's own nvidia-* wheels. not_found, naming where it looked, when
// there is none (the check then skips).
[[nodiscard]] Expected<std::filesystem::path> locate_library(const ProbeRequest& request,
                                                             std::string_view stem);

// {"file": the file the loader mapped, "version": `version`, "version_text": `text`}.
[[nodiscard]] nlohmann::json library_json(const SharedLibrary& library, long long version,
                                          const std::string& text);

// The NVIDIA driver, initialised, and how many GPUs it shows.
struct GpuInventory {
    CudaDriver driver;
    int count = 0;
    int driver_version = 0; // cuDriverGetVersion: the CUDA version the driver supports
};

// Whether a check launches envpin's embedded kernels (fills, checks) besides library calls.
enum class UsesTestKernels { yes, no };

// not_found (the check skips) when there is no driver, it reports no device, or the check
// `uses` the test kernels and they were not built; cuda with cuInit's error (35, 802, 804, ...)
// otherwise.
[[nodiscard]] Expected<GpuInventory> open_gpus(UsesTestKernels uses);

// cuDeviceGetName of GPU `index` ("NVIDIA H200"); "" when the driver cannot say.
[[nodiscard]] std::string gpu_name(const CudaDriver& driver, int index);
// cuDeviceGetUuid of GPU `index` as NVML prints it ("GPU-f003b975-…"); "" when the driver
// cannot say.
[[nodiscard]] std::string gpu_uuid(const CudaDriver& driver, int index);

// Finishes `result` with `error`: skip for not_found (nothing to run on, or nothing to load),
// error otherwise; the detail is the error's text and the hint the advice hint_for() knows
// for it.
[[nodiscard]] CheckResult finish_with(CheckResult result, const Error& error);

} // namespace envpin::verify
