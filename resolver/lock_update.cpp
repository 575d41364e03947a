#include "resolver/lock_update.hpp"

#include <fmt/format.h>

#include "resolver/resolve.hpp"

namespace envpin {

Expected<LockUpdate> update_lock(const Catalog& catalog, const Spec& spec, const HostFacts& host,
                                 const std::optional<Lock>& existing, std::string_view spec_origin)
{
    const auto recorded = lock_request(spec);
    auto request =
        ENVPIN_TRY(make_request(catalog, request_text(recorded, fmt::format("{}: ", spec_origin))));
    auto resolution = ENVPIN_TRY(resolve(catalog, request, host));
    LockUpdate update{std::move(request), std::move(resolution), std::nullopt, {}};
    const auto* plan = std::get_if<Plan>(&update.resolution);
    if (plan == nullptr)
        return update;
    update.lock = lock_from_plan(*plan, recorded);
    if (existing) {
        update.differences = lock_differences(*existing, *update.lock);
        if (update.differences.empty())
            update.lock->installed = existing->installed;
    }
    return update;
}

} // namespace envpin
