#include "cli/run_proof.hpp"

namespace envpin::cli {
namespace {

// A stored run's checks as values (name, status and detail are what the rule reads).
Expected<std::vector<verify::CheckResult>> stored_checks(store::Metadata& metadata, long long run_id)
{
    std::vector<verify::CheckResult> checks;
    const auto run = ENVPIN_TRY(metadata.verify_run(run_id));
    if (!run)
        return checks;
    for (const auto& stored : run->record.checks) {
        verify::CheckResult check{.name = stored.name};
        check.status = verify::parse_check_status(stored.status).value_or(verify::CheckStatus::error);
        const auto document = nlohmann::json::parse(stored.json, nullptr, false);
        if (document.is_object())
            check.detail = document.value("detail", "");
        checks.push_back(std::move(check));
    }
    return checks;
}

}  // namespace

Expected<std::optional<verify::NotProven>> unproven_by_passes(store::Metadata& metadata, const store::Verdicts& verdicts,
                                                             const store::SnapshotInfo& snapshot)
{
    std::optional<verify::NotProven> unproven;
    for (const auto& run : verdicts.history(snapshot)) {
        if (!run.record.passed)
            continue;
        unproven = verify::not_proven(ENVPIN_TRY(stored_checks(metadata, run.id)));
        if (!unproven)
            return unproven;  // this pass proved every GPU check
    }
    return unproven;
}

}  // namespace envpin::cli
