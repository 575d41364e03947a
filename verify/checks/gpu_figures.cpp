#include "verify/checks/gpu_figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace envpin::verify {

double median(std::vector<double> samples)
{
    if (samples.empty())
        return 0;
    std::ranges::sort(samples);
    const size_t middle = samples.size() / 2;
    if (samples.size() % 2 == 1)
        return samples[middle];
    return (samples[middle - 1] + samples[middle]) / 2;
}

double gigabytes_per_second(double bytes, double milliseconds)
{
    return milliseconds > 0 ? bytes / (milliseconds * 1e-3) / 1e9 : 0;
}

double teraflops(double flops, double milliseconds)
{
    return milliseconds > 0 ? flops / (milliseconds * 1e-3) / 1e12 : 0;
}

double gemm_flops(double m, double n, double k)
{
    return 2 * m * n * k;
}

double allreduce_bus_bandwidth(double algbw, int ranks)
{
    if (ranks <= 1)
        return 0;
    return algbw * 2.0 * (ranks - 1) / ranks;
}

std::optional<double> pcie_peak_gbs(unsigned generation, unsigned width)
{
    // GB/s per lane and direction: GT/s × payload bits per line bit / 8 bits per byte.
    constexpr double lane_gbs[] = {2.5 * 8 / 10 / 8,      5.0 * 8 / 10 / 8,
                                   8.0 * 128 / 130 / 8,   16.0 * 128 / 130 / 8,
                                   32.0 * 128 / 130 / 8,  64.0 * 242 / 256 / 8};
    if (generation < 1 || generation > std::size(lane_gbs) || width < 1 || width > 32)
        return std::nullopt;
    return width * lane_gbs[generation - 1];
}

Floor rate_floor(std::optional<double> reference, double floor_fraction)
{
    Floor floor;
    if (reference && *reference > 0) {
        floor.reference = reference;
        floor.threshold = *reference * floor_fraction;
    }
    return floor;
}

SampleError compare_samples(std::span<const double> got, std::span<const double> want)
{
    SampleError error;
    error.samples = std::min(got.size(), want.size());
    double difference_squares = 0, reference_squares = 0;
    for (size_t i = 0; i < error.samples; ++i) {
        if (!std::isfinite(got[i])) {
            ++error.non_finite;
            continue;
        }
        const double difference = got[i] - want[i];
        difference_squares += difference * difference;
        reference_squares += want[i] * want[i];
        error.max_absolute = std::max(error.max_absolute, std::abs(difference));
    }
    if (reference_squares > 0)
        error.relative = std::sqrt(difference_squares / reference_squares);
    else if (difference_squares > 0)
        error.relative = std::numeric_limits<double>::infinity();
    return error;
}

float bf16_to_float(std::uint16_t bits)
{
    const std::uint32_t word = static_cast<std::uint32_t>(bits) << 16;
    float value;
    std::memcpy(&value, &word, sizeof value);
    return value;
}

std::string dotted_version(long long encoded)
{
    return fmt::format("{}.{}.{}", encoded / 10000, (encoded / 100) % 100, encoded % 100);
}

} // namespace envpin::verify
