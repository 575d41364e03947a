// What `create` checks after installing: the lock's packages and "requires" pins against the
// environment's dist-info, and what it asks the installer for.
#include <gtest/gtest.h>

#include "store/lifecycle/stack_check.hpp"

namespace envpin::store {
namespace {

Lock stand_in_lock()
{
    Lock lock;
    lock.stack.torch = "2.7.1+cu128";
    lock.stack.variant = "cu128";
    lock.packages = {{"torch", "2.7.1+cu128", "https://download.pytorch.org/whl/cu128"},
                     {"torchvision", "0.22.1+cu128", "https://download.pytorch.org/whl/cu128"},
                     {"triton", "3.3.1", "https://pypi.org/simple"},
                     {"nvidia-cudnn-cu12", "9.7.1.26", "https://pypi.org/simple"},
                     {"cuda-toolkit", ">=12.8,<12.9", "https://pypi.org/simple"}};
    lock.pins = {{"cudnn", "nvidia-cudnn-cu12", "9.7.1.26", "requires", "sourced"},
                 {"nccl", "nvidia-nccl-cu12", "2.26.2", "requires", "sourced"},
                 {"cublas", "nvidia-cublas-cu12", "12.8.3.14", "installed-by-toolkit", "unverified"}};
    return lock;
}

std::vector<Distribution> installed(std::vector<std::pair<std::string, std::string>> pairs)
{
    std::vector<Distribution> distributions;
    for (auto& [name, version] : pairs)
        distributions.push_back({name, version, "uv", "", ""});
    return distributions;
}

TEST(StackCheck, RequirementsArePackagesAndRequiresPinsOnce)
{
    const auto required = stack_requirements(stand_in_lock());
    ASSERT_EQ(required.size(), 6u);
    EXPECT_EQ(required[0], (StackRequirement{"torch", "2.7.1+cu128"}));
    EXPECT_EQ(required[5], (StackRequirement{"nvidia-nccl-cu12", "2.26.2"}));
}

TEST(StackCheck, TheTorchFamilyIsAskedForExactly)
{
    EXPECT_EQ(torch_family_requirements(stand_in_lock()),
              (std::vector<std::string>{"torch==2.7.1+cu128", "torchvision==0.22.1+cu128"}));
}

TEST(StackCheck, AMatchingEnvironmentPasses)
{
    const auto mismatches = check_stack(stack_requirements(stand_in_lock()),
                                        installed({{"Torch", "2.7.1+cu128"}, {"torchvision", "0.22.1+cu128"},
                                                   {"triton", "3.3.1"}, {"nvidia_cudnn_cu12", "9.7.1.26"},
                                                   {"cuda-toolkit", "12.8.1"}, {"nvidia-nccl-cu12", "2.26.2"}}));
    EXPECT_TRUE(mismatches.empty()) << mismatches.front().describe();
}

TEST(StackCheck, MismatchesNameBothVersions)
{
    const auto mismatches = check_stack(stack_requirements(stand_in_lock()),
                                        installed({{"torch", "2.7.1+cu126"}, {"torchvision", "0.22.1+cu128"},
                                                   {"triton", "3.3.1"}, {"nvidia-cudnn-cu12", "9.5.1.17"},
                                                   {"cuda-toolkit", "12.9.0"}}));
    ASSERT_EQ(mismatches.size(), 4u);
    EXPECT_EQ(mismatches[0].describe(), "torch: plan 2.7.1+cu128, installed 2.7.1+cu126");
    EXPECT_EQ(mismatches[1].describe(), "nvidia-cudnn-cu12: plan 9.7.1.26, installed 9.5.1.17");
    EXPECT_EQ(mismatches[2].describe(), "cuda-toolkit: plan >=12.8,<12.9, installed 12.9.0");
    EXPECT_EQ(mismatches[3].describe(), "nvidia-nccl-cu12: plan 2.26.2, not installed");
}

TEST(StackCheck, APublicTorchIsNotTheLocalBuild)
{
    const auto mismatches = check_stack({{"torch", "2.7.1+cu128"}}, installed({{"torch", "2.7.1"}}));
    ASSERT_EQ(mismatches.size(), 1u);
    EXPECT_EQ(mismatches[0].installed, "2.7.1");
}

TEST(StackCheck, WherePypiServesTheVariantItsUnlabelledWheelsAreTheStack)
{
    const auto required = stack_requirements(stand_in_lock(), /*pypi_build=*/true);
    EXPECT_TRUE(required[0].unlabelled_ok);   // torch
    EXPECT_TRUE(required[1].unlabelled_ok);   // torchvision
    EXPECT_FALSE(required[2].unlabelled_ok);  // triton carries no label to drop
    const auto pypi = installed({{"torch", "2.7.1"}, {"torchvision", "0.22.1"}, {"triton", "3.3.1"},
                                 {"nvidia-cudnn-cu12", "9.7.1.26"}, {"cuda-toolkit", "12.8.1"},
                                 {"nvidia-nccl-cu12", "2.26.2"}});
    EXPECT_TRUE(check_stack(required, pypi).empty());
    EXPECT_TRUE(check_stack(stack_requirements(stand_in_lock()), pypi).size() == 2u);
}

TEST(StackCheck, AnotherLabelIsNeverThePypiBuild)
{
    const auto required = stack_requirements(stand_in_lock(), /*pypi_build=*/true);
    const auto mismatches = check_stack(required, installed({{"torch", "2.7.1+cpu"}, {"torchvision", "0.22.2"}}));
    ASSERT_GE(mismatches.size(), 2u);
    EXPECT_EQ(mismatches[0].describe(), "torch: plan 2.7.1+cu128, installed 2.7.1+cpu");
    EXPECT_EQ(mismatches[1].describe(), "torchvision: plan 0.22.1+cu128, installed 0.22.2");
}

TEST(StackCheck, ForPypiWheelsTheTorchFamilyIsAskedForWithoutTheLabel)
{
    EXPECT_EQ(torch_family_requirements(stand_in_lock(), /*public_versions=*/true),
              (std::vector<std::string>{"torch==2.7.1", "torchvision==0.22.1"}));
}

}  // namespace
}  // namespace envpin::store
