// envpin.lock and envpin.toml: round trips, determinism, and errors that name the line.
#include <gtest/gtest.h>

#include "resolver/lock.hpp"
#include "resolver/resolve.hpp"
#include "resolver/spec_file.hpp"

namespace envpin {
namespace {

const Catalog& catalog()
{
    static const Catalog parsed = default_catalog().value();
    return parsed;
}

Lock resolved_lock(LockRequest request, std::optional<std::string> driver,
                   std::vector<std::string> gpus)
{
    HostFacts host;
    host.driver = std::move(driver);
    for (size_t i = 0; i < gpus.size(); ++i)
        host.gpus.push_back(gpu_from_flag(catalog(), gpus[i], static_cast<int>(i)).value());
    const auto parsed = make_request(catalog(), request_text(request, "")).value();
    const auto resolution = resolve(catalog(), parsed, host).value();
    return lock_from_plan(std::get<Plan>(resolution), request);
}

Lock cuda_lock()
{
    return resolved_lock({.torch = ">=2.6,<2.9",
                          .cuda = "auto",
                          .python = "3.12",
                          .companions = {"torchvision", "torchaudio"}},
                         "575.57.08", {"H100"});
}

TEST(Lock, FromPlanHoldsStackHostAndPackages)
{
    const auto lock = cuda_lock();
    EXPECT_EQ(lock.stack.torch, "2.8.0+cu129");
    EXPECT_EQ(lock.stack.index_url, "https://download.pytorch.org/whl/cu129");
    EXPECT_EQ(lock.stack.python, "3.12");
    EXPECT_EQ(lock.stack.cudnn, "9.10.2.21");
    EXPECT_EQ(lock.host.compat, "native");
    EXPECT_EQ(lock.host.min_driver, "575.57.08"); // 2.8.0+cu129 is built with CUDA 12.9.1
    EXPECT_EQ(lock.host.arch.front(), "sm_70");
    ASSERT_GE(lock.packages.size(), 4u);
    EXPECT_EQ(lock.packages[0],
              (LockPackage{"torch", "2.8.0+cu129", "https://download.pytorch.org/whl/cu129"}));
    EXPECT_EQ(lock.packages[1].name, "torchvision");
    EXPECT_EQ(lock.packages[3], (LockPackage{"triton", "3.4.0", "https://pypi.org/simple"}));
    EXPECT_FALSE(lock.pins.empty());
    EXPECT_EQ(lock.pins[0].kind, "requires");
}

TEST(Lock, LeavesOutCompanionsNotAskedFor)
{
    const auto lock = resolved_lock({.torch = "2.7.*"}, std::nullopt, {});
    EXPECT_EQ(lock.stack.torch, "2.7.1+cpu");
    ASSERT_EQ(lock.packages.size(), 1u);
    EXPECT_EQ(lock.packages[0].name, "torch");
    EXPECT_EQ(lock.host.compat, "none");
    EXPECT_FALSE(lock.host.min_driver);
}

TEST(Lock, RoundTrips)
{
    auto lock = cuda_lock();
    lock.installed = {{"torch", "2.8.0+cu129",
                       "https://download.pytorch.org/whl/cu129/"
                       "torch-2.8.0%2Bcu129-cp312-cp312-manylinux_2_28_x86_64.whl",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
                      {"numpy", "1.26.4", "/wheels/numpy-\"odd\\name\".whl", std::string(64, 'a')}};
    const auto text = print_lock(lock);
    const auto parsed = parse_lock(text, "envpin.lock");
    ASSERT_TRUE(parsed) << parsed.error().message << "\n" << text;
    EXPECT_EQ(*parsed, lock);
    EXPECT_EQ(print_lock(*parsed), text);

    const auto cpu = resolved_lock({.torch = "2.7.*", .cuda = "cpu"}, "580.95.05", {"H100"});
    const auto cpu_parsed = parse_lock(print_lock(cpu), "envpin.lock");
    ASSERT_TRUE(cpu_parsed) << cpu_parsed.error().message;
    EXPECT_EQ(*cpu_parsed, cpu);
    Lock minimal;
    minimal.stack = {
        "2.7.1+cpu", "cpu", std::nullopt, "3.12", "https://download.pytorch.org/whl/cpu", {},
        {},          {}};
    const auto reparsed = parse_lock(print_lock(minimal), "envpin.lock");
    ASSERT_TRUE(reparsed) << reparsed.error().message;
    EXPECT_EQ(*reparsed, minimal);
}

TEST(Lock, PrintsDeterministicallyInAFixedOrder)
{
    const auto text = print_lock(cuda_lock());
    EXPECT_EQ(text, print_lock(cuda_lock()));
    const auto request = text.find("[request]");
    const auto stack = text.find("[stack]");
    const auto host = text.find("[host]");
    const auto package = text.find("[[package]]");
    const auto pin = text.find("[[pin]]");
    EXPECT_LT(request, stack);
    EXPECT_LT(stack, host);
    EXPECT_LT(host, package);
    EXPECT_LT(package, pin);
    EXPECT_NE(text.find("\nversion = 2\n"), std::string::npos);
    EXPECT_NE(text.find("torch = \"2.8.0+cu129\"\n"), std::string::npos);
    EXPECT_EQ(text.find("[[installed]]"), std::string::npos);
}

TEST(Lock, UnknownVersionIsRefusedNamingTheLine)
{
    const auto parsed = parse_lock("# comment\nversion = 3\n", "envpin.lock");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_input);
    EXPECT_EQ(parsed.error().message,
              "envpin.lock line 2: unknown lock version 3 (this envpin reads versions 1 and 2)");
}

TEST(Lock, MalformedLocksNameTheLine)
{
    auto text = print_lock(cuda_lock());
    const auto expect_error = [](const std::string& bad, std::string_view fragment) {
        const auto parsed = parse_lock(bad, "envpin.lock");
        ASSERT_FALSE(parsed) << fragment;
        EXPECT_NE(parsed.error().message.find(fragment), std::string::npos)
            << parsed.error().message;
    };
    // Line numbers: the two comment lines, "version", blank, "[request]", then torch on line 6.
    auto wrong_type = text;
    wrong_type.replace(wrong_type.find("torch = \">=2.6,<2.9\""), 20, "torch = 26");
    expect_error(wrong_type, "envpin.lock line 6: 'torch' must be a string, not an integer");
    expect_error(text.substr(0, text.find("[stack]")) + "[stack]\ntorch = \"2.8.0+cu128\n",
                 "envpin.lock line");
    auto typo = text;
    typo.replace(typo.find("[host]\n"), 7, "[host]\nmin_drivr = \"1.0\"\n");
    expect_error(typo, "unknown key 'min_drivr' in [host]");
    auto bad_arch = text;
    bad_arch.replace(bad_arch.find("\"sm_70\""), 7, "\"sm7\"");
    expect_error(bad_arch, "\"sm7\" is not an arch target");
    expect_error("version = 1\n", "envpin.lock: missing [request]");
    expect_error("version = \"1\"\n", "'version' must be an integer");
    expect_error("", "missing 'version'");
}

TEST(Lock, DifferencesNameTheFields)
{
    const auto old = cuda_lock();
    auto fresh = old;
    EXPECT_TRUE(lock_differences(old, fresh).empty());
    fresh.installed.push_back({"x", "1", "y", "z"});
    EXPECT_TRUE(lock_differences(old, fresh).empty()); // installed is not part of the resolution
    fresh.stack.torch = "2.8.0+cu128";
    fresh.request.torch = ">=2.8";
    fresh.packages[0].version = "2.8.0+cu128";
    const auto lines = lock_differences(old, fresh);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], "request.torch: >=2.6,<2.9 -> >=2.8");
    EXPECT_EQ(lines[1], "stack.torch: 2.8.0+cu129 -> 2.8.0+cu128");
    EXPECT_NE(lines[2].find("package: - torch 2.8.0+cu129"), std::string::npos);
    EXPECT_NE(lines[3].find("package: + torch 2.8.0+cu128"), std::string::npos);
}

