// Targets: driver requirements, the facts a target is resolved for, which hosts belong to it,
// a lock with targets as text and as a value, and the section a host picks.
#include <gtest/gtest.h>

#include "resolver/lock_check.hpp"
#include "resolver/lock_update.hpp"
#include "resolver/request.hpp"

namespace envpin {
namespace {

const Catalog& catalog()
{
    static const Catalog parsed = default_catalog().value();
    return parsed;
}

HostFacts host(std::optional<std::string> driver, std::vector<std::string> gpus)
{
    HostFacts facts;
    facts.driver = std::move(driver);
    for (size_t i = 0; i < gpus.size(); ++i)
        facts.gpus.push_back(gpu_from_flag(catalog(), gpus[i], static_cast<int>(i)).value());
    return facts;
}

const std::string two_targets = R"([environment]
name = "train"
torch = ">=2.6,<2.9"
python = "3.12"
companions = ["torchvision"]

[[target]]
name = "train-h100"
driver = ">=570"
gpus = ["sm_90"]

[[target]]
name = "ci-cpu"
cuda = "cpu"
)";

LockFile locked(const std::string& spec_text)
{
    const auto spec = parse_spec(spec_text, "envpin.toml").value();
    auto update = update_lock(catalog(), spec, HostFacts{}, std::nullopt, "envpin.toml").value();
    EXPECT_EQ(update.conflict(), nullptr);
    return *update.lock;
}

TEST(Target, DriverRequirementsNeedALowerBound)
{
    EXPECT_FALSE(driver_requirement_problem(">=570"));
    EXPECT_FALSE(driver_requirement_problem(">=570.86, <600"));
    EXPECT_FALSE(driver_requirement_problem("570.86.10"));
    EXPECT_EQ(driver_requirement_floor(">=570.86,<600,>=560"), "570.86");
    EXPECT_NE(driver_requirement_problem("<575").value_or("").find("no lower bound"), std::string::npos);
    EXPECT_NE(driver_requirement_problem(">570").value_or("").find("not a driver requirement"), std::string::npos);
    EXPECT_TRUE(driver_requirement_problem("latest"));
    EXPECT_TRUE(target_name_problem("Train H100"));
    EXPECT_FALSE(target_name_problem("train-h100.v2"));
}

TEST(Target, IsResolvedForItsWeakestHost)
{
    const Target target{"t", ">=570.86,<600", {"H100", "sm_80", "8.6"}, "", ""};
    const auto facts = target_facts(catalog(), target, "envpin.toml").value();
    EXPECT_EQ(facts.driver, "570.86");
    ASSERT_EQ(facts.gpus.size(), 3u);
    EXPECT_EQ(facts.gpus[0].cc, (ComputeCapability{9, 0}));
    EXPECT_EQ(facts.gpus[2].cc, (ComputeCapability{8, 6}));
    EXPECT_TRUE(facts.pythons.empty());
    const auto unknown = target_facts(catalog(), Target{"t", "", {"Z9000"}, "", ""}, "envpin.toml");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("envpin.toml: [[target]] t: gpus 'Z9000'"), std::string::npos);
}

TEST(Target, AHostBelongsWhenItsFactsFallWithin)
{
    const Target gpu{"train-h100", ">=570", {"sm_90"}, "", ""};
    const Target cpu{"ci-cpu", "", {}, "cpu", ""};
    EXPECT_FALSE(target_mismatch(catalog(), gpu, host("575.57.08", {"H100", "H200"})).value());
    EXPECT_EQ(target_mismatch(catalog(), gpu, host("550.54.15", {"H100"})).value(),
              "needs driver >=570; this host has 550.54.15");
    EXPECT_EQ(target_mismatch(catalog(), gpu, host(std::nullopt, {})).value(), "needs driver >=570; this host has none");
    const auto a100 = target_mismatch(catalog(), gpu, host("575.57.08", {"H100", "A100"})).value();
    ASSERT_TRUE(a100);
    EXPECT_NE(a100->find("GPU 1 (A100, sm_80) is not among them"), std::string::npos) << *a100;
    EXPECT_FALSE(target_mismatch(catalog(), cpu, host(std::nullopt, {})).value());
    EXPECT_EQ(target_mismatch(catalog(), cpu, host("575.57.08", {"H100"})).value(),
              "is for hosts without an NVIDIA driver; this host has 575.57.08");
}

