// Distributions read from *.dist-info.
#include <gtest/gtest.h>

#include "store/lifecycle/dist_info.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::store {
namespace {

TEST(Metadata, ReadsNameAndVersionFromTheHeaderBlock)
{
    const auto parsed = parse_metadata(
        "Metadata-Version: 2.1\r\nName: torch\r\nVersion: 2.11.0+cu130\r\nSummary: Tensors\r\n"
        "Requires-Dist: nvidia-nccl-cu13==2.28.9\r\n\r\nName: not-this\r\n");
    ASSERT_TRUE(parsed) << parsed.error().describe();
    EXPECT_EQ(*parsed, (NameVersion{"torch", "2.11.0+cu130"}));
}

TEST(Metadata, StopsAtTheDescription)
{
    const auto parsed = parse_metadata("Name: a\n\nVersion: 1\n");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
    EXPECT_FALSE(parse_metadata(""));
}

TEST(DirectUrl, TakesTheUrlOrNothing)
{
    EXPECT_EQ(parse_direct_url(R"({"url": "file:///src/pkg", "dir_info": {"editable": true}})").value(),
              std::optional<std::string>("file:///src/pkg"));
    EXPECT_EQ(parse_direct_url(R"({"dir_info": {}})").value(), std::nullopt);
    EXPECT_FALSE(parse_direct_url("{not json"));
    EXPECT_FALSE(parse_direct_url("[1]"));
}

TEST(DistInfoPaths, OnlyDirectlyInSitePackages)
{
    EXPECT_TRUE(is_dist_info_directory("lib/python3.12/site-packages/torch-2.7.1.dist-info"));
    EXPECT_TRUE(is_dist_info_directory("lib64/python3.11/site-packages/a-1.dist-info"));
    EXPECT_FALSE(is_dist_info_directory("lib/python3.12/site-packages/vendored/x-1.dist-info"));
    EXPECT_FALSE(is_dist_info_directory("lib/python2.7/site-packages/x-1.dist-info"));
    EXPECT_FALSE(is_dist_info_directory("share/x-1.dist-info"));
}

TEST(ReadDistributions, FromARealTree)
{
    test::TempDir dir;
    const std::string site = "lib/python3.11/site-packages";
    test::write_text(dir / (site + "/tinypkg-2.0.dist-info/METADATA"), "Metadata-Version: 2.1\nName: TinyPkg\nVersion: 2.0\n");
    test::write_text(dir / (site + "/tinypkg-2.0.dist-info/INSTALLER"), "uv\n");
    test::write_text(dir / (site + "/tinypkg-2.0.dist-info/direct_url.json"), R"({"url": "file:///wheels/t.whl"})");
    test::write_text(dir / (site + "/broken-0.1.dist-info/RECORD"), "");
    std::vector<ManifestEntry> entries;
    for (const auto* path : {"lib/python3.11/site-packages/broken-0.1.dist-info", "lib/python3.11/site-packages/tinypkg-2.0.dist-info"})
        entries.push_back({path, EntryKind::directory, 0755, 0, 0, {}, {}});
    const auto distributions = read_distributions(dir.path(), entries);
    ASSERT_TRUE(distributions) << distributions.error().describe();
    ASSERT_EQ(distributions->size(), 2u);
    EXPECT_EQ((*distributions)[0].name, "broken");  // no METADATA: named after its directory
    EXPECT_EQ((*distributions)[0].version, "0.1");
    EXPECT_EQ((*distributions)[1], (Distribution{"TinyPkg", "2.0", "uv", "file:///wheels/t.whl", site + "/tinypkg-2.0.dist-info"}));
}

TEST(VenvPython, ReadsTheVersionVenvOrUvWrote)
{
    test::TempDir dir;
    EXPECT_EQ(venv_python_version(dir.path()), "");  // no pyvenv.cfg
    test::write_text(dir / "pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n");
    EXPECT_EQ(venv_python_version(dir.path()), "3.11.7");
    test::write_text(dir / "pyvenv.cfg", "home = /usr/bin\nimplementation = CPython\nversion_info = 3.12.3\n");
    EXPECT_EQ(venv_python_version(dir.path()), "3.12.3");
}

}  // namespace
}  // namespace envpin::store
