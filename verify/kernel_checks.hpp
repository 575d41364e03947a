#pragma once
// The embedded kernels as checks with exact answers, run inside a probe child.
#include <cstddef>

#include "base/error.hpp"
#include "verify/gpu_session.hpp"

namespace envpin::verify {

struct VectorAddResult {
    size_t elements = 0;
    size_t wrong = 0;          // elements where c[i] != a[i] + b[i] exactly
    size_t first_wrong = 0;    // index of the first, when wrong > 0
    double milliseconds = 0;
};

// c = a + b over `elements` floats drawn from a fixed-seed generator; every element is
// compared with the host's sum (exact: the inputs are chosen so float addition is exact).
[[nodiscard]] Expected<VectorAddResult> run_vector_add(const GpuSession& session, size_t elements);

}  // namespace envpin::verify
