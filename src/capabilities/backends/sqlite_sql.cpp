// The SQLite SQL backend (sql.h): one connection behind a mutex, parameters bound with
// sqlite3_bind_*, `$1`-style parameters as PostgreSQL writes them (SQLite reads `$1` as a named
// parameter; they are bound by their number). Prepared statements stay compiled for the life of
// the backend. Results carry SQLite's storage class; a column declared BOOL or BOOLEAN reads as
// a boolean.
#include "sql.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <map>
#include <mutex>

#include <sqlite3.h>

namespace cirrus::capabilities {

Error sql_error(SqlErrorKind kind, std::string message) {
    switch (kind) {
    case SqlErrorKind::InvalidParams: return Error(ErrorKind::Usage, std::move(message));
    case SqlErrorKind::InvalidQuery: return Error(ErrorKind::Invalid, std::move(message));
    case SqlErrorKind::Unexpected: break;
    }
    return Error(ErrorKind::Other, std::move(message));
}

SqlErrorKind sql_error_kind(const Error& e) {
    if (e.kind == ErrorKind::Usage) return SqlErrorKind::InvalidParams;
    if (e.kind == ErrorKind::Invalid) return SqlErrorKind::InvalidQuery;
    return SqlErrorKind::Unexpected;
}

namespace {

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

bool only_space(const char* p) {
    for (; p && *p; ++p) {
        if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') return false;
    }
    return true;
}

class SqliteDatabase final : public SqlDatabase {
public:
    explicit SqliteDatabase(sqlite3* db) : db_(db) {}
    ~SqliteDatabase() override {
        statements_.clear();
        sqlite3_close_v2(db_);
    }

    Result<std::vector<SqlRow>> query(std::string_view sql,
                                      std::span<const SqlValue> params) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY_ASSIGN(Stmt stmt, compile(sql));
        CIRRUS_TRY(bind(stmt.get(), params));
        std::vector<SqlRow> rows;
        CIRRUS_TRY(step_all(stmt.get(), &rows));
        return rows;
    }

    Result<void> batch(std::string_view sql) override {
        std::lock_guard lock(mutex_);
        char* msg = nullptr;
        std::string text(sql);
        if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
            Error e = classify(msg ? msg : sqlite3_errmsg(db_));
            sqlite3_free(msg);
            return e;
        }
        return {};
    }

    Result<uint64_t> prepare(std::string_view sql) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY_ASSIGN(Stmt stmt, compile(sql));
        uint64_t id = next_id_++;
        statements_.emplace(id, std::move(stmt));
        return id;
    }

    Result<uint64_t> exec(uint64_t statement, std::span<const SqlValue> params) override {
        std::lock_guard lock(mutex_);
        auto it = statements_.find(statement);
        if (it == statements_.end())
            return sql_error(SqlErrorKind::Unexpected, "unknown prepared statement");
        sqlite3_stmt* s = it->second.get();
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        CIRRUS_TRY(bind(s, params));
        CIRRUS_TRY(step_all(s, nullptr));
        uint64_t changed = static_cast<uint64_t>(sqlite3_changes64(db_));
        sqlite3_reset(s);
        return changed;
    }

