// The pure parts of `envpin catalog update`: wheel file names, URLs on index pages, PEP 691
// pages, METADATA, and the overlay derived from them, applied to a catalog and compared with it.
#include <gtest/gtest.h>

#include <algorithm>

#include "resolver/catalog_overlay.hpp"
#include "resolver/core_metadata.hpp"
#include "resolver/simple_index.hpp"
#include "resolver/url.hpp"
#include "resolver/wheel_filename.hpp"

namespace envpin {
namespace {

TEST(WheelFilename, ReadsTagsAndPythons)
{
    const auto wheel = WheelFilename::parse("torch-2.11.0+cu130-cp313-cp313t-manylinux_2_28_x86_64.whl").value();
    EXPECT_EQ(wheel.distribution, "torch");
    EXPECT_EQ(wheel.version.to_string(), "2.11.0+cu130");
    EXPECT_TRUE(wheel.runs_on_linux_x86_64());
    EXPECT_EQ(wheel.cpython_versions(), std::vector<std::string>{"3.13t"});
    const auto build = WheelFilename::parse("Torch_Vision-0.26.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").value();
    EXPECT_EQ(build.distribution, "torch-vision");
    EXPECT_EQ(build.platform.size(), 2u);
    EXPECT_EQ(build.cpython_versions(), std::vector<std::string>{"3.12"});
    EXPECT_FALSE(WheelFilename::parse("torch-2.11.0-cp312-cp312-manylinux_2_28_aarch64.whl")->runs_on_linux_x86_64());
    EXPECT_FALSE(WheelFilename::parse("torch-2.11.0-cp312-cp312-win_amd64.whl")->runs_on_linux_x86_64());
    EXPECT_TRUE(WheelFilename::parse("triton-3.6.0-py3-none-any.whl")->cpython_versions().empty());
}

TEST(WheelFilename, BadNamesSayWhatWasExpected)
{
    for (const char* bad : {"torch-2.11.0.tar.gz", "torch-2.11.0-cp312.whl", "torch-notaversion-cp312-cp312-any.whl",
                            "torch-2.11.0--cp312-any.whl"}) {
        const auto parsed = WheelFilename::parse(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_NE(parsed.error().message.find(bad), std::string::npos) << parsed.error().message;
    }
}

TEST(Url, ResolvesReferencesAsBrowsersDo)
{
    const auto page = parse_url("https://download.pytorch.org/whl/cu130/torch/").value();
    EXPECT_EQ(resolve_url(page, "../../files/torch.whl#sha256=ab").text(), "https://download.pytorch.org/whl/files/torch.whl");
    EXPECT_EQ(resolve_url(page, "/whl/x.whl").text(), "https://download.pytorch.org/whl/x.whl");
    EXPECT_EQ(resolve_url(page, "x.whl").text(), "https://download.pytorch.org/whl/cu130/torch/x.whl");
    EXPECT_EQ(resolve_url(page, "//files.example/x.whl").text(), "https://files.example/x.whl");
    EXPECT_EQ(resolve_url(page, "http://127.0.0.1:8000/a/./b/../c").text(), "http://127.0.0.1:8000/a/./b/../c");
    EXPECT_EQ(resolve_url(page, "a/./b/../c").text(), "https://download.pytorch.org/whl/cu130/torch/a/c");
    EXPECT_EQ(parse_url("http://user@LocalHost:8080/x")->host(), "localhost");
    EXPECT_FALSE(parse_url("ftp://example.org/x"));
    EXPECT_FALSE(parse_url("example.org/simple"));
    EXPECT_FALSE(parse_url("http:///x"));
}

const Url page_url = parse_url("http://127.0.0.1:9/cu130/torch/").value();

TEST(SimpleIndex, ReadsFilesHashesAndMetadata)
{
    const auto sha = std::string(64, 'a');
    const auto page = parse_project_page(R"({"meta": {"api-version": "1.1"}, "name": "torch", "files": [
        {"filename": "torch-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl", "url": "../../files/t.whl",
         "hashes": {"sha256": ")" + sha + R"("}, "core-metadata": {"sha256": ")" + sha + R"("}},
        {"filename": "torch-2.10.0-cp312-cp312-manylinux_2_28_x86_64.whl", "url": "t2.whl", "hashes": {},
         "dist-info-metadata": true, "yanked": "broken"},
        {"filename": "torch-2.9.0-cp312-cp312-manylinux_2_28_x86_64.whl", "url": "t3.whl", "hashes": {}}]})",
                                         page_url)
                          .value();
    ASSERT_EQ(page.files.size(), 3u);
    EXPECT_EQ(page.files[0].url.text(), "http://127.0.0.1:9/files/t.whl");
    EXPECT_EQ(page.files[0].metadata_url().text(), "http://127.0.0.1:9/files/t.whl.metadata");
    EXPECT_EQ(page.files[0].sha256, sha);
    EXPECT_EQ(page.files[0].metadata_sha256, sha);
    EXPECT_TRUE(page.files[1].has_metadata);
    EXPECT_TRUE(page.files[1].yanked);
    EXPECT_FALSE(page.files[2].has_metadata);
}

