#include "verify/checks/registry.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace envpin::verify {
namespace {

constexpr std::array checks{
    CheckEntry{"host", "the driver, the GPUs and their health, the build's arch list, the loader path", run_host_check,
               false},
    CheckEntry{"libs", "the environment's CUDA libraries: present, loadable, the versions its distributions say",
               run_libs_check, false},
    CheckEntry{"kernels", "embedded kernels: vector add, memory patterns, copy bandwidth, reduction, host copies",
               run_kernels_check, true},
    CheckEntry{"cublas", "cuBLAS BF16, TF32, FP32 and FP8 GEMMs: accuracy, repeatability, TFLOP/s", run_cublas_check,
               true},
    CheckEntry{"cudnn", "cuDNN convolution forward and backward against a CPU reference", run_cudnn_check, true},
    CheckEntry{"nccl", "NCCL all-reduce across every GPU: exactness, bus bandwidth", run_nccl_check, true},
    CheckEntry{"train", "a short LibTorch training run against the environment's own LibTorch", run_train_check,
               false},
    CheckEntry{"python", "the environment's interpreter imports torch and trains a few steps", run_python_check,
               false},
};

constexpr auto names = [] {
    std::array<std::string_view, checks.size()> list{};
    for (size_t i = 0; i < checks.size(); ++i)
        list[i] = checks[i].name;
    return list;
}();

constexpr std::array<std::string_view, 7> selftests{
    "selftest-pass", "selftest-hang",    "selftest-crash", "selftest-fork",
    "selftest-flood", "selftest-garbage", "selftest-exit",
};

const CheckEntry* find_suite_check(std::string_view name)
{
    const auto it = std::ranges::find(checks, name, &CheckEntry::name);
    return it != checks.end() ? &*it : nullptr;
}

}  // namespace

std::span<const CheckEntry> suite_checks()
{
    return checks;
}

std::span<const std::string_view> suite_check_names()
{
    return names;
}

bool is_gpu_check(std::string_view name)
{
    const auto* entry = find_suite_check(name);
    return entry != nullptr && entry->needs_gpu;
}

CheckFunction find_check_function(std::string_view name)
{
    if (const auto* entry = find_suite_check(name))
        return entry->run;
    if (name == "project")
        return run_project_check;
    if (selftest_enabled() && std::ranges::find(selftests, name) != selftests.end())
        return run_selftest_check;
    return nullptr;
}

bool selftest_enabled()
{
    const char* value = std::getenv("ENVPIN_PROBE_SELFTEST");
    return value != nullptr && std::string_view(value) == "1";
}

std::span<const std::string_view> selftest_check_names()
{
    return selftests;
}

}  // namespace envpin::verify
