#include "verify/vendor/cuda_driver.hpp"

namespace envpin::verify {
namespace {

// Resolves `name` into `slot`; records the first missing symbol.
template <class Function>
void resolve(const SharedLibrary& library, Function& slot, const char* name, std::string& missing)
{
    slot = library.symbol<Function>(name);
    if (slot == nullptr && missing.empty())
        missing = name;
}

// The entry points a driver may lack without envpin failing to load it (see the header).
void resolve_optional(CudaDriver& driver)
{
    const auto& lib = driver.library;
    driver.cuMemAllocHost = lib.symbol<decltype(driver.cuMemAllocHost)>("cuMemAllocHost_v2");
    driver.cuMemFreeHost = lib.symbol<decltype(driver.cuMemFreeHost)>("cuMemFreeHost");
}

}  // namespace

Expected<CudaDriver> CudaDriver::load()
{
    CudaDriver driver;
    driver.library = ENVPIN_TRY(SharedLibrary::open("libcuda.so.1"));
    const auto& lib = driver.library;
    std::string missing;
    resolve(lib, driver.cuInit, "cuInit", missing);
    resolve(lib, driver.cuDriverGetVersion, "cuDriverGetVersion", missing);
    resolve(lib, driver.cuDeviceGetCount, "cuDeviceGetCount", missing);
    resolve(lib, driver.cuDeviceGet, "cuDeviceGet", missing);
    resolve(lib, driver.cuDeviceGetName, "cuDeviceGetName", missing);
    resolve(lib, driver.cuDeviceGetAttribute, "cuDeviceGetAttribute", missing);
    resolve(lib, driver.cuDeviceTotalMem, "cuDeviceTotalMem_v2", missing);
    resolve(lib, driver.cuDeviceGetUuid, "cuDeviceGetUuid_v2", missing);
    resolve(lib, driver.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", missing);
    resolve(lib, driver.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", missing);
    resolve(lib, driver.cuCtxSetCurrent, "cuCtxSetCurrent", missing);
    resolve(lib, driver.cuCtxSynchronize, "cuCtxSynchronize", missing);
    resolve(lib, driver.cuMemGetInfo, "cuMemGetInfo_v2", missing);
    resolve(lib, driver.cuMemAlloc, "cuMemAlloc_v2", missing);
    resolve(lib, driver.cuMemFree, "cuMemFree_v2", missing);
    resolve(lib, driver.cuMemcpyHtoD, "cuMemcpyHtoD_v2", missing);
    resolve(lib, driver.cuMemcpyDtoH, "cuMemcpyDtoH_v2", missing);
    resolve(lib, driver.cuMemsetD8, "cuMemsetD8_v2", missing);
    resolve(lib, driver.cuModuleLoadData, "cuModuleLoadData", missing);
    resolve(lib, driver.cuModuleUnload, "cuModuleUnload", missing);
    resolve(lib, driver.cuModuleGetFunction, "cuModuleGetFunction", missing);
    resolve(lib, driver.cuLaunchKernel, "cuLaunchKernel", missing);
    resolve(lib, driver.cuEventCreate, "cuEventCreate", missing);
    resolve(lib, driver.cuEventDestroy, "cuEventDestroy_v2", missing);
    resolve(lib, driver.cuEventRecord, "cuEventRecord", missing);
    resolve(lib, driver.cuEventSynchronize, "cuEventSynchronize", missing);
    resolve(lib, driver.cuEventElapsedTime, "cuEventElapsedTime", missing);
    resolve(lib, driver.cuGetErrorName, "cuGetErrorName", missing);
    resolve(lib, driver.cuGetErrorString, "cuGetErrorString", missing);
    resolve_optional(driver);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} ({}) has no entry point {}: the driver is too old or broken",
                    "libcuda.so.1", lib.mapped_path(), missing);
    return driver;
}

std::string CudaDriver::describe(CUresult result) const
{
    const char* name = nullptr;
    const char* text = nullptr;
    if (cuGetErrorName(result, &name) != CUDA_SUCCESS)
        name = "CUDA_ERROR_UNKNOWN";
    if (cuGetErrorString(result, &text) != CUDA_SUCCESS)
        text = "unrecognized error code";
    return fmt::format("{} ({}): {}", name, result, text);
}

Error CudaDriver::error(const char* call, CUresult result) const
{
    return Error{ErrorCode::cuda, fmt::format("{}: {}", call, describe(result)), {}};
}

std::string cuda_version_text(int encoded)
{
    return fmt::format("{}.{}", encoded / 1000, (encoded % 1000) / 10);
}

}  // namespace envpin::verify