TEST(Spec, ParsesTheDesignExample)
{
    const auto spec = parse_spec(R"([environment]
name = "train"            # name in the store
path = ".venv"            # relative to this file
python = "3.12"
torch = ">=2.6,<2.9"      # PEP 440 specifier
cuda = "auto"             # auto | cpu | "12.8" | ">=12.6"
companions = ["torchvision", "torchaudio"]
requirements = ["numpy<2"]

[verify]
checks = [{ name = "smoke", run = ["python", "-m", "myproj.selftest"], timeout = 60 }]
)",
                                 "envpin.toml");
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(spec->name, "train");
    EXPECT_EQ(spec->torch, ">=2.6,<2.9");
    EXPECT_EQ(spec->requirements, std::vector<std::string>{"numpy<2"});
    EXPECT_EQ(lock_request(*spec),
              (LockRequest{">=2.6,<2.9", "auto", "3.12", {"torchvision", "torchaudio"}, false, {"numpy<2"}}));
}

TEST(Spec, CompanionNamesAreNormalized)
{
    const auto spec = parse_spec("[environment]\ntorch = \"2.7.*\"\ncompanions = [\"TorchVision\"]\n",
                                 "envpin.toml");
    ASSERT_TRUE(spec);
    const auto request = lock_request(*spec);
    EXPECT_EQ(request.companions, std::vector<std::string>{"torchvision"});
    const auto lock = resolved_lock(request, std::nullopt, {});
    ASSERT_EQ(lock.packages.size(), 2u);
    EXPECT_EQ(lock.packages[1].name, "torchvision");
}

TEST(Spec, InitTextParsesBack)
{
    const auto spec = parse_spec(init_spec_text("my \"project\""), "envpin.toml");
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(spec->name, "my \"project\"");
    EXPECT_EQ(spec->torch, ">=2.0");
    EXPECT_EQ(spec->cuda, "auto");
    EXPECT_TRUE(spec->python.empty());
    EXPECT_EQ(spec->companions, (std::vector<std::string>{"torchvision", "torchaudio"}));
    EXPECT_TRUE(make_request(catalog(), request_text(lock_request(*spec), "envpin.toml: ")));
}

TEST(Spec, ErrorsNameTheLine)
{
    const auto typo = parse_spec("[environment]\nname = \"x\"\ntoch = \"2.7.*\"\n", "envpin.toml");
    ASSERT_FALSE(typo);
    EXPECT_EQ(typo.error().message, "envpin.toml line 3: unknown key 'toch' in [environment]");
    const auto type = parse_spec("[environment]\ncompanions = \"torchvision\"\n", "envpin.toml");
    ASSERT_FALSE(type);
    EXPECT_NE(type.error().message.find("line 2: 'companions' must be an array of strings"),
              std::string::npos);
    EXPECT_FALSE(parse_spec("name = \"x\"\n", "envpin.toml"));
}

} // namespace
} // namespace envpin
