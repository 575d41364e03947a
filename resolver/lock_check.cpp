#include "resolver/lock_check.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "base/strings.hpp"
#include "resolver/arch.hpp"
#include "resolver/driver_version.hpp"
#include "resolver/marker.hpp"
#include "resolver/specifier.hpp"
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

// A pin's version: an exact version ("2.7.1+cu128", matched as `==` matches) or a specifier.
bool satisfies(const std::string& pinned, const std::string& installed)
{
    const auto version = Version::parse(installed);
    if (!version)
        return pinned == installed;
    const bool exact = !pinned.empty() && (std::isdigit(static_cast<unsigned char>(pinned.front())) != 0);
    const auto specifiers = SpecifierSet::parse(exact ? "==" + pinned : pinned);
    return specifiers ? specifiers->contains(*version, PreReleases::include) : pinned == installed;
}

struct Pinned {
    std::string name;
    std::string version;
};

std::map<std::string, Pinned> pinned_by_lock(const Lock& lock)
{
    std::map<std::string, Pinned> pinned;
    if (!lock.installed.empty()) {
        for (const auto& distribution : lock.installed)
            pinned.emplace(normalize_name(distribution.name), Pinned{distribution.name, distribution.version});
        return pinned;
    }
    for (const auto& package : lock.packages)
        pinned.emplace(normalize_name(package.name), Pinned{package.name, package.version});
    for (const auto& pin : lock.pins)
        if (pin.kind == "requires")
            pinned.emplace(normalize_name(pin.name), Pinned{pin.name, pin.version});
    return pinned;
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

std::vector<std::string> distribution_differences(const Lock& lock, const std::vector<InstalledVersion>& installed)
{
    const auto pinned = pinned_by_lock(lock);
    std::map<std::string, const InstalledVersion*> present;
    for (const auto& distribution : installed)
        present.emplace(normalize_name(distribution.name), &distribution);
    std::vector<std::string> differences;
    for (const auto& [key, pin] : pinned) {
        const auto found = present.find(key);
        if (found == present.end())
            differences.push_back(fmt::format("{} {}: in the lock, not installed", pin.name, pin.version));
        else if (!satisfies(pin.version, found->second->version))
            differences.push_back(fmt::format("{}: the lock pins {}, {} is installed", pin.name, pin.version,
                                              found->second->version));
    }
    if (!lock.installed.empty())
        for (const auto& [key, distribution] : present)
            if (!pinned.contains(key))
                differences.push_back(fmt::format("{} {}: installed, not in the lock", distribution->name,
                                                  distribution->version));
    return differences;
}

}  // namespace envpin
