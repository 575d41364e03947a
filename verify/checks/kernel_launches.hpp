#pragma once
// The embedded kernels as checks with exact answers, run inside a probe child.
#include <cstddef>

#include "base/error.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {

struct VectorAddResult {
    size_t elements = 0;
    size_t wrong = 0;          // elements where c[i] != a[i] + b[i] exactly
    size_t first_wrong = 0;    // index of the first, when wrong > 0
    double milliseconds = 0;
};

// What a checking kernel found: how many elements were wrong and the index of the first one
// it met (the kernels' last two arguments are these two device counters).
struct HitCount {
    unsigned long long count = 0;
    unsigned long long first = 0;
};

// Runs checking kernel `name` over a full grid with `arguments` followed by two zeroed device
// counters, waits, and returns the counters. Each argument must have the kernel's exact
// parameter type (CUdeviceptr for pointers, unsigned long long for sizes).
template <class... Arguments>
[[nodiscard]] Expected<HitCount> run_counting_kernel(const GpuSession& session, const char* name,
                                                     Arguments... arguments)
{
    const auto function = ENVPIN_TRY(session.function(name));
    auto counters = ENVPIN_TRY(session.allocate(2 * sizeof(unsigned long long)));
    ENVPIN_TRY(session.zero(counters));
    CUdeviceptr count = counters.get(), first = counters.get() + sizeof(unsigned long long);
    void* pointers[] = {&arguments..., &count, &first};
    ENVPIN_TRY(session.launch(function, session.full_grid(256), 256, pointers));
    unsigned long long host[2] = {};
    ENVPIN_TRY(session.download(host, counters, sizeof host));
    return HitCount{host[0], host[1]};
}

// Launches fill kernel `name` (out, n, seed) over a full grid on `stream` without waiting.
[[nodiscard]] Expected<void> launch_fill(const GpuSession& session, const char* name,
                                         CUdeviceptr out, unsigned long long n,
                                         unsigned long long seed, CUstream stream = nullptr);

struct ReduceResult {
    size_t elements = 0;
    unsigned long long sum = 0;       // what the GPU computed
    unsigned long long expected = 0;  // the host's sum of the same values
    [[nodiscard]] bool exact() const { return sum == expected; }
};

// Sums `elements` random 32-bit integers (fill_values.h, stream `seed`) on the GPU into 64 bits
// and on the host: any lost or doubled element changes the sum.
[[nodiscard]] Expected<ReduceResult> run_reduce_sum(const GpuSession& session, size_t elements,
                                                    unsigned long long seed);

// c = a + b over `elements` floats drawn from a fixed-seed generator; every element is
// compared with the host's sum (exact: the inputs are chosen so float addition is exact).
[[nodiscard]] Expected<VectorAddResult> run_vector_add(const GpuSession& session, size_t elements);

}  // namespace envpin::verify
