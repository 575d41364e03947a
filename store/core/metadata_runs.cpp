// Metadata queries for verification runs and the journal of multi-step operations.
#include "store/core/metadata.hpp"

#include "sys/crash_point.hpp"

namespace envpin::store {

namespace {

constexpr std::string_view run_columns =
    "r.id, r.snapshot_id, r.fingerprint, r.status, r.started, r.duration_ms, r.suite_version, r.host, r.context";

VerifyRun run_from(const Statement& row)
{
    return VerifyRun{row.integer(0),
                     {row.integer(1), row.text(2), row.text(3) == "pass", row.text(4), row.integer(5), row.text(6),
                      row.text(7), row.text(8), {}}};
}

}  // namespace

Expected<long long> Metadata::record_verify_run(const VerifyRunRecord& run)
{
    auto transaction = ENVPIN_TRY(Transaction::begin(database_));
    auto insert_run = ENVPIN_TRY(database_.prepare(
        "INSERT INTO verify_runs (snapshot_id, fingerprint, status, started, duration_ms, suite_version, host, context) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    insert_run.bind(1, run.snapshot_id).bind(2, run.fingerprint).bind(3, run.passed ? "pass" : "fail");
    insert_run.bind(4, run.started).bind(5, run.duration_ms).bind(6, run.suite_version).bind(7, run.host_json);
    insert_run.bind(8, run.context_json);
    ENVPIN_TRY(insert_run.run());
    sys::crash_point("verify-record");  // crash tests: a kill inside the transaction
    const auto run_id = database_.last_insert_id();
    auto insert_check = ENVPIN_TRY(database_.prepare(
        "INSERT INTO verify_checks (run_id, position, name, status, result) VALUES (?, ?, ?, ?, ?)"));
    for (size_t i = 0; i < run.checks.size(); ++i) {
        const auto& check = run.checks[i];
        insert_check.reset();
        insert_check.bind(1, run_id).bind(2, static_cast<long long>(i)).bind(3, check.name);
        insert_check.bind(4, check.status).bind(5, check.json);
        ENVPIN_TRY(insert_check.run());
        sys::crash_point("verify-record");
    }
    ENVPIN_TRY(transaction.commit());
    sys::crash_point("verify-record");  // and one after the commit
    return run_id;
}

Expected<std::vector<VerifyRun>> Metadata::verify_runs(long long environment_id,
                                                       const std::optional<std::string>& fingerprint)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM verify_runs r JOIN snapshots s ON s.id = r.snapshot_id "
        "WHERE s.environment_id = ?1 AND (?2 IS NULL OR r.fingerprint = ?2) ORDER BY r.id", run_columns)));
    statement.bind(1, environment_id);
    if (fingerprint)
        statement.bind(2, *fingerprint);
    else
        statement.bind_null(2);
    std::vector<VerifyRun> runs;
    while (ENVPIN_TRY(statement.step()))
        runs.push_back(run_from(statement));
    return runs;
}

Expected<std::optional<VerifyRun>> Metadata::verify_run(long long run_id)
{
    auto select_run = ENVPIN_TRY(database_.prepare(fmt::format("SELECT {} FROM verify_runs r WHERE r.id = ?", run_columns)));
    select_run.bind(1, run_id);
    if (!ENVPIN_TRY(select_run.step()))
        return std::optional<VerifyRun>();
    auto run = run_from(select_run);
    auto select_checks = ENVPIN_TRY(database_.prepare(
        "SELECT name, status, result FROM verify_checks WHERE run_id = ? ORDER BY position"));
    select_checks.bind(1, run.id);
    while (ENVPIN_TRY(select_checks.step()))
        run.record.checks.push_back({select_checks.text(0), select_checks.text(1), select_checks.text(2)});
    return run;
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
