// Distribution names and versions against the libraries' own version numbers.
#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"
#include "verify/host/env_distributions.hpp"

namespace envpin::verify {
namespace {

TEST(EnvDistributions, NamesAndVersions)
{
    EXPECT_EQ(normalize_distribution_name("nvidia_cudnn_cu13"), "nvidia-cudnn-cu13");
    EXPECT_TRUE(is_distribution("nvidia-cudnn-cu13", "nvidia-cudnn"));
    EXPECT_TRUE(is_distribution("nvidia-cublas", "nvidia-cublas"));
    EXPECT_FALSE(is_distribution("nvidia-cudnn-frontend", "nvidia-cudnn"));
    EXPECT_FALSE(is_distribution("nvidia-cuda-runtime-cu", "nvidia-cuda-runtime"));
    EXPECT_TRUE(versions_agree("9.19.0", "9.19.0.56"));
    EXPECT_TRUE(versions_agree("13.0", "13.0.96"));
    EXPECT_FALSE(versions_agree("9.19.0", "9.1.0.70"));
    EXPECT_FALSE(versions_agree("2.28.9", "2.28"));
}

TEST(EnvDistributions, DecodesLibraryVersionNumbers)
{
    EXPECT_EQ(cudnn_version_text(91900), "9.19.0");
    EXPECT_EQ(cudnn_version_text(8907), "8.9.7");
    EXPECT_EQ(nccl_version_text(22809), "2.28.9");
    EXPECT_EQ(nccl_version_text(2804), "2.8.4");
}

TEST(EnvDistributions, ThePinWinsOverWhatIsInstalled)
{
    test::TempDir env;
    std::filesystem::create_directories(env / "lib/python3.12/site-packages/nvidia_nccl_cu13-2.28.9.dist-info");
    const auto installed = installed_distributions(env.path());
    EXPECT_EQ(installed.at("nvidia-nccl-cu13"), "2.28.9");
    ProbeRequest request{"libs", env.path(), {}};
    EXPECT_EQ(expected_distribution("nvidia-nccl", request, installed)->second, "2.28.9");
    request.parameters["dist:nvidia-nccl-cu13"] = "2.27.3";
    EXPECT_EQ(expected_distribution("nvidia-nccl", request, installed)->second, "2.27.3");
    EXPECT_FALSE(expected_distribution("nvidia-cudnn", request, installed));
}

}  // namespace
}  // namespace envpin::verify
