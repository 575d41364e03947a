#pragma once
// Builds the LibTorch training probe (verify/checks/train/, embedded in envpin) against a LibTorch
// and caches the binary by what it was built from, so only the first verify of an environment
// pays for the compile. Runs in the suite's parent: it starts cmake, and never loads LibTorch
// or CUDA itself.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace envpin::verify {

struct TrainProbeRequest {
    std::filesystem::path environment;               // its torch wins when it ships TorchConfig.cmake
    std::optional<std::filesystem::path> torch_dir;  // LibTorch to use when the environment has none
    std::filesystem::path cache_root;                // builds live in <cache_root>/train/<key>/
    std::chrono::milliseconds build_timeout{20 * 60 * 1000};
    std::function<void()> on_build_start;  // told when the probe is not cached and is built now
};

struct TrainProbe {
    std::filesystem::path binary;     // <cache_root>/train/<key>/envpin-train-probe
    std::filesystem::path torch_dir;  // the directory holding TorchConfig.cmake
    std::string key;                  // 16 hex digits of SHA-256 (see train_probe_key)
    bool built_now = false;           // false: taken from the cache
    long long build_ms = 0;
};

// The directory holding TorchConfig.cmake: the environment's torch
// (site-packages/torch/share/cmake/Torch), else `torch_dir` (that directory itself, or a
// prefix with share/cmake/Torch or lib/cmake/Torch below it). nullopt when neither has one.
[[nodiscard]] std::optional<std::filesystem::path> find_torch_cmake_dir(
    const std::filesystem::path& environment, const std::optional<std::filesystem::path>& torch_dir);

// The cache key: SHA-256 over the probe's sources, the Torch directory, its
// TorchConfigVersion.cmake, the torch distribution's RECORD (when it is a wheel) and the size
// and modification time of its libtorch.so, so a changed torch or probe source rebuilds.
[[nodiscard]] std::string train_probe_key(const std::filesystem::path& torch_cmake_dir);

// The cached probe for this LibTorch, building it first when absent (cmake configure + build
// in a private directory, renamed into place, so concurrent builds never see half a probe).
// not_found: no LibTorch or no cmake on PATH (the check skips); io/timeout: the build failed,
// with the end of the compiler output in the message and the whole log kept beside the cache.
[[nodiscard]] Expected<TrainProbe> prepare_train_probe(const TrainProbeRequest& request);

}  // namespace envpin::verify
