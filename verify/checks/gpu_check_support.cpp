#include "verify/checks/gpu_check_support.hpp"

#include <optional>

#include <fmt/format.h>

#include "kernels/kernels.hpp"
#include "verify/host/env_libraries.hpp"
#include "verify/host/host_facts_json.hpp"
#include "verify/checks/check_support.hpp"
#include "verify/host/nvml.hpp"
#include "verify/runner/hints.hpp"

namespace envpin::verify {
namespace fs = std::filesystem;


Expected<fs::path> locate_library(const ProbeRequest& request, std::string_view stem)
{
    if (const auto directory = request.parameter("library_dir")) {
        if (auto file = find_library_in(*directory, stem))
            return *file;
        return fail(ErrorCode::not_found, "no lib{} in {}", stem, *directory);
    }
    if (request.environment.empty())
        return fail(ErrorCode::not_found, "no environment given, so no lib{} to load", stem);
    if (auto file = find_env_library(request.environment, stem))
        return *file;
    return fail(ErrorCode::not_found,
                "the environment {} has no lib{} (no nvidia-* wheel carries it)",
                request.environment.string(), stem);
}

nlohmann::json library_json(const SharedLibrary& library, long long version,
                            const std::string& text)
{
    return {{"file", library.mapped_path()}, {"version", version}, {"version_text", text}};
}

Expected<GpuInventory> open_gpus(UsesTestKernels uses)
{
    if (uses == UsesTestKernels::yes && !kernels::built())
        return fail(ErrorCode::not_found, "test kernels not built (nvcc was absent at build time)");
    GpuInventory inventory;
    auto driver = CudaDriver::load();
    if (!driver)
        return fail(ErrorCode::not_found, "no NVIDIA driver: {}", driver.error().message);
    inventory.driver = std::move(*driver);
    const auto& cuda = inventory.driver;
    if (auto rc = cuda.cuInit(0); rc == CUDA_ERROR_NO_DEVICE)
        return fail(ErrorCode::not_found, "no GPU: {}", cuda.error("cuInit", rc).message);
    else if (rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuInit", rc));
    cuda.cuDriverGetVersion(&inventory.driver_version);
    if (auto rc = cuda.cuDeviceGetCount(&inventory.count); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuDeviceGetCount", rc));
    if (inventory.count == 0)
        return fail(ErrorCode::not_found, "the driver reports no GPU");
    return inventory;
}

std::string gpu_name(const CudaDriver& driver, int index)
{
    CUdevice device = 0;
    char name[256] = {};
    if (driver.cuDeviceGet(&device, index) != CUDA_SUCCESS ||
        driver.cuDeviceGetName(name, sizeof name, device) != CUDA_SUCCESS)
        return {};
    return name;
}

std::vector<GpuInfo> host_gpus(const ProbeRequest& request)
{
    const auto text = request.parameter(param::host_facts);
    if (!text)
        return {};
    auto facts = host_facts_from_json(nlohmann::json::parse(*text, nullptr, false));
    return facts ? std::move(facts->gpus) : std::vector<GpuInfo>{};
}

HostGpuMatch find_host_gpu(const std::vector<GpuInfo>& gpus, std::string_view cuda_uuid)
{
    // "GPU-…" and "MIG-…" prefix the same 16 bytes' text.
    const auto bytes_of = [](std::string_view uuid) {
        return uuid.starts_with("GPU-") || uuid.starts_with("MIG-") ? uuid.substr(4) : uuid;
    };
    if (cuda_uuid.empty())
        return {};
    for (const auto& gpu : gpus) {
        if (bytes_of(gpu.uuid) == bytes_of(cuda_uuid))
            return {&gpu, nullptr};
        if (gpu.mig_instances)
            for (const auto& instance : *gpu.mig_instances)
                if (bytes_of(instance.uuid) == bytes_of(cuda_uuid))
                    return {&gpu, &instance};
    }
    return {};
}

std::string gpu_label(std::string cuda_name, const HostGpuMatch& match)
{
    if (match.instance == nullptr)
        return cuda_name;
    return fmt::format("{} (MIG instance {}, {} MiB, of GPU {})", cuda_name, match.instance->uuid,
                       match.instance->memory_mib, match.gpu->index);
}

std::string gpu_label(const CudaDriver& driver, int index, const std::vector<GpuInfo>& gpus)
{
    return gpu_label(gpu_name(driver, index), find_host_gpu(gpus, gpu_uuid(driver, index)));
}

std::string gpu_uuid(const CudaDriver& driver, int index)
{
    CUdevice device = 0;
    unsigned char bytes[16] = {};
    if (driver.cuDeviceGet(&device, index) != CUDA_SUCCESS ||
        driver.cuDeviceGetUuid(bytes, device) != CUDA_SUCCESS)
        return {};
    return gpu_uuid_text(bytes);
}

CheckResult finish_with(CheckResult result, const Error& error)
{
    result.status = error.code == ErrorCode::not_found ? CheckStatus::skip : CheckStatus::error;
    result.detail = error.describe();
    if (result.status == CheckStatus::error)
        result.hint = hint_for(result.detail);
    return result;
}

} // namespace envpin::verify
