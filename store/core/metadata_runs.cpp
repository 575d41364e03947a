// Metadata queries for verification runs and the journal of multi-step operations.
#include "store/core/metadata.hpp"

namespace envpin::store {

Expected<long long> Metadata::record_verify_run(const VerifyRunRecord& run)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(database_));
    auto insert_run = ENVPIN_TRY(database_.prepare(
        "INSERT INTO verify_runs (snapshot_id, fingerprint, status, started, duration_ms, suite_version, host) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert_run.bind(1, run.snapshot_id).bind(2, run.fingerprint).bind(3, run.passed ? "pass" : "fail");
    insert_run.bind(4, run.started).bind(5, run.duration_ms).bind(6, run.suite_version).bind(7, run.host_json);
    ENVPIN_TRY(insert_run.run());
    const auto run_id = database_.last_insert_id();
    auto insert_check = ENVPIN_TRY(database_.prepare(
        "INSERT INTO verify_checks (run_id, position, name, status, result) VALUES (?, ?, ?, ?, ?)"));
    for (size_t i = 0; i < run.checks.size(); ++i) {
        const auto& check = run.checks[i];
        insert_check.reset();
        insert_check.bind(1, run_id).bind(2, static_cast<long long>(i)).bind(3, check.name);
        insert_check.bind(4, check.status).bind(5, check.json);
        ENVPIN_TRY(insert_check.run());
    }
    ENVPIN_TRY(transaction.commit());
    return run_id;
}

Expected<std::optional<VerifyRun>> Metadata::latest_verify_run(long long snapshot_id, std::string_view fingerprint)
{
    auto select_run = ENVPIN_TRY(database_.prepare(
        "SELECT id, status, started, duration_ms, suite_version, host FROM verify_runs "
        "WHERE snapshot_id = ? AND fingerprint = ? ORDER BY id DESC LIMIT 1"));
    select_run.bind(1, snapshot_id).bind(2, fingerprint);
    if (!ENVPIN_TRY(select_run.step()))
        return std::optional<VerifyRun>();
    VerifyRun run{select_run.integer(0),
                  {snapshot_id, std::string(fingerprint), select_run.text(1) == "pass", select_run.text(2),
                   select_run.integer(3), select_run.text(4), select_run.text(5), {}}};
    auto select_checks = ENVPIN_TRY(database_.prepare(
        "SELECT name, status, result FROM verify_checks WHERE run_id = ? ORDER BY position"));
    select_checks.bind(1, run.id);
    while (ENVPIN_TRY(select_checks.step()))
        run.record.checks.push_back({select_checks.text(0), select_checks.text(1), select_checks.text(2)});
    return run;
}

Expected<std::unordered_map<long long, bool>> Metadata::verified_marks(long long environment_id,
                                                                    const std::optional<std::string>& fingerprint)
{
    // The newest run per snapshot (on the fingerprint, when one is given) decides its mark.
    auto statement = ENVPIN_TRY(database_.prepare(
        "SELECT r.snapshot_id, r.status FROM verify_runs r JOIN snapshots s ON s.id = r.snapshot_id "
        "WHERE s.environment_id = ?1 AND (?2 IS NULL OR r.fingerprint = ?2) AND r.id = ("
        "  SELECT max(r2.id) FROM verify_runs r2 WHERE r2.snapshot_id = r.snapshot_id "
        "  AND (?2 IS NULL OR r2.fingerprint = ?2))"));
    statement.bind(1, environment_id);
    if (fingerprint)
        statement.bind(2, *fingerprint);
    else
        statement.bind_null(2);
    std::unordered_map<long long, bool> marks;
    while (ENVPIN_TRY(statement.step()))
        marks[statement.integer(0)] = statement.text(1) == "pass";
    return marks;
}

Expected<long long> Metadata::begin_journal(long long environment_id, std::string_view operation,
                                           std::string_view state, std::string_view payload)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT INTO journal (environment_id, operation, state, payload, created) VALUES (?, ?, ?, ?, ?)"));
    statement.bind(1, environment_id).bind(2, operation).bind(3, state).bind(4, payload).bind(5, utc_now());
    ENVPIN_TRY(statement.run());
    return database_.last_insert_id();
}

Expected<void> Metadata::update_journal(long long id, std::string_view state, std::string_view payload)
{
    auto statement = ENVPIN_TRY(database_.prepare("UPDATE journal SET state = ?, payload = ? WHERE id = ?"));
    statement.bind(1, state).bind(2, payload).bind(3, id);
    return statement.run();
}

Expected<void> Metadata::end_journal(long long id)
{
    auto statement = ENVPIN_TRY(database_.prepare("DELETE FROM journal WHERE id = ?"));
    statement.bind(1, id);
    return statement.run();
}

Expected<std::vector<JournalEntry>> Metadata::open_journals()
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "SELECT id, environment_id, operation, state, payload, created FROM journal ORDER BY id"));
    std::vector<JournalEntry> entries;
    while (ENVPIN_TRY(statement.step()))
        entries.push_back({statement.integer(0), statement.integer(1), statement.text(2), statement.text(3),
                           statement.text(4), statement.text(5)});
    return entries;
}

}  // namespace envpin::store
