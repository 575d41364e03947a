#include "verify/nvml.hpp"

#include "verify/cuda_driver.hpp"

namespace envpin::verify {
namespace {

using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
    unsigned long long total, free, used;
};
constexpr nvmlReturn_t NVML_SUCCESS = 0;

struct Nvml {
    SharedLibrary library;
    nvmlReturn_t (*init)() = nullptr;
    nvmlReturn_t (*shutdown)() = nullptr;
    const char* (*error_string)(nvmlReturn_t) = nullptr;
    nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
    nvmlReturn_t (*cuda_driver_version)(int*) = nullptr;
    nvmlReturn_t (*device_count)(unsigned*) = nullptr;
    nvmlReturn_t (*device_by_index)(unsigned, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*device_name)(nvmlDevice_t, char*, unsigned) = nullptr;
    nvmlReturn_t (*device_uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
    nvmlReturn_t (*device_cc)(nvmlDevice_t, int*, int*) = nullptr;
    nvmlReturn_t (*device_memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
    nvmlReturn_t (*device_mig_mode)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;

    Error error(const char* call, nvmlReturn_t rc) const
    {
        return Error{ErrorCode::cuda, fmt::format("{}: {}", call, error_string ? error_string(rc) : "NVML error"), {}};
    }
};

// Shuts NVML down on every path out of read_nvml_facts.
struct NvmlSession {
    const Nvml& nvml;
    ~NvmlSession() { nvml.shutdown(); }
};

Expected<GpuInfo> read_device(const Nvml& nvml, unsigned index)
{
    nvmlDevice_t device = nullptr;
    if (auto rc = nvml.device_by_index(index, &device); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlDeviceGetHandleByIndex", rc));
    GpuInfo gpu;
    gpu.index = static_cast<int>(index);
    char text[256] = {};
    if (nvml.device_name(device, text, sizeof text) == NVML_SUCCESS)
        gpu.name = text;
    if (nvml.device_uuid(device, text, sizeof text) == NVML_SUCCESS)
        gpu.uuid = text;
    if (auto rc = nvml.device_cc(device, &gpu.cc.major, &gpu.cc.minor); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlDeviceGetCudaComputeCapability", rc));
    nvmlMemory_t memory{};
    if (nvml.device_memory(device, &memory) == NVML_SUCCESS)
        gpu.memory_mib = static_cast<long long>(memory.total >> 20);
    unsigned current = 0, pending = 0;
    if (nvml.device_mig_mode != nullptr &&
        nvml.device_mig_mode(device, &current, &pending) == NVML_SUCCESS)
        gpu.mig = current != 0;
    return gpu;
}

}  // namespace

Expected<NvmlFacts> read_nvml_facts()
{
    Nvml nvml;
    nvml.library = ENVPIN_TRY(SharedLibrary::open("libnvidia-ml.so.1"));
    const auto& lib = nvml.library;
    nvml.init = lib.symbol<decltype(nvml.init)>("nvmlInit_v2");
    nvml.shutdown = lib.symbol<decltype(nvml.shutdown)>("nvmlShutdown");
    nvml.error_string = lib.symbol<decltype(nvml.error_string)>("nvmlErrorString");
    nvml.driver_version = lib.symbol<decltype(nvml.driver_version)>("nvmlSystemGetDriverVersion");
    nvml.cuda_driver_version = lib.symbol<decltype(nvml.cuda_driver_version)>("nvmlSystemGetCudaDriverVersion_v2");
    nvml.device_count = lib.symbol<decltype(nvml.device_count)>("nvmlDeviceGetCount_v2");
    nvml.device_by_index = lib.symbol<decltype(nvml.device_by_index)>("nvmlDeviceGetHandleByIndex_v2");
    nvml.device_name = lib.symbol<decltype(nvml.device_name)>("nvmlDeviceGetName");
    nvml.device_uuid = lib.symbol<decltype(nvml.device_uuid)>("nvmlDeviceGetUUID");
    nvml.device_cc = lib.symbol<decltype(nvml.device_cc)>("nvmlDeviceGetCudaComputeCapability");
    nvml.device_memory = lib.symbol<decltype(nvml.device_memory)>("nvmlDeviceGetMemoryInfo");
    nvml.device_mig_mode = lib.symbol<decltype(nvml.device_mig_mode)>("nvmlDeviceGetMigMode");
    if (!nvml.init || !nvml.shutdown || !nvml.driver_version || !nvml.device_count ||
        !nvml.device_by_index || !nvml.device_name || !nvml.device_uuid || !nvml.device_cc ||
        !nvml.device_memory)
        return fail(ErrorCode::io, "libnvidia-ml.so.1 lacks an entry point envpin needs");
    if (auto rc = nvml.init(); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlInit", rc));
    NvmlSession session{nvml};

    NvmlFacts facts;
    char version[96] = {};
    if (auto rc = nvml.driver_version(version, sizeof version); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlSystemGetDriverVersion", rc));
    facts.driver = version;
    int cuda = 0;
    if (nvml.cuda_driver_version != nullptr && nvml.cuda_driver_version(&cuda) == NVML_SUCCESS)
        facts.cuda_driver_api = cuda_version_text(cuda);
    unsigned count = 0;
    if (auto rc = nvml.device_count(&count); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlDeviceGetCount", rc));
    for (unsigned i = 0; i < count; ++i)
        facts.gpus.push_back(ENVPIN_TRY(read_device(nvml, i)));
    return facts;
}

}  // namespace envpin::verify
