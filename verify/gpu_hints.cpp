#include "verify/gpu_hints.hpp"

#include <array>

namespace envpin::verify {
namespace {

struct Signature {
    int cuda_code;                 // CUDA driver/runtime number, 0 for library statuses
    std::string_view driver_name;  // as cuGetErrorName prints it ("" if none)
    std::string_view runtime_name; // as cudaGetErrorName or the library prints it
    std::string_view hint;
};

// Root causes first: the first signature present in a text wins.
constexpr std::array signatures{
    Signature{35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "cudaErrorInsufficientDriver",
              "the NVIDIA driver is older than the CUDA runtime of this environment (or no "
              "driver is loaded): upgrade the driver, or resolve the environment again for "
              "this driver's CUDA version"},
    Signature{222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "cudaErrorUnsupportedPtxVersion",
              "the code carries PTX from a newer CUDA than the driver can compile: upgrade the "
              "driver, or use a build with machine code for this GPU"},
    Signature{209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "cudaErrorNoKernelImageForDevice",
              "no kernel image for this GPU: the code was built for other GPU architectures "
              "(wrong arch list); use a build whose architecture list covers this GPU's "
              "compute capability"},
    Signature{802, "CUDA_ERROR_SYSTEM_NOT_READY", "cudaErrorSystemNotReady",
              "the system is not ready: on NVSwitch systems (HGX) the Fabric Manager must run; "
              "start nvidia-fabricmanager, of the same version as the driver"},
    Signature{804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
              "cudaErrorCompatNotSupportedOnDevice",
              "CUDA forward compatibility (cuda-compat libraries) is not supported on this GPU: "
              "take cuda-compat off the loader path, or install a driver that supports this "
              "CUDA version natively"},
    Signature{100, "CUDA_ERROR_NO_DEVICE", "cudaErrorNoDevice",
              "no CUDA GPU is visible: check CUDA_VISIBLE_DEVICES and that nvidia-smi lists the "
              "GPU"},
    Signature{2, "CUDA_ERROR_OUT_OF_MEMORY", "cudaErrorMemoryAllocation",
              "the GPU is out of memory: another process may hold it (nvidia-smi lists them)"},
    Signature{0, "", "CUBLAS_STATUS_ARCH_MISMATCH",
              "this cuBLAS has no support for this GPU's architecture: install a cuBLAS (nvidia-"
              "cublas wheel) that supports this GPU"},
    Signature{0, "", "CUBLAS_STATUS_NOT_INITIALIZED",
              "cuBLAS could not initialise: often out of GPU memory at handle creation, or a "
              "CUDA runtime/driver mismatch"},
    Signature{0, "", "CUDNN_STATUS_SUBLIBRARY",
              "cuDNN's sub-libraries (libcudnn_*.so.9) are missing or from another cuDNN "
              "version: look for another cuDNN on LD_LIBRARY_PATH and restore the environment's "
              "nvidia-cudnn wheel"},
    Signature{0, "", "CUDNN_STATUS_NOT_INITIALIZED",
              "cuDNN could not initialise: often out of GPU memory at handle creation, or a "
              "cuDNN/driver mismatch"},
    Signature{0, "", "undefined symbol",
              "libraries of two CUDA versions are mixed: often LD_LIBRARY_PATH puts another "
              "CUDA ahead of the environment's nvidia-* wheels"},
    Signature{0, "", "cannot open shared object file",
              "a shared library is missing or not on the loader path: restore the environment "
              "(its nvidia-* wheels carry the CUDA libraries)"},
    Signature{0, "", "unhandled cuda error",
              "NCCL hit a CUDA failure underneath (often a driver/runtime mismatch or an NCCL "
              "built for another CUDA): run with NCCL_DEBUG=WARN to see it"},
};

} // namespace

std::string gpu_hint(std::string_view failure)
{
    for (const auto& signature : signatures) {
        const bool driver = !signature.driver_name.empty() &&
                            failure.find(signature.driver_name) != std::string_view::npos;
        if (driver || failure.find(signature.runtime_name) != std::string_view::npos)
            return std::string(signature.hint);
    }
    return {};
}

std::string cuda_error_hint(int code)
{
    for (const auto& signature : signatures)
        if (signature.cuda_code != 0 && signature.cuda_code == code)
            return std::string(signature.hint);
    return {};
}

} // namespace envpin::verify
