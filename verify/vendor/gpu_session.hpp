#pragma once
// RAII over the driver API's handles: the primary context of one device, the module holding
// the embedded test kernels, device allocations, page-locked host allocations and events.
// Runs only inside probe children.
#include <cstddef>
#include <utility>

#include "base/error.hpp"
#include "verify/vendor/cuda_driver.hpp"

namespace envpin::verify {

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(const CudaDriver* cuda, CUdeviceptr pointer, size_t bytes)
        : cuda_(cuda), pointer_(pointer), bytes_(bytes) {}
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : cuda_(other.cuda_), pointer_(std::exchange(other.pointer_, 0)), bytes_(other.bytes_) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept
    {
        std::swap(cuda_, other.cuda_);
        std::swap(pointer_, other.pointer_);
        std::swap(bytes_, other.bytes_);
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    ~DeviceBuffer()
    {
        if (pointer_ != 0)
            cuda_->cuMemFree(pointer_);
    }
    [[nodiscard]] CUdeviceptr get() const { return pointer_; }
    [[nodiscard]] size_t bytes() const { return bytes_; }

private:
    const CudaDriver* cuda_ = nullptr;
    CUdeviceptr pointer_ = 0;
    size_t bytes_ = 0;
};

// Page-locked host memory from cuMemAllocHost, what DataLoader(pin_memory=True) hands the
// GPU: the device's copy engines read and write it directly, without a staging copy.
class PinnedHostBuffer {
public:
    PinnedHostBuffer() = default;
    PinnedHostBuffer(const CudaDriver* cuda, void* pointer, size_t bytes)
        : cuda_(cuda), pointer_(pointer), bytes_(bytes) {}
    PinnedHostBuffer(PinnedHostBuffer&& other) noexcept
        : cuda_(other.cuda_), pointer_(std::exchange(other.pointer_, nullptr)),
          bytes_(other.bytes_) {}
    PinnedHostBuffer& operator=(PinnedHostBuffer&& other) noexcept
    {
        std::swap(cuda_, other.cuda_);
        std::swap(pointer_, other.pointer_);
        std::swap(bytes_, other.bytes_);
        return *this;
    }
    PinnedHostBuffer(const PinnedHostBuffer&) = delete;
    PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;
    ~PinnedHostBuffer()
    {
        if (pointer_ != nullptr)
            cuda_->cuMemFreeHost(pointer_);
    }
    [[nodiscard]] void* get() const { return pointer_; }
    [[nodiscard]] size_t bytes() const { return bytes_; }

private:
    const CudaDriver* cuda_ = nullptr;
    void* pointer_ = nullptr;
    size_t bytes_ = 0;
};

// A driver-API event of the current context, for timing the embedded kernels.
class DriverEvent {
public:
    [[nodiscard]] static Expected<DriverEvent> create(const CudaDriver& cuda);
    DriverEvent(DriverEvent&& other) noexcept
        : cuda_(other.cuda_), event_(std::exchange(other.event_, nullptr)) {}
    DriverEvent& operator=(DriverEvent&&) = delete;
    DriverEvent(const DriverEvent&) = delete;
    DriverEvent& operator=(const DriverEvent&) = delete;
    ~DriverEvent()
    {
        if (event_ != nullptr)
            cuda_->cuEventDestroy(event_);
    }
    [[nodiscard]] Expected<void> record(CUstream stream = nullptr) const;
    // Milliseconds from `start` to this event; waits for this event first.
    [[nodiscard]] Expected<double> elapsed_since(const DriverEvent& start) const;

private:
    DriverEvent(const CudaDriver* cuda, CUevent event) : cuda_(cuda), event_(event) {}
    const CudaDriver* cuda_ = nullptr;
    CUevent event_ = nullptr;
};

struct MemoryInfo {
    size_t free = 0;
    size_t total = 0;
};

class GpuSession {
public:
    // cuInit, retains device `index`'s primary context, makes it current and loads the
    // embedded fatbin. A GPU the fatbin has no code for fails here with error 209.
    [[nodiscard]] static Expected<GpuSession> open(const CudaDriver& cuda, int index);
    GpuSession(GpuSession&& other) noexcept;
    GpuSession& operator=(GpuSession&&) = delete;
    GpuSession(const GpuSession&) = delete;
    ~GpuSession();

    [[nodiscard]] const CudaDriver& cuda() const { return *cuda_; }
    [[nodiscard]] Expected<CUfunction> function(const char* name) const;
    [[nodiscard]] Expected<DeviceBuffer> allocate(size_t bytes) const;
    // Page-locked host memory (cuMemAllocHost); not_found when the driver lacks the entry
    // points (they are optional in CudaDriver).
    [[nodiscard]] Expected<PinnedHostBuffer> allocate_pinned(size_t bytes) const;
    [[nodiscard]] Expected<void> upload(const DeviceBuffer& to, const void* from, size_t bytes) const;
    [[nodiscard]] Expected<void> download(void* to, const DeviceBuffer& from, size_t bytes) const;
    // Launches a 1-D grid and waits for it; launch and execution errors come back named.
    [[nodiscard]] Expected<void> launch(CUfunction function, unsigned blocks, unsigned threads,
                                        void** arguments) const;
    // Launches a 1-D grid on `stream` (a CUstream, or a cudaStream_t of the same context)
    // without waiting; launch errors only.
    [[nodiscard]] Expected<void> launch_async(CUfunction function, unsigned blocks,
                                              unsigned threads, void** arguments,
                                              CUstream stream = nullptr) const;
    // Waits for all work of this device; execution errors come back named.
    [[nodiscard]] Expected<void> synchronize() const;
    // Makes this device's context current, so that CUDA-runtime and library calls that follow
    // run on this device. The session's own calls do this themselves, so several sessions can
    // be open at once.
    [[nodiscard]] Expected<void> activate() const;
    [[nodiscard]] Expected<MemoryInfo> memory_info() const;
    [[nodiscard]] Expected<void> zero(const DeviceBuffer& buffer) const;
    // Enough blocks of `threads` to fill every multiprocessor several times over.
    [[nodiscard]] unsigned full_grid(unsigned threads) const;
    [[nodiscard]] int index() const { return index_; }
    [[nodiscard]] int multiprocessors() const { return multiprocessors_; }

private:
    GpuSession() = default;
    void make_current() const;
    const CudaDriver* cuda_ = nullptr;
    int index_ = 0;
    CUdevice device_ = 0;
    CUcontext context_ = nullptr;
    CUmodule module_ = nullptr;
    int multiprocessors_ = 1;
};

}  // namespace envpin::verify
