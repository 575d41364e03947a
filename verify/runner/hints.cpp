#include "verify/runner/hints.hpp"

#include <array>
#include <regex>

#include <fmt/format.h>

namespace envpin::verify {
namespace {

bool contains(std::string_view text, std::string_view needle)
{
    return text.find(needle) != std::string_view::npos;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> needles)
{
    for (auto needle : needles)
        if (contains(text, needle))
            return true;
    return false;
}

// "error 35", "error: 35", "(35)", "code 35", "= 35": an error number standing alone.
bool mentions_error_number(std::string_view text, int number)
{
    const std::regex pattern(fmt::format(R"((error|Error|ERROR|code|returned|=|\()[ :]*{}\b)", number));
    return std::regex_search(text.begin(), text.end(), pattern);
}

// The first capture of `pattern` in `text`, or "".
std::string capture(std::string_view text, const char* pattern)
{
    std::match_results<std::string_view::const_iterator> match;
    if (std::regex_search(text.begin(), text.end(), match, std::regex(pattern)) && match.size() > 1)
        return match[1].str();
    return {};
}

struct Rule {
    bool (*matches)(std::string_view text);
    std::string (*hint)(std::string_view text);
};

constexpr std::array rules{
    Rule{[](std::string_view t) {
             return contains_any(t, {"CUDA driver version is insufficient", "CUDA_ERROR_INSUFFICIENT_DRIVER",
                                     "cudaErrorInsufficientDriver", "driver on your system is too old"}) ||
                    mentions_error_number(t, 35);
         },
         [](std::string_view) -> std::string {
             return "The NVIDIA driver is older than this environment's CUDA runtime needs (CUDA error 35): "
                    "upgrade the driver, or resolve a stack for this driver with `envpin resolve` and "
                    "recreate the environment.";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"no kernel image is available", "CUDA_ERROR_NO_BINARY_FOR_GPU",
                                     "cudaErrorNoKernelImageForDevice",
                                     "is not compatible with the current PyTorch installation"}) ||
                    mentions_error_number(t, 209);
         },
         [](std::string_view) -> std::string {
             return "The code has no SASS or PTX for this GPU's compute capability (CUDA error 209): install a "
                    "torch build whose arch list covers the GPU (`envpin resolve --gpu sm_XY` shows which).";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"system not yet initialized", "CUDA_ERROR_SYSTEM_NOT_READY",
                                     "cudaErrorSystemNotReady"}) ||
                    mentions_error_number(t, 802);
         },
         [](std::string_view) -> std::string {
             return "CUDA error 802: on an NVSwitch (HGX) system the GPUs stay unusable until Fabric Manager "
                    "runs: `sudo systemctl enable --now nvidia-fabricmanager` (its version must match the "
                    "driver's).";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"forward compatibility was attempted on non supported HW",
                                     "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "cudaErrorCompatNotSupportedOnDevice"}) ||
                    mentions_error_number(t, 804);
         },
         [](std::string_view) -> std::string {
             return "CUDA error 804: a forward-compatibility libcuda (cuda-compat) is on the loader path but "
                    "this GPU does not support it (only data-center GPUs do): remove cuda-compat from "
                    "LD_LIBRARY_PATH or the container image, or upgrade the driver.";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "cudaErrorUnsupportedPtxVersion",
                                     "the provided PTX was compiled with an unsupported toolchain"});
         },
         [](std::string_view) -> std::string {
             return "The code carries PTX from a newer CUDA than the driver can compile (CUDA error 222): "
                    "upgrade the driver, or use a build with machine code for this GPU (`envpin resolve` "
                    "picks one for this driver).";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"CUDA_ERROR_NO_DEVICE", "cudaErrorNoDevice", "no CUDA-capable device"});
         },
         [](std::string_view) -> std::string {
             return "No CUDA GPU is visible to the process (CUDA error 100): check CUDA_VISIBLE_DEVICES (and "
                    "NVIDIA_VISIBLE_DEVICES in a container) and that `nvidia-smi` lists the GPU.";
         }},
    Rule{[](std::string_view t) {
             // Python's MemoryError, not torch.cuda.OutOfMemoryError (the GPU's, below).
             static const std::regex python_memory_error(R"((^|[^A-Za-z])MemoryError)");
             return contains_any(t, {"failed to map segment from shared object", "std::bad_alloc",
                                     "Cannot allocate memory", "can't allocate memory"}) ||
                    std::regex_search(t.begin(), t.end(), python_memory_error);
         },
         [](std::string_view) -> std::string {
             return "The process could not get host memory (not GPU memory): a memory limit applies to it "
                    "(`ulimit -v`, `ulimit -d`, a cgroup's memory.max: the run's context lists them) or the "
                    "machine is out of memory; lift the limit and run verify again.";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"out of memory", "CUDA_ERROR_OUT_OF_MEMORY", "cudaErrorMemoryAllocation",
                                     "OutOfMemoryError"});
         },
         [](std::string_view) -> std::string {
             return "The GPU ran out of memory: stop the processes holding GPU memory (`nvidia-smi` lists "
                    "them) and run verify again.";
         }},
    Rule{[](std::string_view t) { return contains(t, "undefined symbol"); },
         [](std::string_view t) -> std::string {
             const auto library = capture(t, R"(([^\s:'"]+\.so[0-9.]*): undefined symbol)");
             return fmt::format(
                 "{} was loaded from a different CUDA than the environment was built with, usually "
                 "because LD_LIBRARY_PATH puts another copy ahead of the environment's nvidia-* wheels: "
                 "unset LD_LIBRARY_PATH (or drop the CUDA directories from it) and retry.",
                 library.empty() ? "A library" : library);
         }},
    Rule{[](std::string_view t) { return contains(t, "cannot open shared object file"); },
         [](std::string_view t) -> std::string {
             const auto library = capture(t, R"(([A-Za-z0-9_.+-]+\.so[0-9.]*): cannot open shared object file)");
             return fmt::format(
                 "{} is missing from the environment or the loader path: reinstall the distribution "
                 "that ships it, or reset the environment to a snapshot that has it (`envpin reset`).",
                 library.empty() ? "A shared library" : library);
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"invalid ELF header", "file too short", "ELF load command", "bad ELF"});
         },
         [](std::string_view) -> std::string {
             return "A shared library file is damaged (not a valid ELF file): reset the environment to restore "
                    "its exact bytes (`envpin reset`).";
         }},
    Rule{[](std::string_view t) { return contains(t, "CUBLAS_STATUS_ARCH_MISMATCH"); },
         [](std::string_view) -> std::string {
             return "This cuBLAS has no kernels for this GPU's architecture: install a cuBLAS (the nvidia-cublas "
                    "wheel) that supports this GPU, or reset the environment (`envpin reset`).";
         }},
    Rule{[](std::string_view t) { return contains(t, "CUDNN_STATUS_SUBLIBRARY"); },
         [](std::string_view) -> std::string {
             return "cuDNN's sub-libraries (libcudnn_*.so.9) are missing or from another cuDNN version: look for "
                    "another cuDNN on LD_LIBRARY_PATH, and restore the environment's nvidia-cudnn wheel "
                    "(`envpin reset`).";
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"CUDNN_STATUS_NOT_INITIALIZED", "CUBLAS_STATUS_NOT_INITIALIZED"});
         },
         [](std::string_view t) -> std::string {
             const auto* library = contains(t, "CUDNN_STATUS_NOT_INITIALIZED") ? "cuDNN" : "cuBLAS";
             return fmt::format("{0} could not create its handle: most often the GPU is out of memory at handle "
                                "creation (see `nvidia-smi`), otherwise {0} does not match the CUDA runtime or "
                                "the driver (see the libs check).",
                                library);
         }},
    Rule{[](std::string_view t) { return contains(t, "unhandled cuda error"); },
         [](std::string_view) -> std::string {
             return "NCCL wraps a CUDA failure here: rerun with NCCL_DEBUG=WARN to see the CUDA error "
                    "underneath; it is usually a driver/runtime mismatch (see the host and libs checks).";
         }},
    Rule{[](std::string_view t) { return contains(t, "No module named 'torch'"); },
         [](std::string_view) -> std::string {
             return "torch is not installed in this environment: reset it to a snapshot that has torch "
                    "(`envpin reset`) or install the locked stack again.";
         }},
    Rule{[](std::string_view t) { return contains(t, "cannot import name"); },
         [](std::string_view t) -> std::string {
             const auto file = capture(t, R"(cannot import name '[^']+' from '[^']+' \(([^)]+)\))");
             return fmt::format("{} does not define what the rest of its package imports from it: the file is "
                                "damaged or from another version of the package. Reset the environment to its "
                                "verified snapshot (`envpin reset`; `envpin status` lists the files that changed).",
                                file.empty() ? "A module of the environment" : file);
         }},
    Rule{[](std::string_view t) {
             return contains_any(t, {"NaN", "nan loss", "non-finite", "Inf loss"});
         },
         [](std::string_view) -> std::string {
             return "Training produced NaN/Inf: with the default settings this points at wrong GEMM or "
                    "convolution results (see the cublas and cudnn checks) or a damaged torch build; if the "
                    "learning rate was raised on purpose, lower it.";
         }},
    Rule{[](std::string_view t) { return contains(t, "timed out after"); },
         [](std::string_view) -> std::string {
             return "The check hung and was killed: a GPU in a bad state (look for Xid errors in `dmesg`, "
                    "`nvidia-smi -q`) or a deadlock in the stack; raise --timeout only if the machine is "
                    "merely slow.";
         }},
    Rule{[](std::string_view t) { return contains(t, "killed by SIG"); },
         [](std::string_view) -> std::string {
             return "The check crashed: usually a damaged or mismatched library in the environment; reset the "
                    "environment (`envpin reset`) and look at the libs check.";
         }},
};

}  // namespace

std::string hint_for(std::string_view error_text)
{
    for (const auto& rule : rules)
        if (rule.matches(error_text))
            return rule.hint(error_text);
    return {};
}

std::string with_reset_suggestion(std::string hint, const std::optional<std::string>& reset_target)
{
    if (!reset_target || reset_target->empty())
        return hint;
    const auto at = reset_target->find('@');
    const auto name = reset_target->substr(0, at);
    if (!hint.empty())
        hint += ' ';
    hint += fmt::format("Reset to {}, which passed on this host: envpin reset {} {}.", *reset_target, name,
                        *reset_target);
    return hint;
}

}  // namespace envpin::verify
