// The built-in catalog: it parses, passes the schema check, and holds the facts the resolver
// depends on. Mutated copies show that the schema check catches what it claims to.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "resolver/catalog.hpp"

namespace envpin {
namespace {

const Catalog& catalog()
{
    static const Catalog parsed = [] {
        auto result = default_catalog();
        if (!result)
            ADD_FAILURE() << result.error().describe();
        return result.value_or(Catalog{});
    }();
    return parsed;
}

const TorchBuild* build(std::string_view torch, std::string_view variant)
{
    const auto* release = find_release(catalog(), *Version::parse(torch));
    if (release == nullptr)
        return nullptr;
    const auto found = std::ranges::find(release->builds, variant, &TorchBuild::variant);
    return found == release->builds.end() ? nullptr : &*found;
}

// A release of a mutable copy, by version: tests that mutate a copy name the release they mean,
// so a new release at the front of the catalog does not change what they test.
TorchRelease& release_in(Catalog& copy, std::string_view version)
{
    return *std::ranges::find(copy.releases, *Version::parse(version), &TorchRelease::version);
}

bool has_problem(const Catalog& mutated, std::string_view fragment)
{
    const auto problems = check_catalog(mutated);
    return std::ranges::any_of(
        problems, [&](const std::string& p) { return p.find(fragment) != std::string::npos; });
}

TEST(Catalog, BuiltInCatalogPassesTheSchemaCheck)
{
    ASSERT_FALSE(catalog().releases.empty());
    const auto problems = check_catalog(catalog());
    EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(Catalog, CoversEveryTorchReleaseFrom2_0To2_14)
{
    for (const char* version :
         {"2.0.0", "2.0.1", "2.1.0",  "2.1.1",  "2.1.2",  "2.2.0",  "2.2.1",  "2.2.2", "2.3.0",
          "2.3.1", "2.4.0", "2.4.1",  "2.5.0",  "2.5.1",  "2.6.0",  "2.7.0",  "2.7.1", "2.8.0",
          "2.9.0", "2.9.1", "2.10.0", "2.11.0", "2.12.0", "2.12.1", "2.13.0", "2.14.0"})
        EXPECT_NE(find_release(catalog(), *Version::parse(version)), nullptr) << version;
    EXPECT_TRUE(std::ranges::is_sorted(catalog().releases, std::greater<>(),
                                       &TorchRelease::version)); // newest first
    EXPECT_EQ(catalog().releases.back().version.to_string(), "2.0.0");
}

TEST(Catalog, BuildsAreOrderedNewestCudaFirstWithCpuLast)
{
    const auto* release = find_release(catalog(), *Version::parse("2.7.1"));
    ASSERT_NE(release, nullptr);
    std::vector<std::string> variants;
    for (const auto& b : release->builds)
        variants.push_back(b.variant);
    EXPECT_EQ(variants, (std::vector<std::string>{"cu128", "cu126", "cu118", "cpu"}));
}

TEST(Catalog, HoldsTheFactsOfTheFactSheet)
{
    const auto* cu128 = build("2.7.1", "cu128");
    ASSERT_NE(cu128, nullptr);
    EXPECT_EQ(to_string(cu128->arch), "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120 compute_120");
    const auto cudnn = std::ranges::find(cu128->pins, "cudnn", &Pin::role);
    ASSERT_NE(cudnn, cu128->pins.end());
    EXPECT_EQ(cudnn->requirement.name, "nvidia-cudnn-cu12");
    EXPECT_EQ(cudnn->version_text(), "9.7.1.26");

    const auto* cu130 = build("2.11.0", "cu130");
    ASSERT_NE(cu130, nullptr);
    EXPECT_EQ(to_string(cu130->arch), "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120");
    EXPECT_EQ(fact_of(cu130->facts, "arch").evidence, Evidence::verified);
    const auto toolkit = std::ranges::find(cu130->pins, "cuda-toolkit", &Pin::role);
    ASSERT_NE(toolkit, cu130->pins.end());
    EXPECT_EQ(toolkit->version_text(), "13.0.2");
    EXPECT_EQ(toolkit->requirement.extras.size(), 11u);

    const auto* cu128_211 = build("2.11.0", "cu128");
    ASSERT_NE(cu128_211, nullptr);
    EXPECT_EQ(fact_of(cu128_211->facts, "cudnn").evidence, Evidence::sourced); // PR 175672

    const auto* cu129 = build("2.11.0", "cu129");
    ASSERT_NE(cu129, nullptr);
    EXPECT_FALSE(cu129->arch_known);
    EXPECT_EQ(fact_of(cu129->facts, "exists").evidence, Evidence::secondary);
    EXPECT_NE(build("2.9.0", "cu129"), nullptr);
    EXPECT_EQ(fact_of(build("2.13.0", "cu129")->facts, "exists").evidence, Evidence::sourced);

    // 3.13t: built for torch 2.9 and 2.12.0 (removed after 2.12.0), not for their companions.
    for (const char* version : {"2.9.0", "2.9.1", "2.12.0"}) {
        const auto* release = find_release(catalog(), *Version::parse(version));
        ASSERT_NE(release, nullptr);
        EXPECT_NE(std::ranges::find(release->python, "3.13t"), release->python.end()) << version;
        EXPECT_FALSE(release->companions_built_for("3.13t")) << version;
        EXPECT_TRUE(release->companions_built_for("3.14t")) << version;
    }
    const auto* release_2121 = find_release(catalog(), *Version::parse("2.12.1"));
    EXPECT_EQ(std::ranges::find(release_2121->python, "3.13t"), release_2121->python.end());

    const auto* cu117 = build("2.0.1", "cu117");
    ASSERT_NE(cu117, nullptr);
    ASSERT_EQ(cu117->pins.size(), 1u);
    EXPECT_EQ(cu117->pins[0].kind, Pin::Kind::bundled);
}

TEST(Catalog, CudaDriversAndCompatibilityFloors)
{
    const auto* cuda128 = find_cuda(catalog(), *Version::parse("12.8"));
    ASSERT_NE(cuda128, nullptr);
    EXPECT_EQ(cuda128->driver.text(), "570.26");
    const auto* floor12 = find_cuda_major(catalog(), 12);
    ASSERT_NE(floor12, nullptr);
    EXPECT_EQ(floor12->compat_floor.text(), "525.60.13");
    EXPECT_EQ(find_cuda_major(catalog(), 13)->compat_floor.text(), "580.65.06");
    EXPECT_EQ(find_cuda_major(catalog(), 11)->compat_floor.text(), "450.80.02");
    for (const char* version :
         {"11.7", "11.8", "12.1", "12.4", "12.6", "12.8", "12.9", "13.0", "13.1", "13.2"})
        EXPECT_NE(find_cuda(catalog(), *Version::parse(version)), nullptr) << version;
    EXPECT_EQ(fact_of(find_cuda(catalog(), *Version::parse("13.2"))->facts, "driver").evidence,
              Evidence::secondary);
}

// A GPU's reference peaks: a number each, positive; anything else names the key or the GPU.
TEST(Catalog, ReferencePeaksMustBePositiveNumbers)
{
    for (const char* key : {"tf32_dense_tflops", "fp8_dense_tflops", "fp32_tflops"}) {
        const auto text = fmt::format("format = 1\n[[gpu]]\nname = \"X\"\ncc = \"9.0\"\n{} = \"fast\"\n", key);
        const auto parsed = parse_catalog(text, "test.toml");
        ASSERT_FALSE(parsed) << key;
        EXPECT_NE(parsed.error().message.find(key), std::string::npos) << parsed.error().message;
    }
    auto mutated = catalog();
    auto& h200 = *std::ranges::find(mutated.gpus, std::string("H200"), &GpuModel::name);
    h200.fp8_dense_tflops = -1;
    EXPECT_TRUE(has_problem(mutated, "GPU H200: reference peaks must be positive"));
}

TEST(Catalog, FindsGpusByShortAndNvmlNames)
{
    const auto* h200 = find_gpu(catalog(), "NVIDIA H200");
    ASSERT_NE(h200, nullptr);
    EXPECT_EQ(h200->cc, (ComputeCapability{9, 0}));
    EXPECT_EQ(h200->hbm_bandwidth_gbs, 4800);
    EXPECT_EQ(h200->bf16_dense_tflops, 989);
    EXPECT_EQ(h200->tf32_dense_tflops, 494.5);
    EXPECT_EQ(h200->fp8_dense_tflops, 1979);
    EXPECT_EQ(h200->fp32_tflops, 67);
    const auto* h100 = find_gpu(catalog(), "NVIDIA H100 80GB HBM3");
    ASSERT_NE(h100, nullptr);
    EXPECT_EQ(h100->hbm_bandwidth_gbs, 3350);
    EXPECT_EQ(find_gpu(catalog(), "h100"), h100);
    EXPECT_EQ(find_gpu(catalog(), "  nvidia   H100 80GB   HBM3 "), h100);
    EXPECT_EQ(find_gpu(catalog(), "Tesla V100-SXM2-16GB")->cc, (ComputeCapability{7, 0}));
    EXPECT_EQ(find_gpu(catalog(), "NVIDIA GeForce RTX 4090")->cc, (ComputeCapability{8, 9}));
    EXPECT_EQ(find_gpu(catalog(), "B300")->cc, (ComputeCapability{10, 3}));
    EXPECT_FALSE(find_gpu(catalog(), "NVIDIA H100 PCIe")->hbm_bandwidth_gbs); // no source: absent
    EXPECT_EQ(find_gpu(catalog(), "NVIDIA H200 NVL"), nullptr); // another SKU: no borrowed peaks
    EXPECT_EQ(find_gpu(catalog(), "GTX 9999"), nullptr);
    EXPECT_EQ(find_gpu(catalog(), ""), nullptr);
    for (const char* name :
         {"V100", "T4", "A100", "A30", "A10", "RTX 3090", "L4", "L40S", "RTX 4090", "H100", "H200",
          "GH200", "B200", "GB200", "B300", "GB300", "RTX 5090", "GB10", "Jetson Thor"})
        EXPECT_NE(find_gpu(catalog(), name), nullptr) << name;
}

TEST(CatalogCheck, CatchesUnknownCudaReleaseOfAVariant)
{
    auto mutated = catalog();
    mutated.variants.push_back(
        {"cu127", Version::parse("12.7"), "https://download.pytorch.org/whl/cu127"});
    EXPECT_TRUE(
        has_problem(mutated, "variant cu127 names CUDA 12.7, which the catalog does not list"));
}

TEST(CatalogCheck, CatchesUnknownVariantOfABuild)
{
    auto mutated = catalog();
    mutated.releases.front().builds.front().variant = "cu999";
    EXPECT_TRUE(has_problem(mutated, "unknown variant cu999"));
}

TEST(CatalogCheck, CatchesDuplicateReleasesAndBuilds)
{
    auto mutated = catalog();
    mutated.releases.insert(mutated.releases.begin() + 1, mutated.releases.front());
    EXPECT_TRUE(has_problem(
        mutated, fmt::format("torch {} is listed twice",
                             mutated.releases.front().version.to_string())));
    auto doubled = catalog();
    doubled.releases.front().builds.push_back(doubled.releases.front().builds.front());
    EXPECT_TRUE(has_problem(doubled, "is listed twice"));
    auto cuda = catalog();
    cuda.cuda.insert(cuda.cuda.begin(), cuda.cuda.front());
    EXPECT_TRUE(has_problem(cuda, "CUDA 11.7 is listed twice"));
}

TEST(CatalogCheck, CatchesMalformedArchLists)
{
    auto unordered = catalog();
    auto& arch = release_in(unordered, "2.13.0").builds.front().arch;
    std::swap(arch.front(), arch.back());
    EXPECT_TRUE(has_problem(unordered, "not in ascending order"));

    auto stray_ptx = catalog();
    release_in(stray_ptx, "2.13.0").builds.front().arch.push_back({{13, 0}, CodeKind::ptx});
    EXPECT_TRUE(has_problem(stray_ptx, "compute_130 without the matching SASS"));

    auto volta13 = catalog();
    auto& cu13 = release_in(volta13, "2.13.0").builds.front();
    ASSERT_EQ(cu13.variant, "cu132");
    cu13.arch.insert(cu13.arch.begin(), ArchTarget{{7, 0}, CodeKind::sass});
    EXPECT_TRUE(has_problem(volta13, "sm_70 cannot be built by CUDA 13"));

    auto cpu_arch = catalog();
    release_in(cpu_arch, "2.13.0").builds.back().arch.push_back({{9, 0}, CodeKind::sass});
    EXPECT_TRUE(has_problem(cpu_arch, "a cpu build carries no GPU code"));
}

TEST(CatalogCheck, CatchesPinsForTheWrongCudaMajor)
{
    auto mutated = catalog();
    auto& cu132 = release_in(mutated, "2.13.0").builds.front();
    cu132.pins.front().requirement.name = "nvidia-cudnn-cu12";
    EXPECT_TRUE(has_problem(mutated, "nvidia-cudnn-cu12 is for CUDA 12, the variant for CUDA 13"));
}

TEST(CatalogCheck, TorchOnlyPythonMustBeAmongTheReleasePythons)
{
    auto mutated = catalog();
    release_in(mutated, "2.9.1").torch_only_python.push_back("3.9t");
    EXPECT_TRUE(has_problem(mutated, "torch 2.9.1: torch_only_python \"3.9t\" is not among"));
}

TEST(CatalogCheck, CatchesAmbiguousGpuNames)
{
    auto mutated = catalog();
    mutated.gpus.back().aliases.push_back("NVIDIA H200");
    EXPECT_TRUE(has_problem(mutated, "GPU name \"NVIDIA H200\""));
}

TEST(CatalogParse, ErrorsNameTheLine)
{
    const auto bad_arch =
        parse_catalog("format = 1\n[[variant]]\nname = \"cpu\"\nindex_url = \"x\"\n"
                      "[[torch]]\nversion = \"2.0.0\"\npython = [\"3.11\"]\n"
                      "[[build]]\ntorch = [\"2.0.0\"]\nvariant = \"cu117\"\narch = [\"sm_9\"]\n",
                      "test.toml");
    ASSERT_FALSE(bad_arch);
    EXPECT_NE(bad_arch.error().message.find("test.toml line 11"), std::string::npos)
        << bad_arch.error().message;
    EXPECT_NE(bad_arch.error().message.find("sm_9"), std::string::npos);

    const auto syntax = parse_catalog("format = 1\nrevision = \n", "test.toml");
    ASSERT_FALSE(syntax);
    EXPECT_NE(syntax.error().message.find("test.toml line 2"), std::string::npos)
        << syntax.error().message;

    const auto typo = parse_catalog("format = 1\n[[torch]]\nversoin = \"2.0.0\"\n", "test.toml");
    ASSERT_FALSE(typo);
    EXPECT_NE(typo.error().message.find("unknown key 'versoin'"), std::string::npos)
        << typo.error().message;

    const auto format = parse_catalog("format = 2\n", "test.toml");
    ASSERT_FALSE(format);
    EXPECT_NE(format.error().message.find("unknown catalog format 2"), std::string::npos);

    const auto orphan =
        parse_catalog("format = 1\n[[build]]\ntorch = [\"9.9.9\"]\nvariant = \"cpu\"\n", "t.toml");
    ASSERT_FALSE(orphan);
    EXPECT_NE(orphan.error().message.find("torch 9.9.9, which has no [[torch]] entry"),
              std::string::npos);
}

TEST(PinRole, FromDistributionNames)
{
    EXPECT_EQ(pin_role("nvidia-cudnn-cu12"), "cudnn");
    EXPECT_EQ(pin_role("nvidia-nccl-cu13"), "nccl");
    EXPECT_EQ(pin_role("nvidia-cuda-runtime"), "cuda-runtime");
    EXPECT_EQ(pin_role("nvidia_cublas_cu11"), "cublas");
    EXPECT_EQ(pin_role("cuda-toolkit"), "cuda-toolkit");
}

} // namespace
} // namespace envpin
