// `envpin verify` through the built binary: exit codes, bad inputs, the --json contract (with
// the run's context), JUnit XML, and the host check's verdicts on facts given as parameters.
#include <gtest/gtest.h>

#include "sys/process.hpp"
#include "tests/support/sanitizer.hpp"
#include "tests/support/run_envpin.hpp"
#include "tests/support/temp_dir.hpp"

namespace envpin::test {
namespace {

bool has(const std::string& text, std::string_view needle)
{
    return text.find(needle) != std::string::npos;
}

const nlohmann::json& find_check(const nlohmann::json& report, std::string_view name)
{
    for (const auto& check : report["checks"])
        if (check["name"] == name)
            return check;
    throw std::runtime_error("no check " + std::string(name));
}

TEST(VerifyCommand, UnknownCheckIsAUsageErrorNamingIt)
{
    TempDir env;
    const auto run = run_envpin({"verify", "--path", env.path().string(), "--only", "host,gpuburn"});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(has(run.err, "unknown check 'gpuburn' in --only")) << run.err;
}

TEST(VerifyCommand, MissingEnvironmentIsAUsageErrorNamingIt)
{
    TempDir dir;
    const auto missing = (dir / "no-such-env").string();
    const auto run = run_envpin({"verify", "--path", missing});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_TRUE(has(run.err, missing)) << run.err;
    const auto json = run_envpin({"verify", "--path", missing, "--json"});
    EXPECT_EQ(json.exit_code, 2);
    EXPECT_EQ(json.json()["error"]["exit_code"], 2);
}

TEST(VerifyCommand, MalformedFlagsAreUsageErrors)
{
    TempDir env;
    EXPECT_EQ(run_envpin({"verify", "--path", env.path().string(), "--set", "no-equals-sign"}).exit_code, 2);
    EXPECT_EQ(run_envpin({"verify", "--path", env.path().string(), "--device", "tpu"}).exit_code, 2);
    EXPECT_EQ(run_envpin({"verify", "--path", env.path().string(), "--timeout", "-1"}).exit_code, 2);
    EXPECT_EQ(run_envpin({"verify"}).exit_code, 2);  // --path is required
}

TEST(VerifyCommand, JsonFollowsTheContractAndEverySkipSaysWhy)
{
    TempDir env;
    const auto run = run_envpin({"verify", "--path", env.path().string(), "--skip", "python", "--json"});
    const auto report = run.json();
    for (const char* key : {"status", "passed_before", "host", "context", "snapshot", "checks", "fingerprint",
                            "suite_version"})
        EXPECT_TRUE(report.contains(key)) << key;
    std::vector<std::string> names;
    for (const auto& check : report["checks"]) {
        names.push_back(check["name"]);
        for (const char* key : {"name", "status", "value", "unit", "reference", "threshold", "duration_ms", "detail", "hint"})
            EXPECT_TRUE(check.contains(key)) << check["name"] << " lacks " << key;
        if (check["status"] == "skip") {
            EXPECT_FALSE(check["detail"].get<std::string>().empty()) << check["name"];
        }
    }
    EXPECT_EQ(names, (std::vector<std::string>{"host", "libs", "kernels", "cublas", "cudnn", "nccl", "train", "python"}));
    EXPECT_EQ(find_check(report, "python")["detail"], "skipped on request (--skip)");
    EXPECT_EQ(run.exit_code, report["status"] == "pass" ? 0 : 1);
}

TEST(VerifyCommand, AFailedCheckExitsOneAndTheTableSaysWhy)
{
    TempDir env;  // no bin/python: the python check fails
    const auto run = run_envpin({"verify", "--path", env.path().string(), "--only", "python", "--color", "never"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_TRUE(has(run.out, "python   fail")) << run.out;
    EXPECT_TRUE(has(run.out, "no interpreter at")) << run.out;
    EXPECT_TRUE(has(run.out, "hint: ")) << run.out;
    EXPECT_TRUE(has(run.out, "verify: FAIL")) << run.out;
}

TEST(VerifyCommand, DeviceCpuSkipsTheGpuChecksWithTheReason)
{
    TempDir env;
    const auto report = run_envpin({"verify", "--path", env.path().string(), "--device", "cpu", "--only",
                                    "kernels,nccl", "--json"}).json();
    for (const char* name : {"kernels", "nccl"}) {
        EXPECT_EQ(find_check(report, name)["status"], "skip");
        EXPECT_TRUE(has(find_check(report, name)["detail"], "--device cpu"));
    }
}

TEST(VerifyCommand, JUnitIsWellFormedXml)
{
    TempDir dir;
    const auto junit = dir / "verify.xml";
    const auto run = run_envpin({"verify", "--path", dir.path().string(), "--junit", junit.string(), "--json"});
    EXPECT_EQ(run.exit_code, 1);  // the python check fails: no interpreter
    sys::ProcessSpec spec;
    spec.argv = {"python3", "-c",
                 "import sys, xml.etree.ElementTree as ET\n"
                 "suite = ET.parse(sys.argv[1]).getroot().find('testsuite')\n"
                 "cases = {c.get('name'): c for c in suite.findall('testcase')}\n"
                 "print(suite.get('tests'), suite.get('failures'), len(cases),\n"
                 "      cases['python'].find('failure') is not None, cases['kernels'].find('skipped') is not None,\n"
                 "      'hint: ' in cases['python'].find('failure').text)\n",
                 junit.string()};
    const auto parsed = sys::run_process(spec);
    ASSERT_TRUE(parsed);
    ASSERT_TRUE(parsed->success()) << parsed->err << read_text(junit);
    const auto report = run.json();
    const bool gpu_host = !report["host"]["gpus"].empty();
    if (!gpu_host) {
        EXPECT_EQ(parsed->out, "8 1 8 True True True\n");
    }
}

TEST(VerifyCommand, JunitIntoAMissingDirectoryIsAnError)
{
    TempDir dir;
    const auto run = run_envpin({"verify", "--path", dir.path().string(), "--only", "host", "--junit",
                                 (dir / "no/such/dir/out.xml").string()});
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_TRUE(has(run.err, "--junit")) << run.err;
}

TEST(VerifyCommand, TheReportCarriesTheRunsContext)
{
    ENVPIN_SKIP_UNDER_ASAN("an address-space limit stops its shadow-memory reservation before envpin runs");
    TempDir env;
    const std::vector<std::string> args{"verify", "--path", env.path().string(), "--only", "host", "--json"};
    const auto hidden = run_envpin(args, {{"CUDA_VISIBLE_DEVICES", ""}, {"NCCL_DEBUG", "INFO"}}).json()["context"];
    EXPECT_EQ(hidden["variables"]["CUDA_VISIBLE_DEVICES"], "");  // set, empty: no GPU visible
    EXPECT_EQ(hidden["variables"]["NCCL_DEBUG"], "INFO");
    EXPECT_FALSE(hidden["variables"].contains("HOME"));
    EXPECT_EQ(hidden["visible_gpus"], 0);
    const auto limited = run_envpin_after("unset CUDA_VISIBLE_DEVICES; ulimit -v 2000000", args).json()["context"];
    EXPECT_FALSE(limited["variables"].contains("CUDA_VISIBLE_DEVICES"));
    EXPECT_EQ(limited["memory_limits"]["address_space"], 2000000LL * 1024);
}

// The host check on facts handed in as parameters (--set overrides what the runner probed).
nlohmann::json host_check(const std::vector<std::string>& sets, const std::vector<std::pair<std::string, std::string>>& env = {})
{
    TempDir dir;
    std::vector<std::string> args{"verify", "--path", dir.path().string(), "--only", "host", "--json"};
    for (const auto& set : sets) {
        args.push_back("--set");
        args.push_back(set);
    }
    return find_check(run_envpin(args, env).json(), "host");
}

const char* h100_facts =
    R"(host_facts={"driver": "580.159.04", "cuda_driver_api": "13.0", "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "cc": "9.0", "memory_mib": 81559, "uuid": "GPU-1", "mig": false}]})";