TEST(SimpleIndex, RejectsWhatIsNotTheJsonApiNamingTheUrl)
{
    for (const char* bad : {"<html><body>torch</body></html>", "{\"files\": []}", R"({"meta": {"api-version": "2.0"}, "files": []})",
                            R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "a/b.whl", "url": "x"}]})",
                            R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "a.whl", "url": "x", "hashes": {"sha256": "xyz"}}]})",
                            R"({"meta": {"api-version": "1.0"}, "files": [)"}) {
        const auto parsed = parse_project_page(bad, page_url);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_NE(parsed.error().message.find("http://127.0.0.1:9/cu130/torch/"), std::string::npos) << parsed.error().message;
    }
}

TEST(CoreMetadata, ReadsTheHeaderBlockOnly)
{
    const auto metadata = CoreMetadata::parse("Metadata-Version: 2.4\r\nName: torch\r\nVersion: 2.11.0+cu130\r\n"
                                              "Requires-Python: >=3.10\r\nRequires-Dist: nvidia-cudnn-cu13==9.19.0.56;\r\n"
                                              "  platform_system == \"Linux\"\r\nRequires-Dist: filelock\r\n\r\n"
                                              "Requires-Dist: in-the-description\r\n",
                                              "t.metadata")
                              .value();
    EXPECT_EQ(metadata.name, "torch");
    EXPECT_EQ(metadata.version.to_string(), "2.11.0+cu130");
    EXPECT_EQ(metadata.requires_python, ">=3.10");
    ASSERT_EQ(metadata.requires_dist.size(), 2u);
    EXPECT_EQ(metadata.requires_dist[0].name, "nvidia-cudnn-cu13");
    EXPECT_TRUE(metadata.requires_dist[0].marker.has_value());
    EXPECT_FALSE(CoreMetadata::parse("Name: torch\n", "m"));
    EXPECT_FALSE(CoreMetadata::parse("Version: 1.0\n", "m"));
    const auto bad = CoreMetadata::parse("Name: torch\nVersion: 1.0\nRequires-Dist: ==\n", "m.metadata");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().describe().find("m.metadata"), std::string::npos);
}

IndexedWheel torch_wheel(const std::string& index, const std::string& filename, const std::vector<std::string>& requires_dist)
{
    IndexedWheel wheel{index, {}, WheelFilename::parse(filename).value(), std::nullopt};
    wheel.file.filename = filename;
    wheel.file.url = resolve_url(parse_url(index + "/").value(), filename);
    wheel.file.sha256 = std::string(64, 'b');
    CoreMetadata metadata{wheel.name.distribution, wheel.name.version, ">=3.10", {}};
    for (const auto& line : requires_dist)
        metadata.requires_dist.push_back(Requirement::parse(line).value());
    wheel.metadata = metadata;
    return wheel;
}

