#pragma once
// What the GPU checks (kernels, cublas, cudnn, nccl) share: finding the environment's
// libraries, finding the GPUs, and turning an Error into a finished CheckResult.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"
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
// The GPUs of the host facts the suite passes (parameter host_facts); none without them.
[[nodiscard]] std::vector<GpuInfo> host_gpus(const ProbeRequest& request);

// Which GPU of the host facts CUDA's device with UUID `cuda_uuid` ("GPU-…" as cuDeviceGetUuid's
// bytes print) is: that GPU, or a MIG instance of it whose UUID has those bytes ("MIG-…", the
// instance then set too). Both null when the host facts do not list it.
struct HostGpuMatch {
    const GpuInfo* gpu = nullptr;
    const MigInstance* instance = nullptr;
};
[[nodiscard]] HostGpuMatch find_host_gpu(const std::vector<GpuInfo>& gpus, std::string_view cuda_uuid);

// What the checks call a GPU: CUDA's name, and on a MIG instance which one ("NVIDIA H100 80GB
// HBM3 MIG 1g.10gb (MIG instance MIG-4b9f…, 9984 MiB, of GPU 0)"), so a run on an instance
// says so.
[[nodiscard]] std::string gpu_label(std::string cuda_name, const HostGpuMatch& match);
[[nodiscard]] std::string gpu_label(const CudaDriver& driver, int index, const std::vector<GpuInfo>& gpus);

// cuDeviceGetUuid of GPU `index` as NVML prints it ("GPU-f003b975-…"); "" when the driver
// cannot say.
[[nodiscard]] std::string gpu_uuid(const CudaDriver& driver, int index);

// Finishes `result` with `error`: skip for not_found (nothing to run on, or nothing to load),
// error otherwise; the detail is the error's text and the hint the advice hint_for() knows
// for it.
[[nodiscard]] CheckResult finish_with(CheckResult result, const Error& error);

} // namespace envpin::verify
