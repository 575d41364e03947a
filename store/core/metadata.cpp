#include "store/core/metadata.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace envpin::store {
namespace {

// Each entry moves the schema from version i to i + 1. Never edit a released entry: append.
constexpr std::string_view migrations[] = {
    R"sql(
CREATE TABLE environments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  path TEXT NOT NULL UNIQUE,
  link_mode TEXT NOT NULL DEFAULT 'auto',
  created TEXT NOT NULL,
  current_snapshot INTEGER REFERENCES snapshots(id)
);
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  seq INTEGER NOT NULL,
  commit_id TEXT NOT NULL UNIQUE,
  parent_id INTEGER REFERENCES snapshots(id),
  created TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  state_digest BLOB NOT NULL,
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  UNIQUE (environment_id, seq)
);
CREATE TABLE distributions (
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  dist_info TEXT NOT NULL,
  name TEXT NOT NULL,
  normalized TEXT NOT NULL,
  version TEXT NOT NULL,
  installer TEXT NOT NULL,
  url TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, dist_info)
);
CREATE INDEX distributions_by_name ON distributions(normalized, version);
CREATE TABLE stat_cache (
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  path BLOB NOT NULL,
  dev INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  PRIMARY KEY (environment_id, path)
) WITHOUT ROWID;
CREATE TABLE verify_runs (
  id INTEGER PRIMARY KEY,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pass', 'fail')),
  started TEXT NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  suite_version TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX verify_runs_by_snapshot ON verify_runs(snapshot_id, fingerprint, id);
CREATE TABLE verify_checks (
  run_id INTEGER NOT NULL REFERENCES verify_runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip', 'error')),
  result TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
);
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  operation TEXT NOT NULL,
  state TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL
);
)sql",
    // 2: the stat cache becomes one packed value per environment (store/stat_cache.hpp), written
    // whole by each snapshot. The old rows are dropped: a cache only saves hashing.
    R"sql(
DROP TABLE stat_cache;
CREATE TABLE stat_caches (
  environment_id INTEGER PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
  format INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  packed BLOB NOT NULL
);
)sql",
    // 3: each verification run records its context (verify/runner/run_context.hpp: the CUDA_*, NCCL_*
    // and loader variables, visible GPUs, memory limits) as JSON; older runs read as '{}'.
    R"sql(
ALTER TABLE verify_runs ADD COLUMN context TEXT NOT NULL DEFAULT '{}';
)sql",
    // 4: the background detach of link-then-copy (store/lifecycle/detach.hpp): what is queued and
    // what each run measured, and the objects a detach found written in place; the stat cache's
    // overlay of small changes.
    R"sql(
CREATE TABLE detaches (
  id INTEGER PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  objects BLOB NOT NULL,
  queued_ns INTEGER NOT NULL,
  finished_ns INTEGER,
  copied INTEGER NOT NULL DEFAULT 0,
  copied_bytes INTEGER NOT NULL DEFAULT 0,
  damaged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX detaches_pending ON detaches(finished_ns, id);
CREATE TABLE damaged_objects (
  object TEXT PRIMARY KEY,
  detected TEXT NOT NULL,
  detail TEXT NOT NULL
);
-- the stat cache's small changes, applied on top of stat_caches.packed (store/stat_cache.hpp)
CREATE TABLE stat_cache_overlays (
  environment_id INTEGER PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
  entries INTEGER NOT NULL,
  packed BLOB NOT NULL
);
)sql",
    // 5: objects whose bytes were verified, with the stamp they had then (metadata_objects.cpp).
    R"sql(
CREATE TABLE verified_objects (
  object TEXT PRIMARY KEY,
  ino INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 6: `envpin forget` keeps an environment's snapshots but stops managing it: when it did. Its
    // path is then stored as "forgotten:<id>:<path>" (Metadata::forget_environment), which no
    // managed environment's absolute path can equal, so the directory can be adopted again.
    R"sql(
ALTER TABLE environments ADD COLUMN forgotten TEXT;
)sql",
    // 7: commits of snapshots `envpin prune` dropped. manifests.git keeps them (its branches are
    // never rewritten); gc and fsck no longer count them as snapshots to keep.
    R"sql(