const std::string cu130 = "http://127.0.0.1:9/cu130";

std::vector<IndexedWheel> fixture_wheels()
{
    const std::vector<std::string> pins = {
        "nvidia-cudnn-cu13==9.19.0.56; platform_system == \"Linux\"",
        "cuda-toolkit[cublas,cudart]==13.0.2; platform_system == \"Linux\"",
        "triton==3.6.0; platform_system == \"Linux\"",
        "opt-einsum>=3.3; extra == \"opt-einsum\"",
        "nvidia-nccl-cu13==2.28.9; platform_system == \"Windows\"",
        "filelock"};
    return {torch_wheel(cu130, "torch-2.15.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl", pins),
            torch_wheel(cu130, "torch-2.15.0+cu130-cp313-cp313t-manylinux_2_28_x86_64.whl", pins),
            torch_wheel(cu130, "torch-2.15.0+cu130-cp312-cp312-win_amd64.whl", pins),
            torch_wheel(cu130, "torchvision-0.30.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl", {"torch==2.15.0", "numpy"}),
            torch_wheel("https://pypi.org/simple", "torch-2.15.0-cp312-cp312-manylinux_2_28_x86_64.whl", pins)};
}

TEST(CatalogOverlay, DerivesReleasesPinsAndHashesFromTheWheels)
{
    std::vector<std::string> notes;
    const auto overlay = derive_overlay(fixture_wheels(), {cu130}, "2026-12-05", notes);
    ASSERT_EQ(overlay.releases.size(), 1u);
    const auto& release = overlay.releases[0];
    EXPECT_EQ(release.version.to_string(), "2.15.0");
    EXPECT_EQ(release.python, (std::vector<std::string>{"3.12", "3.13t"}));
    EXPECT_EQ(release.torchvision, "0.30.0");
    EXPECT_EQ(release.triton, "3.6.0");
    EXPECT_EQ(release.pypi_default, "cu130");  // PyPI's plain wheel pins cuda-toolkit 13.0.2
    ASSERT_EQ(release.builds.size(), 1u);
    const auto& build = release.builds[0];
    EXPECT_EQ(build.variant, "cu130");
    EXPECT_EQ(build.index, cu130);
    EXPECT_EQ(build.toolkit, "13.0.2");
    // Linux x86_64 pins only, markers dropped; the Windows-only and extra-only lines left out.
    EXPECT_EQ(build.requires_dist, (std::vector<std::string>{"nvidia-cudnn-cu13==9.19.0.56",
                                                              "cuda-toolkit[cublas,cudart]==13.0.2"}));
    ASSERT_EQ(build.wheels.size(), 3u);  // two torch wheels and torchvision; not the Windows one
    EXPECT_EQ(build.wheels[2].project, "torchvision");
    EXPECT_EQ(build.wheels[0].sha256, std::string(64, 'b'));
}

TEST(CatalogOverlay, WheelsWithoutMetadataAreNotedAndLeftOut)
{
    auto wheels = fixture_wheels();
    for (auto& wheel : wheels)
        wheel.metadata.reset();
    std::vector<std::string> notes;
    EXPECT_TRUE(derive_overlay(wheels, {cu130}, "2026-12-05", notes).releases.empty());
    EXPECT_FALSE(notes.empty());
}

TEST(CatalogOverlay, RoundTripsThroughToml)
{
    std::vector<std::string> notes;
    const auto overlay = derive_overlay(fixture_wheels(), {cu130}, "2026-12-05", notes);
    const auto text = overlay_to_toml(overlay);
    EXPECT_EQ(parse_overlay(text, "overlay.toml").value(), overlay);
    EXPECT_EQ(overlay_to_toml(parse_overlay(text, "overlay.toml").value()), text);
    const auto typo = parse_overlay(text + "\n[[torch]]\nversion = \"2.16.0\"\ntoch = 1\n", "overlay.toml");
    ASSERT_FALSE(typo);
    EXPECT_NE(typo.error().message.find("overlay.toml line"), std::string::npos) << typo.error().message;
    EXPECT_FALSE(parse_overlay("format = 7\nupdated = \"x\"\n", "overlay.toml"));
}

