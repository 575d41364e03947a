#include "verify/runner/run_context.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <set>

#include "base/strings.hpp"
#include "sys/file.hpp"

extern char** environ;

namespace envpin::verify {
namespace fs = std::filesystem;
namespace {

struct LimitName {
    std::optional<long long> MemoryLimits::*field;
    std::string_view what;
    std::string_view json_key;
};

constexpr LimitName limit_names[] = {
    {&MemoryLimits::address_space, "memory limit (ulimit -v)", "address_space"},
    {&MemoryLimits::data, "memory limit (ulimit -d)", "data"},
    {&MemoryLimits::cgroup, "memory limit (cgroup memory.max)", "cgroup"},
};

std::optional<long long> soft_limit(int resource)
{
    ::rlimit limit{};
    if (::getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return std::nullopt;
    return static_cast<long long>(limit.rlim_cur);
}

std::map<std::string, std::string> context_variables()
{
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string_view::npos && is_context_variable(text.substr(0, eq)))
            variables.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
    return variables;
}

// The cgroup v2 path of this process ("/user.slice/..."): the "0::" line.
std::optional<std::string> cgroup_path(std::string_view proc_self_cgroup)
{
    for (const auto line : split(proc_self_cgroup, '\n'))
        if (line.starts_with("0::"))
            return std::string(trim(line.substr(3)));
    return std::nullopt;
}

std::string variable_text(const std::optional<std::string>& value)
{
    if (!value)
        return "unset";
    return value->empty() ? "'' (empty)" : "'" + *value + "'";
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& variables, const std::string& name)
{
    const auto it = variables.find(name);
    return it == variables.end() ? std::nullopt : std::optional(it->second);
}

std::string limit_text(const std::optional<long long>& bytes)
{
    return bytes ? human_bytes(*bytes) : "none";
}

nlohmann::json bytes_or_null(const std::optional<long long>& bytes)
{
    return bytes ? nlohmann::json(*bytes) : nlohmann::json(nullptr);
}

}  // namespace

bool is_context_variable(std::string_view name)
{
    return name == "CUDA_VISIBLE_DEVICES" || name == "LD_LIBRARY_PATH" || name == "LD_PRELOAD" ||
           name == "PYTHONPATH" || name.starts_with("NCCL_") || name.starts_with("CUDA_");
}

long long visible_gpu_count(long long host_gpus, const std::optional<std::string>& cuda_visible_devices)
{
    if (!cuda_visible_devices)
        return host_gpus;
    long long listed = 0;
    for (const auto entry : split(*cuda_visible_devices, ','))
        if (!trim(entry).empty() && trim(entry) != "-1")
            ++listed;
    return std::min(host_gpus, listed);
}

std::optional<long long> cgroup_memory_limit(const fs::path& cgroup_root, std::string_view proc_self_cgroup)
{
    const auto path = cgroup_path(proc_self_cgroup);
    if (!path)
        return std::nullopt;
    std::optional<long long> lowest;
    auto level = cgroup_root;
    const auto read_level = [&] {
        if (const auto text = sys::read_file(level / "memory.max", 64))
            if (const auto bytes = parse_integer(trim(*text)); bytes && (!lowest || *bytes < *lowest))
                lowest = bytes;
    };
    read_level();
    for (const auto& part : fs::path(*path).relative_path()) {
        if (part.empty() || part == "." || part == "..")
            continue;
        level /= part;
        read_level();
    }
    return lowest;
}

RunContext capture_run_context(const HostFacts& host)
{
    RunContext context;
    context.variables = context_variables();
    context.visible_gpus = visible_gpu_count(static_cast<long long>(host.gpus.size()),
                                             lookup(context.variables, "CUDA_VISIBLE_DEVICES"));
    context.memory.address_space = soft_limit(RLIMIT_AS);
    context.memory.data = soft_limit(RLIMIT_DATA);
    if (const auto cgroup = sys::read_file("/proc/self/cgroup", 1u << 16))
        context.memory.cgroup = cgroup_memory_limit("/sys/fs/cgroup", *cgroup);
    return context;
}

std::vector<ContextDifference> context_differences(const RunContext& before, const RunContext& after)
{
    std::vector<ContextDifference> differences;
    std::set<std::string> names;
    for (const auto* variables : {&before.variables, &after.variables})
        for (const auto& [name, value] : *variables)
            names.insert(name);
    for (const auto& name : names) {
        const auto was = lookup(before.variables, name);
        const auto now = lookup(after.variables, name);
        if (was != now)
            differences.push_back({name, variable_text(was), variable_text(now)});
    }
    if (before.visible_gpus != after.visible_gpus)
        differences.push_back({"visible GPUs", std::to_string(before.visible_gpus), std::to_string(after.visible_gpus)});
    for (const auto& limit : limit_names)
        if (before.memory.*limit.field != after.memory.*limit.field)
            differences.push_back({std::string(limit.what), limit_text(before.memory.*limit.field),
                                   limit_text(after.memory.*limit.field)});
    return differences;
}

std::string describe(const ContextDifference& difference)
{
    return fmt::format("{}: {} -> {}", difference.what, difference.before, difference.after);
}

nlohmann::json to_json(const RunContext& context)
{
    auto limits = nlohmann::json::object();
    for (const auto& limit : limit_names)
        limits[std::string(limit.json_key)] = bytes_or_null(context.memory.*limit.field);
    return {{"variables", context.variables}, {"visible_gpus", context.visible_gpus}, {"memory_limits", limits}};
}

Expected<RunContext> run_context_from_json(const nlohmann::json& document)
{
    if (!document.is_object() || !document.contains("variables") || !document.contains("memory_limits"))
        return fail(ErrorCode::bad_input, "not a run context");
    try {
        RunContext context;
        context.variables = document.at("variables").get<std::map<std::string, std::string>>();
        context.visible_gpus = document.value("visible_gpus", 0LL);
        const auto& limits = document.at("memory_limits");
        for (const auto& limit : limit_names)
            if (const auto it = limits.find(limit.json_key); it != limits.end() && !it->is_null())
                context.memory.*limit.field = it->get<long long>();
        return context;
    } catch (const nlohmann::json::exception& error) {
        return fail(ErrorCode::bad_input, "malformed run context: {}", error.what());
    }
}

nlohmann::json to_json(const ContextDifference& difference)
{
    return {{"what", difference.what}, {"before", difference.before}, {"after", difference.after}};
}

}  // namespace envpin::verify