CREATE TABLE pruned_commits (
  commit_id TEXT PRIMARY KEY,
  environment TEXT NOT NULL,
  label TEXT NOT NULL,
  pruned TEXT NOT NULL
) WITHOUT ROWID;
)sql",
};

constexpr std::string_view environment_columns = "id, name, path, link_mode, created, current_snapshot, forgotten";

// A forgotten environment's path column: its path after a prefix no absolute path has.
std::string forgotten_path(long long id, const std::string& path)
{
    return fmt::format("forgotten:{}:{}", id, path);
}
constexpr std::string_view snapshot_columns =
    "s.id, s.environment_id, e.name, s.seq, s.commit_id, s.parent_id, s.created, s.reason, s.message, "
    "s.state_digest, s.files, s.bytes";

Environment environment_from(const Statement& row)
{
    Environment environment{row.integer(0), row.text(1), row.text(2),
                            parse_link_mode(row.text(3)).value_or(LinkMode::automatic), row.text(4),
                            row.optional_integer(5), row.optional_text(6)};
    const auto prefix = forgotten_path(environment.id, "");
    if (environment.forgotten && environment.path.string().starts_with(prefix))
        environment.path = environment.path.string().substr(prefix.size());
    return environment;
}

SnapshotInfo snapshot_from(const Statement& row)
{
    SnapshotInfo info{row.integer(0), row.integer(1), row.text(2), row.integer(3), row.text(4),
                      row.optional_integer(5), row.text(6), row.text(7), row.text(8), {},
                      row.integer(10), row.integer(11)};
    const auto digest = row.blob(9);
    if (digest.size() == info.state.bytes.size())
        std::copy(digest.begin(), digest.end(), info.state.bytes.begin());
    return info;
}

std::string_view digest_bytes(const Digest& digest)
{
    return {reinterpret_cast<const char*>(digest.bytes.data()), digest.bytes.size()};
}

template <class T, class Make>
Expected<std::vector<T>> collect(Statement& statement, Make make)
{
    std::vector<T> rows;
    while (ENVPIN_TRY(statement.step()))
        rows.push_back(make(statement));
    return rows;
}

}  // namespace

std::string utc_now()
{
    return utc_time(std::time(nullptr));
}

std::string utc_time(std::time_t time)
{
    std::tm parts{};
    ::gmtime_r(&time, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

Expected<Metadata> Metadata::open(const std::filesystem::path& path, OpenMode mode)
{
    Metadata metadata(ENVPIN_TRY(Database::open(path, mode)));
    ENVPIN_TRY(metadata.migrate());
    return metadata;
}

Expected<void> Metadata::migrate()
{
    constexpr auto latest = static_cast<long long>(std::size(migrations));
    static_assert(latest == schema_version);
    if (ENVPIN_TRY(database_.user_version()) == latest)
        return {};
    auto transaction = ENVPIN_TRY(Transaction::begin(database_));
    const auto version = ENVPIN_TRY(database_.user_version());  // re-read under the write lock
    if (version > latest)
        return fail(ErrorCode::corrupt, "the store's database has schema version {}; this envpin knows up to {} "
                                        "(a newer envpin wrote it)", version, latest);
    for (auto step = version; step < latest; ++step)
        ENVPIN_TRY_CTX(fmt::format("migrating the database to schema {}", step + 1),
                       database_.exec(migrations[step]));
    ENVPIN_TRY(database_.set_user_version(latest));
    return transaction.commit();
}

Expected<std::optional<Environment>> Metadata::find_environment(std::string_view name)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format("SELECT {} FROM environments WHERE name = ?", environment_columns)));
    statement.bind(1, name);
    if (!ENVPIN_TRY(statement.step()))
        return std::optional<Environment>();
    return environment_from(statement);
}

Expected<std::optional<Environment>> Metadata::find_environment_by_path(const std::filesystem::path& path)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format("SELECT {} FROM environments WHERE path = ?", environment_columns)));
    statement.bind(1, path.string());
    if (!ENVPIN_TRY(statement.step()))
        return std::optional<Environment>();
    return environment_from(statement);
}

Expected<std::optional<Environment>> Metadata::environment_by_id(long long id)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format("SELECT {} FROM environments WHERE id = ?", environment_columns)));
    statement.bind(1, id);
    if (!ENVPIN_TRY(statement.step()))
        return std::optional<Environment>();
    return environment_from(statement);
}

