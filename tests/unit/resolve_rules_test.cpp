// The resolver's rules on a small fixture catalog (tests/data/fixture_catalog.toml): the newest
// release, the native driver of a build's exact toolkit, the driver branches that support a GPU
// architecture, Pythons built for torch but not for its companions. The fixture's releases are
// made up, so these expectations do not move when the shipped catalog gains a release.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "resolver/resolve.hpp"

namespace envpin {
namespace {

std::string fixture_text()
{
    std::ifstream in(std::string(ENVPIN_SOURCE_DIR) + "/tests/data/fixture_catalog.toml");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

const Catalog& fixture()
{
    static const Catalog parsed = [] {
        auto result = parse_catalog(fixture_text(), "fixture_catalog.toml");
        if (!result)
            ADD_FAILURE() << result.error().describe();
        return result.value_or(Catalog{});
    }();
    return parsed;
}

struct Host {
    std::optional<std::string> driver;
    std::vector<std::string> gpus;
};

Resolution resolve_on(RequestText text, const Host& given)
{
    HostFacts host;
    host.driver = given.driver;
    host.driver_source = "test";
    for (size_t i = 0; i < given.gpus.size(); ++i)
        host.gpus.push_back(gpu_from_flag(fixture(), given.gpus[i], static_cast<int>(i)).value());
    auto request = make_request(fixture(), text);
    EXPECT_TRUE(request) << request.error().message;
    auto resolution = resolve(fixture(), request.value(), host);
    EXPECT_TRUE(resolution) << resolution.error().message;
    return std::move(resolution).value();
}

// By value: the resolution is a temporary of the caller's expression.
Plan plan_of(const Resolution& resolution)
{
    if (const auto* conflict = std::get_if<Conflict>(&resolution)) {
        ADD_FAILURE() << "conflict: " << conflict->summary.at(0);
        return {};
    }
    return std::get<Plan>(resolution);
}

Conflict conflict_of(const Resolution& resolution)
{
    if (const auto* plan = std::get_if<Plan>(&resolution)) {
        ADD_FAILURE() << "chose " << plan->torch.to_string();
        return {};
    }
    return std::get<Conflict>(resolution);
}

// The reasons given for `candidate` with `cause`.
std::vector<std::string> reasons(const std::vector<Rejection>& rejected,
                                 std::string_view candidate, Cause cause)
{
    std::vector<std::string> texts;
    const auto found = std::ranges::find(rejected, candidate, &Rejection::candidate);
    if (found != rejected.end())
        for (const auto& reason : found->reasons)
            if (reason.cause == cause)
                texts.push_back(reason.text);
    return texts;
}

bool summary_has(const Conflict& conflict, std::string_view fragment)
{
    return std::ranges::any_of(conflict.summary, [&](const std::string& line) {
        return line.find(fragment) != std::string::npos;
    });
}

TEST(FixtureCatalog, PassesTheSchemaCheck)
{
    ASSERT_EQ(fixture().releases.size(), 2u);
    const auto problems = check_catalog(fixture());
    EXPECT_TRUE(problems.empty()) << problems.front();
}

// --- The newest release ---

TEST(NewestRelease, IsTakenWithItsNewestCudaEvenUnderCompat)
{
    const auto& plan = plan_of(resolve_on({}, {"580.95.05", {"H100"}}));
    EXPECT_EQ(plan.torch.to_string(), "3.1.0+cu132");
    EXPECT_EQ(plan.compat, Compat::minor_version);
    EXPECT_EQ(plan.python, "3.12"); // the free-threaded 3.13t only when asked for
}

TEST(NewestRelease, NativeOnlyTakesItsNewestNativeBuild)
{
    const auto resolution =
        resolve_on({.compat = CompatPolicy::native_only}, {"580.95.05", {"H100"}});
    const auto& plan = plan_of(resolution);
    EXPECT_EQ(plan.torch.to_string(), "3.1.0+cu130");
    EXPECT_EQ(reasons(plan.rejected, "3.1.0+cu132", Cause::native_only),
              std::vector<std::string>{"driver 580.95.05 runs CUDA 13.2.1 only under minor-version "
                                       "compatibility (native needs >= 595.58.03), and "
                                       "--native-only is set"});
}

TEST(NewestRelease, CpuWhenAskedForOnAGpuHost)
{
    EXPECT_EQ(plan_of(resolve_on({.cuda = "cpu"}, {"580.95.05", {"H100"}})).torch.to_string(),
              "3.1.0+cpu");
}

// --- The native driver is the toolkit driver of the build's exact toolkit ---

TEST(NativeDriver, IsTheDriverOfTheToolkitUpdateTheBuildWasMadeWith)
{
    // 12.6 GA's driver 560.28.03 is below 12.6.3's 560.35.05: minor-version compatibility.
    const auto& compat = plan_of(resolve_on({.torch = "3.1.0", .cuda = "12.6"},
                                            {"560.28.03", {"H100"}}));
    EXPECT_EQ(compat.torch.to_string(), "3.1.0+cu126");
    EXPECT_EQ(compat.compat, Compat::minor_version);
    EXPECT_EQ(compat.native_driver->text(), "560.35.05");
    EXPECT_EQ(compat.min_driver->text(), "525.60.13");

    const auto& native = plan_of(resolve_on({.torch = "3.1.0", .cuda = "12.6"},
                                            {"560.35.05", {"H100"}}));
    EXPECT_EQ(native.compat, Compat::native);
    EXPECT_EQ(native.min_driver->text(), "560.35.05");
}

TEST(NativeDriver, AGaToolkitNeedsTheGaDriver)
{
    const auto& plan =
        plan_of(resolve_on({.torch = "3.0.0", .cuda = "12.8"}, {"570.26", {"H100"}}));
    EXPECT_EQ(plan.torch.to_string(), "3.0.0+cu128"); // toolkit 12.8.0
    EXPECT_EQ(plan.compat, Compat::native);
    EXPECT_EQ(plan.native_driver->text(), "570.26");
}

TEST(NativeDriver, TooOldADriverNamesTheToolkitAndItsDriver)
{
    const auto& conflict =
        conflict_of(resolve_on({.torch = "3.1.0", .cuda = "13.0"}, {"575.57.08", {"H100"}}));
    EXPECT_EQ(reasons(conflict.rejected, "3.1.0+cu130", Cause::driver),
              std::vector<std::string>{"needs driver >= 580.95.05 for CUDA 13.0.2 (>= 580.65.06 "
                                       "under minor-version compatibility); this host has "
                                       "575.57.08"});
    EXPECT_TRUE(summary_has(conflict, "a driver >= 580.95.05 would run 3.1.0+cu130 natively"));
}

TEST(NativeDriver, PtxJitNeedsTheExactToolkitsDriver)
{
    // 3.1.0+cu130 serves a 13.0 GPU only through its compute_120 PTX, which minor-version
    // compatibility cannot JIT: that needs 13.0.2's driver, not 13.0 GA's.
    const auto& conflict = conflict_of(
        resolve_on({.torch = "3.1.0", .cuda = "13.0"}, {"580.65.06", {"13.0"}}));
    const auto texts = reasons(conflict.rejected, "3.1.0+cu130", Cause::gpu);
    ASSERT_EQ(texts.size(), 1u);
    EXPECT_NE(texts[0].find("(that needs driver >= 580.95.05)"), std::string::npos) << texts[0];
}

// --- Driver branches per GPU architecture ---

TEST(DriverBranch, ANewerBranchThanTheLastForVoltaIsAConflict)
{
    const auto& conflict = conflict_of(resolve_on({}, {"590.48.01", {"V100"}}));
    const std::string sentence = "NVIDIA's R580 driver branch is the last to support Volta GPUs "
                                 "such as GPU 0 (V100, sm_70): no driver >= 581 does, and this "
                                 "host has 590.48.01";
    for (const char* candidate : {"3.1.0+cu132", "3.1.0+cu130", "3.1.0+cu126", "3.0.0+cu128"})
        EXPECT_EQ(reasons(conflict.rejected, candidate, Cause::driver_branch),
                  std::vector<std::string>{sentence})
            << candidate;
    EXPECT_TRUE(summary_has(conflict, "all 5 CUDA builds are out: " + sentence));
}

TEST(DriverBranch, TheLastBranchItselfStillDrivesVolta)
{
    const auto& plan = plan_of(resolve_on({}, {"580.95.05", {"V100"}}));
    EXPECT_EQ(plan.torch.to_string(), "3.1.0+cu126");
}

TEST(DriverBranch, OneOldGpuAmongNewOnesDecides)
{
    const auto& conflict = conflict_of(resolve_on({}, {"590.48.01", {"H100", "V100"}}));
    EXPECT_TRUE(summary_has(conflict, "such as GPU 1 (V100, sm_70)"));
    EXPECT_EQ(reasons(conflict.rejected, "3.1.0+cu132", Cause::driver_branch).size(), 1u);
}

TEST(DriverBranch, KeplerEndsWithR470)
{
    const auto& conflict = conflict_of(resolve_on({}, {"525.60.13", {"K80"}}));
    const auto texts = reasons(conflict.rejected, "3.0.0+cu126", Cause::driver_branch);
    ASSERT_EQ(texts.size(), 1u);
    EXPECT_NE(texts[0].find("R470 driver branch is the last to support Kepler"),
              std::string::npos);
}

TEST(DriverBranch, ABranchOlderThanTheFirstForBlackwellIsAConflict)
{
    // 565 runs CUDA 12.8 under minor-version compatibility, but it cannot drive a B200.
    const auto& conflict =
        conflict_of(resolve_on({.torch = "3.0.0"}, {"565.57.01", {"B200"}}));
    EXPECT_EQ(reasons(conflict.rejected, "3.0.0+cu128", Cause::driver_branch),
              std::vector<std::string>{"Blackwell GPUs such as GPU 0 (B200, sm_100) need a "
                                       "driver of the R570 branch or newer; this host has "
                                       "565.57.01"});
    EXPECT_EQ(plan_of(resolve_on({.torch = "3.0.0"}, {"570.26", {"B200"}})).torch.to_string(),
              "3.0.0+cu128");
}

TEST(DriverBranch, CpuBuildsNeedNoBranch)
{
    const auto& plan = plan_of(resolve_on({.cuda = "cpu"}, {"590.48.01", {"V100"}}));
    EXPECT_EQ(plan.torch.to_string(), "3.1.0+cpu");
}

// --- Pythons built for torch but not for torchvision and torchaudio ---

TEST(TorchOnlyPython, PairsNoCompanion)
{
    const auto& plan = plan_of(resolve_on({.python = "3.13t"}, {"580.95.05", {"H100"}}));
    EXPECT_EQ(plan.python, "3.13t");
    EXPECT_EQ(plan.packages.front().name, "torch");
    EXPECT_TRUE(std::ranges::none_of(plan.packages, [](const Package& p) {
        return p.name == "torchvision" || p.name == "torchaudio";
    }));
    EXPECT_TRUE(std::ranges::any_of(plan.warnings, [](const std::string& w) {
        return w.find("torchvision and torchaudio are not built for Python 3.13t") !=
               std::string::npos;
    }));
}

TEST(TorchOnlyPython, ARequiredCompanionMakesItUnusable)
{
    const auto& conflict = conflict_of(resolve_on(
        {.python = "3.13t", .companions = {"torchvision"}}, {"580.95.05", {"H100"}}));
    EXPECT_EQ(reasons(conflict.rejected, "3.1.0+cu132", Cause::companion),
              std::vector<std::string>{
                  "torchvision 0.31.0 is not built for Python 3.13t (only torch is)"});
}

// --- The schema check of the new tables ---

bool has_problem(const Catalog& mutated, std::string_view fragment)
{
    const auto problems = check_catalog(mutated);
    return std::ranges::any_of(
        problems, [&](const std::string& p) { return p.find(fragment) != std::string::npos; });
}

TEST(FixtureCatalogCheck, AToolkitUpdateMustHaveADriver)
{
    auto mutated = fixture();
    mutated.releases.front().builds.front().toolkit = "13.2.4"; // 3.1.0+cu132
    EXPECT_TRUE(has_problem(mutated, "toolkit 13.2.4 is not among CUDA 13.2's updates"));
    mutated.releases.front().builds.front().toolkit = "12.8.1";
    EXPECT_TRUE(has_problem(mutated, "toolkit 12.8.1 is not a CUDA 13.2 release"));
}

TEST(FixtureCatalogCheck, ArchitecturesAgreeWithTheGpus)
{
    auto twice = fixture();
    twice.architectures.back().cc.push_back({7, 0});
    EXPECT_TRUE(has_problem(twice, "compute capability 7.0 belongs to two architectures"));

    auto misfiled = fixture();
    misfiled.gpus[1].cc = {7, 5}; // V100, Volta
    EXPECT_TRUE(has_problem(misfiled, "GPU V100 is Volta, but cc 7.5 is not among Volta's"));

    auto inverted = fixture();
    inverted.architectures[1].min_driver_branch = 590;
    EXPECT_TRUE(has_problem(inverted, "min_driver_branch 590 is above last_driver_branch 580"));
}

TEST(FixtureCatalogParse, BadArchitecturesNameTheLine)
{
    auto text = fixture_text();
    const auto at = text.find("last_driver_branch = 580");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 24, "last_driver_branch = -1");
    const auto parsed = parse_catalog(text, "fixture.toml");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("fixture.toml line"), std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("driver branch such as 580"), std::string::npos);

    auto cc = fixture_text();
    cc.replace(cc.find("cc = [\"3.7\"]"), 12, "cc = [\"37\"]");
    const auto bad_cc = parse_catalog(cc, "fixture.toml");
    ASSERT_FALSE(bad_cc);
    EXPECT_NE(bad_cc.error().message.find("cc \"37\" is not a compute capability"),
              std::string::npos)
        << bad_cc.error().message;
}

} // namespace
} // namespace envpin
