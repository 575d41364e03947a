#pragma once
// The CUDA runtime of an environment (its own libcudart, from the nvidia-cuda-runtime wheel),
// loaded at run time by path. The declarations mirror cuda_runtime_api.h's stable C ABI, so
// envpin builds without CUDA headers. This file is the only owner of runtime streams, events
// and allocations.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "verify/vendor/cuda_driver.hpp"
#include "verify/vendor/owned_handle.hpp"
#include "verify/vendor/shared_library.hpp"

namespace envpin::verify {

using cudaError_t = int;
using cudaStream_t = CUstream; // the runtime's and the driver's streams are the same objects
using cudaEvent_t = CUevent;

inline constexpr cudaError_t cudaSuccess = 0;

// A device allocation of the runtime (cudaMalloc), freed with cudaFree.
struct RuntimeBuffer {
    OwnedHandle<void*> memory;
    size_t bytes = 0;
    [[nodiscard]] void* get() const { return memory.get(); }
    // The address as a driver-API pointer, for the embedded kernels (same context).
    [[nodiscard]] CUdeviceptr address() const
    {
        return reinterpret_cast<CUdeviceptr>(memory.get());
    }
};
using RuntimeStream = OwnedHandle<cudaStream_t>;
using RuntimeEvent = OwnedHandle<cudaEvent_t>;

struct CudaRuntime {
    // Opens `file` (a libcudart.so.N) and resolves every entry point; io when it cannot be
    // loaded or lacks one.
    [[nodiscard]] static Expected<CudaRuntime> load(const std::filesystem::path& file);

    // "cudaErrorInsufficientDriver (35): CUDA driver version is insufficient for CUDA runtime
    // version"
    [[nodiscard]] std::string describe(cudaError_t result) const;
    // Error named after the failed call: "cudaSetDevice: cudaError... (35): ...".
    [[nodiscard]] Error error(const char* call, cudaError_t result) const;
    // cudaRuntimeGetVersion: 13000 for CUDA 13.0; needs no GPU.
    [[nodiscard]] int version() const;

    [[nodiscard]] Expected<int> device_count() const;
    [[nodiscard]] Expected<void> set_device(int index) const;
    [[nodiscard]] Expected<RuntimeBuffer> allocate(size_t bytes) const;
    // cudaMemset of every byte of `buffer` to `byte` (poisoning outputs before a run).
    [[nodiscard]] Expected<void> fill_bytes(const RuntimeBuffer& buffer, int byte) const;
    [[nodiscard]] Expected<void> upload(const RuntimeBuffer& to, const void* from,
                                        size_t bytes) const;
    [[nodiscard]] Expected<void> download(void* to, const void* from, size_t bytes) const;
    // A non-blocking stream of device `index` (made current first).
    [[nodiscard]] Expected<RuntimeStream> create_stream(int index) const;
    [[nodiscard]] Expected<RuntimeEvent> create_event() const;
    [[nodiscard]] Expected<void> record(const RuntimeEvent& event, cudaStream_t stream) const;
    // Milliseconds between two recorded events; waits for `stop`.
    [[nodiscard]] Expected<double> elapsed(const RuntimeEvent& start,
                                           const RuntimeEvent& stop) const;
    [[nodiscard]] Expected<void> synchronize_device() const;

    SharedLibrary library;
    cudaError_t (*cudaRuntimeGetVersion)(int*) = nullptr;
    cudaError_t (*cudaGetDeviceCount)(int*) = nullptr;
    cudaError_t (*cudaSetDevice)(int) = nullptr;
    cudaError_t (*cudaMalloc)(void**, size_t) = nullptr;
    cudaError_t (*cudaFree)(void*) = nullptr;
    cudaError_t (*cudaMemset)(void*, int, size_t) = nullptr;
    cudaError_t (*cudaMemcpy)(void*, const void*, size_t, int) = nullptr;
    cudaError_t (*cudaDeviceSynchronize)() = nullptr;
    cudaError_t (*cudaStreamCreateWithFlags)(cudaStream_t*, unsigned) = nullptr;
    cudaError_t (*cudaStreamDestroy)(cudaStream_t) = nullptr;
    cudaError_t (*cudaEventCreate)(cudaEvent_t*) = nullptr;
    cudaError_t (*cudaEventDestroy)(cudaEvent_t) = nullptr;
    cudaError_t (*cudaEventRecord)(cudaEvent_t, cudaStream_t) = nullptr;
    cudaError_t (*cudaEventSynchronize)(cudaEvent_t) = nullptr;
    cudaError_t (*cudaEventElapsedTime)(float*, cudaEvent_t, cudaEvent_t) = nullptr;
    const char* (*cudaGetErrorName)(cudaError_t) = nullptr;
    const char* (*cudaGetErrorString)(cudaError_t) = nullptr;
};

// The CUDA work a library does first, retried bare, one layer down: cudaGetDeviceCount, then
// cudaSetDevice and a 1 MiB cudaMalloc on each of GPUs 0..count-1. The first failure, named,
// or nullopt when all succeed. Used to find the root cause under NCCL's "unhandled cuda error".
[[nodiscard]] std::optional<Error> first_cuda_failure(const CudaRuntime& runtime, int count);

// Resolves `name` from `library` into `slot`, remembering the first missing name in `missing`.
template <class Function>
void resolve_symbol(const SharedLibrary& library, Function& slot, const char* name,
                    std::string& missing)
{
    slot = library.symbol<Function>(name);
    if (slot == nullptr && missing.empty())
        missing = name;
}

// Opens a library file for a check: io (not not_found, which means "absent") when the file is
// there but the loader refuses it, with the loader's reason.
[[nodiscard]] Expected<SharedLibrary> open_library_file(const std::filesystem::path& file);

} // namespace envpin::verify
