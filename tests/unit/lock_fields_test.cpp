// A lock edited by hand is refused, naming the line and the field, before anything reaches the
// installer: installer options and URLs in names, shell fragments, a stack that contradicts
// itself, bad hashes, duplicates.
#include <gtest/gtest.h>

#include "resolver/lock.hpp"
#include "resolver/lock_fields.hpp"

namespace envpin {
namespace {

const char* const good_lock = R"(version = 1

[request]
torch = ">=2.6,<2.9"
cuda = "auto"
python = "3.12"
companions = ["torchvision"]
native_only = false

[stack]
torch = "2.8.0+cu129"
variant = "cu129"
cuda = "12.9.1"
python = "3.12"
index_url = "https://download.pytorch.org/whl/cu129"

[host]
compat = "native"
arch = ["sm_90"]

[[package]]
name = "torch"
version = "2.8.0+cu129"
index = "https://download.pytorch.org/whl/cu129"

[[package]]
name = "torchvision"
version = "0.23.0+cu129"
index = "https://download.pytorch.org/whl/cu129"

[[installed]]
name = "numpy"
version = "2.1.0"
source = "https://files.example/numpy-2.1.0-cp312-cp312-linux_x86_64.whl"
sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)";

std::string replaced(std::string text, std::string_view from, std::string_view to)
{
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

// The lock with `from` replaced by `to` is refused; its error names `expected`.
void expect_refused(std::string_view from, std::string_view to, std::string_view expected)
{
    const auto parsed = parse_lock(replaced(good_lock, from, to), "envpin.lock");
    ASSERT_FALSE(parsed) << to;
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
    const auto message = parsed.error().describe();
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find("envpin.lock line"), std::string::npos) << message;  // names the line
}

TEST(LockFields, AGoodLockIsRead)
{
    ASSERT_TRUE(parse_lock(good_lock, "envpin.lock")) << parse_lock(good_lock, "envpin.lock").error().describe();
}

TEST(LockFields, InstallerOptionsAndUrlsInNamesAreRefused)
{
    expect_refused(R"(name = "torchvision")", R"(name = "torchvision --index-url=https://evil.example/simple")",
                   "is not a distribution name");
    expect_refused(R"(name = "torchvision")", R"(name = "torchvision @ https://evil.example/tv.whl")",
                   "is not a distribution name");
    expect_refused(R"(name = "torchvision")", R"(name = "--extra-index-url=https://evil.example")",
                   "is not a distribution name");
    expect_refused(R"(index = "https://download.pytorch.org/whl/cu129"

[[package]]
name = "torchvision")",
                   R"(index = "--extra-index-url https://evil.example"

[[package]]
name = "torchvision")",
                   "is not an http(s) URL");
    // An [[installed]] source goes into exported requirements files: no option can ride on it.
    expect_refused(R"(source = "https://files.example/numpy)", R"(source = "https://files.example/numpy --index-url x ./numpy)",
                   "is not a URL or path");
}

TEST(LockFields, RequirementsAreReadAndOnlyPep508Passes)
{
    const auto with = replaced(good_lock, "native_only = false", "native_only = false\nrequirements = [\"numpy<2\", \"tqdm\"]");
    const auto parsed = parse_lock(with, "envpin.lock");
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(parsed->request.requirements, (std::vector<std::string>{"numpy<2", "tqdm"}));
    EXPECT_EQ(parse_lock(print_lock(*parsed), "envpin.lock").value(), *parsed);
    expect_refused("native_only = false", "native_only = false\nrequirements = [\"--index-url=https://evil.example\"]",
                   "is not a PEP 508 requirement");
    expect_refused("native_only = false", "native_only = false\nrequirements = [\"numpy <<< 2\"]",
                   "is not a PEP 508 requirement");
}

TEST(LockFields, ShellFragmentsAreRefused)
{
    expect_refused("python = \"3.12\"\nindex_url", "python = \"3.11; rm -rf /\"\nindex_url", "stack.python");
    expect_refused("python = \"3.12\"\ncompanions", "python = \"3.11; rm -rf /\"\ncompanions", "request.python");
    expect_refused(R"(cuda = "auto")", R"x(cuda = "auto$(reboot)")x", "request.cuda");
}

TEST(LockFields, AStackThatContradictsItselfIsRefused)
{
    expect_refused(R"(variant = "cu129")", R"(variant = "cpu")", "is a cu129 build but stack.variant");
    expect_refused(R"(cuda = "12.9.1")", R"(cuda = "12.8")", "is a CUDA 12.9 build but stack.cuda");
    expect_refused(R"(variant = "cu129")", R"(variant = "gpu")", "is not a torch build variant");
}

TEST(LockFields, BadHashesAndDuplicatesAreRefused)
{
    expect_refused("sha256 = \"0123", "sha256 = \"XY23", "is not 64 lower-case hex digits");
    expect_refused(R"(name = "torchvision")", R"(name = "torch")", "appears twice");
}

// Found by the fuzzer (fuzz/corpus/*/nul-in-table-header): a control character is refused with
// its line before the TOML parser sees it.
TEST(LockFields, ControlCharactersAreRefusedWithTheirLine)
{
    const std::string text("version = 1\n\n[\t\0quest]\n", 23);
    const auto parsed = parse_lock(text, "envpin.lock");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
    EXPECT_EQ(parsed.error().describe(), "envpin.lock line 3: control character 0x00 (TOML allows none but tab)");
}

// Also found by the fuzzer: non-ASCII text, on which the TOML parser may reach undefined
// behaviour, is refused with its line outside comments; in comments it is fine.
TEST(LockFields, NonAsciiOnlyInComments)
{
    const auto outside = parse_lock("[e\xef\xbb\xb7)", "envpin.lock");
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::bad_input);
    EXPECT_NE(outside.error().describe().find("envpin.lock line 1: a non-ASCII character outside a comment"),
              std::string::npos) << outside.error().describe();
    const auto in_string = parse_lock(replaced(good_lock, "files.example/numpy", "files.example/n\xc3\xbcmpy"), "envpin.lock");
    ASSERT_FALSE(in_string);
    EXPECT_NE(in_string.error().describe().find("envpin.lock line 34: a non-ASCII"), std::string::npos)
        << in_string.error().describe();
    const auto commented = std::string("# caf\xc3\xa9 \"not a string\n") + good_lock;
    const auto parsed = parse_lock(commented, "envpin.lock");
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, *parse_lock(good_lock, "envpin.lock"));
}

TEST(LockFields, GrammarsOnValues)
{
    EXPECT_TRUE(lock_fields::is_distribution_name("nvidia-cudnn-cu12"));
    EXPECT_TRUE(lock_fields::is_distribution_name("zope.interface"));
    EXPECT_FALSE(lock_fields::is_distribution_name("-e"));
    EXPECT_FALSE(lock_fields::is_distribution_name("a b"));
    EXPECT_FALSE(lock_fields::is_distribution_name(""));
    EXPECT_TRUE(lock_fields::is_index_url("https://pypi.org/simple"));
    EXPECT_FALSE(lock_fields::is_index_url("https://pypi.org/simple --trusted-host x"));
    EXPECT_FALSE(lock_fields::is_index_url("ftp://x"));
}

}  // namespace
}  // namespace envpin