const char* v100_facts =
    R"(host_facts={"driver": "580.159.04", "cuda_driver_api": "13.0", "gpus": [{"index": 0, "name": "Tesla V100-SXM2-32GB", "cc": "7.0", "memory_mib": 32768, "uuid": "GPU-2", "mig": true}]})";

TEST(VerifyHostCheck, DriverOlderThanTheStackNeedsFails)
{
    const auto check = host_check({"min_driver=580.65.06", "torch_version=2.11.0+cu130"},
                                  {{"ENVPIN_DRIVER_VERSION", "570.86.15"}});
    EXPECT_EQ(check["status"], "fail");
    EXPECT_TRUE(has(check["detail"], "570.86.15 < 580.65.06 required by torch 2.11.0+cu130")) << check["detail"];
    EXPECT_TRUE(has(check["hint"], "upgrade the driver")) << check["hint"];
    const auto newer = host_check({"min_driver=570.0"}, {{"ENVPIN_DRIVER_VERSION", "570.86.15"}});
    EXPECT_TRUE(has(newer["detail"], "570.86.15 >= 570.0")) << newer["detail"];
}

TEST(VerifyHostCheck, EveryGpuMustBeCoveredByTheArchList)
{
    const auto covered = host_check({h100_facts, "torch_arch_list=sm_75 sm_80 sm_86 sm_90 sm_100 sm_120"});
    EXPECT_EQ(covered["status"], "pass") << covered["detail"];
    EXPECT_TRUE(has(covered["detail"], "sm_90 runs the build's sm_90")) << covered["detail"];
    const auto sm80_only = host_check({h100_facts, "torch_arch_list=sm_80"});
    EXPECT_EQ(sm80_only["status"], "fail");
    EXPECT_TRUE(has(sm80_only["hint"], "209")) << sm80_only["hint"];
    const auto v100 = host_check({v100_facts, "torch_arch_list=sm_75 sm_80 sm_90"});
    EXPECT_EQ(v100["status"], "fail");
    EXPECT_TRUE(has(v100["detail"], "Tesla V100-SXM2-32GB sm_70 is not covered")) << v100["detail"];
    EXPECT_TRUE(has(v100["detail"], "MIG mode is on")) << v100["detail"];
}

