// envpin's GPU test kernels. Built by nvcc into one fatbin (SASS for every supported
// architecture plus PTX of the newest) that is embedded in the envpin binary and loaded at
// run time through the driver API. Names are extern "C" so the loader finds them unmangled.
#include <stdint.h>

#include "fill_values.h"

#define ENVPIN_GRID_STRIDE(i, n)                                                                   \
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < (n); \
         i += (unsigned long long)gridDim.x * blockDim.x)

// c[i] = a[i] + b[i]: the first kernel every GPU check runs; verified element by element.
extern "C" __global__ void envpin_vector_add(const float* a, const float* b, float* c,
                                             unsigned long long n)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        c[i] = a[i] + b[i];
}

// Device-to-device copy with 16-byte accesses: measures HBM bandwidth (bytes read + bytes
// written over time). Launched with one thread per 16-byte word (verify/checks/kernels_memory.cpp):
// on an H200 that reached 4.21 TB/s, as fast as cudaMemcpyAsync (4.19), where a persistent
// grid of 8 blocks per multiprocessor looping over the buffer reached 3.87 with one load in
// flight per thread and no more with four. The grid-stride loop only covers grid limits.
extern "C" __global__ void envpin_copy(const uint4* __restrict__ src, uint4* __restrict__ dst,
                                       unsigned long long n_vec)
{
    ENVPIN_GRID_STRIDE(i, n_vec) dst[i] = src[i];
}

// Exact integer sum: each block reduces in shared memory, then one atomic per block.
// The host compares with its own sum, so any lost or duplicated element shows.
extern "C" __global__ void envpin_reduce_sum(const unsigned int* __restrict__ in,
                                             unsigned long long n,
                                             unsigned long long* __restrict__ out)
{
    __shared__ unsigned long long partial[256];
    unsigned long long sum = 0;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        sum += in[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned int width = blockDim.x / 2; width > 0; width /= 2) {
        if (threadIdx.x < width)
            partial[threadIdx.x] += partial[threadIdx.x + width];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        atomicAdd(out, partial[0]);
}

// Memory pattern test, after cuda_memtest: mode 0 writes each word's own address (catches
// aliasing and address-line faults), mode 1 writes a walking one (bit (i + seed) % 64),
// mode 2 the complement of mode 1.
__device__ __forceinline__ unsigned long long envpin_pattern(const unsigned long long* base,
                                                             unsigned long long i, int mode,
                                                             unsigned seed)
{
    if (mode == 0)
        return (unsigned long long)(uintptr_t)(base + i);
    const unsigned long long walking = 1ull << ((i + seed) & 63u);
    return mode == 1 ? walking : ~walking;
}

extern "C" __global__ void envpin_pattern_write(unsigned long long* mem, unsigned long long n,
                                                int mode, unsigned seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        mem[i] = envpin_pattern(mem, i, mode, seed);
}

// Counts mismatching words into *errors and records the first bad index in *first_bad.
extern "C" __global__ void envpin_pattern_check(const unsigned long long* mem,
                                                unsigned long long n, int mode, unsigned seed,
                                                unsigned long long* errors,
                                                unsigned long long* first_bad)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        if (mem[i] != envpin_pattern(mem, i, mode, seed)) {
            if (atomicAdd(errors, 1ull) == 0)
                *first_bad = i;
        }
    }
}

// Fill kernels for the library checks: element i of the stream `seed`, as fill_values.h
// defines it, so the host recomputes any sampled element without a transfer.
extern "C" __global__ void envpin_fill_uniform_f32(float* out, unsigned long long n,
                                                   unsigned long long seed)
{
    ENVPIN_GRID_STRIDE(i, n) out[i] = envpin_uniform(seed, i);
}

extern "C" __global__ void envpin_fill_uniform_bf16(unsigned short* out, unsigned long long n,
                                                    unsigned long long seed)
{
    ENVPIN_GRID_STRIDE(i, n) out[i] = envpin_uniform_bf16(seed, i);
}

extern "C" __global__ void envpin_fill_uniform_e4m3(unsigned char* out, unsigned long long n,
                                                    unsigned long long seed)
{
    ENVPIN_GRID_STRIDE(i, n) out[i] = envpin_e4m3_bits(envpin_e4m3_numerator(seed, i));
}

extern "C" __global__ void envpin_fill_u32(unsigned int* out, unsigned long long n,
                                           unsigned long long seed)
{
    ENVPIN_GRID_STRIDE(i, n) out[i] = (unsigned int)envpin_random_bits(seed, i);
}

// Counts words where a and b differ (bit-repeatability of two runs of the same GEMM).
extern "C" __global__ void envpin_count_mismatch(const unsigned int* __restrict__ a,
                                                 const unsigned int* __restrict__ b,
                                                 unsigned long long n,
                                                 unsigned long long* mismatches,
                                                 unsigned long long* first)
{
    ENVPIN_GRID_STRIDE(i, n)
    {
        if (a[i] != b[i] && atomicAdd(mismatches, 1ull) == 0)
            *first = i;
    }
}

// All-reduce input of `rank` and the check of the sum over `ranks` ranks (exact integers).
extern "C" __global__ void envpin_collective_fill(float* out, unsigned long long n, int rank)
{
    ENVPIN_GRID_STRIDE(i, n) out[i] = envpin_collective_value(i, rank);
}

extern "C" __global__ void envpin_collective_check(const float* data, unsigned long long n,
                                                   int ranks, unsigned long long* wrong,
                                                   unsigned long long* first)
{
    ENVPIN_GRID_STRIDE(i, n)
    {
        float expected = 0.0f;
        for (int rank = 0; rank < ranks; ++rank)
            expected += envpin_collective_value(i, rank);
        if (data[i] != expected && atomicAdd(wrong, 1ull) == 0)
            *first = i;
    }
}
