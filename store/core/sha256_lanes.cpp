#include "store/core/sha256_lanes.hpp"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports wherever they are inlined (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

namespace envpin::store {
namespace {

constexpr uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr uint32_t initial_state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ENVPIN_AVX512 __attribute__((target("avx512f,avx512bw")))

// Ternary-logic truth tables: three-way xor, choose (x ? y : z), majority.
constexpr int xor3 = 0x96;
constexpr int choose = 0xCA;
constexpr int majority = 0xE8;

// The rotation and shift counts are template arguments: the instructions take them as
// immediates, which an unoptimized (sanitizer) build cannot derive from function arguments.
template <int a, int b, int c>
ENVPIN_AVX512 inline __m512i rotate_xor(__m512i x)
{
    return _mm512_ternarylogic_epi32(_mm512_ror_epi32(x, a), _mm512_ror_epi32(x, b), _mm512_ror_epi32(x, c), xor3);
}

template <int a, int b, int shift>
ENVPIN_AVX512 inline __m512i small_sigma(__m512i x)
{
    return _mm512_ternarylogic_epi32(_mm512_ror_epi32(x, a), _mm512_ror_epi32(x, b), _mm512_srli_epi32(x, shift), xor3);
}

// Loads one block of each lane and transposes them, so that w[t] holds word t of every lane
// (big-endian words, as SHA-256 reads them). Inactive lanes load zeros and touch no memory.
ENVPIN_AVX512 inline void load_words(const std::array<const unsigned char*, 16>& data, __mmask16 active,
                                     size_t offset, __m512i (&w)[16])
{
    __m512i r[16];
    __m512i s[16];
    for (int lane = 0; lane < 16; ++lane) {
        const __mmask16 mine = (active >> lane) & 1 ? 0xFFFF : 0;
        r[lane] = _mm512_maskz_loadu_epi32(mine, mine != 0 ? data[lane] + offset : nullptr);
    }
    for (int i = 0; i < 16; i += 2) {
        s[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        s[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(s[i], s[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(s[i], s[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(s[i + 1], s[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(s[i + 1], s[i + 3]);
    }
    for (int i = 0; i < 4; ++i) {
        s[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
        s[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xDD);
        s[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        s[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_shuffle_i32x4(s[i], s[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(s[i], s[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_i32x4(s[i + 4], s[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_i32x4(s[i + 4], s[i + 12], 0xDD);
    }
    const __m512i byte_swap = _mm512_broadcast_i32x4(_mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3));
    for (int t = 0; t < 16; ++t)
        w[t] = _mm512_shuffle_epi8(r[t], byte_swap);
}

ENVPIN_AVX512 void compress_blocks(uint32_t (&state)[8][16], const std::array<const unsigned char*, 16>& data,
                                   __mmask16 active, size_t blocks)
{
    __m512i h[8];
    for (int j = 0; j < 8; ++j)
        h[j] = _mm512_load_si512(state[j]);
    for (size_t block = 0; block < blocks; ++block) {
        __m512i w[16];
        load_words(data, active, block * 64, w);
        __m512i a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
#pragma GCC unroll 64
        for (int t = 0; t < 64; ++t) {
            if (t >= 16) {
                const __m512i s0 = small_sigma<7, 18, 3>(w[(t - 15) & 15]);
                const __m512i s1 = small_sigma<17, 19, 10>(w[(t - 2) & 15]);
                w[t & 15] = _mm512_add_epi32(_mm512_add_epi32(w[t & 15], s0), _mm512_add_epi32(w[(t - 7) & 15], s1));
            }
            const __m512i t1 = _mm512_add_epi32(
                _mm512_add_epi32(_mm512_add_epi32(k, rotate_xor<6, 11, 25>(e)), _mm512_ternarylogic_epi32(e, f, g, choose)),
                _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(round_constants[t])), w[t & 15]));
            const __m512i t2 = _mm512_add_epi32(rotate_xor<2, 13, 22>(a), _mm512_ternarylogic_epi32(a, b, c, majority));
            k = g;
            g = f;
            f = e;
            e = _mm512_add_epi32(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm512_add_epi32(t1, t2);
        }
        const __m512i rounds[8] = {a, b, c, d, e, f, g, k};
        for (int j = 0; j < 8; ++j)
            h[j] = _mm512_mask_add_epi32(h[j], active, h[j], rounds[j]);  // inactive lanes keep theirs
    }
    for (int j = 0; j < 8; ++j)
        _mm512_store_si512(state[j], h[j]);
}

}  // namespace

bool Sha256Lanes::supported()
{
    // libgcc's check includes the kernel saving the AVX-512 registers (XCR0).
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    return avx512;
}

Sha256Lanes::Sha256Lanes()
{
    for (size_t lane = 0; lane < width; ++lane)
        restart(lane);
}

void Sha256Lanes::restart(size_t lane)
{
    for (int j = 0; j < 8; ++j)
        state_[j][lane] = initial_state[j];
}

void Sha256Lanes::compress(const std::array<const unsigned char*, width>& data, uint32_t active, size_t blocks)
{
    compress_blocks(state_, data, static_cast<__mmask16>(active), blocks);
}

Digest Sha256Lanes::digest(size_t lane) const
{
    Digest digest;
    for (int j = 0; j < 8; ++j) {
        const uint32_t word = state_[j][lane];
        for (int byte = 0; byte < 4; ++byte)
            digest.bytes[4 * j + byte] = static_cast<unsigned char>(word >> (24 - 8 * byte));
    }
    return digest;
}

std::array<uint32_t, 8> Sha256Lanes::state(size_t lane) const
{
    std::array<uint32_t, 8> words{};
    for (size_t j = 0; j < words.size(); ++j)
        words[j] = state_[j][lane];
    return words;
}

size_t write_sha256_padding(unsigned char* end, uint64_t message_size)
{
    const size_t tail = message_size % Sha256Lanes::block_size;
    const size_t zeros = (tail < 56 ? 56 : 120) - tail - 1;
    end[0] = 0x80;
    std::memset(end + 1, 0, zeros);
    const uint64_t bits = message_size * 8;
    for (int byte = 0; byte < 8; ++byte)
        end[1 + zeros + byte] = static_cast<unsigned char>(bits >> (56 - 8 * byte));
    return 1 + zeros + 8;
}

}  // namespace envpin::store
