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
    // Health (each optional: older drivers or GPUs lack some)
    nvmlReturn_t (*ecc_mode)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;
    nvmlReturn_t (*ecc_errors)(nvmlDevice_t, unsigned, unsigned, unsigned long long*) = nullptr;
    nvmlReturn_t (*remapped_rows)(nvmlDevice_t, unsigned*, unsigned*, unsigned*, unsigned*) = nullptr;
    nvmlReturn_t (*clock_reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
    nvmlReturn_t (*persistence)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*pcie_generation)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*pcie_width)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*pcie_max_generation)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*pcie_max_width)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*clock)(nvmlDevice_t, unsigned, unsigned*) = nullptr;
    nvmlReturn_t (*max_clock)(nvmlDevice_t, unsigned, unsigned*) = nullptr;

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

// One NVML reading into `slot` when the entry point exists and answers.
template <class T, class Call>
void read_into(std::optional<T>& slot, Call call)
{
    T value{};
    if (call(&value))
        slot = value;
}

constexpr unsigned nvml_corrected = 0, nvml_uncorrected = 1;  // nvmlMemoryErrorType_t
constexpr unsigned nvml_volatile = 0, nvml_aggregate = 1;     // nvmlEccCounterType_t
constexpr unsigned nvml_clock_sm = 1;                         // nvmlClockType_t

GpuHealth read_health(const Nvml& nvml, nvmlDevice_t device)
{
    GpuHealth health;
    const auto ok = [](nvmlReturn_t rc) { return rc == NVML_SUCCESS; };
    if (nvml.ecc_mode) {
        unsigned current = 0, pending = 0;
        if (ok(nvml.ecc_mode(device, &current, &pending)))
            health.ecc_enabled = current != 0;
    }
    if (nvml.ecc_errors && health.ecc_enabled.value_or(false)) {
        const auto count = [&](unsigned type, unsigned counter) {
            return [&nvml, device, type, counter](unsigned long long* out) { return nvml.ecc_errors(device, type, counter, out) == NVML_SUCCESS; };
        };
        read_into(health.ecc_volatile_uncorrected, count(nvml_uncorrected, nvml_volatile));
        read_into(health.ecc_volatile_corrected, count(nvml_corrected, nvml_volatile));
        read_into(health.ecc_aggregate_uncorrected, count(nvml_uncorrected, nvml_aggregate));
        read_into(health.ecc_aggregate_corrected, count(nvml_corrected, nvml_aggregate));
    }
    if (nvml.remapped_rows) {
        unsigned correctable = 0, uncorrectable = 0, pending = 0, failed = 0;
        if (ok(nvml.remapped_rows(device, &correctable, &uncorrectable, &pending, &failed))) {
            health.remapped_rows_correctable = correctable;
            health.remapped_rows_uncorrectable = uncorrectable;
            health.remap_pending = pending != 0;
            health.remap_failed = failed != 0;
        }
    }
    if (nvml.clock_reasons)
        read_into(health.clock_event_reasons, [&](unsigned long long* out) { return ok(nvml.clock_reasons(device, out)); });
    if (nvml.persistence) {
        unsigned mode = 0;
        if (ok(nvml.persistence(device, &mode)))
            health.persistence_mode = mode != 0;
    }
    const auto unsigned_reading = [&](std::optional<unsigned>& slot, nvmlReturn_t (*call)(nvmlDevice_t, unsigned*)) {
        if (call)
            read_into(slot, [&](unsigned* out) { return ok(call(device, out)); });
    };
    unsigned_reading(health.pcie_generation, nvml.pcie_generation);
    unsigned_reading(health.pcie_width, nvml.pcie_width);
    unsigned_reading(health.pcie_max_generation, nvml.pcie_max_generation);
    unsigned_reading(health.pcie_max_width, nvml.pcie_max_width);
    if (nvml.clock)
        read_into(health.sm_clock_mhz, [&](unsigned* out) { return ok(nvml.clock(device, nvml_clock_sm, out)); });
    if (nvml.max_clock)
        read_into(health.sm_clock_max_mhz, [&](unsigned* out) { return ok(nvml.max_clock(device, nvml_clock_sm, out)); });
    return health;
}

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
    gpu.health = read_health(nvml, device);
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
    nvml.ecc_mode = lib.symbol<decltype(nvml.ecc_mode)>("nvmlDeviceGetEccMode");
    nvml.ecc_errors = lib.symbol<decltype(nvml.ecc_errors)>("nvmlDeviceGetTotalEccErrors");
    nvml.remapped_rows = lib.symbol<decltype(nvml.remapped_rows)>("nvmlDeviceGetRemappedRows");
    nvml.clock_reasons = lib.symbol<decltype(nvml.clock_reasons)>("nvmlDeviceGetCurrentClocksEventReasons");
    if (!nvml.clock_reasons)  // its name before driver 535
        nvml.clock_reasons = lib.symbol<decltype(nvml.clock_reasons)>("nvmlDeviceGetCurrentClocksThrottleReasons");
    nvml.persistence = lib.symbol<decltype(nvml.persistence)>("nvmlDeviceGetPersistenceMode");
    nvml.pcie_generation = lib.symbol<decltype(nvml.pcie_generation)>("nvmlDeviceGetCurrPcieLinkGeneration");
    nvml.pcie_width = lib.symbol<decltype(nvml.pcie_width)>("nvmlDeviceGetCurrPcieLinkWidth");
    nvml.pcie_max_generation = lib.symbol<decltype(nvml.pcie_max_generation)>("nvmlDeviceGetMaxPcieLinkGeneration");
    nvml.pcie_max_width = lib.symbol<decltype(nvml.pcie_max_width)>("nvmlDeviceGetMaxPcieLinkWidth");
    nvml.clock = lib.symbol<decltype(nvml.clock)>("nvmlDeviceGetClockInfo");
    nvml.max_clock = lib.symbol<decltype(nvml.max_clock)>("nvmlDeviceGetMaxClockInfo");
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
