#include "resolver/lock_update.hpp"

#include <fmt/format.h>

#include "resolver/resolve.hpp"

namespace envpin {
namespace {

Expected<TargetResolution> resolve_target(const Catalog& catalog, const LockRequest& recorded,
                                          const std::optional<Target>& target, HostFacts facts,
                                          std::string_view spec_origin)
{
    const auto prefix = target ? fmt::format("{}: [[target]] {}: ", spec_origin, target->name)
                               : fmt::format("{}: ", spec_origin);
    auto request = ENVPIN_TRY(make_request(catalog, request_text(recorded, prefix, target)));
    auto resolution = ENVPIN_TRY(resolve(catalog, request, facts));
    return TargetResolution{target, std::move(request), std::move(facts), std::move(resolution)};
}

// The section `resolved` gives, keeping what `existing` recorded beyond the resolution when it
// resolved the same.
Lock section_of(const TargetResolution& resolved, const LockRequest& recorded, const std::optional<LockFile>& existing)
{
    auto section = lock_from_plan(std::get<Plan>(resolved.resolution), recorded);
    section.target = resolved.target;
    if (!resolved.target)
        section.made_for = made_for(resolved.facts);
    const auto* before = existing ? existing->section(resolved.target ? resolved.target->name : "") : nullptr;
    if (before != nullptr && before->target.has_value() == section.target.has_value() &&
        lock_differences(*before, section).empty()) {
        section.installed = before->installed;
        if (before->made_for)
            section.made_for = before->made_for;
    }
    return section;
}

}  // namespace

const TargetResolution* LockUpdate::conflict() const
{
    for (const auto& resolved : resolutions)
        if (!std::holds_alternative<Plan>(resolved.resolution))
            return &resolved;
    return nullptr;
}

Expected<LockUpdate> update_lock(const Catalog& catalog, const Spec& spec, const HostFacts& host,
                                 const std::optional<LockFile>& existing, std::string_view spec_origin)
{
    const auto recorded = lock_request(spec);
    LockUpdate update;
    if (spec.targets.empty())
        update.resolutions.push_back(ENVPIN_TRY(resolve_target(catalog, recorded, std::nullopt, host, spec_origin)));
    for (const auto& target : spec.targets)
        update.resolutions.push_back(ENVPIN_TRY(
            resolve_target(catalog, recorded, target, ENVPIN_TRY(target_facts(catalog, target, spec_origin)), spec_origin)));
    if (update.conflict() != nullptr)
        return update;
    LockFile file;
    for (const auto& resolved : update.resolutions)
        file.sections.push_back(section_of(resolved, recorded, existing));
    if (existing)
        update.differences = lock_file_differences(*existing, file);
    update.lock = std::move(file);
    return update;
}

std::optional<HostFacts> recorded_host(const LockFile& lock)
{
    if (lock.targeted() || lock.sections.empty() || !lock.sections.front().made_for)
        return std::nullopt;
    return made_for_facts(*lock.sections.front().made_for);
}

} // namespace envpin
