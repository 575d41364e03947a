#pragma once
// Ownership of one handle of a dlopen'ed GPU library (cuBLAS and cuDNN handles, descriptors,
// NCCL communicators, CUDA runtime streams, events and allocations). Each API file
// (cuda_runtime, cublas_api, cudnn_api, nccl_api) is the only place that creates its handles,
// and it hands each one out wrapped here with the library's own release call.
#include <functional>
#include <utility>

namespace envpin::verify {

template <class Handle> class OwnedHandle {
  public:
    using Release = std::function<void(Handle)>;

    OwnedHandle() = default;
    OwnedHandle(Handle handle, Release release) : handle_(handle), release_(std::move(release)) {}
    OwnedHandle(OwnedHandle&& other) noexcept
        : handle_(std::exchange(other.handle_, Handle{})), release_(std::move(other.release_))
    {
    }
    OwnedHandle& operator=(OwnedHandle&& other) noexcept
    {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, Handle{});
            release_ = std::move(other.release_);
        }
        return *this;
    }
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    ~OwnedHandle() { reset(); }

    [[nodiscard]] Handle get() const { return handle_; }
    // Releases the handle now (destruction order matters for some libraries).
    void reset()
    {
        if (handle_ != Handle{} && release_)
            release_(std::exchange(handle_, Handle{}));
    }

  private:
    Handle handle_{};
    Release release_;
};

} // namespace envpin::verify
