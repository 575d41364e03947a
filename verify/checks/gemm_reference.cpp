#include "verify/checks/gemm_reference.hpp"

#include <algorithm>
#include <random>

#include "kernels/fill_values.h"
#include "verify/checks/gpu_figures.hpp"

namespace envpin::verify {

double gemm_input(GemmInput type, unsigned long long seed, int n, int row, int column)
{
    const auto index = static_cast<unsigned long long>(row) +
                       static_cast<unsigned long long>(column) * static_cast<unsigned long long>(n);
    switch (type) {
    case GemmInput::bf16: return bf16_to_float(envpin_uniform_bf16(seed, index));
    case GemmInput::e4m3: return envpin_e4m3_value(seed, index);
    case GemmInput::fp32: break;
    }
    return envpin_uniform(seed, index);
}

double gemm_reference(GemmInput type, unsigned long long seed_a, unsigned long long seed_b, int n,
                      int i, int j)
{
    double sum = 0;
    const bool transposed_a = type == GemmInput::e4m3;
    for (int l = 0; l < n; ++l)
        sum += (transposed_a ? gemm_input(type, seed_a, n, l, i) : gemm_input(type, seed_a, n, i, l)) *
               gemm_input(type, seed_b, n, l, j);
    return sum;
}

std::vector<std::pair<int, int>> sample_positions(int n, size_t count, unsigned long long seed)
{
    std::vector<std::pair<int, int>> positions;
    const size_t elements = static_cast<size_t>(n) * static_cast<size_t>(n);
    count = std::min(count, elements);
    const auto add = [&](int row, int column) {
        if (positions.size() < count &&
            std::ranges::find(positions, std::pair{row, column}) == positions.end())
            positions.emplace_back(row, column);
    };
    add(0, 0);
    add(n - 1, n - 1);
    add(0, n - 1);
    add(n - 1, 0);
    std::mt19937_64 generator(seed);
    std::uniform_int_distribution<int> coordinate(0, n - 1);
    while (positions.size() < count)
        add(coordinate(generator), coordinate(generator));
    return positions;
}

} // namespace envpin::verify
