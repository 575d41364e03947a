#pragma once
// What decides a verification run's CUDA behaviour outside the environment's bytes: the
// variables the loader, CUDA, NCCL and Python read, how many GPUs CUDA may see, and how much
// memory the run may take. The suite's parent captures it before the checks run; it is
// recorded with each run, so that a failure of bytes that passed before can name what changed
// around them ("CUDA_VISIBLE_DEVICES: unset -> '' (empty)").
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "resolver/host_facts.hpp"

namespace envpin::verify {

// Bytes a process may use; nullopt where there is no limit.
struct MemoryLimits {
    std::optional<long long> address_space;  // RLIMIT_AS, `ulimit -v` (soft limit)
    std::optional<long long> data;           // RLIMIT_DATA, `ulimit -d` (soft limit)
    std::optional<long long> cgroup;         // cgroup v2 memory.max, the lowest from the process's group up
    bool operator==(const MemoryLimits&) const = default;
};

struct RunContext {
    // The context variables that are set (is_context_variable), with their values; an empty
    // value is kept: CUDA_VISIBLE_DEVICES="" hides every GPU, an unset one hides none.
    std::map<std::string, std::string> variables;
    long long visible_gpus = 0;  // the host's GPUs as CUDA_VISIBLE_DEVICES narrows them
    MemoryLimits memory;
    bool operator==(const RunContext&) const = default;
};

// One thing that differs between two runs' contexts, in words:
// {"memory limit (ulimit -v)", "none", "2.0 GB"}.
struct ContextDifference {
    std::string what;
    std::string before;
    std::string after;
    bool operator==(const ContextDifference&) const = default;
};

// CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH, LD_PRELOAD, PYTHONPATH, NCCL_* and CUDA_*.
[[nodiscard]] bool is_context_variable(std::string_view name);

// How many of `host_gpus` CUDA sees under CUDA_VISIBLE_DEVICES (nullopt: unset, all of them);
// every listed entry but "-1" and blanks counts, up to the host's count. Pure.
[[nodiscard]] long long visible_gpu_count(long long host_gpus, const std::optional<std::string>& cuda_visible_devices);

// The lowest memory.max from the cgroup named in `proc_self_cgroup` (the text of
// /proc/self/cgroup, cgroup v2 line "0::/path") up to `cgroup_root`; nullopt when every level
// says "max" or none can be read.
[[nodiscard]] std::optional<long long> cgroup_memory_limit(const std::filesystem::path& cgroup_root,
                                                           std::string_view proc_self_cgroup);

// This process's context: its environment, its soft limits, its cgroup under /sys/fs/cgroup,
// and the host's GPUs narrowed by CUDA_VISIBLE_DEVICES.
[[nodiscard]] RunContext capture_run_context(const HostFacts& host);

// What differs from `before` to `after`: variables (by name), visible GPUs, each memory
// limit. Empty when the contexts are equal. Pure.
[[nodiscard]] std::vector<ContextDifference> context_differences(const RunContext& before, const RunContext& after);
// "visible GPUs: 1 -> 0".
[[nodiscard]] std::string describe(const ContextDifference& difference);

// {"variables": {name: value}, "visible_gpus": n, "memory_limits": {"address_space", "data",
//  "cgroup"}} (bytes or null).
[[nodiscard]] nlohmann::json to_json(const RunContext& context);
// bad_input when `document` is not a run context (runs recorded before contexts were: "{}").
[[nodiscard]] Expected<RunContext> run_context_from_json(const nlohmann::json& document);
// {"what", "before", "after"}.
[[nodiscard]] nlohmann::json to_json(const ContextDifference& difference);

}  // namespace envpin::verify
