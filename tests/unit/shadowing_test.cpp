// LD_LIBRARY_PATH shadowing against real files.
#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"
#include "verify/host/shadowing.hpp"

namespace envpin::verify {
namespace {
namespace fs = std::filesystem;

struct ShadowFixture : ::testing::Test {
    test::TempDir dir;
    fs::path env = dir / "env";
    fs::path own = env / "lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9";
    void SetUp() override
    {
        test::write_text(own, "the environment's cudnn");
        test::write_text(env / "lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn_ops.so.9", "ops");
        test::write_text(env / "lib/python3.12/site-packages/nvidia/cudnn/include/cudnn.h", "header");
    }
};

TEST_F(ShadowFixture, ListsTheWheelLibraries)
{
    const auto libraries = list_env_cuda_libraries(env);
    ASSERT_EQ(libraries.size(), 2u);
    EXPECT_EQ(libraries[0].filename(), "libcudnn.so.9");
}

TEST_F(ShadowFixture, ADifferentCopyShadows)
{
    test::write_text(dir / "system/libcudnn.so.9", "another cudnn");
    test::write_text(dir / "other/unrelated.so", "x");
    const auto found = find_shadowing(env, (dir / "other").string() + "::" + (dir / "system").string());
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].library, "libcudnn.so.9");
    EXPECT_EQ(found[0].directory, dir / "system");
    EXPECT_EQ(found[0].environment_copy, own);
}

TEST_F(ShadowFixture, TheSameFileOrTheSameBytesDoNot)
{
    fs::create_directories(dir / "linked");
    fs::create_symlink(own, dir / "linked/libcudnn.so.9");
    test::write_text(dir / "copied/libcudnn.so.9", "the environment's cudnn");
    EXPECT_TRUE(find_shadowing(env, (dir / "linked").string() + ":" + (dir / "copied").string()).empty());
    EXPECT_TRUE(find_shadowing(env, "").empty());
}

TEST_F(ShadowFixture, CudaLibrariesMappedFromElsewhereAreForeign)
{
    EXPECT_TRUE(is_cuda_library_name("libcudnn_graph.so.9"));
    EXPECT_TRUE(is_cuda_library_name("libcublasLt.so.13"));
    EXPECT_TRUE(is_cuda_library_name("libnvJitLink.so.13"));
    EXPECT_FALSE(is_cuda_library_name("libtorch_cuda.so"));
    EXPECT_FALSE(is_cuda_library_name("libc.so.6"));
    test::write_text(dir / "system/libcudnn.so.9", "another cudnn");
    test::write_text(dir / "system/libstdc++.so.6", "not CUDA");
    const auto foreign = foreign_cuda_libraries(
        env, {own, dir / "system/libcudnn.so.9", dir / "system/libstdc++.so.6", dir / "system/libcudnn.so.9"});
    ASSERT_EQ(foreign.size(), 1u);
    EXPECT_EQ(foreign[0], fs::canonical(dir / "system/libcudnn.so.9"));
}

}  // namespace
}  // namespace envpin::verify