TEST(Target, SpecTargetsParseAndBadOnesNameTheLine)
{
    const auto spec = parse_spec(two_targets, "envpin.toml").value();
    ASSERT_EQ(spec.targets.size(), 2u);
    EXPECT_EQ(spec.targets[0], (Target{"train-h100", ">=570", {"sm_90"}, "", ""}));
    EXPECT_EQ(spec.targets[1].cuda, "cpu");
    const auto twice = parse_spec(two_targets + "[[target]]\nname = \"ci-cpu\"\n", "envpin.toml");
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("line 15: [[target]] ci-cpu appears twice"), std::string::npos)
        << twice.error().message;
    const auto driver = parse_spec("[environment]\n[[target]]\nname = \"a\"\ndriver = \"<575\"\n", "envpin.toml");
    ASSERT_FALSE(driver);
    EXPECT_NE(driver.error().message.find("line 2: target a: driver '<575' has no lower bound"), std::string::npos)
        << driver.error().message;
    const auto key = parse_spec("[environment]\n[[target]]\nname = \"a\"\ngpu = \"sm_90\"\n", "envpin.toml");
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("unknown key 'gpu' in [[target]]"), std::string::npos) << key.error().message;
}

TEST(Target, EachTargetGetsItsOwnSection)
{
    const auto file = locked(two_targets);
    ASSERT_EQ(file.sections.size(), 2u);
    const auto& gpu = file.sections[0];
    const auto& cpu = file.sections[1];
    EXPECT_EQ(gpu.target->name, "train-h100");
    EXPECT_NE(gpu.stack.variant, "cpu");
    ASSERT_TRUE(gpu.host.min_driver);
    EXPECT_LE(*DriverVersion::parse(*gpu.host.min_driver), *DriverVersion::parse("570"));  // runs on every host of it
    EXPECT_EQ(cpu.stack.variant, "cpu");
    EXPECT_EQ(gpu.stack.python, "3.12");
    EXPECT_EQ(gpu.request, cpu.request);
    EXPECT_FALSE(gpu.made_for);
}

TEST(Target, ALockWithTargetsRoundTripsAndIsDeterministic)
{
    auto file = locked(two_targets);
    file.sections[1].installed = {{"torch", "2.8.0", "https://files.example/torch-2.8.0-cp312-none-linux_x86_64.whl",
                                   std::string(64, 'a')}};
    const auto text = print_lock_file(file);
    EXPECT_NE(text.find("[[target]]\nname = \"train-h100\""), std::string::npos) << text;
    EXPECT_NE(text.find("[target.stack]"), std::string::npos) << text;
    EXPECT_NE(text.find("[[target.installed]]"), std::string::npos) << text;
    const auto parsed = parse_lock_file(text, "envpin.lock");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, file);
    EXPECT_EQ(print_lock_file(*parsed), text);
    const auto single = parse_lock(text, "envpin.lock");
    ASSERT_FALSE(single);
    EXPECT_NE(single.error().message.find("has targets (train-h100, ci-cpu)"), std::string::npos);
}

TEST(Target, AHandEditedSectionThatContradictsItsTargetIsRefused)
{
    const auto text = print_lock_file(locked(two_targets));
    const auto gpu_as_cpu = [&] {
        auto edited = text;
        const auto at = edited.find("name = \"train-h100\"\ndriver = \">=570\"");
        edited.replace(at, std::string("name = \"train-h100\"\ndriver = \">=570\"").size(), "name = \"train-h100\"\ncuda = \"cpu\"");
        return edited;
    }();
    const auto contradicts = parse_lock_file(gpu_as_cpu, "envpin.lock");
    ASSERT_FALSE(contradicts);
    EXPECT_NE(contradicts.error().message.find("target train-h100 asks for cuda \"cpu\" but its stack is torch"),
              std::string::npos)
        << contradicts.error().message;
    auto low_driver = text;
    low_driver.replace(low_driver.find("driver = \">=570\""), 16, "driver = \">=500\"");
    const auto too_low = parse_lock_file(low_driver, "envpin.lock");
    ASSERT_FALSE(too_low);
    EXPECT_NE(too_low.error().message.find("target train-h100 allows driver 500 but its stack needs >="),
              std::string::npos)
        << too_low.error().message;
    auto duplicate = text + "\n[[target]]\nname = \"ci-cpu\"\n";
    const auto twice = parse_lock_file(duplicate, "envpin.lock");
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("[[target]] ci-cpu appears twice"), std::string::npos)
        << twice.error().message;
}