// A small catalog of its own, so a new release in the shipped one changes nothing here.
Catalog fixture_catalog()
{
    return parse_catalog(R"(
format = 1
revision = "fixture"
[[cuda_major]]
major = 13
compat_floor = "580.65.06"
[[cuda]]
version = "13.0"
driver = "580.65.06"
updates = { "13.0.2" = "580.95.05" }
[[cuda]]
version = "13.2"
driver = "595.45.04"
[[variant]]
name = "cu130"
cuda = "13.0"
index_url = "https://download.pytorch.org/whl/cu130"
[[variant]]
name = "cpu"
index_url = "https://download.pytorch.org/whl/cpu"
[[torch]]
version = "2.11.0"
python = ["3.10", "3.11", "3.12"]
torchvision = "0.26.0"
triton = "3.6.0"
[[build]]
torch = ["2.11.0"]
variant = "cu130"
toolkit = "13.0.2"
arch = ["sm_75", "sm_80", "sm_90"]
requires = ["nvidia-cudnn-cu13==9.17.1.4"]
[build.facts]
cudnn = { evidence = "conflict", note = "two sources" }
[[build]]
torch = ["2.11.0"]
variant = "cpu"
[[gpu]]
name = "H100 SXM"
cc = "9.0"
)",
                         "fixture")
        .value();
}

TEST(CatalogOverlay, ANewReleaseBorrowsItsVariantsArchListMarkedUnverified)
{
    std::vector<std::string> notes;
    const auto overlay = derive_overlay(fixture_wheels(), {cu130}, "2026-12-05", notes);
    const auto catalog = apply_overlay(fixture_catalog(), overlay, notes);
    ASSERT_EQ(catalog.releases.size(), 2u);
    const auto& added = catalog.releases.front();  // newest first
    EXPECT_EQ(added.version.to_string(), "2.15.0");
    ASSERT_EQ(added.builds.size(), 1u);
    EXPECT_EQ(to_string(added.builds[0].arch), to_string(catalog.releases[1].builds[0].arch));
    EXPECT_EQ(fact_of(added.builds[0].facts, "arch").evidence, Evidence::unverified);
    EXPECT_EQ(added.builds[0].origin, cu130 + " (2026-12-05)");
    EXPECT_EQ(fact_of(added.builds[0].facts, "cudnn").evidence, Evidence::verified);
    const auto problems = check_catalog(catalog);
    EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems.front());
}

TEST(CatalogOverlay, TheIndexsPinsReplaceTheBuiltInOnesAndDiffNamesThem)
{
    auto wheels = fixture_wheels();
    for (auto& wheel : wheels) {  // the same wheels, as 2.11.0
        wheel.name.version = Version::parse(wheel.name.version.to_string() == "2.15.0" ? "2.11.0"
                                            : wheel.name.distribution == "torch"      ? "2.11.0+cu130"
                                                                                      : "0.26.0+cu130")
                                 .value();
        for (auto& requirement : wheel.metadata->requires_dist)
            if (requirement.name == "torch")
                requirement = Requirement::parse("torch==2.11.0").value();
    }
    std::vector<std::string> notes;
    const auto overlay = derive_overlay(wheels, {cu130}, "2026-12-05", notes);
    const auto differences = diff_catalog(fixture_catalog(), overlay);
    const auto cudnn = std::ranges::find(differences, std::string("cudnn"), &CatalogDifference::field);
    ASSERT_NE(cudnn, differences.end());
    EXPECT_EQ(cudnn->subject, "torch 2.11.0+cu130");
    EXPECT_EQ(cudnn->built_in, "9.17.1.4");
    EXPECT_EQ(cudnn->index, "9.19.0.56");
    EXPECT_EQ(cudnn->evidence, Evidence::conflict);
    const auto python = std::ranges::find(differences, std::string("python"), &CatalogDifference::field);
    ASSERT_NE(python, differences.end());
    EXPECT_EQ(python->index, "3.13t");

    const auto catalog = apply_overlay(fixture_catalog(), overlay, notes);
    const auto& build = catalog.releases[0].builds[0];
    const auto pin = std::ranges::find(build.pins, std::string("cudnn"), &Pin::role);
    ASSERT_NE(pin, build.pins.end());
    EXPECT_EQ(pin->version_text(), "9.19.0.56");
    EXPECT_EQ(pin->fact.evidence, Evidence::verified);
    EXPECT_EQ(to_string(build.arch), "sm_75 sm_80 sm_90");  // the built-in arch list stays
}

