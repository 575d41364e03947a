// The embedded vector-add kernel on every visible GPU, through the driver API.
// Skips with the reason when there is no driver or no GPU.
#include <gtest/gtest.h>

#include "kernels/kernels.hpp"
#include "tests/support/run_envpin.hpp"
#include "verify/checks/kernel_launches.hpp"
#include "verify/vendor/cuda_driver.hpp"
#include "verify/vendor/gpu_session.hpp"

namespace envpin::verify {
namespace {

TEST(GpuVectorAdd, EveryElementOnEveryGpu)
{
    if (!kernels::built())
        GTEST_SKIP() << "test kernels not built (nvcc absent at build time)";
    auto cuda = CudaDriver::load();
    if (!cuda)
        GTEST_SKIP() << "no NVIDIA driver: " << cuda.error().message;
    if (auto rc = cuda->cuInit(0); rc != CUDA_SUCCESS)
        GTEST_SKIP() << "cuInit failed: " << cuda->describe(rc);
    int count = 0;
    ASSERT_EQ(cuda->cuDeviceGetCount(&count), CUDA_SUCCESS);
    if (count == 0)
        GTEST_SKIP() << "the driver reports no GPU";
    for (int index = 0; index < count; ++index) {
        auto session = GpuSession::open(*cuda, index);
        ASSERT_TRUE(session) << session.error().describe();
        for (size_t elements : {size_t{1}, size_t{1000003}, size_t{1} << 24}) {
            auto result = run_vector_add(*session, elements);
            ASSERT_TRUE(result) << result.error().describe();
            EXPECT_EQ(result->elements, elements);
            EXPECT_EQ(result->wrong, 0u) << "GPU " << index << " first wrong element " << result->first_wrong;
        }
    }
}

TEST(GpuVectorAdd, ProbeChildReportsPass)
{
    auto cuda = CudaDriver::load();
    if (!cuda || !kernels::built())
        GTEST_SKIP() << "no NVIDIA driver or kernels not built";
    const auto run = test::run_envpin({"probe", "vector-add"});
    const auto report = run.json();
    if (report["status"] == "skip")
        GTEST_SKIP() << report["detail"];
    EXPECT_EQ(report["status"], "pass") << run.out;
    EXPECT_EQ(run.exit_code, 0);
}

}  // namespace
}  // namespace envpin::verify
