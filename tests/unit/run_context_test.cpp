// A verification run's context: the differences between two runs' contexts on values, its
// JSON form, the visible-GPU rule, the cgroup limit on a real directory tree, and a capture of
// this process (its variables and soft limits, set by the test).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>

#include "tests/support/sanitizer.hpp"
#include "tests/support/scoped_variable.hpp"
#include "tests/support/temp_dir.hpp"
#include "verify/runner/run_context.hpp"

namespace envpin::verify {
namespace {

using test::ScopedVariable;

RunContext one_gpu()
{
    RunContext context;
    context.variables = {{"LD_LIBRARY_PATH", "/opt/cuda/lib64"}, {"NCCL_DEBUG", "WARN"}};
    context.visible_gpus = 1;
    return context;
}

std::vector<std::string> described(const std::vector<ContextDifference>& differences)
{
    std::vector<std::string> lines;
    for (const auto& difference : differences)
        lines.push_back(describe(difference));
    return lines;
}

TEST(ContextDifferences, EqualContextsHaveNone)
{
    EXPECT_TRUE(context_differences(one_gpu(), one_gpu()).empty());
    EXPECT_TRUE(context_differences(RunContext{}, RunContext{}).empty());
}

TEST(ContextDifferences, AnEmptyCudaVisibleDevicesIsNotAnUnsetOne)
{
    auto hidden = one_gpu();
    hidden.variables["CUDA_VISIBLE_DEVICES"] = "";
    hidden.visible_gpus = 0;
    EXPECT_EQ(described(context_differences(one_gpu(), hidden)),
              (std::vector<std::string>{"CUDA_VISIBLE_DEVICES: unset -> '' (empty)", "visible GPUs: 1 -> 0"}));
    EXPECT_EQ(described(context_differences(hidden, one_gpu())),
              (std::vector<std::string>{"CUDA_VISIBLE_DEVICES: '' (empty) -> unset", "visible GPUs: 0 -> 1"}));
}

TEST(ContextDifferences, NamesChangedAndRemovedVariablesInNameOrder)
{
    auto after = one_gpu();
    after.variables["NCCL_DEBUG"] = "INFO";
    after.variables.erase("LD_LIBRARY_PATH");
    after.variables["LD_PRELOAD"] = "/usr/lib/libcudart.so.12";
    EXPECT_EQ(described(context_differences(one_gpu(), after)),
              (std::vector<std::string>{"LD_LIBRARY_PATH: '/opt/cuda/lib64' -> unset",
                                        "LD_PRELOAD: unset -> '/usr/lib/libcudart.so.12'",
                                        "NCCL_DEBUG: 'WARN' -> 'INFO'"}));
}

TEST(ContextDifferences, NamesEachMemoryLimit)
{
    auto limited = one_gpu();
    limited.memory.address_space = 2LL << 30;
    limited.memory.cgroup = 512LL << 20;
    EXPECT_EQ(described(context_differences(one_gpu(), limited)),
              (std::vector<std::string>{"memory limit (ulimit -v): none -> 2.0 GB",
                                        "memory limit (cgroup memory.max): none -> 512.0 MB"}));
    auto lower = limited;
    lower.memory.address_space = 1LL << 30;
    const auto differences = context_differences(limited, lower);
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0], (ContextDifference{"memory limit (ulimit -v)", "2.0 GB", "1.0 GB"}));
}

TEST(RunContextJson, RoundTripsAndRefusesWhatIsNotAContext)
{
    auto context = one_gpu();
    context.variables["CUDA_VISIBLE_DEVICES"] = "";
    context.memory.data = 4LL << 30;
    const auto json = to_json(context);
    EXPECT_EQ(json["memory_limits"]["data"], 4LL << 30);
    EXPECT_TRUE(json["memory_limits"]["address_space"].is_null());
    const auto back = run_context_from_json(json);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, context);
    // Runs recorded before contexts were have "{}".
    const auto old = run_context_from_json(nlohmann::json::object());
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, ErrorCode::bad_input);
    EXPECT_FALSE(run_context_from_json(nlohmann::json::parse(R"({"variables": 3, "memory_limits": {}})")));
    EXPECT_FALSE(run_context_from_json(nlohmann::json::parse(R"({"variables": {}, "memory_limits": {"data": "x"}})")));
}