Expected<std::vector<Environment>> Metadata::environments()
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format("SELECT {} FROM environments ORDER BY name", environment_columns)));
    return collect<Environment>(statement, environment_from);
}

Expected<long long> Metadata::insert_environment(const Environment& environment)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT INTO environments (name, path, link_mode, created) VALUES (?, ?, ?, ?)"));
    statement.bind(1, environment.name).bind(2, environment.path.string()).bind(3, to_string(environment.link_mode));
    statement.bind(4, environment.created);
    ENVPIN_TRY(statement.run());
    return database_.last_insert_id();
}

Expected<void> Metadata::forget_environment(const Environment& environment)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "UPDATE environments SET forgotten = ?, path = ? WHERE id = ? AND forgotten IS NULL"));
    statement.bind(1, utc_now()).bind(2, forgotten_path(environment.id, environment.path.string()));
    statement.bind(3, environment.id);
    return statement.run();
}

Expected<void> Metadata::set_current_snapshot(long long environment_id, long long snapshot_id)
{
    auto statement = ENVPIN_TRY(database_.prepare("UPDATE environments SET current_snapshot = ? WHERE id = ?"));
    statement.bind(1, snapshot_id).bind(2, environment_id);
    return statement.run();
}

Expected<std::vector<SnapshotInfo>> Metadata::snapshots(long long environment_id)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM snapshots s JOIN environments e ON e.id = s.environment_id WHERE s.environment_id = ? "
        "ORDER BY s.seq", snapshot_columns)));
    statement.bind(1, environment_id);
    return collect<SnapshotInfo>(statement, snapshot_from);
}

Expected<std::vector<SnapshotInfo>> Metadata::all_snapshots()
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM snapshots s JOIN environments e ON e.id = s.environment_id ORDER BY e.name, s.seq",
        snapshot_columns)));
    return collect<SnapshotInfo>(statement, snapshot_from);
}

Expected<std::optional<SnapshotInfo>> Metadata::snapshot(long long snapshot_id)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM snapshots s JOIN environments e ON e.id = s.environment_id WHERE s.id = ?", snapshot_columns)));
    statement.bind(1, snapshot_id);
    if (!ENVPIN_TRY(statement.step()))
        return std::optional<SnapshotInfo>();
    return snapshot_from(statement);
}

Expected<std::vector<SnapshotInfo>> Metadata::snapshots_by_commit_prefix(std::string_view prefix)
{
    auto statement = ENVPIN_TRY(database_.prepare(fmt::format(
        "SELECT {} FROM snapshots s JOIN environments e ON e.id = s.environment_id "
        "WHERE substr(s.commit_id, 1, ?) = lower(?) ORDER BY s.id", snapshot_columns)));
    statement.bind(1, static_cast<long long>(prefix.size())).bind(2, prefix);
    return collect<SnapshotInfo>(statement, snapshot_from);
}

Expected<SnapshotInfo> Metadata::insert_snapshot(const NewSnapshot& snapshot)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT INTO snapshots (environment_id, seq, commit_id, parent_id, created, reason, message, state_digest, "
        "files, bytes) VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM snapshots WHERE environment_id = ?1), "
        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    statement.bind(1, snapshot.environment_id).bind(2, snapshot.commit).bind(3, snapshot.parent_id);
    statement.bind(4, snapshot.created).bind(5, snapshot.reason).bind(6, snapshot.message);
    statement.bind_blob(7, digest_bytes(snapshot.state)).bind(8, snapshot.files).bind(9, snapshot.bytes);
    ENVPIN_TRY(statement.run());
    auto stored = ENVPIN_TRY(this->snapshot(database_.last_insert_id()));
    if (!stored)
        return fail(ErrorCode::internal, "snapshot row vanished after insert");
    return *stored;
}

Expected<void> Metadata::insert_distributions(long long snapshot_id, const std::vector<Distribution>& distributions)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT OR REPLACE INTO distributions (snapshot_id, dist_info, name, normalized, version, installer, url) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    for (const auto& d : distributions) {
        statement.reset();
        statement.bind(1, snapshot_id).bind(2, d.dist_info).bind(3, d.name).bind(4, normalize_name(d.name));
        statement.bind(5, d.version).bind(6, d.installer).bind(7, d.url);
        ENVPIN_TRY(statement.run());
    }
    return {};
}

