#include "verify/host/nvml.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "verify/vendor/cuda_driver.hpp"

namespace envpin::verify {
namespace {

using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
    unsigned long long total, free, used;
};
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_FOUND = 6;

// libnvidia-ml.so.1 and the entry points envpin calls, each nullptr where this NVML lacks it
// (older drivers); each user checks the ones it needs.
struct Nvml {
    SharedLibrary library;
    nvmlReturn_t (*init)() = nullptr;
    nvmlReturn_t (*shutdown)() = nullptr;
    const char* (*error_string)(nvmlReturn_t) = nullptr;
    nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
    nvmlReturn_t (*cuda_driver_version)(int*) = nullptr;
    nvmlReturn_t (*device_count)(unsigned*) = nullptr;
    nvmlReturn_t (*device_by_index)(unsigned, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*device_by_uuid)(const char*, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*device_name)(nvmlDevice_t, char*, unsigned) = nullptr;
    nvmlReturn_t (*device_uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
    nvmlReturn_t (*device_cc)(nvmlDevice_t, int*, int*) = nullptr;
    nvmlReturn_t (*device_memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
    // MIG (each optional)
    nvmlReturn_t (*device_mig_mode)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;
    nvmlReturn_t (*max_mig_devices)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*mig_device_by_index)(nvmlDevice_t, unsigned, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*is_mig_device)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*mig_parent)(nvmlDevice_t, nvmlDevice_t*) = nullptr;
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

