#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"
#include "verify/host/env_libraries.hpp"

namespace envpin::verify {
namespace {

TEST(EnvLibraries, RecognizesLibraryFileNames)
{
    EXPECT_TRUE(is_library_file("libcublas.so.13", "cublas"));
    EXPECT_TRUE(is_library_file("libcublas.so", "cublas"));
    EXPECT_TRUE(is_library_file("libcudart-d0da41ae.so.11.0", "cudart"));
    EXPECT_FALSE(is_library_file("libcublasLt.so.13", "cublas"));
    EXPECT_FALSE(is_library_file("libcudnn_ops.so.9", "cudnn"));
    EXPECT_FALSE(is_library_file("libnccl.so.2.bak", "nccl"));
    EXPECT_FALSE(is_library_file("libcudart-xyz.so.12", "cudart"));
}

TEST(EnvLibraries, FindsWheelLayoutsOfCuda12And13)
{
    test::TempDir env;
    const auto site = env / "lib/python3.12/site-packages";
    test::write_text(site / "nvidia/cu13/lib/libcublas.so.13", "");
    test::write_text(site / "nvidia/cu13/lib/libcublasLt.so.13", "");
    test::write_text(site / "nvidia/cudnn/lib/libcudnn.so.9", "");
    test::write_text(site / "nvidia/cudnn/lib/libcudnn_ops.so.9", "");
    test::write_text(site / "nvidia/nccl/lib/libnccl.so.2", "");
    test::write_text(site / "nvidia/cuda_runtime/lib/libcudart.so.12", "");
    EXPECT_EQ(find_env_library(env.path(), "cublas")->filename(), "libcublas.so.13");
    EXPECT_EQ(find_env_library(env.path(), "cublasLt")->filename(), "libcublasLt.so.13");
    EXPECT_EQ(find_env_library(env.path(), "cudnn")->filename(), "libcudnn.so.9");
    EXPECT_EQ(find_env_library(env.path(), "nccl")->filename(), "libnccl.so.2");
    EXPECT_EQ(find_env_library(env.path(), "cudart")->filename(), "libcudart.so.12");
    EXPECT_FALSE(find_env_library(env.path(), "cufft"));
}

TEST(EnvLibraries, FindsLibrariesBundledInTorch)
{
    test::TempDir env;
    test::write_text(env / "lib/python3.10/site-packages/torch/lib/libcudart-d0da41ae.so.11.0", "");
    EXPECT_EQ(find_env_library(env.path(), "cudart")->filename(), "libcudart-d0da41ae.so.11.0");
}

TEST(EnvLibraries, NoSitePackagesMeansNothing)
{
    test::TempDir env;
    EXPECT_TRUE(find_site_packages(env.path()).empty());
    EXPECT_FALSE(find_env_library(env.path(), "nccl"));
}

}  // namespace
}  // namespace envpin::verify
