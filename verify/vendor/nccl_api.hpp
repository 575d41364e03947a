#pragma once
// NCCL of an environment (libnccl.so.2 from the nvidia-nccl wheel), loaded at run time by path.
// Declarations mirror nccl.h's stable C ABI; this file is the only owner of ncclComm_t.
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "verify/vendor/cuda_runtime.hpp"

namespace envpin::verify {

using ncclResult_t = int;
using ncclComm_t = struct ncclComm*;
using NcclComm = OwnedHandle<ncclComm_t>;

inline constexpr ncclResult_t ncclUnhandledCudaError = 1;
inline constexpr int ncclFloat32 = 7;
inline constexpr int ncclSum = 0;

// Sets NCCL_NVLS_ENABLE=0 unless the variable is already set. NVLink multicast (NVLS) is
// kept off: on shared NVSwitch hosts a program using it can take the GPUs out of service.
// Must run before NCCL initialises (it reads the variable once).
void keep_nvls_off();

struct NcclApi {
    // io when the file cannot be loaded or lacks an entry point.
    [[nodiscard]] static Expected<NcclApi> load(const std::filesystem::path& file);

    // "unhandled cuda error (run with NCCL_DEBUG=INFO for details) (1)", plus NCCL's last
    // error message when it has one.
    [[nodiscard]] std::string describe(ncclResult_t result) const;
    [[nodiscard]] Error error(const char* call, ncclResult_t result) const;
    // ncclGetVersion: 22809 for 2.28.9; needs no GPU.
    [[nodiscard]] int version() const;
    // One communicator per device 0..count-1 in this process (ncclCommInitAll).
    [[nodiscard]] Expected<std::vector<NcclComm>> init_all(int count) const;

    SharedLibrary library;
    ncclResult_t (*ncclGetVersion)(int*) = nullptr;
    ncclResult_t (*ncclCommInitAll)(ncclComm_t*, int, const int*) = nullptr;
    ncclResult_t (*ncclCommDestroy)(ncclComm_t) = nullptr;
    ncclResult_t (*ncclAllReduce)(const void* send, void* receive, size_t count, int type, int op,
                                  ncclComm_t, cudaStream_t) = nullptr;
    ncclResult_t (*ncclGroupStart)() = nullptr;
    ncclResult_t (*ncclGroupEnd)() = nullptr;
    const char* (*ncclGetErrorString)(ncclResult_t) = nullptr;
    const char* (*ncclGetLastError)(ncclComm_t) = nullptr; // optional (NCCL >= 2.13)
};

// `failure` (of an NCCL call) with its root cause added: when NCCL reports "unhandled cuda
// error", the CUDA work under it is retried one layer down (first_cuda_failure) on GPUs
// 0..count-1, and what failed there, or that nothing did, is appended to the message. Other
// failures come back unchanged.
[[nodiscard]] Error explain_nccl_failure(Error failure, const CudaRuntime& runtime, int count);

} // namespace envpin::verify
