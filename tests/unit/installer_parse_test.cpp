// Parsers and validation of the installer backend, on the real output formats.
#include <gtest/gtest.h>

#include "store/lifecycle/installer.hpp"
#include "store/core/manifest.hpp"

namespace envpin::store {
namespace {

TEST(InstallerRequirements, AcceptsPep508)
{
    EXPECT_EQ(validate_requirement("  numpy<2 ").value(), "numpy<2");
    EXPECT_TRUE(validate_requirement("torch==2.7.1+cu128"));
    EXPECT_TRUE(validate_requirement("nvidia-cudnn-cu12==9.7.1.26; platform_system == 'Linux'"));
}

TEST(InstallerRequirements, RefusesEmbeddedInstallerOptions)
{
    for (const char* hostile : {"--extra-index-url https://evil.example/simple", "-e .", "-r other.txt",
                                "torch --index-url https://evil.example/simple", "", "torch\n--pre"}) {
        const auto result = validate_requirement(hostile);
        ASSERT_FALSE(result) << hostile;
        EXPECT_EQ(result.error().code, ErrorCode::bad_input);
    }
}

TEST(InstallerNames, Pep503Normalization)
{
    EXPECT_EQ(normalize_name("Nvidia_CUDNN.cu12"), "nvidia-cudnn-cu12");
    EXPECT_EQ(normalize_name("torch"), "torch");
    EXPECT_EQ(normalize_name("a__b--c"), "a-b-c");
}

TEST(PinnedRequirements, UvCompileOutputWithContinuations)
{
    constexpr auto text =
        "filelock==3.16.1 \\\n"
        "    --hash=sha256:2082e5703d51fbf98ea75855d9d5527e33d8ff23099bec374a134febee6946b0\n"
        "torch==2.7.1+cu128 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n";
    const auto artifacts = parse_pinned_requirements(text).value();
    ASSERT_EQ(artifacts.size(), 2u);
    EXPECT_EQ(artifacts[0].name, "filelock");
    EXPECT_EQ(artifacts[0].version, "3.16.1");
    EXPECT_EQ(artifacts[0].sha256, "2082e5703d51fbf98ea75855d9d5527e33d8ff23099bec374a134febee6946b0");
    EXPECT_EQ(artifacts[1].version, "2.7.1+cu128");
    EXPECT_EQ(artifacts[1].sha256, "aaaa");
}

TEST(PinnedRequirements, IndexAnnotationsNameTheSource)
{
    constexpr auto text =
        "torch==2.7.1+cu128 \\\n"
        "    --hash=sha256:aaaa\n"
        "    # from http://127.0.0.1:8000/simple\n"
        "tinyops==1.0.0 \\\n"
        "    --hash=sha256:bbbb\n"
        "    # from file:///w/wheels\n";
    const auto artifacts = parse_pinned_requirements(text).value();
    ASSERT_EQ(artifacts.size(), 2u);
    EXPECT_EQ(artifacts[0].source, "http://127.0.0.1:8000/simple");
    EXPECT_EQ(artifacts[1].source, "file:///w/wheels");
    EXPECT_EQ(artifacts[1].sha256, "bbbb");
}

TEST(LockedArtifacts, OnlyNamesVersionsAndDigestsPass)
{
    const std::string digest(64, 'a');
    EXPECT_TRUE(validate_artifact({"nvidia-cudnn-cu12", "9.7.1.26", digest, ""}));
    EXPECT_TRUE(validate_artifact({"torch", "2.7.1+cu128", digest, "https://x/torch.whl"}));
    for (const ResolvedArtifact& bad : {ResolvedArtifact{"torch --index-url http://evil", "2.7.1", digest, ""},
                                        ResolvedArtifact{"torch", "2.7.1\n--extra-index-url x", digest, ""},
                                        ResolvedArtifact{"torch", "not a version", digest, ""},
                                        ResolvedArtifact{"torch", "2.7.1", "abc", ""},
                                        ResolvedArtifact{"torch", "2.7.1", std::string(64, 'G'), ""},
                                        ResolvedArtifact{"", "2.7.1", digest, ""}}) {
        const auto result = validate_artifact(bad);
        ASSERT_FALSE(result) << bad.name << " " << bad.version;
        EXPECT_EQ(result.error().code, ErrorCode::bad_input);
    }
}

TEST(PinnedRequirements, RejectsUnpinnedOrUnhashed)
{
    EXPECT_FALSE(parse_pinned_requirements("numpy>=1\n"));
    EXPECT_FALSE(parse_pinned_requirements("numpy==1.0\n"));
}

TEST(PipReport, ReadsNamesVersionsAndHashes)
{
    constexpr auto text = R"({"version": "1", "install": [
      {"metadata": {"name": "TinyOps", "version": "1.0.0"},
       "download_info": {"url": "file:///w/tinyops-1.0.0-py3-none-any.whl",
                         "archive_info": {"hash": "sha256=abc", "hashes": {"sha256": "abc"}}}},
      {"metadata": {"name": "six", "version": "1.16.0"},
       "download_info": {"url": "https://x/six.whl", "archive_info": {"hash": "sha256=def"}}}]})";
    const auto artifacts = parse_pip_report(text).value();
    ASSERT_EQ(artifacts.size(), 2u);
    EXPECT_EQ(artifacts[0].name, "tinyops");
    EXPECT_EQ(artifacts[0].sha256, "abc");
    EXPECT_EQ(artifacts[0].source, "file:///w/tinyops-1.0.0-py3-none-any.whl");
    EXPECT_EQ(artifacts[1].sha256, "def");
    EXPECT_FALSE(parse_pip_report("{"));
}

TEST(InstallerChoice, NamesWhatWasExpected)
{
    const auto result = choose_installer("conda");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("expected auto, uv or pip"), std::string::npos);
    EXPECT_EQ(choose_installer("pip").value(), InstallerKind::pip);
}

}  // namespace
}  // namespace envpin::store
