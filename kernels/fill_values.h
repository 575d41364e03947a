// Deterministic pseudo-random test values, computed identically by the GPU fill kernels
// (test_kernels.cu, compiled by nvcc) and by the host references (verify/, compiled by g++).
// The host recomputes only the elements it samples, so multi-GiB inputs never cross PCIe.
// Everything here is integer arithmetic plus exact int-to-float conversions: the same bits on
// both sides, whatever the compiler.
#pragma once

#ifdef __CUDACC__
#define ENVPIN_HD __host__ __device__ __forceinline__
#else
#include <cstring>
#define ENVPIN_HD inline
#endif

// splitmix64's finalizer: a bijective mix of 64 bits.
ENVPIN_HD unsigned long long envpin_mix64(unsigned long long x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// 64 random bits for element `index` of the stream named by `seed`.
ENVPIN_HD unsigned long long envpin_random_bits(unsigned long long seed, unsigned long long index)
{
    return envpin_mix64(seed ^ envpin_mix64(index));
}

// A float in [-1, 1) with 24 random bits: k / 2^23 for an integer k, so exact in fp32
// (and rounded by TF32 matrix units, which is what the TF32 check measures).
ENVPIN_HD float envpin_uniform(unsigned long long seed, unsigned long long index)
{
    const int k = static_cast<int>(envpin_random_bits(seed, index) >> 40) - (1 << 23);
    return static_cast<float>(k) * (1.0f / 8388608.0f);
}

ENVPIN_HD unsigned int envpin_float_bits(float value)
{
#ifdef __CUDA_ARCH__
    return __float_as_uint(value);
#else
    unsigned int bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
#endif
}

// The bf16 test value: envpin_uniform truncated to bf16 (its upper 16 bits).
ENVPIN_HD unsigned short envpin_uniform_bf16(unsigned long long seed, unsigned long long index)
{
    return static_cast<unsigned short>(envpin_float_bits(envpin_uniform(seed, index)) >> 16);
}

// The FP8 test value: k / 16 for an integer k in [-16, 16] drawn from the stream. Every such
// value is exact in E4M3 (at most 4 significant bits, exponents -4..0), and a sum of up to 2^15
// products of two of them is exact in FP32: the FP8 GEMM's only rounding is its output's.
ENVPIN_HD int envpin_e4m3_numerator(unsigned long long seed, unsigned long long index)
{
    return static_cast<int>(envpin_random_bits(seed, index) % 33u) - 16;
}

ENVPIN_HD float envpin_e4m3_value(unsigned long long seed, unsigned long long index)
{
    return static_cast<float>(envpin_e4m3_numerator(seed, index)) * 0.0625f;
}

// The E4M3 bits of k / 16 (|k| <= 16): sign, 4 exponent bits with bias 7, 3 mantissa bits.
ENVPIN_HD unsigned char envpin_e4m3_bits(int k)
{
    const unsigned sign = k < 0 ? 0x80u : 0u;
    const unsigned m = static_cast<unsigned>(k < 0 ? -k : k);
    if (m == 0)
        return static_cast<unsigned char>(sign);
    unsigned e = 0;  // floor(log2 m): m / 16 = (m / 2^e) * 2^(e - 4), exponent field e - 4 + 7
    while ((m >> (e + 1)) != 0)
        ++e;
    const unsigned mantissa = ((m << 3) >> e) & 7u;
    return static_cast<unsigned char>(sign | ((e + 3) << 3) | mantissa);
}

// An integer-valued float for collective checks: any sum of up to 64 of them is exact in fp32
// (each is below 2^17), whatever order the reduction adds them in.
ENVPIN_HD float envpin_collective_value(unsigned long long index, int rank)
{
    return static_cast<float>(static_cast<int>(index % 1021u) + 1021 * rank);
}