private:
    Error classify(std::string_view msg) {
        int code = sqlite3_extended_errcode(db_);
        int primary = code & 0xff;
        std::string text = fmt::format("SQLite: {}", msg);
        if (primary == SQLITE_RANGE || primary == SQLITE_MISMATCH)
            return sql_error(SqlErrorKind::InvalidParams, std::move(text));
        if (primary == SQLITE_ERROR) return sql_error(SqlErrorKind::InvalidQuery, std::move(text));
        return sql_error(SqlErrorKind::Unexpected, std::move(text));
    }

    Result<Stmt> compile(std::string_view sql) {
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        if (sql.size() > static_cast<size_t>(INT32_MAX))
            return sql_error(SqlErrorKind::InvalidQuery, "statement too long");
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
        Stmt stmt(raw);
        if (rc != SQLITE_OK) return classify(sqlite3_errmsg(db_));
        if (!stmt) return sql_error(SqlErrorKind::InvalidQuery, "SQLite: the statement is empty");
        if (tail && tail < sql.data() + sql.size() &&
            !only_space(std::string(tail, sql.data() + sql.size() - tail).c_str()))
            return sql_error(SqlErrorKind::InvalidQuery,
                             "SQLite: more than one statement (use query-batch for several)");
        return stmt;
    }

    // Parameters by position: `$n` (and `?n`) name the n-th value; a plain `?` takes its index.
    Result<void> bind(sqlite3_stmt* s, std::span<const SqlValue> params) {
        int count = sqlite3_bind_parameter_count(s);
        std::vector<bool> used(params.size(), false);
        for (int idx = 1; idx <= count; ++idx) {
            const char* name = sqlite3_bind_parameter_name(s, idx);
            size_t n = static_cast<size_t>(idx);
            if (name && (name[0] == '$' || name[0] == '?') && name[1]) {
                std::string_view digits(name + 1);
                auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
                if (ec != std::errc() || end != digits.data() + digits.size())
                    return sql_error(SqlErrorKind::InvalidParams,
                                     fmt::format("parameter `{}` is not $1, $2, ...", name));
            } else if (name) {
                return sql_error(SqlErrorKind::InvalidParams,
                                 fmt::format("parameter `{}` is not $1, $2, ...", name));
            }
            if (n == 0 || n > params.size())
                return sql_error(SqlErrorKind::InvalidParams,
                                 fmt::format("the statement uses parameter ${} but {} were given",
                                             n, params.size()));
            used[n - 1] = true;
            const SqlValue& v = params[n - 1];
            int rc = SQLITE_OK;
            switch (v.kind) {
            case SqlValue::Kind::Null: rc = sqlite3_bind_null(s, idx); break;
            case SqlValue::Kind::Bool: rc = sqlite3_bind_int64(s, idx, v.b ? 1 : 0); break;
            case SqlValue::Kind::Int: rc = sqlite3_bind_int64(s, idx, v.i); break;
            case SqlValue::Kind::Float: rc = sqlite3_bind_double(s, idx, v.f); break;
            case SqlValue::Kind::Text:
                rc = sqlite3_bind_text64(s, idx, v.s.data(), v.s.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
                break;
            case SqlValue::Kind::Bytes:
                rc = sqlite3_bind_blob64(s, idx, v.s.data(), v.s.size(), SQLITE_TRANSIENT);
                break;
            }
            if (rc != SQLITE_OK) return classify(sqlite3_errmsg(db_));
        }
        for (size_t i = 0; i < used.size(); ++i) {
            if (!used[i])
                return sql_error(SqlErrorKind::InvalidParams,
                                 fmt::format("{} parameters given but the statement does not use "
                                             "${}",
                                             params.size(), i + 1));
        }
        return {};
    }

    Result<void> step_all(sqlite3_stmt* s, std::vector<SqlRow>* rows) {
        for (;;) {
            int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                Error e = classify(sqlite3_errmsg(db_));
                sqlite3_reset(s);
                return e;
            }
            if (!rows) continue;
            SqlRow row;
            int cols = sqlite3_column_count(s);
            for (int c = 0; c < cols; ++c) {
                SqlColumn col;
                const char* name = sqlite3_column_name(s, c);
                col.name = name ? name : "";
                const char* decl = sqlite3_column_decltype(s, c);
                std::string d = decl ? decl : "";
                for (auto& ch : d)
                    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                switch (sqlite3_column_type(s, c)) {
                case SQLITE_INTEGER:
                    if (d == "BOOL" || d == "BOOLEAN")
                        col.value = SqlValue::boolean(sqlite3_column_int64(s, c) != 0);
                    else
                        col.value = SqlValue::integer(sqlite3_column_int64(s, c));
                    break;
                case SQLITE_FLOAT: col.value = SqlValue::real(sqlite3_column_double(s, c)); break;
                case SQLITE_TEXT: {
                    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
                    col.value = SqlValue::text(
                        std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, c))));
                    break;
                }
                case SQLITE_BLOB: {
                    auto* p = static_cast<const char*>(sqlite3_column_blob(s, c));
                    size_t n = static_cast<size_t>(sqlite3_column_bytes(s, c));
                    col.value = SqlValue::bytes(p ? std::string(p, n) : std::string());
                    break;
                }
                default: col.value = SqlValue::null(); break;
                }
                row.push_back(std::move(col));
            }
            rows->push_back(std::move(row));
        }
        return {};
    }

    std::mutex mutex_;
    sqlite3* db_;
    std::map<uint64_t, Stmt> statements_;
    uint64_t next_id_ = 1;
};

} // namespace

Result<std::unique_ptr<SqlDatabase>> open_sqlite(const std::string& path) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (path.empty()) flags |= SQLITE_OPEN_MEMORY;
    int rc = sqlite3_open_v2(path.empty() ? ":memory:" : path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return Error(ErrorKind::Io, fmt::format("SQLite: cannot open {}: {}",
                                                path.empty() ? ":memory:" : path, msg));
    }
    // Values are bounded at 64 MiB (SQLite allows 1 GB) and statement text at 1 MiB.
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 64 << 20);
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
    sqlite3_extended_result_codes(db, 1);
    return std::unique_ptr<SqlDatabase>(std::make_unique<SqliteDatabase>(db));
}

} // namespace cirrus::capabilities
