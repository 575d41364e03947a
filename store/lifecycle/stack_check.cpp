#include "store/lifecycle/stack_check.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "resolver/specifier.hpp"
#include "resolver/version.hpp"

namespace envpin::store {
namespace {

bool is_torch_family(std::string_view name)
{
    return name == "torch" || name == "torchvision" || name == "torchaudio";
}

// Exact versions start with a digit (or an epoch); specifiers with an operator.
bool is_exact(std::string_view version)
{
    return !version.empty() && std::isdigit(static_cast<unsigned char>(version.front()));
}

bool satisfies(const StackRequirement& requirement, const std::string& installed)
{
    const auto& required = requirement.version;
    const auto have = Version::parse(installed);
    if (!have)
        return required == installed;
    if (is_exact(required)) {
        const auto want = Version::parse(required);
        if (!want)
            return required == installed;
        if (requirement.unlabelled_ok && have->local_text().empty())
            return want->public_version() == have->public_version();
        return *want == *have && want->local() == have->local();
    }
    const auto specifier = SpecifierSet::parse(required);
    return specifier && specifier->contains(*have, PreReleases::include);
}

// "2.11.0+cu130" -> "2.11.0"; a version that does not parse stays as it is.
std::string without_local(const std::string& version)
{
    const auto parsed = Version::parse(version);
    return parsed && parsed->has_local() ? parsed->public_version().to_string() : version;
}

// A torch-family version carrying the lock's variant as its label ("0.26.0+cu130" for cu130).
bool labelled_with_variant(const Lock& lock, const std::string& version)
{
    const auto parsed = Version::parse(version);
    return parsed && !lock.stack.variant.empty() && parsed->local_text() == lock.stack.variant;
}

}  // namespace

std::string StackRequirement::requirement_text() const
{
    return name + (is_exact(version) ? "==" + version : version);
}

std::vector<StackRequirement> stack_requirements(const Lock& lock, bool pypi_build)
{
    std::vector<StackRequirement> required;
    const auto add = [&](const std::string& name, const std::string& version) {
        const auto normalized = normalize_name(name);
        if (std::ranges::find(required, normalized, &StackRequirement::name) != required.end())
            return;
        const bool unlabelled_ok =
            pypi_build && is_torch_family(normalized) && labelled_with_variant(lock, version);
        required.push_back({normalized, version, unlabelled_ok});
    };
    for (const auto& package : lock.packages)
        add(package.name, package.version);
    for (const auto& pin : lock.pins)
        if (pin.kind == "requires")
            add(pin.name, pin.version);
    return required;
}

std::vector<std::string> torch_family_requirements(const Lock& lock, bool public_versions)
{
    const auto pinned = [public_versions](const std::string& version) {
        return public_versions ? without_local(version) : version;
    };
    std::vector<std::string> requirements;
    for (const auto& package : lock.packages)
        if (is_torch_family(normalize_name(package.name)))
            requirements.push_back(fmt::format("{}{}{}", package.name, is_exact(package.version) ? "==" : "",
                                               is_exact(package.version) ? pinned(package.version) : package.version));
    if (requirements.empty() && !lock.stack.torch.empty())
        requirements.push_back("torch==" + pinned(lock.stack.torch));
    return requirements;
}

std::string StackMismatch::describe() const
{
    return fmt::format("{}: plan {}, {}", name, planned, installed.empty() ? "not installed" : "installed " + installed);
}

std::vector<StackMismatch> check_stack(const std::vector<StackRequirement>& required,
                                       const std::vector<Distribution>& installed)
{
    std::vector<StackMismatch> mismatches;
    for (const auto& requirement : required) {
        const auto found = std::ranges::find_if(installed, [&](const Distribution& distribution) {
            return normalize_name(distribution.name) == requirement.name;
        });
        if (found == installed.end())
            mismatches.push_back({requirement.name, requirement.version, ""});
        else if (!satisfies(requirement, found->version))
            mismatches.push_back({requirement.name, requirement.version, found->version});
    }
    return mismatches;
}

}  // namespace envpin::store
