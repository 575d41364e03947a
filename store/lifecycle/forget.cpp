#include "store/lifecycle/forget.hpp"

#include "store/lifecycle/spare.hpp"

namespace envpin::store {

Expected<ForgetOutcome> forget_environment(Store& store, const std::string& name, bool purge)
{
    if (!store.writable())
        return fail(ErrorCode::internal, "forget needs a writable store");
    ForgetOutcome outcome;
    outcome.environment = ENVPIN_TRY(store.environment(name, true));
    outcome.already_forgotten = outcome.environment.forgotten.has_value();
    const auto id = outcome.environment.id;
    // Its spare directories (spare.hpp) are envpin's, not the user's: they go first, while
    // the environment is still managed (a failure here changes nothing else).
    outcome.spares_removed = ENVPIN_TRY(remove_spares(outcome.environment.path));
    if (!purge) {
        outcome.snapshots = ENVPIN_TRY(store.metadata().snapshots(id)).size();
        if (!outcome.already_forgotten)
            ENVPIN_TRY(store.metadata().forget_environment(outcome.environment));
        return outcome;
    }
    ENVPIN_TRY(store.history().delete_branch(name));
    outcome.snapshots = ENVPIN_TRY(store.metadata().delete_environment(id));
    outcome.purged = true;
    return outcome;
}

}  // namespace envpin::store
