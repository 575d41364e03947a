#include "verify/host/gpu_probe.hpp"

#include "verify/host/gpu_health.hpp"

#include <fmt/format.h>

#include "verify/host/nvml.hpp"
#include "verify/vendor/cuda_driver.hpp"

namespace envpin::verify {
namespace {

Expected<std::vector<GpuInfo>> list_with_driver_api(const CudaDriver& cuda)
{
    if (auto rc = cuda.cuInit(0); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuInit", rc));
    int count = 0;
    if (auto rc = cuda.cuDeviceGetCount(&count); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuDeviceGetCount", rc));
    std::vector<GpuInfo> gpus;
    for (int i = 0; i < count; ++i) {
        CUdevice device = 0;
        if (auto rc = cuda.cuDeviceGet(&device, i); rc != CUDA_SUCCESS)
            return std::unexpected(cuda.error("cuDeviceGet", rc));
        GpuInfo gpu;
        gpu.index = i;
        char name[256] = {};
        cuda.cuDeviceGetName(name, sizeof name, device);
        gpu.name = name;
        cuda.cuDeviceGetAttribute(&gpu.cc.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuda.cuDeviceGetAttribute(&gpu.cc.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        size_t bytes = 0;
        if (cuda.cuDeviceTotalMem(&bytes, device) == CUDA_SUCCESS)
            gpu.memory_mib = static_cast<long long>(bytes >> 20);
        unsigned char uuid[16] = {};
        if (cuda.cuDeviceGetUuid(uuid, device) == CUDA_SUCCESS)
            gpu.uuid = gpu_uuid_text(uuid);
        gpus.push_back(std::move(gpu));
    }
    return gpus;
}

void record_cuda_error(GpuProbeReport& report, const CudaDriver& cuda, const char* call, CUresult rc)
{
    report.cuda_problem = cuda.error(call, rc).message;
    if (rc == CUDA_ERROR_NO_DEVICE)
        report.cuda_devices = 0;
}

nlohmann::json mig_instances_to_json(const std::optional<std::vector<MigInstance>>& instances)
{
    if (!instances)
        return nullptr;
    auto list = nlohmann::json::array();
    for (const auto& instance : *instances)
        list.push_back({{"index", instance.index}, {"uuid", instance.uuid}, {"memory_mib", instance.memory_mib}});
    return list;
}

// Absent (a report from before MIG instances were read) or null: not read.
std::optional<std::vector<MigInstance>> mig_instances_from_json(const nlohmann::json& gpu)
{
    const auto it = gpu.find("mig_instances");
    if (it == gpu.end() || it->is_null())
        return std::nullopt;
    std::vector<MigInstance> instances;
    for (const auto& item : *it)
        instances.push_back({item.at("index").get<unsigned>(), item.at("uuid").get<std::string>(),
                             item.at("memory_mib").get<long long>()});
    return instances;
}

}  // namespace

void count_cuda_devices(GpuProbeReport& report)
{
    if (report.source != "nvml")
        return;  // the driver API listed them, or nothing could
    auto cuda = CudaDriver::load();
    if (!cuda) {
        report.cuda_problem = cuda.error().message;
        return;
    }
    if (auto rc = cuda->cuInit(0); rc != CUDA_SUCCESS)
        return record_cuda_error(report, *cuda, "cuInit", rc);
    int count = 0;
    if (auto rc = cuda->cuDeviceGetCount(&count); rc != CUDA_SUCCESS)
        return record_cuda_error(report, *cuda, "cuDeviceGetCount", rc);
    report.cuda_devices = count;
}

GpuProbeReport probe_gpus_here()
{
    GpuProbeReport report;
    auto cuda = CudaDriver::load();
    if (cuda) {
        int version = 0;
        if (cuda->cuDriverGetVersion(&version) == CUDA_SUCCESS && version > 0)
            report.cuda_driver_api = cuda_version_text(version);
    }
    auto nvml = read_nvml_facts();
    if (nvml) {
        report.driver = nvml->driver;
        if (!report.cuda_driver_api)
            report.cuda_driver_api = nvml->cuda_driver_api;
        report.gpus = std::move(nvml->gpus);
        report.source = "nvml";
        return report;
    }
    if (!cuda) {
        report.problem = fmt::format("no NVIDIA driver: {}; {}", nvml.error().message,
                                     cuda.error().message);
        report.cuda_problem = cuda.error().message;
        return report;
    }
    auto gpus = list_with_driver_api(*cuda);
    if (!gpus) {
        report.problem = gpus.error().message;
        report.cuda_problem = gpus.error().message;
        if (gpus.error().message.find("CUDA_ERROR_NO_DEVICE") != std::string::npos)
            report.cuda_devices = 0;
        return report;
    }
    report.cuda_devices = static_cast<int>(gpus->size());
    report.gpus = std::move(*gpus);
    report.source = "cuda-driver-api";
    return report;
}

nlohmann::json gpu_to_json(const GpuInfo& gpu)
{
    return {{"index", gpu.index},
            {"name", gpu.name},
            {"cc", fmt::format("{}.{}", gpu.cc.major, gpu.cc.minor)},
            {"memory_mib", gpu.memory_mib},
            {"uuid", gpu.uuid},
            {"mig", gpu.mig ? nlohmann::json(*gpu.mig) : nlohmann::json(nullptr)},
            {"mig_instances", mig_instances_to_json(gpu.mig_instances)},
            {"health", health_to_json(gpu.health)}};
}

nlohmann::json to_json(const GpuProbeReport& report)
{
    auto gpus = nlohmann::json::array();
    for (const auto& gpu : report.gpus)
        gpus.push_back(gpu_to_json(gpu));
    const auto optional = [](const std::optional<std::string>& value) {
        return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    };
    return {{"driver", optional(report.driver)},
            {"cuda_driver_api", optional(report.cuda_driver_api)},
            {"gpus", gpus},
            {"source", report.source},
            {"problem", optional(report.problem)},
            {"cuda_devices", report.cuda_devices ? nlohmann::json(*report.cuda_devices) : nlohmann::json(nullptr)},
            {"cuda_problem", optional(report.cuda_problem)}};
}

Expected<GpuProbeReport> parse_gpu_probe_report(std::string_view text)
{
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object() || !document.contains("gpus"))
        return fail(ErrorCode::bad_input, "the GPU probe printed no report");
    try {
        GpuProbeReport report;
        const auto optional = [&](const char* key) -> std::optional<std::string> {
            const auto it = document.find(key);
            if (it == document.end() || it->is_null())
                return std::nullopt;
            return it->get<std::string>();
        };
        report.driver = optional("driver");
        report.cuda_driver_api = optional("cuda_driver_api");
        report.problem = optional("problem");
        report.cuda_problem = optional("cuda_problem");
        if (const auto it = document.find("cuda_devices"); it != document.end() && !it->is_null())
            report.cuda_devices = it->get<int>();
        report.source = document.value("source", "");
        for (const auto& item : document.at("gpus")) {
            GpuInfo gpu;
            gpu.index = item.at("index").get<int>();
            gpu.name = item.at("name").get<std::string>();
            gpu.uuid = item.at("uuid").get<std::string>();
            const auto cc = item.at("cc").get<std::string>();
            if (std::sscanf(cc.c_str(), "%d.%d", &gpu.cc.major, &gpu.cc.minor) != 2)
                return fail(ErrorCode::bad_input, "GPU probe: bad compute capability '{}'", cc);
            gpu.memory_mib = item.at("memory_mib").get<long long>();
            if (!item.at("mig").is_null())
                gpu.mig = item.at("mig").get<bool>();
            gpu.mig_instances = mig_instances_from_json(item);
            if (const auto health = item.find("health"); health != item.end())
                gpu.health = ENVPIN_TRY(health_from_json(*health));
            report.gpus.push_back(std::move(gpu));
        }
        return report;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "GPU probe report: {}", error.what());
    }
}

}  // namespace envpin::verify
