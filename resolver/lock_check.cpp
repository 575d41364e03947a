#include "resolver/lock_check.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/arch.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/marker.hpp"
#include "resolver/version.hpp"

namespace envpin {
namespace {

std::string build_name(const Lock& lock)
{
    return fmt::format("{} build of torch {}", lock.stack.variant, lock.stack.torch);
}

void driver_problems(const Lock& lock, const HostFacts& host, std::vector<std::string>& problems)
{
    if (!lock.host.min_driver)
        return;
    if (!host.driver) {
        problems.push_back(fmt::format("no NVIDIA driver on this host: the lock's {} needs driver {} or newer",
                                       build_name(lock), *lock.host.min_driver));
        return;
    }
    const auto have = DriverVersion::parse(*host.driver);
    const auto need = DriverVersion::parse(*lock.host.min_driver);
    if (have && need && *have < *need)
        problems.push_back(fmt::format("driver {} is older than {}, the oldest that runs the lock's {} ({} compatibility)",
                                       *host.driver, *lock.host.min_driver, build_name(lock), lock.host.compat));
}

void gpu_problems(const Lock& lock, const HostFacts& host, std::vector<std::string>& problems)
{
    std::vector<ArchTarget> targets;
    for (const auto& text : lock.host.arch)
        if (const auto target = parse_arch_target(text))
            targets.push_back(*target);
    if (targets.empty())
        return;
    // PTX is JIT-compiled only by a driver that runs the build's CUDA natively.
    const auto driver = host.driver ? DriverVersion::parse(*host.driver) : std::nullopt;
    const auto native = lock.host.native_driver ? DriverVersion::parse(*lock.host.native_driver) : std::nullopt;
    const auto jit = driver && native && *driver >= *native ? PtxJit::allowed : PtxJit::not_allowed;
    for (const auto& gpu : host.gpus) {
        const auto served = coverage(targets, gpu.cc, jit);
        if (served.target)
            continue;
        if (served.ptx_blocked)
            problems.push_back(fmt::format("GPU {} ({}, {}): only the lock's {} PTX would serve it, and driver {} cannot "
                                           "JIT it (it needs {} or newer)",
                                           gpu.index, gpu.name, sm_name(gpu.cc), to_string(*served.ptx_blocked),
                                           host.driver.value_or("none"), lock.host.native_driver.value_or("?")));
        else
            problems.push_back(fmt::format("GPU {} ({}, {}) has no kernel in the lock's {} (it has {})", gpu.index,
                                           gpu.name, sm_name(gpu.cc), build_name(lock), join(lock.host.arch, " ")));
    }
}

bool same_version(const std::string& pinned, const std::string& installed)
{
    const auto a = Version::parse(pinned);
    const auto b = Version::parse(installed);
    return a && b ? *a == *b : pinned == installed;
}

}  // namespace

std::vector<std::string> host_problems(const Lock& lock, const HostFacts& host)
{
    std::vector<std::string> problems;
    if (lock.stack.variant == "cpu")
        return problems;
    driver_problems(lock, host, problems);
    gpu_problems(lock, host, problems);
    return problems;
}

std::vector<std::string> installed_differences(const Lock& lock, const std::vector<InstalledVersion>& installed)
{
    std::map<std::string, const InstalledDistribution*> pinned;
    for (const auto& distribution : lock.installed)
        pinned.emplace(normalize_name(distribution.name), &distribution);
    std::map<std::string, const InstalledVersion*> present;
    for (const auto& distribution : installed)
        present.emplace(normalize_name(distribution.name), &distribution);
    std::vector<std::string> differences;
    for (const auto& [key, pin] : pinned) {
        const auto found = present.find(key);
        if (found == present.end())
            differences.push_back(fmt::format("{} {}: in the lock, not installed", pin->name, pin->version));
        else if (!same_version(pin->version, found->second->version))
            differences.push_back(fmt::format("{}: the lock pins {}, {} is installed", pin->name, pin->version,
                                              found->second->version));
    }
    for (const auto& [key, distribution] : present)
        if (!pinned.contains(key))
            differences.push_back(fmt::format("{} {}: installed, not in the lock", distribution->name,
                                              distribution->version));
    return differences;
}

bool pypi_serves_variant(const Catalog& catalog, const Lock& lock)
{
    const auto torch = Version::parse(lock.stack.torch);
    const auto* release = torch ? find_release(catalog, torch->public_version()) : nullptr;
    return release != nullptr && !release->pypi_default.empty() && release->pypi_default == lock.stack.variant;
}

Expected<SectionChoice> choose_section(const Catalog& catalog, const LockFile& lock, const HostFacts& host,
                                       std::string_view wanted, std::string_view origin)
{
    if (!wanted.empty()) {
        if (!lock.targeted())
            return fail(ErrorCode::bad_input,
                        "--target {}: {} has no targets (it is for the host that made it; [[target]] tables in "
                        "envpin.toml make a lock with targets)",
                        wanted, origin);
        if (const auto* section = lock.section(wanted))
            return SectionChoice{section, {}};
        return fail(ErrorCode::bad_input, "--target {}: {} has no such target: expected one of {}", wanted, origin,
                    join(lock.target_names(), ", "));
    }
    if (!lock.targeted())
        return SectionChoice{&lock.sections.front(), {}};
    SectionChoice choice;
    for (const auto& section : lock.sections) {
        const auto mismatch = ENVPIN_TRY(target_mismatch(catalog, *section.target, host));
        if (!mismatch)
            return SectionChoice{&section, {}};
        choice.mismatches.push_back(fmt::format("{} {}", section.target->name, *mismatch));
    }
    return choice;
}

}  // namespace envpin
