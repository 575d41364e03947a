#include "verify/vendor/cuda_runtime.hpp"

namespace envpin::verify {
namespace {

constexpr int cudaMemcpyHostToDevice = 1;
constexpr int cudaMemcpyDeviceToHost = 2;
constexpr unsigned cudaStreamNonBlocking = 1;

} // namespace

Expected<SharedLibrary> open_library_file(const std::filesystem::path& file)
{
    auto library = SharedLibrary::open(file.string());
    if (!library)
        return fail(ErrorCode::io, "{}", library.error().message);
    return library;
}

Expected<CudaRuntime> CudaRuntime::load(const std::filesystem::path& file)
{
    CudaRuntime rt;
    rt.library = ENVPIN_TRY(open_library_file(file));
    std::string missing;
    const auto& lib = rt.library;
    resolve_symbol(lib, rt.cudaRuntimeGetVersion, "cudaRuntimeGetVersion", missing);
    resolve_symbol(lib, rt.cudaGetDeviceCount, "cudaGetDeviceCount", missing);
    resolve_symbol(lib, rt.cudaSetDevice, "cudaSetDevice", missing);
    resolve_symbol(lib, rt.cudaMalloc, "cudaMalloc", missing);
    resolve_symbol(lib, rt.cudaFree, "cudaFree", missing);
    resolve_symbol(lib, rt.cudaMemset, "cudaMemset", missing);
    resolve_symbol(lib, rt.cudaMemcpy, "cudaMemcpy", missing);
    resolve_symbol(lib, rt.cudaDeviceSynchronize, "cudaDeviceSynchronize", missing);
    resolve_symbol(lib, rt.cudaStreamCreateWithFlags, "cudaStreamCreateWithFlags", missing);
    resolve_symbol(lib, rt.cudaStreamDestroy, "cudaStreamDestroy", missing);
    resolve_symbol(lib, rt.cudaEventCreate, "cudaEventCreate", missing);
    resolve_symbol(lib, rt.cudaEventDestroy, "cudaEventDestroy", missing);
    resolve_symbol(lib, rt.cudaEventRecord, "cudaEventRecord", missing);
    resolve_symbol(lib, rt.cudaEventSynchronize, "cudaEventSynchronize", missing);
    resolve_symbol(lib, rt.cudaEventElapsedTime, "cudaEventElapsedTime", missing);
    resolve_symbol(lib, rt.cudaGetErrorName, "cudaGetErrorName", missing);
    resolve_symbol(lib, rt.cudaGetErrorString, "cudaGetErrorString", missing);
    if (!missing.empty())
        return fail(ErrorCode::io, "{} has no entry point {}", lib.mapped_path(), missing);
    return rt;
}

std::string CudaRuntime::describe(cudaError_t result) const
{
    const char* name = cudaGetErrorName(result);
    const char* text = cudaGetErrorString(result);
    return fmt::format("{} ({}): {}", name != nullptr ? name : "cudaErrorUnknown", result,
                       text != nullptr ? text : "unrecognized error code");
}

Error CudaRuntime::error(const char* call, cudaError_t result) const
{
    return Error{ErrorCode::cuda, fmt::format("{}: {}", call, describe(result)), {}};
}

int CudaRuntime::version() const
{
    int version = 0;
    cudaRuntimeGetVersion(&version);
    return version;
}

Expected<int> CudaRuntime::device_count() const
{
    int count = 0;
    if (auto rc = cudaGetDeviceCount(&count); rc != cudaSuccess)
        return std::unexpected(error("cudaGetDeviceCount", rc));
    return count;
}

Expected<void> CudaRuntime::set_device(int index) const
{
    if (auto rc = cudaSetDevice(index); rc != cudaSuccess)
        return std::unexpected(
            error("cudaSetDevice", rc).with_context(fmt::format("GPU {}", index)));
    return {};
}

Expected<RuntimeBuffer> CudaRuntime::allocate(size_t bytes) const
{
    void* pointer = nullptr;
    if (auto rc = cudaMalloc(&pointer, bytes); rc != cudaSuccess)
        return std::unexpected(
            error("cudaMalloc", rc).with_context(fmt::format("{} bytes", bytes)));
    return RuntimeBuffer{{pointer, [free = cudaFree](void* p) { free(p); }}, bytes};
}

Expected<void> CudaRuntime::fill_bytes(const RuntimeBuffer& buffer, int byte) const
{
    if (auto rc = cudaMemset(buffer.get(), byte, buffer.bytes); rc != cudaSuccess)
        return std::unexpected(error("cudaMemset", rc));
    return {};
}

Expected<void> CudaRuntime::upload(const RuntimeBuffer& to, const void* from, size_t bytes) const
{
    if (auto rc = cudaMemcpy(to.get(), from, bytes, cudaMemcpyHostToDevice); rc != cudaSuccess)
        return std::unexpected(error("cudaMemcpy (host to device)", rc));
    return {};
}

Expected<void> CudaRuntime::download(void* to, const void* from, size_t bytes) const
{
    if (auto rc = cudaMemcpy(to, from, bytes, cudaMemcpyDeviceToHost); rc != cudaSuccess)
        return std::unexpected(error("cudaMemcpy (device to host)", rc));
    return {};
}

Expected<RuntimeStream> CudaRuntime::create_stream(int index) const
{
    ENVPIN_TRY(set_device(index));
    cudaStream_t stream = nullptr;
    if (auto rc = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking); rc != cudaSuccess)
        return std::unexpected(error("cudaStreamCreateWithFlags", rc));
    // A stream is destroyed with its own device current.
    return RuntimeStream(stream,
                         [set = cudaSetDevice, destroy = cudaStreamDestroy, index](cudaStream_t s) {
                             set(index);
                             destroy(s);
                         });
}

Expected<RuntimeEvent> CudaRuntime::create_event() const
{
    cudaEvent_t event = nullptr;
    if (auto rc = cudaEventCreate(&event); rc != cudaSuccess)
        return std::unexpected(error("cudaEventCreate", rc));
    return RuntimeEvent(event, [destroy = cudaEventDestroy](cudaEvent_t e) { destroy(e); });
}

Expected<void> CudaRuntime::record(const RuntimeEvent& event, cudaStream_t stream) const
{
    if (auto rc = cudaEventRecord(event.get(), stream); rc != cudaSuccess)
        return std::unexpected(error("cudaEventRecord", rc));
    return {};
}

Expected<double> CudaRuntime::elapsed(const RuntimeEvent& start, const RuntimeEvent& stop) const
{
    if (auto rc = cudaEventSynchronize(stop.get()); rc != cudaSuccess)
        return std::unexpected(error("cudaEventSynchronize", rc));
    float milliseconds = 0;
    if (auto rc = cudaEventElapsedTime(&milliseconds, start.get(), stop.get()); rc != cudaSuccess)
        return std::unexpected(error("cudaEventElapsedTime", rc));
    return milliseconds;
}

Expected<void> CudaRuntime::synchronize_device() const
{
    if (auto rc = cudaDeviceSynchronize(); rc != cudaSuccess)
        return std::unexpected(error("cudaDeviceSynchronize", rc));
    return {};
}

std::optional<Error> first_cuda_failure(const CudaRuntime& runtime, int count)
{
    if (auto devices = runtime.device_count(); !devices)
        return devices.error();
    for (int index = 0; index < count; ++index) {
        if (auto set = runtime.set_device(index); !set)
            return set.error();
        if (auto memory = runtime.allocate(size_t{1} << 20); !memory)
            return memory.error().with_context(fmt::format("GPU {}", index));
    }
    return std::nullopt;
}

} // namespace envpin::verify
