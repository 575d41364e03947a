#pragma once
// SQLite, wrapped: the only file that sees sqlite3* and sqlite3_stmt*. Every result code
// becomes an Error here (busy -> busy, corrupt/not a database -> corrupt, the rest -> sqlite).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace envpin::store {

// One prepared statement. Parameters are 1-based, columns 0-based (as in SQLite).
class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* statement);
    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    ~Statement();

    Statement& bind(int index, long long value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);
    Statement& bind(int index, const std::optional<long long>& value);

    // True while a row is available, false when done.
    [[nodiscard]] Expected<bool> step();
    // Steps to completion, for statements that return no rows.
    [[nodiscard]] Expected<void> run();
    // Clears bindings and rewinds, for reuse in a loop.
    void reset();

    [[nodiscard]] long long integer(int column) const;
    [[nodiscard]] std::string text(int column) const;
    [[nodiscard]] std::string_view blob(int column) const;  // valid until the next step
    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::optional<long long> optional_integer(int column) const;
    [[nodiscard]] std::optional<std::string> optional_text(int column) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* statement_ = nullptr;
};

enum class OpenMode { read_write, create };

class Database {
public:
    // Opens `path` in WAL mode with foreign keys on and synchronous=FULL (a snapshot reported
    // as recorded survives power loss). `busy_timeout` bounds waits on SQLite's own locks.
    [[nodiscard]] static Expected<Database> open(const std::filesystem::path& path, OpenMode mode);

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    [[nodiscard]] Expected<void> exec(std::string_view sql);
    [[nodiscard]] Expected<Statement> prepare(std::string_view sql);
    [[nodiscard]] long long last_insert_id() const;
    [[nodiscard]] Expected<long long> user_version();
    [[nodiscard]] Expected<void> set_user_version(long long version);

private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

// How a transaction's commit reaches the disk. synced: flushed before commit() returns
// (synchronous=FULL, the store's setting). unsynced: flushed by the next synced commit or
// checkpoint (synchronous=NORMAL in WAL mode); a power cut may lose it but never corrupts the
// database, so it is only for what can be computed again (the stat cache).
enum class Durability { synced, unsynced };

// BEGIN IMMEDIATE ... COMMIT. Rolls back when destroyed without commit(); never commits in a
// destructor.
class Transaction {
public:
    [[nodiscard]] static Expected<Transaction> begin(Database& database, Durability durability = Durability::synced);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    [[nodiscard]] Expected<void> commit();

private:
    Transaction(Database& database, Durability durability) : database_(&database), durability_(durability) {}
    // Back to synchronous=FULL after an unsynced transaction ends.
    [[nodiscard]] Expected<void> restore_durability();
    Database* database_ = nullptr;
    Durability durability_ = Durability::synced;
};

}  // namespace envpin::store
