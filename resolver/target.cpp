#include "resolver/target.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/arch.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/request.hpp"
#include "resolver/resolve.hpp"

namespace envpin {
namespace {

struct DriverClause {
    std::string op;  // ">=", "==", "<", "<="
    DriverVersion version;
};

// The clauses of a driver requirement; nullopt with `problem` set when one is malformed.
std::optional<std::vector<DriverClause>> driver_clauses(std::string_view text, std::string& problem)
{
    std::vector<DriverClause> clauses;
    for (const auto& part : split(text, ',')) {
        auto clause = std::string(trim(part));
        std::string op = "==";
        for (const std::string_view candidate : {">=", "<=", "==", "<", ">"})
            if (clause.starts_with(candidate)) {
                op = std::string(candidate);
                clause = std::string(trim(std::string_view(clause).substr(candidate.size())));
                break;
            }
        const auto version = DriverVersion::parse(clause);
        if (op == ">" || !version) {
            problem = fmt::format("driver '{}' is not a driver requirement: expected clauses such as >=570, "
                                  ">=570.86,<600 or 570.86.10",
                                  text);
            return std::nullopt;
        }
        clauses.push_back({op, *version});
    }
    return clauses;
}

bool satisfies(const DriverVersion& driver, const DriverClause& clause)
{
    if (clause.op == ">=")
        return driver >= clause.version;
    if (clause.op == "<=")
        return driver <= clause.version;
    if (clause.op == "<")
        return driver < clause.version;
    return driver == clause.version;
}

// The lowest driver the clauses allow: the highest of their lower bounds.
std::optional<DriverVersion> driver_floor(const std::vector<DriverClause>& clauses)
{
    std::optional<DriverVersion> floor;
    for (const auto& clause : clauses)
        if ((clause.op == ">=" || clause.op == "==") && (!floor || *floor < clause.version))
            floor = clause.version;
    return floor;
}

Expected<std::vector<ComputeCapability>> target_ccs(const Catalog& catalog, const Target& target,
                                                    std::string_view origin)
{
    std::vector<ComputeCapability> ccs;
    for (const auto& gpu : target.gpus) {
        auto info = gpu_from_flag(catalog, gpu, 0);
        if (!info)
            return fail(ErrorCode::bad_input,
                        "{}: [[target]] {}: gpus '{}' is not a GPU envpin knows: expected a catalog name (H100), "
                        "sm_XY (sm_90) or a compute capability (9.0)",
                        origin, target.name, gpu);
        ccs.push_back(info->cc);
    }
    return ccs;
}

}  // namespace

std::optional<std::string> driver_requirement_problem(std::string_view text)
{
    std::string problem;
    const auto clauses = driver_clauses(text, problem);
    if (!clauses)
        return problem;
    if (!driver_floor(*clauses))
        return fmt::format("driver '{}' has no lower bound: expected >=V or ==V among its clauses (the lock must "
                           "run on the oldest driver the target allows)",
                           text);
    return std::nullopt;
}

std::optional<std::string> driver_requirement_floor(std::string_view text)
{
    std::string problem;
    const auto clauses = driver_clauses(text, problem);
    const auto floor = clauses ? driver_floor(*clauses) : std::nullopt;
    return floor ? std::optional(floor->text()) : std::nullopt;
}

std::optional<std::string> target_name_problem(std::string_view name)
{
    const bool valid = !name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) != 0 &&
                       std::ranges::all_of(name, [](char c) {
                           const auto u = static_cast<unsigned char>(c);
                           return std::islower(u) != 0 || std::isdigit(u) != 0 || c == '.' || c == '_' || c == '-';
                       });
    if (valid)
        return std::nullopt;
    return fmt::format("target name '{}': expected lower-case letters, digits, '.', '_' and '-' (e.g. train-h100)",
                       name);
}

Expected<HostFacts> target_facts(const Catalog& catalog, const Target& target, std::string_view origin)
{
    HostFacts facts;
    facts.driver_source = fmt::format("[[target]] {}", target.name);
    if (!target.driver.empty()) {
        std::string problem;
        const auto clauses = driver_clauses(target.driver, problem);
        const auto floor = clauses ? driver_floor(*clauses) : std::nullopt;
        if (!floor)
            return fail(ErrorCode::bad_input, "{}: [[target]] {}: {}", origin, target.name,
                        driver_requirement_problem(target.driver).value_or(problem));
        facts.driver = floor->text();
    }
    int index = 0;
    for (const auto cc : ENVPIN_TRY(target_ccs(catalog, target, origin))) {
        GpuInfo gpu;
        gpu.index = index++;
        gpu.cc = cc;
        facts.gpus.push_back(gpu);
    }
    facts.gpu_source = facts.gpus.empty() ? "" : facts.driver_source;
    return facts;
}

Expected<std::optional<std::string>> target_mismatch(const Catalog& catalog, const Target& target,
                                                     const HostFacts& host)
{
    const auto host_driver = host.driver ? DriverVersion::parse(*host.driver) : std::nullopt;
    if (target.driver.empty()) {
        if (host.driver)
            return fmt::format("is for hosts without an NVIDIA driver; this host has {}", *host.driver);
    } else {
        std::string problem;
        const auto clauses = driver_clauses(target.driver, problem);
        if (!clauses)
            return fail(ErrorCode::bad_input, "[[target]] {}: {}", target.name, problem);
        if (!host_driver)
            return fmt::format("needs driver {}; this host has none", target.driver);
        if (!std::ranges::all_of(*clauses, [&](const DriverClause& c) { return satisfies(*host_driver, c); }))
            return fmt::format("needs driver {}; this host has {}", target.driver, *host.driver);
    }
    if (target.gpus.empty())
        return std::nullopt;
    const auto ccs = ENVPIN_TRY(target_ccs(catalog, target, "envpin.lock"));
    if (host.gpus.empty())
        return fmt::format("is for GPUs {}; this host has none", join(target.gpus, ", "));
    for (const auto& gpu : host.gpus)
        if (std::ranges::find(ccs, gpu.cc) == ccs.end())
            return fmt::format("is for GPUs {}; this host's GPU {} ({}{}) is not among them", join(target.gpus, ", "),
                               gpu.index, gpu.name.empty() ? "" : gpu.name + ", ", sm_name(gpu.cc));
    return std::nullopt;
}

MadeFor made_for(const HostFacts& host)
{
    MadeFor made;
    made.driver = host.driver;
    for (const auto& gpu : host.gpus)
        if (const auto name = sm_name(gpu.cc); std::ranges::find(made.gpus, name) == made.gpus.end())
            made.gpus.push_back(name);
    if (const auto* python3 = host_python3(host))
        made.python3 = python3->version;
    return made;
}

HostFacts made_for_facts(const MadeFor& made_for)
{
    HostFacts facts;
    facts.driver = made_for.driver;
    facts.driver_source = "envpin.lock [made_for]";
    int index = 0;
    for (const auto& name : made_for.gpus)
        if (const auto cc = parse_compute_capability(name)) {
            GpuInfo gpu;
            gpu.index = index++;
            gpu.cc = *cc;
            facts.gpus.push_back(gpu);
        }
    if (!made_for.python3.empty())
        facts.pythons.push_back({"python3", made_for.python3});
    return facts;
}

}  // namespace envpin
