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
inline constexpr const char* fill_uniform_f32 = "envpin_fill_uniform_f32";
inline constexpr const char* fill_uniform_bf16 = "envpin_fill_uniform_bf16";
inline constexpr const char* fill_uniform_e4m3 = "envpin_fill_uniform_e4m3";
inline constexpr const char* fill_u32 = "envpin_fill_u32";
inline constexpr const char* count_mismatch = "envpin_count_mismatch";
inline constexpr const char* collective_fill = "envpin_collective_fill";
inline constexpr const char* collective_check = "envpin_collective_check";

}  // namespace envpin::kernels
