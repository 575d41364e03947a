#pragma once
// The host side of the GEMM check: which output elements to sample and what they should be.
// The GPU fills A and B with fill_values.h's streams, so the host recomputes exactly the rows
// and columns it needs, in double precision, without copying the matrices.
#include <cstddef>
#include <utility>
#include <vector>

namespace envpin::verify {

enum class GemmInput { bf16, fp32, e4m3 };

// Element (row, column) of an n×n column-major matrix filled from stream `seed`, as the GPU
// holds it: envpin_uniform_bf16 widened back to float for bf16, envpin_uniform for fp32,
// envpin_e4m3_value for e4m3.
[[nodiscard]] double gemm_input(GemmInput type, unsigned long long seed, int n, int row,
                                int column);

// C(i, j) of C = op(A)·B for n×n column-major A (stream `seed_a`) and B (stream `seed_b`),
// summed in double. op(A) is A, except for e4m3: cuBLASLt's FP8 kernels take A transposed
// (the "TN" layout), so there C = Aᵀ·B.
[[nodiscard]] double gemm_reference(GemmInput type, unsigned long long seed_a,
                                    unsigned long long seed_b, int n, int i, int j);

// `count` distinct (row, column) positions in an n×n matrix: the four corners, then positions
// drawn from `seed`. Fewer when the matrix has fewer elements.
[[nodiscard]] std::vector<std::pair<int, int>> sample_positions(int n, size_t count,
                                                                unsigned long long seed);

} // namespace envpin::verify
