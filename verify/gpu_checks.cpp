#include "verify/gpu_checks.hpp"

#include <array>

namespace envpin::verify {
namespace {

constexpr std::array gpu_check_table{
    CheckEntry{"kernels",
               "embedded kernels: vector add, memory patterns, copy bandwidth, reduction",
               check_kernels},
    CheckEntry{"cublas", "cuBLAS BF16 and TF32 GEMM: accuracy, repeatability, TFLOP/s",
               check_cublas},
    CheckEntry{"cudnn", "cuDNN convolution forward and backward against a CPU reference",
               check_cudnn},
    CheckEntry{"nccl", "NCCL all-reduce across every GPU: exactness, bus bandwidth", check_nccl},
};

} // namespace

GpuCheckFunction find_gpu_check_function(std::string_view name)
{
    const CheckEntry* entry = find_gpu_check(name);
    return entry != nullptr ? entry->run : nullptr;
}

std::span<const CheckEntry> gpu_checks()
{
    return gpu_check_table;
}

const CheckEntry* find_gpu_check(std::string_view name)
{
    for (const auto& entry : gpu_check_table)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

} // namespace envpin::verify