TEST(Target, AHostPicksTheFirstTargetItBelongsTo)
{
    const auto file = locked(two_targets);
    const auto h100 = choose_section(catalog(), file, host("575.57.08", {"H100"}), "", "envpin.lock").value();
    ASSERT_NE(h100.section, nullptr);
    EXPECT_EQ(h100.section->target->name, "train-h100");
    const auto runner = choose_section(catalog(), file, host(std::nullopt, {}), "", "envpin.lock").value();
    ASSERT_NE(runner.section, nullptr);
    EXPECT_EQ(runner.section->target->name, "ci-cpu");
    const auto a100 = choose_section(catalog(), file, host("550.54.15", {"A100"}), "", "envpin.lock").value();
    EXPECT_EQ(a100.section, nullptr);
    ASSERT_EQ(a100.mismatches.size(), 2u);
    EXPECT_EQ(a100.mismatches[0], "train-h100 needs driver >=570; this host has 550.54.15");
    const auto forced = choose_section(catalog(), file, host("550.54.15", {"A100"}), "ci-cpu", "envpin.lock").value();
    ASSERT_NE(forced.section, nullptr);
    EXPECT_EQ(forced.section->stack.variant, "cpu");
    const auto unknown = choose_section(catalog(), file, HostFacts{}, "train-a100", "envpin.lock");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message,
              "--target train-a100: envpin.lock has no such target: expected one of train-h100, ci-cpu");
}

TEST(Target, ALockWithoutTargetsRecordsItsHostAndChecksAgainstItAnywhere)
{
    auto facts = host("575.57.08", {"H100"});
    facts.pythons = {{"/usr/bin/python3", "3.11.2"}};
    const auto spec = parse_spec("[environment]\ntorch = \">=2.6,<2.9\"\n", "envpin.toml").value();
    const auto made = update_lock(catalog(), spec, facts, std::nullopt, "envpin.toml").value();
    const auto& section = made.lock->sections.front();
    ASSERT_TRUE(section.made_for);
    EXPECT_EQ(*section.made_for, (MadeFor{"575.57.08", {"sm_90"}, "3.11.2"}));
    EXPECT_EQ(section.stack.python, "3.11");
    const auto text = print_lock_file(*made.lock);
    EXPECT_NE(text.find("[made_for]"), std::string::npos);
    const auto parsed = parse_lock_file(text, "envpin.lock").value();
    EXPECT_EQ(parsed, *made.lock);
    // Checked on another machine: the recorded host stands in for it, and nothing differs.
    const auto again = update_lock(catalog(), spec, recorded_host(parsed).value(), parsed, "envpin.toml").value();
    EXPECT_TRUE(again.differences.empty()) << again.differences.front();
    // Made on a CPU machine instead, the stack differs, and made_for is not itself a difference.
    const auto elsewhere = update_lock(catalog(), spec, host(std::nullopt, {}), parsed, "envpin.toml").value();
    ASSERT_FALSE(elsewhere.differences.empty());
    for (const auto& line : elsewhere.differences)
        EXPECT_EQ(line.find("made_for"), std::string::npos) << line;
}

TEST(Target, DifferencesNameTheTarget)
{
    const auto old = locked(two_targets);
    auto changed = two_targets;
    changed.replace(changed.find(">=570"), 5, ">=575");
    changed = changed.substr(0, changed.find("[[target]]\nname = \"ci-cpu\""));
    const auto fresh = locked(changed);
    const auto lines = lock_file_differences(old, fresh);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "train-h100: target.driver: >=570 -> >=575");
    EXPECT_EQ(lines.back(), "target ci-cpu: removed");
    const auto untargeted = locked("[environment]\ntorch = \">=2.6,<2.9\"\ncuda = \"cpu\"\n");
    EXPECT_EQ(lock_file_differences(untargeted, old).front(), "targets: (none) -> train-h100, ci-cpu");
}

}  // namespace
}  // namespace envpin