TEST(CatalogOverlay, AVariantWithoutACudaReleaseInTheCatalogIsLeftOutWithANote)
{
    auto wheels = fixture_wheels();
    wheels.resize(1);
    wheels[0].index = "http://127.0.0.1:9/cu199";
    wheels[0].name.version = Version::parse("2.15.0+cu199").value();
    std::vector<std::string> notes;
    const auto overlay = derive_overlay(wheels, {wheels[0].index}, "2026-12-05", notes);
    ASSERT_EQ(overlay.releases.at(0).builds.at(0).variant, "cu199");
    const auto catalog = apply_overlay(fixture_catalog(), overlay, notes);
    EXPECT_EQ(catalog.releases.size(), 1u);
    ASSERT_FALSE(notes.empty());
    EXPECT_NE(notes.back().find("cu199"), std::string::npos);
}

TEST(CatalogOverlay, AToolkitUpdateWhoseDriverIsUnknownStaysUnknownAndSaysWhy)
{
    auto wheels = fixture_wheels();
    wheels.resize(1);
    for (auto& requirement : wheels[0].metadata->requires_dist)
        if (requirement.name == "cuda-toolkit")
            requirement = Requirement::parse("cuda-toolkit==13.0.9").value();
    std::vector<std::string> notes;
    const auto catalog = apply_overlay(fixture_catalog(), derive_overlay(wheels, {cu130}, "2026-12-05", notes), notes);
    const auto& build = catalog.releases.front().builds.front();
    EXPECT_EQ(build.toolkit, "");
    EXPECT_EQ(fact_of(build.facts, "toolkit").evidence, Evidence::unverified);
    EXPECT_NE(fact_of(build.facts, "toolkit").note.find("13.0.9"), std::string::npos);
    EXPECT_TRUE(check_catalog(catalog).empty());
}

TEST(CatalogOverlay, ANewerUpdateReplacesOnlyTheReleasesItRead)
{
    CatalogOverlay older{"2026-12-01", {"a"}, {{Version::parse("2.11.0").value(), {"3.12"}, "", "", "", "", {}},
                                                {Version::parse("2.10.0").value(), {"3.12"}, "", "", "", "", {}}}};
    CatalogOverlay newer{"2026-12-05", {"b"}, {{Version::parse("2.11.0").value(), {"3.13"}, "", "", "", "", {}}}};
    const auto merged = merge_overlays(older, newer);
    EXPECT_EQ(merged.updated, "2026-12-05");
    EXPECT_EQ(merged.indexes, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(merged.releases.size(), 2u);
    EXPECT_EQ(merged.releases[0].python, std::vector<std::string>{"3.13"});
    EXPECT_EQ(merged.releases[1].version.to_string(), "2.10.0");
}

TEST(CatalogOverlay, IndexVariantComesFromTheLastPathSegment)
{
    EXPECT_EQ(index_variant("https://download.pytorch.org/whl/cu130/"), "cu130");
    EXPECT_EQ(index_variant("https://download.pytorch.org/whl/cpu"), "cpu");
    EXPECT_EQ(index_variant("https://pypi.org/simple"), "");
    EXPECT_EQ(index_variant("https://example.org/cu13"), "");
}

}  // namespace
}  // namespace envpin
