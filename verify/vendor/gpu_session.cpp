#include "verify/vendor/gpu_session.hpp"

#include "kernels/kernels.hpp"

namespace envpin::verify {

Expected<GpuSession> GpuSession::open(const CudaDriver& cuda, int index)
{
    if (!kernels::built())
        return fail(ErrorCode::not_found, "test kernels not built (nvcc was absent at build time)");
    if (auto rc = cuda.cuInit(0); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuInit", rc));
    GpuSession session;
    session.cuda_ = &cuda;
    session.index_ = index;
    if (auto rc = cuda.cuDeviceGet(&session.device_, index); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuDeviceGet", rc));
    if (auto rc = cuda.cuDevicePrimaryCtxRetain(&session.context_, session.device_); rc != CUDA_SUCCESS) {
        session.context_ = nullptr;
        return std::unexpected(cuda.error("cuDevicePrimaryCtxRetain", rc));
    }
    if (auto rc = cuda.cuCtxSetCurrent(session.context_); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuCtxSetCurrent", rc));
    cuda.cuDeviceGetAttribute(&session.multiprocessors_, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                              session.device_);
    if (auto rc = cuda.cuModuleLoadData(&session.module_, kernels::fatbin().data()); rc != CUDA_SUCCESS) {
        session.module_ = nullptr;
        return std::unexpected(cuda.error("cuModuleLoadData", rc)
                                   .with_context(fmt::format("loading the test kernels ({})",
                                                             kernels::architectures())));
    }
    return session;
}

GpuSession::GpuSession(GpuSession&& other) noexcept
    : cuda_(other.cuda_), index_(other.index_), device_(other.device_), context_(std::exchange(other.context_, nullptr)),
      module_(std::exchange(other.module_, nullptr)), multiprocessors_(other.multiprocessors_)
{
}

GpuSession::~GpuSession()
{
    if (module_ != nullptr)
        cuda_->cuModuleUnload(module_);
    if (context_ != nullptr)
        cuda_->cuDevicePrimaryCtxRelease(device_);
}

Expected<DriverEvent> DriverEvent::create(const CudaDriver& cuda)
{
    CUevent event = nullptr;
    if (auto rc = cuda.cuEventCreate(&event, 0); rc != CUDA_SUCCESS)
        return std::unexpected(cuda.error("cuEventCreate", rc));
    return DriverEvent(&cuda, event);
}

Expected<void> DriverEvent::record(CUstream stream) const
{
    if (auto rc = cuda_->cuEventRecord(event_, stream); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuEventRecord", rc));
    return {};
}

Expected<double> DriverEvent::elapsed_since(const DriverEvent& start) const
{
    if (auto rc = cuda_->cuEventSynchronize(event_); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuEventSynchronize", rc));
    float milliseconds = 0;
    if (auto rc = cuda_->cuEventElapsedTime(&milliseconds, start.event_, event_); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuEventElapsedTime", rc));
    return milliseconds;
}

void GpuSession::make_current() const
{
    // Errors surface in the call that follows, named after it.
    cuda_->cuCtxSetCurrent(context_);
}

Expected<CUfunction> GpuSession::function(const char* name) const
{
    CUfunction function = nullptr;
    if (auto rc = cuda_->cuModuleGetFunction(&function, module_, name); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuModuleGetFunction", rc).with_context(name));
    return function;
}

Expected<DeviceBuffer> GpuSession::allocate(size_t bytes) const
{
    make_current();
    CUdeviceptr pointer = 0;
    if (auto rc = cuda_->cuMemAlloc(&pointer, bytes); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemAlloc", rc));
    return DeviceBuffer(cuda_, pointer, bytes);
}

Expected<PinnedHostBuffer> GpuSession::allocate_pinned(size_t bytes) const
{
    if (cuda_->cuMemAllocHost == nullptr || cuda_->cuMemFreeHost == nullptr)
        return fail(ErrorCode::not_found, "libcuda.so.1 ({}) has no entry point {}",
                    cuda_->library.mapped_path(),
                    cuda_->cuMemAllocHost == nullptr ? "cuMemAllocHost_v2" : "cuMemFreeHost");
    make_current();
    void* pointer = nullptr;
    if (auto rc = cuda_->cuMemAllocHost(&pointer, bytes); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemAllocHost", rc));
    return PinnedHostBuffer(cuda_, pointer, bytes);
}

Expected<void> GpuSession::upload(const DeviceBuffer& to, const void* from, size_t bytes) const
{
    make_current();
    if (auto rc = cuda_->cuMemcpyHtoD(to.get(), from, bytes); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemcpyHtoD", rc));
    return {};
}

Expected<void> GpuSession::download(void* to, const DeviceBuffer& from, size_t bytes) const
{
    make_current();
    if (auto rc = cuda_->cuMemcpyDtoH(to, from.get(), bytes); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemcpyDtoH", rc));
    return {};
}

Expected<void> GpuSession::launch(CUfunction function, unsigned blocks, unsigned threads,
                                  void** arguments) const
{
    ENVPIN_TRY(launch_async(function, blocks, threads, arguments));
    return synchronize();
}

Expected<void> GpuSession::launch_async(CUfunction function, unsigned blocks, unsigned threads,
                                        void** arguments, CUstream stream) const
{
    make_current();
    if (auto rc = cuda_->cuLaunchKernel(function, blocks, 1, 1, threads, 1, 1, 0, stream,
                                        arguments, nullptr);
        rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuLaunchKernel", rc));
    return {};
}

Expected<void> GpuSession::synchronize() const
{
    make_current();
    if (auto rc = cuda_->cuCtxSynchronize(); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuCtxSynchronize", rc));
    return {};
}

Expected<void> GpuSession::activate() const
{
    if (auto rc = cuda_->cuCtxSetCurrent(context_); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuCtxSetCurrent", rc));
    return {};
}

Expected<MemoryInfo> GpuSession::memory_info() const
{
    make_current();
    MemoryInfo info;
    if (auto rc = cuda_->cuMemGetInfo(&info.free, &info.total); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemGetInfo", rc));
    return info;
}

Expected<void> GpuSession::zero(const DeviceBuffer& buffer) const
{
    make_current();
    if (auto rc = cuda_->cuMemsetD8(buffer.get(), 0, buffer.bytes()); rc != CUDA_SUCCESS)
        return std::unexpected(cuda_->error("cuMemsetD8", rc));
    return {};
}

unsigned GpuSession::full_grid(unsigned threads) const
{
    // 2048 resident threads per multiprocessor on every supported architecture but sm_86/89
    // (1536); oversubscribing a little costs nothing with grid-stride loops.
    return static_cast<unsigned>(multiprocessors_) * (2048u / threads);
}

}  // namespace envpin::verify
