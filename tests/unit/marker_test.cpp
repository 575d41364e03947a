// PEP 508 markers and requirement lines, on lines taken from torch wheels' Requires-Dist.
#include <gtest/gtest.h>

#include "resolver/marker.hpp"
#include "resolver/requirement.hpp"

namespace envpin {
namespace {

bool holds(std::string_view marker, const MarkerEnvironment& environment)
{
    auto parsed = Marker::parse(marker);
    EXPECT_TRUE(parsed.has_value()) << marker << ": " << (parsed ? "" : parsed.error().message);
    return parsed && parsed->evaluate(environment);
}

TEST(Marker, LinuxX86MarkersOfTorchsNvidiaPins)
{
    const auto linux312 = MarkerEnvironment::linux_x86_64("3.12.3");
    EXPECT_TRUE(holds(R"(platform_system == "Linux" and platform_machine == "x86_64")", linux312));
    EXPECT_TRUE(holds(R"(sys_platform == 'linux')", linux312));
    EXPECT_FALSE(holds(R"(platform_system == "Windows")", linux312));
    EXPECT_FALSE(holds(R"(platform_machine == "aarch64")", linux312));
    EXPECT_TRUE(holds(R"(platform_system == "Darwin" or platform_machine == "x86_64")", linux312));
}

TEST(Marker, PythonVersionComparesAsAVersion)
{
    const auto py39 = MarkerEnvironment::linux_x86_64("3.9");
    const auto py313 = MarkerEnvironment::linux_x86_64("3.13");
    EXPECT_TRUE(holds(R"(python_version < "3.13")", py39));
    EXPECT_FALSE(holds(R"(python_version < "3.13")", py313));
    EXPECT_TRUE(holds(R"(python_version >= "3.10")", py313)); // string order would say no
    EXPECT_FALSE(holds(R"(python_version >= "3.10")", py39));
    EXPECT_TRUE(holds(R"(python_full_version >= "3.13.0")", py313));
    EXPECT_TRUE(holds(R"(python_version ~= "3.9")", py313));
    EXPECT_TRUE(holds(R"("3.9" == python_version)", py39));
}

TEST(Marker, ExtrasAndMembership)
{
    auto environment = MarkerEnvironment::linux_x86_64("3.12");
    EXPECT_FALSE(holds(R"(extra == "opt-einsum")", environment));
    EXPECT_TRUE(holds(R"(extra != "opt-einsum")", environment));
    environment.extras.insert("opt-einsum");
    EXPECT_TRUE(holds(R"(extra == "opt_einsum")", environment));
    EXPECT_TRUE(holds(R"("linux" in sys_platform)", environment));
    EXPECT_TRUE(holds(R"("win" not in sys_platform)", environment));
}

TEST(Marker, ParenthesesAndPrecedence)
{
    const auto linux312 = MarkerEnvironment::linux_x86_64("3.12");
    // "and" binds tighter than "or".
    EXPECT_TRUE(holds(
        R"(platform_system == "Windows" and python_version < "3.0" or sys_platform == "linux")",
        linux312));
    EXPECT_FALSE(holds(
        R"(platform_system == "Windows" and (python_version < "3.0" or sys_platform == "linux"))",
        linux312));
    const auto marker = Marker::parse(R"(platform_system=='Linux' and (python_version<'3.13'))");
    ASSERT_TRUE(marker);
    EXPECT_EQ(marker->to_string(), R"(platform_system == "Linux" and python_version < "3.13")");
}

TEST(Marker, RejectsMalformedMarkersNamingTheColumn)
{
    for (const char* text : {"", "python_version", R"(python_version <)", R"(python_versio == "3")",
                             R"(python_version == "3.12)", R"((python_version == "3.12")",
                             R"(python_version == "3.12" and)", R"(python_version not "3.12")"}) {
        const auto parsed = Marker::parse(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_NE(parsed.error().message.find("column"), std::string::npos)
            << parsed.error().message;
    }
}

TEST(Requirement, ParsesTorchRequiresDistLines)
{
    const auto cudnn = Requirement::parse(
        R"(nvidia-cudnn-cu12==9.7.1.26; platform_system == "Linux" and platform_machine == "x86_64")");
    ASSERT_TRUE(cudnn) << cudnn.error().message;
    EXPECT_EQ(cudnn->name, "nvidia-cudnn-cu12");
    ASSERT_TRUE(cudnn->pinned_version());
    EXPECT_EQ(cudnn->pinned_version()->to_string(), "9.7.1.26");
    EXPECT_TRUE(cudnn->applies(MarkerEnvironment::linux_x86_64("3.12")));

    const auto toolkit = Requirement::parse(
        R"(cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.2; platform_system == "Linux")");
    ASSERT_TRUE(toolkit) << toolkit.error().message;
    EXPECT_EQ(toolkit->name, "cuda-toolkit");
    EXPECT_EQ(toolkit->extras.size(), 11u);
    EXPECT_EQ(toolkit->extras.front(), "cublas");

    const auto bindings =
        Requirement::parse(R"(cuda-bindings<14,>=13.0.3; platform_system == "Linux")");
    ASSERT_TRUE(bindings);
    EXPECT_FALSE(bindings->pinned_version());
    EXPECT_TRUE(bindings->specifier.contains(*Version::parse("13.0.3")));

    const auto optional = Requirement::parse(R"(opt-einsum>=3.3; extra == "opt-einsum")");
    ASSERT_TRUE(optional);
    EXPECT_FALSE(optional->applies(MarkerEnvironment::linux_x86_64("3.12")));

    const auto triton = Requirement::parse(
        R"(triton==3.1.0; platform_system == "Linux" and platform_machine == "x86_64" and python_version < "3.13")");
    ASSERT_TRUE(triton);
    EXPECT_FALSE(triton->applies(MarkerEnvironment::linux_x86_64("3.13")));
}

TEST(Requirement, OtherForms)
{
    const auto bare = Requirement::parse("filelock");
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->specifier.empty());
    const auto parenthesized = Requirement::parse("sympy (>=1.13.3)");
    ASSERT_TRUE(parenthesized);
    EXPECT_EQ(parenthesized->to_string(), "sympy>=1.13.3");
    const auto url =
        Requirement::parse("pkg @ https://example.org/pkg-1.0.whl ; python_version >= '3.9'");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->url, "https://example.org/pkg-1.0.whl");
    EXPECT_EQ(url->to_string(),
              R"(pkg @ https://example.org/pkg-1.0.whl; python_version >= "3.9")");
    for (const char* text :
         {"", "-bad==1", "pkg[extra==1", "pkg==2.x", "pkg (==1.0", "pkg; nonsense"})
        EXPECT_FALSE(Requirement::parse(text)) << text;
}

TEST(NormalizeName, FollowsPep503)
{
    EXPECT_EQ(normalize_name("Nvidia_CUDNN.cu12"), "nvidia-cudnn-cu12");
    EXPECT_EQ(normalize_name("opt--einsum"), "opt-einsum");
}

} // namespace
} // namespace envpin