Expected<std::vector<Distribution>> Metadata::distributions(long long snapshot_id)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "SELECT name, version, installer, url, dist_info FROM distributions WHERE snapshot_id = ? "
        "ORDER BY normalized, version, dist_info"));
    statement.bind(1, snapshot_id);
    return collect<Distribution>(statement, [](const Statement& row) {
        return Distribution{row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)};
    });
}

namespace {

// A packed cache value of `entries` rows; empty when absent or damaged (a cache only saves hashing).
StatCache unpacked_or_empty(const Statement& row, int entries_column, int packed_column)
{
    return unpack_stat_cache(row.blob(packed_column), row.integer(entries_column)).value_or(StatCache());
}

}  // namespace

Expected<StatCache> Metadata::load_stat_cache(long long environment_id)
{
    auto statement = ENVPIN_TRY(
        database_.prepare("SELECT format, entries, packed FROM stat_caches WHERE environment_id = ?"));
    statement.bind(1, environment_id);
    if (!ENVPIN_TRY(statement.step()) || statement.integer(0) != stat_cache_format)
        return StatCache();
    auto base = unpacked_or_empty(statement, 1, 2);
    const auto overlay = ENVPIN_TRY(load_stat_cache_overlay(environment_id));
    if (overlay.empty())
        return base;
    return apply_overlay(std::move(base), overlay);  // moves the rows: 70,000 paths are not copied
}

Expected<StatCache> Metadata::load_stat_cache_overlay(long long environment_id)
{
    auto statement = ENVPIN_TRY(
        database_.prepare("SELECT entries, packed FROM stat_cache_overlays WHERE environment_id = ?"));
    statement.bind(1, environment_id);
    if (!ENVPIN_TRY(statement.step()))
        return StatCache();
    return unpacked_or_empty(statement, 0, 1);
}

Expected<void> Metadata::replace_stat_cache(long long environment_id, const StatCache& cache)
{
    return replace_stat_cache(environment_id, pack_for_storing(cache));
}

Expected<void> Metadata::replace_stat_cache(long long environment_id, const PackedStatCache& packed)
{
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT OR REPLACE INTO stat_caches (environment_id, format, entries, packed) VALUES (?, ?, ?, ?)"));
    statement.bind(1, environment_id).bind(2, stat_cache_format).bind(3, packed.entries);
    statement.bind_blob(4, packed.bytes);
    ENVPIN_TRY(statement.run());
    auto clear = ENVPIN_TRY(database_.prepare("DELETE FROM stat_cache_overlays WHERE environment_id = ?"));
    clear.bind(1, environment_id);
    return clear.run();
}

Expected<void> Metadata::update_stat_cache(long long environment_id, const StatCacheDelta& delta,
                                           std::optional<StatCache> whole)
{
    if (delta.size() == 0)
        return {};
    auto overlay = add_to_overlay(ENVPIN_TRY(load_stat_cache_overlay(environment_id)), delta);
    // Beyond a quarter of the value's rows (and a few thousand) the overlay costs readers more
    // than one rewrite of the value.
    auto count = ENVPIN_TRY(database_.prepare("SELECT entries FROM stat_caches WHERE environment_id = ?"));
    count.bind(1, environment_id);
    const long long base = ENVPIN_TRY(count.step()) ? count.integer(0) : 0;
    if (overlay.size() > std::max<size_t>(stat_cache_overlay_limit, static_cast<size_t>(base / 4))) {
        if (!whole)
            whole = ENVPIN_TRY(load_stat_cache(environment_id));
        return replace_stat_cache(environment_id, apply_overlay(std::move(*whole), add_to_overlay({}, delta)));
    }
    auto statement = ENVPIN_TRY(database_.prepare(
        "INSERT OR REPLACE INTO stat_cache_overlays (environment_id, entries, packed) VALUES (?, ?, ?)"));
    statement.bind(1, environment_id).bind(2, static_cast<long long>(overlay.size()));
    statement.bind_blob(3, pack_stat_cache(overlay));
    return statement.run();
}

}  // namespace envpin::store