// NVML's health readings travel with the host facts: a healthy GPU's are reported, a pending row
// remap or an uncorrectable ECC error fails the host check naming it, with a hint that the
// GPU, not the environment, is at fault.
TEST(VerifyHostCheck, GpuHealthIsReportedAndAHardFaultFails)
{
    const std::string healthy =
        R"(host_facts={"driver": "580.159.04", "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "cc": "9.0", "memory_mib": 81559, "uuid": "GPU-1", "mig": false, "health": {"ecc_enabled": true, "ecc_volatile_uncorrected": 0, "ecc_volatile_corrected": 0, "ecc_aggregate_uncorrected": 0, "ecc_aggregate_corrected": 2, "remap_pending": false, "remap_failed": false, "remapped_rows_correctable": 0, "remapped_rows_uncorrectable": 0, "clock_event_reasons": 1, "persistence_mode": true, "pcie_generation": 5, "pcie_width": 16}}]})";
    const auto good = host_check({healthy, "torch_arch_list=sm_90"});
    EXPECT_EQ(good["status"], "pass") << good["detail"];
    EXPECT_TRUE(has(good["detail"], "GPU 0 health: ECC on: 0 corrected, 0 uncorrected")) << good["detail"];
    EXPECT_TRUE(has(good["detail"], "PCIe gen5 x16")) << good["detail"];
    auto faulty = healthy;
    faulty.replace(faulty.find(R"("remap_pending": false)"), 22, R"("remap_pending": true )");
    faulty.replace(faulty.find(R"("ecc_volatile_uncorrected": 0)"), 29, R"("ecc_volatile_uncorrected": 3)");
    const auto bad = host_check({faulty, "torch_arch_list=sm_90"});
    EXPECT_EQ(bad["status"], "fail") << bad["detail"];
    EXPECT_TRUE(has(bad["detail"], "3 uncorrectable ECC error(s)")) << bad["detail"];
    EXPECT_TRUE(has(bad["detail"], "row remap is pending")) << bad["detail"];
    EXPECT_TRUE(has(bad["hint"], "not of the environment")) << bad["hint"];
}

TEST(VerifyHostCheck, NvSwitchWithoutFabricManagerFails)
{
    TempDir root;
    write_text(root / "dev/nvidia-nvswitch0", "");
    write_text(root / "proc/4242/comm", "python3\n");
    const auto missing = host_check({h100_facts, "sysroot=" + root.path().string()});
    EXPECT_EQ(missing["status"], "fail");
    EXPECT_TRUE(has(missing["detail"], "nv-fabricmanager is not running")) << missing["detail"];
    EXPECT_TRUE(has(missing["hint"], "802")) << missing["hint"];
    write_text(root / "proc/4343/comm", "nv-fabricmanage\n");
    const auto running = host_check({h100_facts, "sysroot=" + root.path().string()});
    EXPECT_EQ(running["status"], "pass") << running["detail"];
    EXPECT_TRUE(has(running["detail"], "running (pid 4343)")) << running["detail"];
}

// The child side on its own: a name no table knows and a request that is not JSON come back
// as error results, not crashes.
nlohmann::json probe_check(const std::string& stdin_text)
{
    sys::ProcessSpec spec;
    const char* relocated = std::getenv("ENVPIN_TEST_BIN");
    spec.argv = {relocated != nullptr && *relocated ? relocated : ENVPIN_BIN, "probe", "check"};
    spec.stdin_data = stdin_text;
    spec.timeout = std::chrono::seconds(60);
    const auto run = sys::run_process(spec);
    EXPECT_TRUE(run && run->exited());
    return nlohmann::json::parse(run->out);
}

TEST(ProbeCheck, UnknownChecksAndBadRequestsAreErrors)
{
    const auto unknown = probe_check(R"({"check": "no-such-check", "environment": "/tmp", "parameters": {}})");
    EXPECT_EQ(unknown["status"], "error");
    EXPECT_EQ(unknown["name"], "no-such-check");
    EXPECT_TRUE(has(unknown["detail"], "unknown check 'no-such-check'")) << unknown["detail"];
    const auto garbage = probe_check("this is not json");
    EXPECT_EQ(garbage["status"], "error");
    EXPECT_TRUE(has(garbage["detail"], "not a JSON object")) << garbage["detail"];
}

}  // namespace
}  // namespace envpin::test
