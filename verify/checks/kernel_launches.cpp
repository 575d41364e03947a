#include "verify/checks/kernel_launches.hpp"

#include <chrono>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/fill_values.h"
#include "kernels/kernels.hpp"

namespace envpin::verify {

Expected<void> launch_fill(const GpuSession& session, const char* name, CUdeviceptr out,
                           unsigned long long n, unsigned long long seed, CUstream stream)
{
    const auto function = ENVPIN_TRY(session.function(name));
    void* arguments[] = {&out, &n, &seed};
    return session.launch_async(function, session.full_grid(256), 256, arguments, stream);
}

Expected<ReduceResult> run_reduce_sum(const GpuSession& session, size_t elements,
                                      unsigned long long seed)
{
    auto input = ENVPIN_TRY(session.allocate(elements * sizeof(unsigned int)));
    auto sum = ENVPIN_TRY(session.allocate(sizeof(unsigned long long)));
    ENVPIN_TRY(session.zero(sum));
    ENVPIN_TRY(launch_fill(session, kernels::fill_u32, input.get(), elements, seed));
    const auto function = ENVPIN_TRY(session.function(kernels::reduce_sum));
    CUdeviceptr in = input.get(), out = sum.get();
    unsigned long long n = elements;
    void* arguments[] = {&in, &n, &out};
    // The kernel reduces a block in shared memory of exactly 256 entries.
    ENVPIN_TRY(session.launch(function, session.full_grid(256), 256, arguments));
    ReduceResult result;
    result.elements = elements;
    ENVPIN_TRY(session.download(&result.sum, sum, sizeof result.sum));
    for (size_t i = 0; i < elements; ++i)
        result.expected += static_cast<unsigned int>(envpin_random_bits(seed, i));
    return result;
}

Expected<VectorAddResult> run_vector_add(const GpuSession& session, size_t elements)
{
    // Integers below 2^23 are exact in float, and so are their sums below 2^24.
    std::mt19937 generator(20261127);
    std::uniform_int_distribution<int> values(0, (1 << 22) - 1);
    std::vector<float> a(elements), b(elements), c(elements);
    for (size_t i = 0; i < elements; ++i) {
        a[i] = static_cast<float>(values(generator));
        b[i] = static_cast<float>(values(generator));
    }
    // Poison the output so an element the kernel never wrote cannot pass.
    std::memset(c.data(), 0xff, elements * sizeof(float));
    const size_t bytes = elements * sizeof(float);
    auto device_a = ENVPIN_TRY(session.allocate(bytes));
    auto device_b = ENVPIN_TRY(session.allocate(bytes));
    auto device_c = ENVPIN_TRY(session.allocate(bytes));
    ENVPIN_TRY(session.upload(device_a, a.data(), bytes));
    ENVPIN_TRY(session.upload(device_b, b.data(), bytes));
    ENVPIN_TRY(session.upload(device_c, c.data(), bytes));
    const auto function = ENVPIN_TRY(session.function(kernels::vector_add));

    CUdeviceptr pa = device_a.get(), pb = device_b.get(), pc = device_c.get();
    unsigned long long n = elements;
    void* arguments[] = {&pa, &pb, &pc, &n};
    const unsigned threads = 256;
    const auto blocks = static_cast<unsigned>(
        std::min<size_t>((elements + threads - 1) / threads, size_t{65535} * 8));
    const auto start = std::chrono::steady_clock::now();
    ENVPIN_TRY(session.launch(function, std::max(1u, blocks), threads, arguments));
    const auto stop = std::chrono::steady_clock::now();
    ENVPIN_TRY(session.download(c.data(), device_c, bytes));

    VectorAddResult result;
    result.elements = elements;
    result.milliseconds = std::chrono::duration<double, std::milli>(stop - start).count();
    for (size_t i = 0; i < elements; ++i) {
        if (c[i] != a[i] + b[i]) {
            if (result.wrong++ == 0)
                result.first_wrong = i;
        }
    }
    return result;
}

}  // namespace envpin::verify
