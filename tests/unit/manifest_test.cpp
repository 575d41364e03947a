// The manifest's text form: round trips, escaping, and refusal of entries a restore must not
// write (paths escaping the environment, setuid bits).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "base/strings.hpp"
#include "store/core/manifest.hpp"
#include "tests/support/manifest_entries.hpp"

namespace envpin::store {
namespace {

using test::directory;
using test::file;
using test::symlink;

std::vector<ManifestEntry> sample()
{
    std::vector<ManifestEntry> entries = {
        directory("."),
        directory("bin"),
        file("bin/activate", "# activate\n"),
        symlink("bin/python", "/usr/bin/python3.11"),
        file("bin/tool", "#!/bin/sh\n", 0755),
        directory("empty dir", 0700),
        file("empty dir/tab\there", ""),
        file("empty dir/new\nline \\ back", "x"),
        file("empty dir/\xc3\xa9t\xc3\xa9.py", "unicode"),
        directory("lib"),
        symlink("lib64", "lib"),
    };
    std::ranges::sort(entries, {}, &ManifestEntry::path);
    return entries;
}

TEST(ManifestText, FilesRoundTrip)
{
    const auto entries = sample();
    const auto text = print_files(entries);
    const auto parsed = parse_files(text);
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, entries);
    EXPECT_EQ(print_files(*parsed), text);
}

TEST(ManifestText, IsOneReadableLinePerEntry)
{
    const auto text = print_files(sample());
    EXPECT_TRUE(text.starts_with("envpin-files 1\nd\t0755\t.\n")) << text;
    EXPECT_NE(text.find("l\tbin/python\t/usr/bin/python3.11\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\tempty dir/tab\\there\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\tempty dir/new\\nline \\\\ back\n"), std::string::npos) << text;
    EXPECT_NE(text.find(fmt::format("f\t0755\t10\t1732741234123456789\t{}\tbin/tool\n", sha256_of("#!/bin/sh\n").hex())),
              std::string::npos) << text;
    EXPECT_EQ(std::ranges::count(text, '\n'), static_cast<long>(sample().size()) + 1);
}

TEST(ManifestText, DistributionsRoundTrip)
{
    const std::vector<Distribution> distributions = {
        {"torch", "2.11.0+cu130", "pip", "", "lib/python3.12/site-packages/torch-2.11.0+cu130.dist-info"},
        {"my pkg", "1.0", "", "file:///src/my\tpkg", "lib/python3.12/site-packages/my_pkg-1.0.dist-info"},
    };
    const auto parsed = parse_distributions(print_distributions(distributions));
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, distributions);
}

Expected<void> check(std::vector<ManifestEntry> entries)
{
    return validate_entries(entries);
}

TEST(ManifestValidation, AcceptsTheSample)
{
    EXPECT_TRUE(check(sample()));
}

TEST(ManifestValidation, RefusesPathsThatLeaveTheEnvironment)
{
    for (const char* bad : {"../etc/passwd", "/etc/passwd", "a/../../x", "a//b", "a/./b", "a/"}) {
        const auto result = check({directory("."), directory("a"), file(bad, "x")});
        ASSERT_FALSE(result) << bad;
        EXPECT_EQ(result.error().code, ErrorCode::bad_input);
    }
}

TEST(ManifestValidation, RefusesAPathThroughASymlinkOrAFile)
{
    const auto through_link = check({directory("."), symlink("lib64", "../../etc"), file("lib64/passwd", "x")});
    ASSERT_FALSE(through_link);
    EXPECT_NE(through_link.error().describe().find("lib64/passwd"), std::string::npos) << through_link.error().describe();
    EXPECT_FALSE(check({directory("."), file("a", "x"), file("a/b", "y")}));
    EXPECT_FALSE(check({directory("."), file("missing/parent", "x")}));
}

TEST(ManifestValidation, RefusesSetuidAndSetgidFiles)
{
    EXPECT_FALSE(check({directory("."), file("suid", "x", 04755)}));
    EXPECT_FALSE(check({directory("."), file("sgid", "x", 02755)}));
    EXPECT_FALSE(check({directory("."), directory("d", 04755)}));
    EXPECT_TRUE(check({directory("."), directory("shared", 02775)}));  // setgid directories are common
}

TEST(ManifestValidation, NeedsSortedUniqueEntriesUnderARoot)
{
    EXPECT_FALSE(check({}));
    EXPECT_FALSE(check({directory("bin")}));
    EXPECT_FALSE(check({directory("."), directory("b"), directory("a")}));
    EXPECT_FALSE(check({directory("."), directory("a"), directory("a")}));
    EXPECT_FALSE(check({directory("."), symlink("empty", "")}));
}

