// envpin's GPU test kernels. Built by nvcc into one fatbin (SASS for every supported
// architecture plus PTX of the newest) that is embedded in the envpin binary and loaded at
// run time through the driver API. Names are extern "C" so the loader finds them unmangled.
#include <stdint.h>

// c[i] = a[i] + b[i]: the first kernel every GPU check runs; verified element by element.
extern "C" __global__ void envpin_vector_add(const float* a, const float* b, float* c,
                                             unsigned long long n)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        c[i] = a[i] + b[i];
}

// Device-to-device copy with 16-byte accesses and a grid-stride loop: measures HBM bandwidth
// (bytes read + bytes written over time).
extern "C" __global__ void envpin_copy(const uint4* __restrict__ src, uint4* __restrict__ dst,
                                       unsigned long long n_vec)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < n_vec; i += stride)
        dst[i] = src[i];
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
