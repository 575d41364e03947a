// Resolution scenarios against the built-in catalog: drivers old and new, GPUs from sm_70 to
// sm_121, cpu hosts, explicit CUDA requests, Python limits and conflicts. Each row states the
// expected choice (or a conflict) and the rejections that must be explained. Rows name the torch
// releases they are about, so a new release in the catalog leaves them true; the rules on the
// newest release are tested on a fixture catalog (resolve_rules_test.cpp).
#include <algorithm>

#include <gtest/gtest.h>

#include "resolver/resolve.hpp"

namespace envpin {
namespace {

const Catalog& catalog()
{
    static const Catalog parsed = default_catalog().value();
    return parsed;
}

struct ExpectedRejection {
    std::string candidate;
    Cause cause;
    std::string fragment; // must appear in that reason's text
};

struct Scenario {
    std::string name;
    // request
    std::string torch;
    std::string cuda = "auto";
    std::string python;
    std::vector<std::string> companions;
    CompatPolicy compat = CompatPolicy::allow_minor_version;
    // host
    std::optional<std::string> driver;
    std::vector<std::string> gpus; // --gpu values
    std::string host_python;       // version of the host's python3, if any
    // expected
    std::string result;           // "2.7.1+cu128" or "conflict"
    std::string compat_mode = ""; // "native", "minor-version" or "none" (cpu)
    std::vector<ExpectedRejection> rejected;
    std::string summary_fragment; // conflicts: must appear in a summary line
    std::string expected_python;
};

std::ostream& operator<<(std::ostream& out, const Scenario& s)
{
    return out << s.name;
}

HostFacts host_of(const Scenario& s)
{
    HostFacts host;
    host.driver = s.driver;
    host.driver_source = "test";
    for (size_t i = 0; i < s.gpus.size(); ++i)
        host.gpus.push_back(gpu_from_flag(catalog(), s.gpus[i], static_cast<int>(i)).value());
    if (!s.host_python.empty())
        host.pythons.push_back({"/usr/bin/python3", s.host_python});
    return host;
}

Resolution resolve_scenario(const Scenario& s)
{
    RequestText text{s.torch, s.cuda, s.python, s.companions, s.compat};
    auto request = make_request(catalog(), text);
    EXPECT_TRUE(request) << request.error().message;
    auto resolution = resolve(catalog(), request.value(), host_of(s));
    EXPECT_TRUE(resolution) << resolution.error().message;
    return std::move(resolution).value();
}

void expect_rejections(const std::vector<Rejection>& rejected, const Scenario& s)
{
    for (const auto& want : s.rejected) {
        const auto found = std::ranges::find(rejected, want.candidate, &Rejection::candidate);
        ASSERT_NE(found, rejected.end()) << want.candidate << " was not among the rejected";
        const bool matched = std::ranges::any_of(found->reasons, [&](const Reason& reason) {
            return reason.cause == want.cause &&
                   reason.text.find(want.fragment) != std::string::npos;
        });
        std::string reasons;
        for (const auto& reason : found->reasons)
            reasons += std::string(to_string(reason.cause)) + ": " + reason.text + "\n";
        EXPECT_TRUE(matched) << want.candidate << " should be rejected for "
                             << to_string(want.cause) << " ('" << want.fragment << "'), got:\n"
                             << reasons;
    }
}

class Resolve : public testing::TestWithParam<Scenario> {};

TEST_P(Resolve, ChoosesAndExplains)
{
    const auto& s = GetParam();
    const auto resolution = resolve_scenario(s);
    if (s.result == "conflict") {
        ASSERT_TRUE(std::holds_alternative<Conflict>(resolution))
            << "chose " << std::get<Plan>(resolution).torch.to_string();
        const auto& conflict = std::get<Conflict>(resolution);
        expect_rejections(conflict.rejected, s);
        std::string summary;
        for (const auto& line : conflict.summary)
            summary += line + "\n";
        EXPECT_NE(summary.find(s.summary_fragment), std::string::npos) << summary;
        return;
    }
    ASSERT_TRUE(std::holds_alternative<Plan>(resolution))
        << "conflict: " << std::get<Conflict>(resolution).summary.at(0);
    const auto& plan = std::get<Plan>(resolution);
    EXPECT_EQ(plan.torch.to_string(), s.result);
    if (!s.compat_mode.empty()) {
        EXPECT_EQ(to_string(plan.compat), s.compat_mode);
    }
    if (!s.expected_python.empty()) {
        EXPECT_EQ(plan.python, s.expected_python) << plan.python_reason;
    }
    expect_rejections(plan.rejected, s);
}

// clang-format off
const Scenario k_scenarios[] = {
    // The five examples of issue 3.
    {.name = "Torch27OnDriver570H100IsCu128Native", .torch = "2.7.*", .driver = "570.86.15", .gpus = {"H100"},
     .result = "2.7.1+cu128", .compat_mode = "native",
     .rejected = {{"2.7.1+cu126", Cause::not_chosen, "2.7.1+cu128 has the newer CUDA"},
                  {"2.7.1+cpu", Cause::cuda_spec, "a cpu build"}}},
    {.name = "Torch211OnDriver58095H100IsCu130Native", .torch = "2.11.*", .driver = "580.95.05", .gpus = {"H100"},
     .result = "2.11.0+cu130", .compat_mode = "native",
     .rejected = {{"2.11.0+cu129", Cause::gpu, "arch list is not in the catalog"},
                  {"2.11.0+cu128", Cause::not_chosen, "newer CUDA"}}},
    {.name = "Torch211OnV100IsCu126", .torch = "2.11.*", .driver = "580.95.05", .gpus = {"V100"},
     .result = "2.11.0+cu126", .compat_mode = "native",
     .rejected = {{"2.11.0+cu130", Cause::gpu, "no kernel for GPU 0 (V100, sm_70): it carries sm_75 sm_80"},
                  {"2.11.0+cu128", Cause::gpu, "and no sm_70 (or PTX <= compute_70)"}}},
    {.name = "Torch27WithoutDriverIsCpu", .torch = "2.7.*", .driver = std::nullopt,
     .result = "2.7.1+cpu", .compat_mode = "none",
     .rejected = {{"2.7.1+cu128", Cause::no_driver, "no NVIDIA driver"}}},
    {.name = "Torch27WithCuda130IsAConflict", .torch = "2.7.*", .cuda = "13.0", .driver = "580.95.05", .gpus = {"H100"},
     .result = "conflict",
     .rejected = {{"2.7.1+cu128", Cause::cuda_spec, "CUDA 12.8 does not match cuda \"13.0\""},
                  {"2.7.0+cpu", Cause::cuda_spec, "a cpu build; cuda \"13.0\" asks for CUDA"}},
     .summary_fragment = "all 8 candidates do not match cuda \"13.0\": torch \"2.7.*\" is built for cu128, cu126, cu118, cpu"},
    {.name = "Torch27WithCuda130WithoutDriverIsAConflict", .torch = "2.7.*", .cuda = "13.0",
     .result = "conflict", .summary_fragment = "do not match cuda \"13.0\""},
    // Newest everything: the newest CUDA wins even under minor-version compatibility.
    {.name = "AnyTorchOnDriver58095PicksCu132UnderCompat", .torch = "2.13.*", .driver = "580.95.05", .gpus = {"H100"},
     .result = "2.13.0+cu132", .compat_mode = "minor-version",
     .rejected = {{"2.13.0+cu130", Cause::not_chosen, "usable (native)"}}},
    {.name = "NativeOnlyRefusesCompatAndTakesCu130", .torch = "2.13.*", .compat = CompatPolicy::native_only, .driver = "580.95.05",
     .gpus = {"H100"}, .result = "2.13.0+cu130", .compat_mode = "native",
     .rejected = {{"2.13.0+cu132", Cause::native_only, "only under minor-version compatibility (native needs >= 595.58.03)"}}},
    {.name = "B200OnDriver595IsCu132Native", .torch = "2.13.*", .driver = "595.58.03", .gpus = {"B200"},
     .result = "2.13.0+cu132", .compat_mode = "native"},
    // Blackwell consumer and workstation GPUs.
    {.name = "Rtx5090HasNoKernelIn26", .torch = "2.6.*", .driver = "570.86.15", .gpus = {"RTX 5090"},
     .result = "conflict",
     .rejected = {{"2.6.0+cu126", Cause::gpu, "no kernel for GPU 0 (RTX 5090, sm_120)"},
                  {"2.6.0+cu118", Cause::gpu, "and no sm_120 (or PTX <= compute_120)"}},
     .summary_fragment = "all 3 CUDA builds carry no kernel"},
    {.name = "Rtx5090On27IsCu128", .torch = "2.7.*", .driver = "570.86.15", .gpus = {"RTX 5090"},
     .result = "2.7.1+cu128", .compat_mode = "native",
     .rejected = {{"2.7.1+cu126", Cause::gpu, "sm_120"}}},
    {.name = "Gb10Sm121RunsSm120Cubins", .torch = "2.7.*", .driver = "575.51.03", .gpus = {"GB10"},
     .result = "2.7.1+cu128", .compat_mode = "native"},
    {.name = "B300Sm103RunsSm100CubinsOfCu129", .torch = "2.8.*", .driver = "580.65.06", .gpus = {"B300"},
     .result = "2.8.0+cu129", .compat_mode = "native",
     .rejected = {{"2.8.0+cu126", Cause::gpu, "sm_103"}}},
    {.name = "ThorSm110HasNoKernelAnywhereIn213", .torch = "2.13.*", .driver = "580.95.05", .gpus = {"Thor"},
     .result = "conflict",
     .rejected = {{"2.13.0+cu130", Cause::gpu, "and no sm_110 (or PTX <= compute_110)"}},
     .summary_fragment = "carry no kernel"},
    // Old drivers.
    {.name = "Driver470RunsCu118UnderCompatOnV100", .torch = "2.7.*", .driver = "470.82.01", .gpus = {"V100"},
     .result = "2.7.1+cu118", .compat_mode = "minor-version",
     .rejected = {{"2.7.1+cu128", Cause::driver, "needs driver >= 570.26 for CUDA 12.8.0 (>= 525.60.13 under "
                                                 "minor-version compatibility); this host has 470.82.01"},
                  {"2.7.1+cu126", Cause::driver, ">= 525.60.13 under minor-version compatibility"}}},
    {.name = "Driver470NativeOnlyIsAConflict", .torch = "2.7.*", .compat = CompatPolicy::native_only,
     .driver = "470.82.01", .gpus = {"V100"}, .result = "conflict",
     .rejected = {{"2.7.1+cu118", Cause::native_only, "native needs >= 520.61.05"}},
     .summary_fragment = "4 of 6 CUDA builds need a newer driver: at least 525.60.13"},
    {.name = "Driver440IsTooOldForEverything", .torch = "2.7.*", .driver = "440.33.01", .gpus = {"V100"},
     .result = "conflict",
     .summary_fragment = "all 6 CUDA builds need a newer driver: at least 450.80.02 (2.7.1+cu118, CUDA 11.8 under "
                         "minor-version compatibility; 520.61.05 natively); this host has 440.33.01"},
    {.name = "OldDriverAndNewGpuSuggestsTheDriverThatWorks", .torch = "2.7.*", .driver = "470.82.01",
     .gpus = {"RTX 5090"}, .result = "conflict",
     .rejected = {{"2.7.1+cu118", Cause::gpu, "no sm_120"}, {"2.7.1+cu128", Cause::driver, "this host has 470.82.01"}},
     .summary_fragment = "a driver >= 570.26 would run 2.7.1+cu128 natively (>= 525.60.13 under minor-version "
                         "compatibility)"},
    {.name = "Driver560RunsCu128UnderCompatOnA100", .torch = "2.7.*", .driver = "560.35.03", .gpus = {"A100"},
     .result = "2.7.1+cu128", .compat_mode = "minor-version",
     .rejected = {{"2.7.1+cu126", Cause::not_chosen, "usable (native)"}}},
    {.name = "CompatNeedsSassPtxCannotJit", .torch = "2.13.*", .driver = "580.95.05", .gpus = {"13.0"},
     .result = "2.13.0+cu130", .compat_mode = "native",
     .rejected = {{"2.13.0+cu132", Cause::gpu, "its PTX compute_120 cannot be JIT-compiled under minor-version "
                                               "compatibility (that needs driver >= 595.58.03)"}}},
    {.name = "Driver57557OnH100TakesCu128Of211", .torch = "2.11.*", .driver = "575.57.08", .gpus = {"H100"},
     .result = "2.11.0+cu128", .compat_mode = "native",
     .rejected = {{"2.11.0+cu130", Cause::driver, "needs driver >= 580.95.05 for CUDA 13.0.2"},
                  {"2.11.0+cu129", Cause::gpu, "not in the catalog"}}},
    // The native driver of the exact toolkit; driver branches that end an architecture.
    {.name = "Cu126BuildOf291NeedsThe1263Driver", .torch = "2.9.1", .cuda = "12.6",
     .compat = CompatPolicy::native_only, .driver = "560.28.03", .gpus = {"H100"}, .result = "conflict",
     .rejected = {{"2.9.1+cu126", Cause::native_only, "runs CUDA 12.6.3 only under minor-version compatibility "
                                                      "(native needs >= 560.35.05)"}}},
    {.name = "V100OnDriver590IsAConflict", .driver = "590.48", .gpus = {"V100"}, .result = "conflict",
     .rejected = {{"2.13.0+cu126", Cause::driver_branch, "R580 driver branch is the last to support Volta GPUs"}},
     .summary_fragment = "no driver >= 581 does, and this host has 590.48"},
    // Python limits.
    {.name = "Python39IsNotBuiltFor29", .torch = "2.9.*", .python = "3.9", .driver = "580.95.05", .gpus = {"H100"},
     .result = "conflict",
     .rejected = {{"2.9.1+cu130", Cause::python, "Python 3.10, 3.11, 3.12, 3.13, 3.14, 3.13t, 3.14t"}},
     .summary_fragment = "not built for python \"3.9\""},
    {.name = "Python39TakesTheNewestReleaseBuiltForIt", .torch = ">=2.6", .python = "3.9", .driver = "580.95.05",
     .gpus = {"H100"}, .result = "2.8.0+cu129", .compat_mode = "native",
     .rejected = {{"2.9.0+cu130", Cause::python, "python \"3.9\" was asked for"}}, .expected_python = "3.9"},
    {.name = "HostPythonTooOldFallsBackToNewest", .torch = "2.7.*", .host_python = "3.8.10",
     .result = "2.7.1+cpu", .expected_python = "3.13"},
    {.name = "HostPythonIsPreferred", .torch = "2.7.*", .host_python = "3.12.3", .result = "2.7.1+cpu",
     .expected_python = "3.12"},
    {.name = "FreeThreadedOnlyWhenAskedFor", .torch = "2.7.*", .python = "3.13t", .result = "2.7.1+cpu",
     .expected_python = "3.13t"},
    {.name = "ExperimentalPythonWhenAskedFor", .torch = "2.5.*", .python = "3.13", .result = "2.5.1+cpu",
     .expected_python = "3.13"},
    // Explicit CUDA requests.
    {.name = "ExplicitCuda126", .torch = "2.13.*", .cuda = "12.6", .driver = "580.95.05", .gpus = {"H100"},
     .result = "2.13.0+cu126", .compat_mode = "native",
     .rejected = {{"2.13.0+cu130", Cause::cuda_spec, "does not match cuda \"12.6\""}}},
    {.name = "ExplicitCpuOnAGpuHost", .torch = "2.13.*", .cuda = "cpu", .driver = "580.95.05", .gpus = {"H100"},
     .result = "2.13.0+cpu", .compat_mode = "none",
     .rejected = {{"2.13.0+cu132", Cause::cuda_spec, "cuda \"cpu\" was asked for"}}},
    {.name = "CudaRangeOnV100", .torch = "2.10.*", .cuda = ">=12.8", .driver = "580.95.05", .gpus = {"V100"},
     .result = "2.10.0+cu128", .compat_mode = "native",
     .rejected = {{"2.10.0+cu126", Cause::cuda_spec, "does not match"}, {"2.10.0+cu130", Cause::gpu, "sm_70"}}},
    {.name = "VariantNameAsCudaRequest", .torch = "2.8.*", .cuda = "cu118", .driver = "580.95.05",
     .result = "conflict", .summary_fragment = "do not match cuda \"cu118\""},
    {.name = "CudaWithoutDriver", .torch = "2.7.*", .cuda = "12.8", .result = "conflict",
     .rejected = {{"2.7.1+cu128", Cause::no_driver, "needs an NVIDIA driver >= 570.26 for CUDA 12.8.0; this host has none"}},
     .summary_fragment = "this host has no NVIDIA driver"},
    // Companions, several GPUs, local versions, no GPU described.
    {.name = "RequiredTorchaudioSkipsCu132", .torch = "2.13.*", .companions = {"torchaudio"}, .driver = "595.58.03",
     .gpus = {"B200"}, .result = "2.13.0+cu130",
     .rejected = {{"2.13.0+cu132", Cause::companion, "no torchaudio is published"}}},
    {.name = "EveryGpuMustBeCovered", .torch = "2.11.*", .driver = "580.95.05", .gpus = {"H100", "V100"},
     .result = "2.11.0+cu126",
     .rejected = {{"2.11.0+cu130", Cause::gpu, "GPU 1 (V100, sm_70)"}}},
    {.name = "LocalVersionSelectsTheVariant", .torch = "2.7.1+cu126", .driver = "580.95.05", .gpus = {"H100"},
     .result = "2.7.1+cu126"},
    {.name = "L4Sm89RunsSm86Cubins", .torch = "2.0.*", .driver = "525.60.13", .gpus = {"L4"},
     .result = "2.0.1+cu118", .compat_mode = "native"},
    {.name = "DriverWithoutGpusSkipsTheKernelCheck", .torch = "2.11.*", .driver = "580.95.05",
     .result = "2.11.0+cu130"},
    // The GPU test machine: one H200 (NVML name), driver 580.159.04, torch 2.11.0+cu130 installed.
    {.name = "GpuMachineH200Driver580159", .torch = "2.11.*", .driver = "580.159.04",
     .gpus = {"NVIDIA H200"}, .host_python = "3.12.3", .result = "2.11.0+cu130",
     .compat_mode = "native", .expected_python = "3.12"},
    {.name = "NoReleaseMatches", .torch = "3.0", .driver = "580.95.05", .result = "conflict",
     .summary_fragment = "no torch release in the catalog matches torch \"3.0\""},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Scenarios, Resolve, testing::ValuesIn(k_scenarios),
                         [](const testing::TestParamInfo<Scenario>& param) {
                             return param.param.name;
                         });

TEST(ResolvePlan, CarriesTheStackCreateNeeds)
{
    const auto resolution =
        resolve_scenario({.torch = "2.7.*", .driver = "570.86.15", .gpus = {"H100"}});
    const auto& plan = std::get<Plan>(resolution);
    EXPECT_EQ(plan.variant, "cu128");
    EXPECT_EQ(plan.cuda->to_string(), "12.8");
    EXPECT_EQ(plan.index_url, "https://download.pytorch.org/whl/cu128");
    EXPECT_EQ(plan.cudnn, "9.7.1.26");
    EXPECT_EQ(plan.nccl, "2.26.2");
    EXPECT_EQ(plan.triton, "3.3.1");
    EXPECT_EQ(plan.min_driver->text(), "570.26");
    EXPECT_EQ(to_string(plan.arch), "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120 compute_120");
    ASSERT_EQ(plan.coverage.size(), 1u);
    EXPECT_EQ(plan.coverage[0], "GPU 0 (H100 SXM, sm_90): SASS sm_90");
    const auto has = [&](std::string_view name, std::string_view version) {
        return std::ranges::find(plan.packages, Package{std::string(name), std::string(version)}) !=
               plan.packages.end();
    };
    EXPECT_TRUE(has("torch", "2.7.1+cu128"));
    EXPECT_TRUE(has("torchvision", "0.22.1+cu128"));
    EXPECT_TRUE(has("torchaudio", "2.7.1+cu128"));
    EXPECT_TRUE(has("triton", "3.3.1"));
    EXPECT_TRUE(has("nvidia-cudnn-cu12", "9.7.1.26"));
    EXPECT_TRUE(has("nvidia-nccl-cu12", "2.26.2"));
    // The compute_120 PTX rests on a third-party measurement: the plan says so.
    EXPECT_TRUE(std::ranges::any_of(plan.rests_on, [](const FactRef& f) {
        return f.subject == "2.7.1+cu128 ptx" && f.fact.evidence == Evidence::secondary;
    }));
}

TEST(ResolvePlan, CpuPlanHasNoCudaParts)
{
    const auto plan = std::get<Plan>(resolve_scenario({.torch = "2.7.*"}));
    EXPECT_EQ(plan.index_url, "https://download.pytorch.org/whl/cpu");
    EXPECT_FALSE(plan.cuda);
    EXPECT_FALSE(plan.min_driver);
    EXPECT_FALSE(plan.triton);
    EXPECT_TRUE(plan.pins.empty());
    EXPECT_EQ(plan.packages.size(), 3u); // torch, torchvision, torchaudio
}

TEST(ResolvePlan, WeakFactsAreNamed)
{
    // 2.11.0+cu128's cuda-toolkit pin rests on a third-party export of the wheel METADATA.
    const auto plan = std::get<Plan>(
        resolve_scenario({.torch = "2.11.*", .driver = "575.57.08", .gpus = {"T4"}}));
    EXPECT_EQ(plan.torch.to_string(), "2.11.0+cu128");
    const auto weak = [&](std::string_view subject, Evidence evidence) {
        return std::ranges::any_of(plan.rests_on, [&](const FactRef& f) {
            return f.subject == subject && f.fact.evidence == evidence;
        });
    };
    EXPECT_TRUE(weak("2.11.0+cu128 cuda-toolkit", Evidence::secondary));
    EXPECT_FALSE(weak("2.11.0+cu128 cudnn", Evidence::conflict)); // settled by PR 175672
    EXPECT_TRUE(weak("T4 compute capability", Evidence::secondary));
    EXPECT_EQ(plan.cudnn, "9.19.0.56");
}

TEST(ResolvePlan, CompatChoiceWarns)
{
    const auto plan = std::get<Plan>(
        resolve_scenario({.torch = "2.7.*", .driver = "560.35.03", .gpus = {"A100"}}));
    EXPECT_EQ(plan.min_driver->text(), "525.60.13");
    EXPECT_EQ(plan.native_driver->text(), "570.26");
    ASSERT_FALSE(plan.warnings.empty());
    EXPECT_NE(plan.warnings[0].find("minor-version compatibility"), std::string::npos);
}

TEST(ResolvePlan, IsDeterministic)
{
    const Scenario s{.driver = "580.95.05", .gpus = {"H100", "RTX 4090"}};
    EXPECT_EQ(resolve_scenario(s), resolve_scenario(s));
}

TEST(ResolveHost, MalformedDriverFactIsBadInput)
{
    HostFacts host;
    host.driver = "banana";
    const auto request = make_request(catalog(), {});
    const auto result = resolve(catalog(), request.value(), host);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::bad_input);
}

TEST(Request, MalformedInputsNameTheInputAndWhatWasExpected)
{
    const auto fails = [](RequestText text, std::string_view fragment) {
        const auto request = make_request(catalog(), text);
        ASSERT_FALSE(request) << fragment;
        EXPECT_EQ(request.error().code, ErrorCode::bad_input);
        EXPECT_NE(request.error().message.find(fragment), std::string::npos)
            << request.error().message;
    };
    fails({.torch = "2.7.x!!"},
          "--torch '2.7.x!!' is not a torch version or PEP 440 specifier: expected");
    fails({.torch = ">=2.6,,<2.9"}, "--torch");
    fails({.cuda = "12.7"}, "--cuda '12.7' is not a CUDA release envpin knows");
    fails({.cuda = "14"}, "one of 11.7, 11.8");
    fails({.cuda = "cu999"}, "--cuda 'cu999'");
    fails({.python = "banana"}, "--python 'banana' is not a Python version");
    fails({.python = "2.7"}, "--python '2.7'");
    fails({.companions = {"numpy"}}, "'numpy' is not a torch companion");
    fails({.torch = "2.x", .field_prefix = "envpin.toml: "}, "envpin.toml: torch '2.x'");
}

TEST(Request, AcceptedForms)
{
    const auto request = [](RequestText text) { return make_request(catalog(), text).value(); };
    EXPECT_EQ(request({.torch = "2.7"}).torch.to_string(), "==2.7.*");
    EXPECT_EQ(request({.torch = "2.7.1"}).torch.to_string(), "==2.7.1");
    EXPECT_EQ(request({.torch = "2.7.*"}).torch.to_string(), "==2.7.*");
    EXPECT_EQ(request({.torch = ">=2.6,<2.9"}).torch.to_string(), ">=2.6,<2.9");
    EXPECT_TRUE(request({.torch = "*"}).torch.empty());
    EXPECT_EQ(request({.cuda = "cu128"}).cuda.spec.to_string(), "==12.8");
    EXPECT_EQ(request({.cuda = "12"}).cuda.spec.to_string(), "==12.*");
    EXPECT_EQ(request({.cuda = "CPU"}).cuda.kind, CudaRequest::Kind::cpu);
    EXPECT_EQ(request({.cuda = ""}).cuda.kind, CudaRequest::Kind::automatic);
    EXPECT_EQ(request({.python = "3.12.3"}).python->spec.to_string(), "==3.12");
    EXPECT_EQ(request({.python = "3.13t"}).python->free_threaded, "3.13t");
}

TEST(GpuFlag, NamesCapabilitiesAndErrors)
{
    EXPECT_EQ(gpu_from_flag(catalog(), "H100", 0)->cc, (ComputeCapability{9, 0}));
    EXPECT_EQ(gpu_from_flag(catalog(), "NVIDIA H200", 0)->name, "H200");
    EXPECT_EQ(gpu_from_flag(catalog(), "sm_86", 1)->cc, (ComputeCapability{8, 6}));
    EXPECT_EQ(gpu_from_flag(catalog(), "12.0", 0)->cc, (ComputeCapability{12, 0}));
    const auto unknown = gpu_from_flag(catalog(), "GTX 9999", 0);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("--gpu 'GTX 9999' is not a GPU envpin knows"),
              std::string::npos);
    EXPECT_FALSE(gpu_from_flag(catalog(), "90", 0)); // ambiguous: write sm_90 or 9.0
    EXPECT_EQ(*driver_from_flag("580.95.05").value(), "580.95.05");
    EXPECT_FALSE(driver_from_flag("none").value());
    EXPECT_FALSE(driver_from_flag("580"));
    EXPECT_FALSE(driver_from_flag("abc"));
}

} // namespace
} // namespace envpin