TEST(ManifestParse, RefusesMalformedText)
{
    const auto root = std::string("envpin-files 1\nd\t0755\t.\n");
    for (const std::string& bad : {
             std::string(""), std::string("envpin-files 2\n"), root + "f\t0644\t1\t2\tnothex\tx\n",
             root + "x\t0755\ty\n", root + "d\t755\ty\n", root + "d\t0755\ty", root + "d\t0755\t../y\n",
             root + "d\t0755\tbad\\q\n", root + "f\t0644\t-1\t0\t" + sha256_of("").hex() + "\ty\n",
             root + "f\t4755\t0\t0\t" + sha256_of("").hex() + "\ty\n"}) {
        const auto parsed = parse_files(bad);
        EXPECT_FALSE(parsed) << bad;
    }
}

TEST(ManifestParse, NamesTheLineOfAnError)
{
    const auto parsed = parse_files("envpin-files 1\nd\t0755\t.\nd\t0755\t/abs\n");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().describe().find("/abs"), std::string::npos) << parsed.error().describe();
}

// Manifests of more than a couple of megabytes parse in pieces on all cores: the result and the
// line an error names must not depend on where the pieces were cut.
std::vector<ManifestEntry> large_manifest()
{
    std::vector<ManifestEntry> entries = {directory("."), directory("pkg")};
    for (int i = 0; i < 40000; ++i)
        entries.push_back(file(fmt::format("pkg/module_{:06d}_with_a_longer_name.py", i), std::to_string(i)));
    return entries;
}

TEST(ManifestParse, ALargeManifestRoundTripsInPieces)
{
    const auto entries = large_manifest();
    const auto text = print_files(entries);
    ASSERT_GT(text.size(), size_t{4} << 20);
    const auto parsed = parse_files(text);
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, entries);
}

TEST(ManifestParse, ALargeManifestNamesTheRightLine)
{
    auto text = print_files(large_manifest());
    const std::string needle = "pkg/module_031234_with_a_longer_name.py";
    const auto at = text.find(needle);
    ASSERT_NE(at, std::string::npos);
    text[text.rfind('\n', at) + 1] = 'x';  // no such kind; line 4 + 31234 (header, ".", "pkg" come first)
    const auto parsed = parse_files(text);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().describe().find("line 31238"), std::string::npos) << parsed.error().describe();
}

std::vector<ManifestEntry> venv_sample()
{
    const std::string site = "lib/python3.12/site-packages";
    std::vector<ManifestEntry> entries = {
        directory("."), directory("bin"), file("bin/python3", "elf"), directory("lib"),
        directory("lib/python3.12"), directory(site), file(site + "/six.py", "six"),
        directory(site + "/torch"), file(site + "/torch/__init__.py", "import"),
        directory(site + "/torch-2.11.0.dist-info"), file(site + "/torch-2.11.0.dist-info/METADATA", "Name: torch"),
        directory(site + "/Jinja2"), file(site + "/Jinja2/x.py", "j"), directory(site + "/_yaml"),
        directory(site + "/2to3"), file("pyvenv.cfg", "home = /usr/bin"), symlink("lib64", "lib"),
    };
    std::ranges::sort(entries, {}, &ManifestEntry::path);
    return entries;
}

TEST(ManifestShards, EntriesGoToTheShardOfTheirSitePackagesChild)
{
    EXPECT_EQ(file_shard_of("."), "env");
    EXPECT_EQ(file_shard_of("bin/python3"), "env");
    EXPECT_EQ(file_shard_of("lib/python3.12/site-packages"), "env");
    EXPECT_EQ(file_shard_of("lib/python3.12/site-packages/torch"), "site-packages-t");
    EXPECT_EQ(file_shard_of("lib/python3.12/site-packages/torch/lib/libtorch_cuda.so"), "site-packages-t");
    EXPECT_EQ(file_shard_of("lib64/python3.9/site-packages/Jinja2/x.py"), "site-packages-j");
    EXPECT_EQ(file_shard_of("lib/python3.12/site-packages/2to3"), "site-packages-0");
    EXPECT_EQ(file_shard_of("lib/python3.12/site-packages/_yaml"), "site-packages-_");
    EXPECT_EQ(file_shard_of("lib/python3.12/dist-packages/torch"), "env");
    EXPECT_EQ(file_shard_of("share/python3/site-packages/torch"), "env");
}

TEST(ManifestShards, RoundTripInPathOrder)
{
    const auto entries = venv_sample();
    const auto shards = print_file_shards(entries);
    std::vector<std::string> names;
    for (const auto& shard : shards) {
        names.push_back(shard.name);
        EXPECT_TRUE(shard.text.starts_with("envpin-files 1\n")) << shard.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"env", "site-packages-0", "site-packages-_", "site-packages-j",
                                               "site-packages-s", "site-packages-t"}));
    EXPECT_NE(shards.back().text.find("site-packages/torch/__init__.py\n"), std::string::npos);
    EXPECT_NE(shards.back().text.find("site-packages/torch-2.11.0.dist-info/METADATA\n"), std::string::npos);
    EXPECT_EQ(shards.back().text.find("six.py"), std::string::npos);
    const auto parsed = parse_file_shards(shards);
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, entries);
    auto reversed = shards;
    std::ranges::reverse(reversed);  // the order shards are read in does not matter
    EXPECT_EQ(parse_file_shards(reversed).value(), entries);
}

