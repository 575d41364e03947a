#pragma once
// Finds an environment's own CUDA libraries (from its nvidia-* wheels, or bundled in torch/lib
// by older torch wheels), so checks load exactly what the environment's PyTorch would load.
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace envpin::verify {

// <env>/lib/python3.*/site-packages and <env>/lib64/python3.*/site-packages that exist.
[[nodiscard]] std::vector<std::filesystem::path> find_site_packages(const std::filesystem::path& environment);

// True when `filename` is a shared object of library `stem`: lib<stem>.so[.N...], or a
// bundled copy with a hash suffix (lib<stem>-1a2b3c4d.so.12). "cublas" does not match
// libcublasLt.so.13.
[[nodiscard]] bool is_library_file(std::string_view filename, std::string_view stem);

// The environment's copy of lib<stem> ("cudart", "cublas", "cublasLt", "cudnn", "nccl",
// "nvrtc", "nvJitLink", ...): searched under site-packages/nvidia/**/lib and
// site-packages/torch/lib; the highest soname major wins. nullopt when the environment has none.
[[nodiscard]] std::optional<std::filesystem::path> find_env_library(
    const std::filesystem::path& environment, std::string_view stem);

// lib<stem> in `directory` alone (a `library_dir` override), by the same rule.
[[nodiscard]] std::optional<std::filesystem::path> find_library_in(const std::filesystem::path& directory,
                                                                   std::string_view stem);

// Which of several files of one library a check loads: the highest soname major, then the
// plain soname (lib<stem>.so.N) over longer names, then path order. nullopt for none.
[[nodiscard]] std::optional<std::filesystem::path> best_library(std::vector<std::filesystem::path> candidates);

}  // namespace envpin::verify