    Error error(std::string_view call, nvmlReturn_t rc) const
    {
        return Error{ErrorCode::cuda, fmt::format("{}: {}", call, error_string ? error_string(rc) : "NVML error"), {}};
    }
};

// Opens libnvidia-ml.so.1 and resolves every entry point (the one place that does): not_found
// without the library, io when it lacks nvmlInit_v2 or nvmlShutdown.
Expected<Nvml> load_nvml()
{
    Nvml nvml;
    nvml.library = ENVPIN_TRY(SharedLibrary::open("libnvidia-ml.so.1"));
    const auto resolve = [&nvml](auto& slot, const char* name) {
        slot = nvml.library.symbol<std::remove_reference_t<decltype(slot)>>(name);
    };
    resolve(nvml.init, "nvmlInit_v2");
    resolve(nvml.shutdown, "nvmlShutdown");
    resolve(nvml.error_string, "nvmlErrorString");
    resolve(nvml.driver_version, "nvmlSystemGetDriverVersion");
    resolve(nvml.cuda_driver_version, "nvmlSystemGetCudaDriverVersion_v2");
    resolve(nvml.device_count, "nvmlDeviceGetCount_v2");
    resolve(nvml.device_by_index, "nvmlDeviceGetHandleByIndex_v2");
    resolve(nvml.device_by_uuid, "nvmlDeviceGetHandleByUUID");
    resolve(nvml.device_name, "nvmlDeviceGetName");
    resolve(nvml.device_uuid, "nvmlDeviceGetUUID");
    resolve(nvml.device_cc, "nvmlDeviceGetCudaComputeCapability");
    resolve(nvml.device_memory, "nvmlDeviceGetMemoryInfo");
    resolve(nvml.device_mig_mode, "nvmlDeviceGetMigMode");
    resolve(nvml.max_mig_devices, "nvmlDeviceGetMaxMigDeviceCount");
    resolve(nvml.mig_device_by_index, "nvmlDeviceGetMigDeviceHandleByIndex");
    resolve(nvml.is_mig_device, "nvmlDeviceIsMigDeviceHandle");
    resolve(nvml.mig_parent, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
    resolve(nvml.ecc_mode, "nvmlDeviceGetEccMode");
    resolve(nvml.ecc_errors, "nvmlDeviceGetTotalEccErrors");
    resolve(nvml.remapped_rows, "nvmlDeviceGetRemappedRows");
    resolve(nvml.clock_reasons, "nvmlDeviceGetCurrentClocksEventReasons");
    if (!nvml.clock_reasons)  // its name before driver 535
        resolve(nvml.clock_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    resolve(nvml.persistence, "nvmlDeviceGetPersistenceMode");
    resolve(nvml.pcie_generation, "nvmlDeviceGetCurrPcieLinkGeneration");
    resolve(nvml.pcie_width, "nvmlDeviceGetCurrPcieLinkWidth");
    resolve(nvml.pcie_max_generation, "nvmlDeviceGetMaxPcieLinkGeneration");
    resolve(nvml.pcie_max_width, "nvmlDeviceGetMaxPcieLinkWidth");
    resolve(nvml.clock, "nvmlDeviceGetClockInfo");
    resolve(nvml.max_clock, "nvmlDeviceGetMaxClockInfo");
    if (!nvml.init || !nvml.shutdown)
        return fail(ErrorCode::io, "libnvidia-ml.so.1 lacks nvmlInit_v2 or nvmlShutdown");
    return nvml;
}

// One initialization of NVML: nvmlInit_v2 in open(), nvmlShutdown when destroyed. The only
// owner of NVML's initialization; it owns the library too, so the library outlives it.
class NvmlSession {
public:
    [[nodiscard]] static Expected<NvmlSession> open()
    {
        auto nvml = ENVPIN_TRY(load_nvml());
        if (auto rc = nvml.init(); rc != NVML_SUCCESS)
            return std::unexpected(nvml.error("nvmlInit", rc));
        return NvmlSession(std::move(nvml));
    }
    NvmlSession(NvmlSession&& other) noexcept : nvml_(std::move(other.nvml_)), live_(std::exchange(other.live_, false)) {}
    NvmlSession& operator=(NvmlSession&&) = delete;
    NvmlSession(const NvmlSession&) = delete;
    NvmlSession& operator=(const NvmlSession&) = delete;
    ~NvmlSession()
    {
        if (live_)
            nvml_.shutdown();
    }
    [[nodiscard]] const Nvml& nvml() const { return nvml_; }

private:
    explicit NvmlSession(Nvml nvml) : nvml_(std::move(nvml)) {}
    Nvml nvml_;
    bool live_ = true;
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

// The MIG instances of a GPU in MIG mode, by index (an index without one answers NOT_FOUND);
// nullopt when this NVML cannot list them or fails midway (a partial list would mislead).
std::optional<std::vector<MigInstance>> read_mig_instances(const Nvml& nvml, nvmlDevice_t device)
{
    unsigned most = 0;
    if (!nvml.max_mig_devices || !nvml.mig_device_by_index || nvml.max_mig_devices(device, &most) != NVML_SUCCESS)
        return std::nullopt;
    std::vector<MigInstance> instances;
    for (unsigned i = 0; i < most; ++i) {
        nvmlDevice_t mig = nullptr;
        const auto rc = nvml.mig_device_by_index(device, i, &mig);
        if (rc == NVML_ERROR_NOT_FOUND)
            continue;
        if (rc != NVML_SUCCESS)
            return std::nullopt;
        MigInstance instance{.index = i};
        char uuid[96] = {};
        if (nvml.device_uuid(mig, uuid, sizeof uuid) == NVML_SUCCESS)
            instance.uuid = uuid;
        nvmlMemory_t memory{};
        if (nvml.device_memory(mig, &memory) == NVML_SUCCESS)
            instance.memory_mib = static_cast<long long>(memory.total >> 20);
        instances.push_back(std::move(instance));
    }
    return instances;
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
    if (gpu.mig.value_or(false))
        gpu.mig_instances = read_mig_instances(nvml, device);
    gpu.health = read_health(nvml, device);
    return gpu;
}

// The GPU whose clocks `uuid` runs at: that GPU, or a MIG instance's parent. CUDA's UUID bytes
// of a MIG instance, formatted with "GPU-", are the instance's "MIG-" UUID in NVML.
Expected<nvmlDevice_t> clocked_device(const Nvml& nvml, std::string_view uuid)
{
    const std::string text(uuid);
    nvmlDevice_t device = nullptr;
    const auto find = [&](const std::string& name) { return nvml.device_by_uuid(name.c_str(), &device); };
    const auto rc = find(text);
    if (rc != NVML_SUCCESS && !(text.starts_with("GPU-") && find("MIG-" + text.substr(4)) == NVML_SUCCESS))
        return std::unexpected(nvml.error(fmt::format("nvmlDeviceGetHandleByUUID({})", text), rc));
    unsigned is_mig = 0;
    if (!nvml.is_mig_device || nvml.is_mig_device(device, &is_mig) != NVML_SUCCESS || is_mig == 0)
        return device;
    nvmlDevice_t parent = nullptr;
    if (!nvml.mig_parent)
        return fail(ErrorCode::cuda, "{} is a MIG instance and this NVML cannot name its GPU", text);
    if (auto parent_rc = nvml.mig_parent(device, &parent); parent_rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlDeviceGetDeviceHandleFromMigDeviceHandle", parent_rc));
    return parent;
}

}  // namespace

Expected<NvmlFacts> read_nvml_facts()
{
    const auto session = ENVPIN_TRY(NvmlSession::open());
    const auto& nvml = session.nvml();
    if (!nvml.driver_version || !nvml.device_count || !nvml.device_by_index || !nvml.device_name ||
        !nvml.device_uuid || !nvml.device_cc || !nvml.device_memory)
        return fail(ErrorCode::io, "libnvidia-ml.so.1 lacks an entry point envpin needs");
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

std::string gpu_uuid_text(std::span<const unsigned char, 16> bytes)
{
    std::string text = "GPU-";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text += '-';
        text += fmt::format("{:02x}", bytes[i]);
    }
    return text;
}

// The sampler's side that lives on the heap, so that its thread's `this` stays put when the
// sampler moves. Destroyed in member order after ~State joined the thread: the thread first,
// the NVML session (and its shutdown) last.
struct NvmlClockSampler::State {
    NvmlSession session;
    nvmlDevice_t device;
    std::chrono::milliseconds interval;
    std::optional<unsigned> max_clock;
    // Written by the thread only; read after it is joined.
    std::vector<unsigned> clocks;
    std::optional<unsigned long long> reasons;
    std::optional<ClockSamples> summary;  // the first stop()'s
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;  // under `mutex`
    std::thread thread;

    State(NvmlSession session_, nvmlDevice_t device_, std::chrono::milliseconds interval_)
        : session(std::move(session_)), device(device_), interval(interval_)
    {
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { halt(); }

    void run()
    {
        std::unique_lock lock(mutex);
        while (!stopping) {
            lock.unlock();
            sample();
            lock.lock();
            wake.wait_for(lock, interval, [this] { return stopping; });
        }
    }

    void sample()
    {
        // A long run samples for minutes: past a million readings, only the events are kept.
        constexpr std::size_t most_samples = 1u << 20;
        const auto& nvml = session.nvml();
        unsigned mhz = 0;
        if (clocks.size() < most_samples && nvml.clock(device, nvml_clock_sm, &mhz) == NVML_SUCCESS)
            clocks.push_back(mhz);
        unsigned long long mask = 0;
        if (nvml.clock_reasons && nvml.clock_reasons(device, &mask) == NVML_SUCCESS)
            reasons = reasons.value_or(0) | mask;
    }

    void halt()
    {
        {
            const std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        if (thread.joinable())
            thread.join();
    }
};

NvmlClockSampler::NvmlClockSampler(std::unique_ptr<State> state) : state_(std::move(state)) {}
NvmlClockSampler::NvmlClockSampler(NvmlClockSampler&&) noexcept = default;
NvmlClockSampler& NvmlClockSampler::operator=(NvmlClockSampler&&) noexcept = default;
NvmlClockSampler::~NvmlClockSampler() = default;

Expected<NvmlClockSampler> NvmlClockSampler::start(std::string_view gpu_uuid, std::chrono::milliseconds interval)
{
    auto session = ENVPIN_TRY(NvmlSession::open());
    const auto& nvml = session.nvml();
    if (!nvml.device_by_uuid || !nvml.clock)
        return fail(ErrorCode::cuda, "this NVML cannot sample clocks (no nvmlDeviceGetHandleByUUID or nvmlDeviceGetClockInfo)");
    const auto device = ENVPIN_TRY(clocked_device(nvml, gpu_uuid));
    unsigned mhz = 0;
    if (auto rc = nvml.clock(device, nvml_clock_sm, &mhz); rc != NVML_SUCCESS)
        return std::unexpected(nvml.error("nvmlDeviceGetClockInfo(SM)", rc));
    std::optional<unsigned> max_clock;
    if (nvml.max_clock)
        read_into(max_clock, [&](unsigned* out) { return nvml.max_clock(device, nvml_clock_sm, out) == NVML_SUCCESS; });
    auto state = std::make_unique<State>(std::move(session), device, std::max(interval, std::chrono::milliseconds(1)));
    state->max_clock = max_clock;
    try {
        state->thread = std::thread([raw = state.get()] { raw->run(); });
    } catch (const std::system_error& error) {
        return fail(ErrorCode::io, "starting the clock sampler's thread: {}", error.what());
    }
    return NvmlClockSampler(std::move(state));
}

ClockSamples NvmlClockSampler::stop()
{
    if (!state_)
        return {};
    state_->halt();
    if (!state_->summary)
        state_->summary = summarize_clock_samples(state_->clocks, state_->reasons, state_->max_clock);
    return *state_->summary;
}

}  // namespace envpin::verify
