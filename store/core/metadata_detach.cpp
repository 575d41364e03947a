// Metadata queries for the background detach of link-then-copy.
#include "store/core/metadata.hpp"

namespace envpin::store {
namespace {

constexpr std::string_view detach_columns =
    "id, environment_id, snapshot_id, objects, queued_ns, finished_ns, copied, copied_bytes, damaged";

DetachRecord detach_from(const Statement& row)
{
    return {row.integer(0), row.integer(1), row.integer(2), std::string(row.blob(3)), row.integer(4),
            row.optional_integer(5), row.integer(6), row.integer(7), row.integer(8)};
}

}  // namespace

Expected<long long> Metadata::queue_detach(long long environment_id, long long snapshot_id,
                                           std::string_view packed_objects, long long queued_ns)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT INTO detaches (environment_id, snapshot_id, objects, queued_ns) VALUES (?, ?, ?, ?)"));
    statement.bind(1, environment_id).bind(2, snapshot_id).bind_blob(3, packed_objects).bind(4, queued_ns);
    ENVPIN_TRY(statement.run());
    return database_.last_insert_id();
}

Expected<std::vector<DetachRecord>> Metadata::pending_detaches()
{
    auto statement = ENVPIN_TRY(database_.prepare(
        fmt::format("SELECT {} FROM detaches WHERE finished_ns IS NULL ORDER BY id", detach_columns)));
    std::vector<DetachRecord> records;
    while (ENVPIN_TRY(statement.step()))
        records.push_back(detach_from(statement));
    return records;
}

Expected<void> Metadata::finish_detach(const DetachRecord& finished)
{
    // The objects list is dropped: it only served the copy.
    auto statement = ENVPIN_TRY(database_.prepare(
        "UPDATE detaches SET finished_ns = ?, copied = ?, copied_bytes = ?, damaged = ?, objects = x'' WHERE id = ?"));
    statement.bind(1, finished.finished_ns).bind(2, finished.copied).bind(3, finished.copied_bytes);
    statement.bind(4, finished.damaged).bind(5, finished.id);
    return statement.run();
}

Expected<std::optional<DetachRecord>> Metadata::latest_detach(long long environment_id)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM detaches WHERE environment_id = ? ORDER BY id DESC LIMIT 1", detach_columns)));
    statement.bind(1, environment_id);
    if (!ENVPIN_TRY(statement.step()))
        return std::optional<DetachRecord>();
    return std::optional<DetachRecord>(detach_from(statement));
}

Expected<void> Metadata::record_damaged_object(const DamagedObject& damaged)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT OR REPLACE INTO damaged_objects (object, detected, detail) VALUES (?, ?, ?)"));
    statement.bind(1, damaged.object).bind(2, damaged.detected).bind(3, damaged.detail);
    return statement.run();
}

Expected<std::vector<DamagedObject>> Metadata::damaged_objects()
{
    auto statement = ENVPIN_TRY(database_.prepare("SELECT object, detected, detail FROM damaged_objects ORDER BY object"));
    std::vector<DamagedObject> damaged;
    while (ENVPIN_TRY(statement.step()))
        damaged.push_back({statement.text(0), statement.text(1), statement.text(2)});
    return damaged;
}

Expected<void> Metadata::forget_damaged_object(std::string_view object)
{
    auto statement = ENVPIN_TRY(database_.prepare("DELETE FROM damaged_objects WHERE object = ?"));
    statement.bind(1, object);
    return statement.run();
}

}  // namespace envpin::store
