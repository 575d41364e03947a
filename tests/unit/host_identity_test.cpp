// The host identity under which the verify fingerprint is kept: read from a host's files (a
// tree shaped like /proc, /sys and /dev in a temporary directory), it changes with the boot,
// the driver, the GPUs the driver lists and the device nodes visible, and only with them.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/temp_dir.hpp"
#include "verify/host/host_identity.hpp"

namespace envpin::test {
namespace {

class HostIdentityTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ::unsetenv("ENVPIN_DRIVER_VERSION");
        write_text(root / "proc/sys/kernel/random/boot_id", "0b6c1b0e-1111-4c1e-9a51-7a2f7c2b9e01\n");
        write_text(root / "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04\n");
        write_text(root / "proc/driver/nvidia/gpus/0000:18:00.0/information", "Model: \t\t NVIDIA H100 80GB HBM3\n");
        write_text(root / "dev/nvidia0", "");
        write_text(root / "dev/nvidiactl", "");
    }
    void TearDown() override { ::unsetenv("ENVPIN_DRIVER_VERSION"); }

    TempDir dir;
    std::filesystem::path root = dir.path();
};

TEST_F(HostIdentityTest, TheSameFilesGiveTheSameIdentity)
{
    const auto first = verify::host_identity(root);
    ASSERT_TRUE(first);
    EXPECT_EQ(verify::host_identity(root), first);
}

TEST_F(HostIdentityTest, ItChangesWithTheBootTheDriverTheGpusAndTheDevicesVisible)
{
    const auto before = verify::host_identity(root);
    write_text(root / "proc/sys/kernel/random/boot_id", "another boot\n");
    const auto rebooted = verify::host_identity(root);
    EXPECT_NE(rebooted, before);
    write_text(root / "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.200.01\n");
    const auto new_driver = verify::host_identity(root);
    EXPECT_NE(new_driver, rebooted);
    write_text(root / "proc/driver/nvidia/gpus/0000:2a:00.0/information", "Model: \t\t NVIDIA H100 80GB HBM3\n");
    const auto second_gpu = verify::host_identity(root);
    EXPECT_NE(second_gpu, new_driver);
    write_text(root / "dev/nvidia1", "");
    EXPECT_NE(verify::host_identity(root), second_gpu);
}

TEST_F(HostIdentityTest, NoNvidiaModuleOrAForcedDriverMeansNothingIsKept)
{
    ::setenv("ENVPIN_DRIVER_VERSION", "550.54.15", 1);
    EXPECT_FALSE(verify::host_identity(root));
    ::unsetenv("ENVPIN_DRIVER_VERSION");
    std::filesystem::remove_all(root / "proc/driver");
    EXPECT_FALSE(verify::host_identity(root));
}

}  // namespace
}  // namespace envpin::test
