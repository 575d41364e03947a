#pragma once
// RAII over the driver API's handles: the primary context of one device, the module holding
// the embedded test kernels, device allocations and events. Runs only inside probe children.
#include <cstddef>
#include <utility>

#include "base/error.hpp"
#include "verify/cuda_driver.hpp"

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
    [[nodiscard]] Expected<void> upload(const DeviceBuffer& to, const void* from, size_t bytes) const;
    [[nodiscard]] Expected<void> download(void* to, const DeviceBuffer& from, size_t bytes) const;
    // Launches a 1-D grid and waits for it; launch and execution errors come back named.
    [[nodiscard]] Expected<void> launch(CUfunction function, unsigned blocks, unsigned threads,
                                        void** arguments) const;
    [[nodiscard]] int multiprocessors() const { return multiprocessors_; }

private:
    GpuSession() = default;
    const CudaDriver* cuda_ = nullptr;
    CUdevice device_ = 0;
    CUcontext context_ = nullptr;
    CUmodule module_ = nullptr;
    int multiprocessors_ = 1;
};

}  // namespace envpin::verify