TEST(VisibleGpus, CudaVisibleDevicesNarrowsTheHostsGpus)
{
    EXPECT_EQ(visible_gpu_count(2, std::nullopt), 2);
    EXPECT_EQ(visible_gpu_count(2, ""), 0);
    EXPECT_EQ(visible_gpu_count(2, "0"), 1);
    EXPECT_EQ(visible_gpu_count(2, "0,1"), 2);
    EXPECT_EQ(visible_gpu_count(1, "0,1"), 1);
    EXPECT_EQ(visible_gpu_count(2, "-1"), 0);
    EXPECT_EQ(visible_gpu_count(2, "GPU-f003b975, "), 1);
}

TEST(ContextVariables, AreTheLoaderCudaNcclAndPythonOnes)
{
    for (const char* name : {"CUDA_VISIBLE_DEVICES", "CUDA_LAUNCH_BLOCKING", "NCCL_P2P_DISABLE", "LD_LIBRARY_PATH",
                             "LD_PRELOAD", "PYTHONPATH"})
        EXPECT_TRUE(is_context_variable(name)) << name;
    for (const char* name : {"HOME", "PATH", "CUDA", "NCCL", "PYTHONHOME", "LD_BIND_NOW", "MY_CUDA_HOME"})
        EXPECT_FALSE(is_context_variable(name)) << name;
}

TEST(CgroupMemoryLimit, IsTheLowestFromTheGroupUp)
{
    test::TempDir root;
    const std::string self = "0::/user.slice/job.scope\n";
    EXPECT_EQ(cgroup_memory_limit(root.path(), self), std::nullopt);  // nothing readable
    test::write_text(root / "user.slice/memory.max", "max\n");
    test::write_text(root / "user.slice/job.scope/memory.max", "2147483648\n");
    EXPECT_EQ(cgroup_memory_limit(root.path(), self), 2147483648LL);
    test::write_text(root / "user.slice/memory.max", "1073741824\n");
    EXPECT_EQ(cgroup_memory_limit(root.path(), self), 1073741824LL);
    test::write_text(root / "user.slice/memory.max", "max\n");
    test::write_text(root / "user.slice/job.scope/memory.max", "max\n");
    EXPECT_EQ(cgroup_memory_limit(root.path(), self), std::nullopt);
    // cgroup v1 only: no "0::" line.
    EXPECT_EQ(cgroup_memory_limit(root.path(), "4:memory:/user.slice/job.scope\n"), std::nullopt);
}


TEST(CaptureRunContext, TakesThisProcessVariablesAndSoftLimits)
{
    ENVPIN_SKIP_UNDER_ASAN("an address-space limit stops its shadow-memory reservation before envpin runs");
    const ScopedVariable hidden("CUDA_VISIBLE_DEVICES", "");
    const ScopedVariable debug("NCCL_DEBUG", "INFO");
    const ScopedVariable preload("LD_PRELOAD", nullptr);
    ::rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_DATA, &saved), 0);
    const rlim_t wanted = 64ULL << 30;
    ::rlimit lowered = saved;
    lowered.rlim_cur = saved.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, saved.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_DATA, &lowered), 0);
    HostFacts host;
    host.gpus.resize(2);
    const auto context = capture_run_context(host);
    ::setrlimit(RLIMIT_DATA, &saved);
    EXPECT_EQ(context.variables.at("CUDA_VISIBLE_DEVICES"), "");
    EXPECT_EQ(context.variables.at("NCCL_DEBUG"), "INFO");
    EXPECT_FALSE(context.variables.contains("LD_PRELOAD"));
    EXPECT_FALSE(context.variables.contains("HOME"));
    EXPECT_EQ(context.visible_gpus, 0);
    EXPECT_EQ(context.memory.data, static_cast<long long>(lowered.rlim_cur));
}

}  // namespace
}  // namespace envpin::verify
