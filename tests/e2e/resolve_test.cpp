// `envpin resolve` through the built binary. Hosts are described with --driver/--gpu (or
// ENVPIN_DRIVER_VERSION=none) so results do not depend on the machine running the tests.
#include <gtest/gtest.h>

#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

nlohmann::json
resolve_json(const std::vector<std::string>& arguments, int expected_exit = 0,
             const std::vector<std::pair<std::string, std::string>>& environment = {})
{
    std::vector<std::string> argv{"resolve", "--json"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    const auto run = run_envpin(argv, environment);
    EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
    return run.json();
}

TEST(ResolveCommand, JsonHasEveryContractKey)
{
    const auto json = resolve_json({"--torch", "2.7.*", "--driver", "570.86.15", "--gpu", "H100"});
    for (const char* key :
         {"status", "torch", "variant", "cuda", "python", "cudnn", "nccl", "triton", "min_driver",
          "compat", "index_url", "packages", "warnings", "rejected"})
        EXPECT_TRUE(json.contains(key)) << key;
    EXPECT_EQ(json["status"], "ok");
    EXPECT_EQ(json["torch"], "2.7.1+cu128");
    EXPECT_EQ(json["variant"], "cu128");
    EXPECT_EQ(json["cuda"], "12.8");
    EXPECT_EQ(json["compat"], "native");
    EXPECT_EQ(json["min_driver"], "570.26");
    EXPECT_EQ(json["cudnn"], "9.7.1.26");
    EXPECT_EQ(json["nccl"], "2.26.2");
    EXPECT_EQ(json["triton"], "3.3.1");
    EXPECT_EQ(json["index_url"], "https://download.pytorch.org/whl/cu128");
    EXPECT_EQ(json["packages"][0], (nlohmann::json{{"name", "torch"}, {"version", "2.7.1+cu128"}}));
    for (const auto& rejected : json["rejected"]) {
        EXPECT_TRUE(rejected["candidate"].is_string());
        EXPECT_FALSE(rejected["reason"].get<std::string>().empty());
    }
}

TEST(ResolveCommand, TheIssueExamples)
{
    EXPECT_EQ(
        resolve_json({"--torch", "2.11.*", "--driver", "580.95.05", "--gpu", "H100"})["torch"],
        "2.11.0+cu130");
    const auto v100 = resolve_json({"--torch", "2.11.*", "--driver", "580.95.05", "--gpu", "V100"});
    EXPECT_EQ(v100["torch"], "2.11.0+cu126");
    const auto& rejected = v100["rejected"];
    const auto cu130 = std::ranges::find_if(
        rejected, [](const auto& r) { return r["candidate"] == "2.11.0+cu130"; });
    ASSERT_NE(cu130, rejected.end());
    EXPECT_NE((*cu130)["reason"].get<std::string>().find("no sm_70"), std::string::npos) << *cu130;

    const auto cpu = resolve_json({"--torch", "2.7.*"}, 0, {{"ENVPIN_DRIVER_VERSION", "none"}});
    EXPECT_EQ(cpu["torch"], "2.7.1+cpu");
    EXPECT_TRUE(cpu["cuda"].is_null());
    EXPECT_TRUE(cpu["compat"].is_null());
    EXPECT_TRUE(cpu["min_driver"].is_null());
    EXPECT_EQ(cpu["index_url"], "https://download.pytorch.org/whl/cpu");
}

TEST(ResolveCommand, ConflictExitsOneWithEveryCandidate)
{
    const auto json = resolve_json(
        {"--torch", "2.7.*", "--cuda", "13.0", "--driver", "580.95.05", "--gpu", "H100"}, 1);
    EXPECT_EQ(json["status"], "conflict");
    EXPECT_TRUE(json["torch"].is_null());
    EXPECT_EQ(json["rejected"].size(), 8u); // 2.7.0 and 2.7.1, cu128/cu126/cu118/cpu each
    ASSERT_FALSE(json["summary"].empty());
    EXPECT_NE(json["summary"][0].get<std::string>().find("do not match cuda \"13.0\""),
              std::string::npos);

    const auto text =
        run_envpin({"resolve", "--torch", "2.7.*", "--driver", "470.82.01", "--gpu", "RTX 5090"});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.out.find("No torch build works"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("this host has 470.82.01"), std::string::npos) << text.out;
}

TEST(ResolveCommand, ExplainListsRejectionsAndWeakFacts)
{
    const auto run = run_envpin(
        {"resolve", "--torch", "2.11.*", "--driver", "575.57.08", "--gpu", "H100", "--explain"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("torch 2.11.0+cu128"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("Not taken:"), std::string::npos);
    EXPECT_NE(run.out.find("needs driver >= 580.95.05 for CUDA 13.0.2"), std::string::npos);
    EXPECT_NE(run.out.find("2.11.0+cu128 cuda-toolkit (secondary)"), std::string::npos) << run.out;
    const auto brief =
        run_envpin({"resolve", "--torch", "2.11.*", "--driver", "575.57.08", "--gpu", "H100"});
    EXPECT_EQ(brief.out.find("Not taken:"), std::string::npos);
    EXPECT_NE(brief.out.find("--explain says why"), std::string::npos);
}

TEST(ResolveCommand, MalformedInputsExitTwoNamingTheInput)
{
    const auto expect_bad = [](std::vector<std::string> argv, std::string_view fragment) {
        argv.insert(argv.begin(), "resolve");
        const auto run = run_envpin(argv);
        EXPECT_EQ(run.exit_code, 2) << argv[1];
        EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
    };
    expect_bad({"--torch", "2.7.x!!", "--driver", "580.95.05", "--gpu", "H100"},
               "--torch '2.7.x!!'");
    expect_bad({"--gpu", "GTX 9999", "--driver", "580.95.05"},
               "--gpu 'GTX 9999' is not a GPU envpin knows");
    expect_bad({"--cuda", "12.7", "--driver", "580.95.05", "--gpu", "H100"},
               "--cuda '12.7' is not a CUDA release");
    expect_bad({"--driver", "banana", "--gpu", "H100"}, "--driver 'banana'");
    expect_bad({"--python", "three", "--driver", "none"}, "--python 'three'");
    const auto json = run_envpin({"resolve", "--json", "--torch", "2.7.x!!", "--driver", "none"});
    EXPECT_EQ(json.exit_code, 2);
    EXPECT_EQ(json.json()["error"]["code"], "bad_input");
}

TEST(ResolveCommand, ASpecAndItsTargetsResolveAsLockResolvesThem)
{
    TempDir dir;
    write_text(dir / "envpin.toml", R"([environment]
torch = ">=2.6,<2.9"
python = "3.12"
[[target]]
name = "hopper"
driver = ">=575.51.03"
gpus = ["H100"]
[[target]]
name = "ci-cpu"
cuda = "cpu"
)");
    const auto spec = (dir / "envpin.toml").string();
    const auto host = run_envpin({"resolve", "--spec", spec, "--driver", "none", "--json"});
    ASSERT_EQ(host.exit_code, 0) << host.err;
    EXPECT_EQ(host.json()["variant"], "cpu");  // this (described) host has no driver
    const auto hopper = run_envpin({"resolve", "--spec", spec, "--target", "hopper", "--driver", "none", "--json"});
    ASSERT_EQ(hopper.exit_code, 0) << hopper.err;
    EXPECT_NE(hopper.json()["variant"], "cpu");  // the target's facts, not the host's
    EXPECT_EQ(hopper.json()["python"], "3.12");
    const auto cpu = run_envpin({"resolve", "--spec", spec, "--target", "ci-cpu"});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    EXPECT_NE(cpu.out.find("+cpu"), std::string::npos) << cpu.out;
    const auto unknown = run_envpin({"resolve", "--spec", spec, "--target", "ampere"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("expected one of hopper, ci-cpu"), std::string::npos) << unknown.err;
    const auto both = run_envpin({"resolve", "--spec", spec, "--torch", "2.7.*"});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_NE(both.err.find("drop those flags"), std::string::npos) << both.err;
    const auto lone = run_envpin({"resolve", "--target", "hopper"});
    EXPECT_EQ(lone.exit_code, 2);
}

TEST(ResolveCommand, CatalogFileOverridesTheBuiltInOne)
{
    TempDir dir;
    write_text(dir / "catalog.toml", R"(format = 1
[[cuda_major]]
major = 12
compat_floor = "525.60.13"
[[cuda]]
version = "12.8"
driver = "570.26"
[[variant]]
name = "cpu"
index_url = "https://example.org/whl/cpu"
[[variant]]
name = "cu128"
cuda = "12.8"
index_url = "https://example.org/whl/cu128"
[[torch]]
version = "9.0.0"
python = ["3.12"]
[[build]]
torch = ["9.0.0"]
variant = "cu128"
arch = ["sm_90"]
[[build]]
torch = ["9.0.0"]
variant = "cpu"
)");
    const auto json = resolve_json(
        {"--catalog", (dir / "catalog.toml").string(), "--driver", "570.26", "--gpu", "9.0"});
    EXPECT_EQ(json["torch"], "9.0.0+cu128");
    EXPECT_EQ(json["index_url"], "https://example.org/whl/cu128");

    write_text(dir / "broken.toml", "format = 1\n[[torch]]\nversion = 7\n");
    const auto broken =
        run_envpin({"resolve", "--catalog", (dir / "broken.toml").string(), "--driver", "none"});
    EXPECT_EQ(broken.exit_code, 2);
    EXPECT_NE(broken.err.find("broken.toml line 3"), std::string::npos) << broken.err;
}

TEST(ResolveCommand, SameAnswerEveryTime)
{
    const std::vector<std::string> argv{"resolve", "--json", "--driver", "580.95.05",
                                        "--gpu",   "H100",   "--gpu",    "sm_120"};
    EXPECT_EQ(run_envpin(argv).out, run_envpin(argv).out);
}

} // namespace
} // namespace envpin::test
