// What of verify/nvml runs without a GPU: the UUID text of CUDA's 16 bytes, and a clock sampler
// that cannot start (no NVML here, or a UUID NVML does not know) answering with an error.
#include <array>

#include <gtest/gtest.h>

#include "verify/host/nvml.hpp"

namespace envpin::verify {
namespace {

TEST(NvmlUuid, FormatsCudaBytesLikeNvidiaSmi)
{
    const std::array<unsigned char, 16> bytes{0x5b, 0x1c, 0x0c, 0x2e, 0x8a, 0x3f, 0x4f, 0x52,
                                              0x9d, 0x1e, 0x2c, 0x3b, 0x4a, 0x5d, 0x6e, 0x7f};
    EXPECT_EQ(gpu_uuid_text(bytes), "GPU-5b1c0c2e-8a3f-4f52-9d1e-2c3b4a5d6e7f");
    EXPECT_EQ(gpu_uuid_text(std::array<unsigned char, 16>{}), "GPU-00000000-0000-0000-0000-000000000000");
}

TEST(NvmlClockSampler, AnUnknownGpuIsAnErrorNotACrash)
{
    auto sampler = NvmlClockSampler::start("GPU-00000000-0000-0000-0000-000000000000", std::chrono::milliseconds(5));
    ASSERT_FALSE(sampler);  // no NVML on this host, or NVML knows no such GPU
    EXPECT_TRUE(sampler.error().code == ErrorCode::not_found || sampler.error().code == ErrorCode::cuda ||
                sampler.error().code == ErrorCode::io)
        << sampler.error().describe();
}

}  // namespace
}  // namespace envpin::verify
