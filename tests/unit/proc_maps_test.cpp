// Which library files a process mapped, from /proc/<pid>/maps.
#include <gtest/gtest.h>

#include "verify/host/proc_maps.hpp"

namespace envpin::verify {
namespace {

constexpr const char* maps =
    "7f8e0a600000-7f8e0a61f000 r-xp 00000000 fe:00 337906   /env/nvidia/cudnn/lib/libcudnn.so.9\n"
    "7f8e0a61f000-7f8e0a620000 r--p 0001f000 fe:00 337906   /env/nvidia/cudnn/lib/libcudnn.so.9\n"
    "7f8e06800000-7f8e06a52000 r-xp 00000000 fe:00 337910   /opt/old cuda/lib/libcudnn_cnn.so.9\n"
    "7f8dfb000000-7f8e064e1000 r-xp 00000000 fe:00 337937   /env/nvidia/nccl/lib/libnccl.so.2\n"
    "7ffd1a2b3000-7ffd1a2d4000 rw-p 00000000 00:00 0        [stack]\n"
    "55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0 \n"
    "7f8e0a700000-7f8e0a71f000 r-xp 00000000 fe:00 337999   /usr/lib/libcudnnish-not-it.so\n";

TEST(ProcMaps, ListsEachMatchingFileOnceInOrder)
{
    EXPECT_EQ(mapped_files(maps, "libcudnn"),
              (std::vector<std::string>{"/env/nvidia/cudnn/lib/libcudnn.so.9",
                                        "/opt/old cuda/lib/libcudnn_cnn.so.9",
                                        "/usr/lib/libcudnnish-not-it.so"}));
    EXPECT_EQ(mapped_files(maps, "libnccl"),
              std::vector<std::string>{"/env/nvidia/nccl/lib/libnccl.so.2"});
    EXPECT_TRUE(mapped_files(maps, "libcublas").empty());
    EXPECT_TRUE(mapped_files("", "libcudnn").empty());
}

TEST(ProcMaps, SeesThisProcessOwnLibraries)
{
    EXPECT_FALSE(mapped_files_here("libc.so").empty() && mapped_files_here("libc-").empty());
}

} // namespace
} // namespace envpin::verify
