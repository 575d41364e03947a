#pragma once
// The embedded test-kernel fatbin and the names of its kernels (see test_kernels.cu).
#include <cstddef>
#include <span>
#include <string_view>

namespace envpin::kernels {

// The fatbin image for cuModuleLoadData; empty when nvcc was absent at build time.
[[nodiscard]] std::span<const unsigned char> fatbin();
[[nodiscard]] bool built();
// "sm_75 sm_80 ... compute_120": what the fatbin carries, for explanations.
[[nodiscard]] std::string_view architectures();

inline constexpr const char* vector_add = "envpin_vector_add";
inline constexpr const char* copy = "envpin_copy";
inline constexpr const char* reduce_sum = "envpin_reduce_sum";
inline constexpr const char* pattern_write = "envpin_pattern_write";
inline constexpr const char* pattern_check = "envpin_pattern_check";

}  // namespace envpin::kernels
