#include "store/core/database.hpp"

#include <unistd.h>

#include <sqlite3.h>

#include <cerrno>
#include <utility>

#include "sys/file.hpp"

namespace envpin::store {
namespace {

Error sqlite_error(sqlite3* db, int code, std::string_view doing)
{
    const auto primary = code & 0xff;
    const auto kind = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? ErrorCode::busy
                      : primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? ErrorCode::corrupt
                      : primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ? ErrorCode::io
                                                                                                         : ErrorCode::sqlite;
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    // What the operating system said, and which file: "disk I/O error" alone names neither.
    if (db != nullptr && kind == ErrorCode::io) {
        if (const int system = sqlite3_system_errno(db); system != 0)
            detail += fmt::format(" ({})", sys::errno_text(system));
        else if (primary == SQLITE_FULL)
            detail += fmt::format(" ({})", sys::errno_text(ENOSPC));
        if (const char* file = sqlite3_db_filename(db, "main"); file != nullptr && *file != '\0')
            detail += fmt::format(" in {}", file);
    }
    return Error{kind, fmt::format("{}: {}", doing, detail), {}};
}

}  // namespace

Statement::Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr))
{
}

Statement& Statement::operator=(Statement&& other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(statement_);
        db_ = other.db_;
        statement_ = std::exchange(other.statement_, nullptr);
    }
    return *this;
}

Statement::~Statement()
{
    sqlite3_finalize(statement_);
}

Statement& Statement::bind(int index, long long value)
{
    sqlite3_bind_int64(statement_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes)
{
    sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int index)
{
    sqlite3_bind_null(statement_, index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<long long>& value)
{
    return value ? bind(index, *value) : bind_null(index);
}

Expected<bool> Statement::step()
{
    const int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW)
        return true;
    if (code == SQLITE_DONE)
        return false;
    auto error = sqlite_error(db_, code, "SQLite statement failed");
    sqlite3_reset(statement_);
    return std::unexpected(std::move(error));
}

Expected<void> Statement::run()
{
    while (ENVPIN_TRY(step())) {
    }
    sqlite3_reset(statement_);
    return {};
}

void Statement::reset()
{
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

long long Statement::integer(int column) const
{
    return sqlite3_column_int64(statement_, column);
}

std::string Statement::text(int column) const
{
    const auto* text = sqlite3_column_text(statement_, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text),
                                                         static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string_view Statement::blob(int column) const
{
    const auto* data = static_cast<const char*>(sqlite3_column_blob(statement_, column));
    return data == nullptr ? std::string_view() : std::string_view(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

bool Statement::is_null(int column) const
{
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::optional<long long> Statement::optional_integer(int column) const
{
    if (is_null(column))
        return std::nullopt;
    return integer(column);
}

std::optional<std::string> Statement::optional_text(int column) const
{
    if (is_null(column))
        return std::nullopt;
    return text(column);
}

Expected<Database> Database::open(const std::filesystem::path& path, OpenMode mode)
{
    // SQLite opens the file at the first statement, and where the system refuses to open it for
    // writing it quietly opens it read-only: the first write would then fail as "attempt to
    // write a readonly database", without the system's reason. A refusal gets one more try
    // (the failure may have been passing); a second one is said as what it is.
    for (int attempt = 0;; ++attempt) {
        sqlite3* raw = nullptr;
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (mode == OpenMode::create ? SQLITE_OPEN_CREATE : 0);
        const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
        Database database(raw);  // owns the handle even when opening failed
        if (code != SQLITE_OK)
            return std::unexpected(sqlite_error(raw, code, fmt::format("cannot open {}", path.string())));
        sqlite3_busy_timeout(raw, 10000);
        sqlite3_extended_result_codes(raw, 1);
        ENVPIN_TRY(database.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
        // Read-only where the permissions say so (a store shared for reading), as before.
        if (sqlite3_db_readonly(raw, "main") != 1 || ::access(path.c_str(), W_OK) != 0)
            return database;
        if (attempt == 1)
            return fail(ErrorCode::io, "cannot open {} for writing: the system refused it twice (SQLite could only read it)",
                        path.string());
    }
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept
{
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

Database::~Database()
{
    sqlite3_close_v2(db_);
}

Expected<void> Database::exec(std::string_view sql)
{
    char* message = nullptr;
    const int code = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
    if (code == SQLITE_OK)
        return {};
    sqlite3_free(message);  // sqlite3_errmsg says the same
    return std::unexpected(sqlite_error(db_, code, "SQLite"));
}

Expected<Statement> Database::prepare(std::string_view sql)
{
    sqlite3_stmt* statement = nullptr;
    const int code = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
    if (code != SQLITE_OK)
        return std::unexpected(sqlite_error(db_, code, "SQLite prepare"));
    return Statement(db_, statement);
}

long long Database::last_insert_id() const
{
    return sqlite3_last_insert_rowid(db_);
}

Expected<long long> Database::user_version()
{
    auto statement = ENVPIN_TRY(prepare("PRAGMA user_version"));
    if (!ENVPIN_TRY(statement.step()))
        return 0;
    return statement.integer(0);
}

Expected<void> Database::set_user_version(long long version)
{
    return exec(fmt::format("PRAGMA user_version = {}", version));
}

Expected<Transaction> Transaction::begin(Database& database, Durability durability)
{
    if (durability == Durability::unsynced)
        ENVPIN_TRY(database.exec("PRAGMA synchronous=NORMAL"));
    if (auto begun = database.exec("BEGIN IMMEDIATE"); !begun) {
        if (durability == Durability::unsynced)
            (void)database.exec("PRAGMA synchronous=FULL");
        return std::unexpected(std::move(begun.error()));
    }
    return Transaction(database, durability);
}

Transaction::Transaction(Transaction&& other) noexcept
    : database_(std::exchange(other.database_, nullptr)), durability_(other.durability_)
{
}

Transaction::~Transaction()
{
    if (database_ != nullptr) {
        (void)database_->exec("ROLLBACK");
        (void)restore_durability();
    }
}

Expected<void> Transaction::commit()
{
    ENVPIN_TRY(database_->exec("COMMIT"));
    auto restored = restore_durability();
    database_ = nullptr;
    return restored;
}

Expected<void> Transaction::restore_durability()
{
    if (durability_ == Durability::unsynced)
        return database_->exec("PRAGMA synchronous=FULL");
    return {};
}

}  // namespace envpin::store