// A shard of megabytes (torch's) is parsed in pieces on all cores: the entries, and the line an
// error names, do not depend on where the pieces were cut.
TEST(ManifestShards, ALargeShardParsesInPiecesAndNamesTheRightLine)
{
    const std::string site = "lib/python3.12/site-packages";
    std::vector<ManifestEntry> entries = {directory("."), directory("lib"), directory("lib/python3.12"),
                                          directory(site), directory(site + "/torch")};
    for (int i = 0; i < 20000; ++i)
        entries.push_back(file(fmt::format("{}/torch/module_{:06d}_with_a_longer_name.py", site, i), std::to_string(i)));
    auto shards = print_file_shards(entries);
    ASSERT_EQ(shards.back().name, "site-packages-t");
    ASSERT_GT(shards.back().text.size(), size_t{1} << 20);  // four pieces at least
    const auto parsed = parse_file_shards(shards);
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, entries);

    auto& text = shards.back().text;
    const auto at = text.find("torch/module_012345_with");
    ASSERT_NE(at, std::string::npos);
    text[text.rfind('\n', at) + 1] = 'x';  // line 3 + 12345: the header and the torch directory first
    const auto refused = parse_file_shards(shards);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().describe().find("line 12348"), std::string::npos) << refused.error().describe();
    EXPECT_NE(refused.error().describe().find("shard 'site-packages-t'"), std::string::npos) << refused.error().describe();
}

TEST(ManifestShards, PiecesConcatenateToTheWholeShard)
{
    const auto entries = venv_sample();
    for (const auto& plan : plan_file_shards(entries)) {
        const auto whole = print_file_shard(plan);
        std::string pieces;
        for (size_t begin = 0; begin < plan.entries.size(); begin += 2)
            pieces += print_file_shard(plan, begin, begin + 2);
        EXPECT_EQ(pieces, whole) << plan.name;
        EXPECT_TRUE(print_file_shard(plan, 1, 2).find("envpin-files") == std::string::npos);
    }
}

TEST(ManifestShards, RefuseMisplacedDuplicatedAndMalformedEntries)
{
    auto shards = print_file_shards(venv_sample());
    auto refused = [](const std::vector<FileShard>& bad, std::string_view expected) {
        const auto parsed = parse_file_shards(bad);
        ASSERT_FALSE(parsed) << expected;
        EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
        EXPECT_NE(parsed.error().describe().find(expected), std::string::npos) << parsed.error().describe();
    };
    auto misplaced = shards;
    misplaced[4].text += "f\t0644\t1\t0\t" + std::string(64, 'a') + "\tlib/python3.12/site-packages/torch/evil.py\n";
    refused(misplaced, "shard 'site-packages-s'");
    auto duplicated = shards;
    duplicated.push_back(duplicated.back());
    refused(duplicated, "not sorted and unique");
    auto unsorted = shards;  // the env shard's lines after the root reversed
    {
        const auto lines = split(unsorted[0].text, '\n');
        ASSERT_GT(lines.size(), 4u);
        std::string text = std::string(lines[0]) + "\n" + std::string(lines[1]) + "\n";
        for (size_t i = lines.size() - 1; i >= 2; --i)
            if (!lines[i].empty())
                text += std::string(lines[i]) + "\n";
        unsorted[0].text = text;
    }
    refused(unsorted, "entry '");  // merged out of order: a child before its parent, or unsorted
    auto escaping = shards;
    escaping[0].text += "f\t0644\t1\t0\t" + std::string(64, 'a') + "\t../../etc/cron.d/x\n";
    refused(escaping, "../../etc/cron.d/x");
    auto malformed = shards;
    malformed[5].text += "x\tnonsense\n";
    refused(malformed, "shard 'site-packages-t'");
    auto rootless = shards;
    rootless.erase(rootless.begin());
    refused(rootless, "root directory");
}

TEST(StateDigest, IgnoresMtimesButNotModesOrContent)
{
    Manifest a{{}, sample()};
    Manifest b = a;
    b.entries[2].mtime_ns += 1;
    EXPECT_EQ(state_digest(a), state_digest(b));
    b.entries[2].mode = 0600;
    EXPECT_NE(state_digest(a), state_digest(b));
    Manifest c = a;
    c.distributions.push_back({"x", "1", "", "", "lib/python3.11/site-packages/x-1.dist-info"});
    EXPECT_NE(state_digest(a), state_digest(c));
}

TEST(Names, NormalizeLikePep503)
{
    EXPECT_EQ(normalize_name("Foo.Bar__baz"), "foo-bar-baz");
    EXPECT_EQ(normalize_name("nvidia-nccl-cu13"), "nvidia-nccl-cu13");
    EXPECT_EQ(normalize_name("PyYAML"), "pyyaml");
}

}  // namespace
}  // namespace envpin::store
