#pragma once
// The arithmetic of the GPU checks, kept pure so it is tested without a GPU: medians, rates,
// floors, the all-reduce bus-bandwidth formula, sampled-reference comparison, version texts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace envpin::verify {

// Median of `samples` (mean of the middle two for an even count); 0 for none.
[[nodiscard]] double median(std::vector<double> samples);

// GB/s with GB = 1e9 bytes (nccl-tests' and nvbandwidth's unit); 0 when `milliseconds` <= 0.
[[nodiscard]] double gigabytes_per_second(double bytes, double milliseconds);
// TFLOP/s; 0 when `milliseconds` <= 0.
[[nodiscard]] double teraflops(double flops, double milliseconds);
// A GEMM's floating-point operations: 2·m·n·k.
[[nodiscard]] double gemm_flops(double m, double n, double k);
// nccl-tests' all-reduce bus bandwidth: algbw · 2(n−1)/n. 0 for one rank: nothing crosses a link.
[[nodiscard]] double allreduce_bus_bandwidth(double algbw, int ranks);

// A PCIe link's peak per direction in GB/s: `width` lanes × the lane rate of `generation` after
// its line encoding (8b/10b for gen 1–2: 0.25, 0.5; 128b/130b for gen 3–5: 0.985, 1.969, 3.938;
// gen 6's 64 GT/s PAM4 in 256-byte FLITs carrying 242 bytes: 7.5625), before packet overheads,
// so a copy reaches less. nullopt for a generation outside 1–6 or a width outside 1–32.
[[nodiscard]] std::optional<double> pcie_peak_gbs(unsigned generation, unsigned width);

// A measured rate against a reference: the threshold is reference × floor, and a value below
// it fails. Without a reference there is no threshold and nothing to fail.
struct Floor {
    std::optional<double> reference;
    std::optional<double> threshold;
    [[nodiscard]] bool passes(double value) const { return !threshold || value >= *threshold; }
};
[[nodiscard]] Floor rate_floor(std::optional<double> reference, double floor_fraction);

// `got` against a higher-precision `want`, element by element: ‖got − want‖ / ‖want‖ over the
// samples, the largest absolute difference, and how many of `got` are NaN or infinite.
struct SampleError {
    size_t samples = 0;
    size_t non_finite = 0;
    double relative = 0; // norm-wise; +inf when want is all zero and got is not
    double max_absolute = 0;
    // True when every sample is finite and `relative` <= `limit`.
    [[nodiscard]] bool within(double limit) const { return non_finite == 0 && relative <= limit; }
};
[[nodiscard]] SampleError compare_samples(std::span<const double> got,
                                          std::span<const double> want);

// A bf16 bit pattern as a float (exact: bf16 is the upper half of an fp32).
[[nodiscard]] float bf16_to_float(std::uint16_t bits);

// "13.1.0" from cuBLAS' 130100, cuDNN's 91900 ("9.19.0") or NCCL's 22809 ("2.28.9"):
// major·10000 + minor·100 + patch.
[[nodiscard]] std::string dotted_version(long long encoded);

} // namespace envpin::verify
