// The PostgreSQL SQL backend (sql.h) over libpq: one connection behind a mutex, opened on first
// use and opened again when the server went away (a restarted server closes its connections;
// the next call notices before sending and reconnects). Parameters go out-of-line with
// PQexecParams / PQexecPrepared: text format with the OID the guest's value names, bytea in
// binary. Prepared statements are remembered by their text and prepared again on a new
// connection. Errors are classified by SQLSTATE.
#include "sql.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include <libpq-fe.h>
#include <poll.h>

namespace cirrus::capabilities {

namespace {

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters as libpq takes them; the strings live here for the call.
struct Params {
    std::vector<std::string> text;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<Oid> types;
};

Result<Params> encode(std::span<const SqlValue> params) {
    Params p;
    p.text.resize(params.size());
    p.values.resize(params.size(), nullptr);
    p.lengths.resize(params.size(), 0);
    p.formats.resize(params.size(), 0);
    p.types.resize(params.size(), 0);
    for (size_t n = 0; n < params.size(); ++n) {
        const SqlValue& v = params[n];
        std::string& t = p.text[n];
        Oid type = v.pg_type;
        switch (v.kind) {
        case SqlValue::Kind::Null: break;
        case SqlValue::Kind::Bool:
            t = v.b ? "true" : "false";
            if (!type) type = pg_oid::boolean;
            break;
        case SqlValue::Kind::Int:
            t = std::to_string(v.i);
            if (!type) type = pg_oid::int8;
            break;
        case SqlValue::Kind::Float:
            if (std::isnan(v.f))
                t = "NaN";
            else if (std::isinf(v.f))
                t = v.f > 0 ? "Infinity" : "-Infinity";
            else
                t = fmt::format("{}", v.f);
            if (!type) type = pg_oid::float8;
            break;
        case SqlValue::Kind::Text:
            if (v.s.find('\0') != std::string::npos)
                return sql_error(SqlErrorKind::InvalidParams,
                                 fmt::format("parameter ${} has a NUL character, which "
                                             "PostgreSQL text cannot hold",
                                             n + 1));
            t = v.s;
            break;
        case SqlValue::Kind::Bytes:
            t = v.s;
            p.formats[n] = 1;
            p.lengths[n] = static_cast<int>(v.s.size());
            if (!type) type = pg_oid::bytea;
            break;
        }
        if (v.kind != SqlValue::Kind::Null) p.values[n] = t.data();
        p.types[n] = type;
    }
    return p;
}

SqlValue decode(const PGresult* r, int row, int col) {
    Oid type = PQftype(r, col);
    if (PQgetisnull(r, row, col)) return SqlValue{SqlValue::Kind::Null, false, 0, 0, {}, type};
    const char* s = PQgetvalue(r, row, col);
    size_t len = static_cast<size_t>(PQgetlength(r, row, col));
    switch (type) {
    case pg_oid::boolean: return SqlValue::boolean(s[0] == 't', type);
    case pg_oid::int2:
    case pg_oid::int4:
    case pg_oid::int8:
    case pg_oid::oid: {
        int64_t v = 0;
        std::from_chars(s, s + len, v);
        return SqlValue::integer(v, type);
    }
    case pg_oid::float4:
    case pg_oid::float8: return SqlValue::real(std::strtod(s, nullptr), type);
    case pg_oid::bytea: {
        size_t n = 0;
        unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(s), &n);
        SqlValue v = SqlValue::bytes(raw ? std::string(reinterpret_cast<char*>(raw), n) : "", type);
        PQfreemem(raw);
        return v;
    }
    default: return SqlValue::text(std::string(s, len), type);
    }
}

class PostgresDatabase final : public SqlDatabase {
public:
    explicit PostgresDatabase(std::string conninfo) : conninfo_(std::move(conninfo)) {}
    ~PostgresDatabase() override {
        if (conn_) PQfinish(conn_);
    }

    Result<std::vector<SqlRow>> query(std::string_view sql,
                                      std::span<const SqlValue> params) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY_ASSIGN(Params p, encode(params));
        CIRRUS_TRY_ASSIGN(PGconn * c, connection());
        std::string text(sql);
        PgResult r(PQexecParams(c, text.c_str(), static_cast<int>(params.size()), p.types.data(),
                                p.values.data(), p.lengths.data(), p.formats.data(), 0));
        CIRRUS_TRY(check(r.get()));
        std::vector<SqlRow> rows;
        int nrows = PQntuples(r.get()), ncols = PQnfields(r.get());
        rows.reserve(static_cast<size_t>(nrows));
        for (int i = 0; i < nrows; ++i) {
            SqlRow row;
            row.reserve(static_cast<size_t>(ncols));
            for (int j = 0; j < ncols; ++j)
                row.push_back({PQfname(r.get(), j), decode(r.get(), i, j)});
            rows.push_back(std::move(row));
        }
        return rows;
    }

    Result<void> batch(std::string_view sql) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY_ASSIGN(PGconn * c, connection());
        std::string text(sql);
        PgResult r(PQexec(c, text.c_str()));
        return check(r.get());
    }

    Result<uint64_t> prepare(std::string_view sql) override {
        std::lock_guard lock(mutex_);
        uint64_t id = next_id_++;
        statements_.emplace(id, std::string(sql));
        auto ok = prepare_on_connection(id);
        if (!ok.ok()) {
            statements_.erase(id);
            return std::move(ok).error();
        }
        return id;
    }

    Result<uint64_t> exec(uint64_t statement, std::span<const SqlValue> params) override {
        std::lock_guard lock(mutex_);
        if (!statements_.count(statement))
            return sql_error(SqlErrorKind::Unexpected, "unknown prepared statement");
        CIRRUS_TRY_ASSIGN(Params p, encode(params));
        CIRRUS_TRY(prepare_on_connection(statement));
        std::string name = fmt::format("cirrus_{}", statement);
        PgResult r(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                  p.values.data(), p.lengths.data(), p.formats.data(), 0));
        CIRRUS_TRY(check(r.get()));
        const char* n = PQcmdTuples(r.get());
        uint64_t count = 0;
        if (n && *n) std::from_chars(n, n + std::strlen(n), count);
        return count;
    }

private:
    // The live connection: a new one when there is none or the server closed the old one.
    Result<PGconn*> connection() {
        if (conn_) {
            // Reads what the server sent while idle: a restarted or stopped server's
            // termination notice and the closed socket show up here, before a statement is
            // sent on a dead connection.
            for (int i = 0; i < 4 && PQstatus(conn_) == CONNECTION_OK; ++i) {
                pollfd p{PQsocket(conn_), POLLIN, 0};
                if (::poll(&p, 1, 0) <= 0) break;
                if (!PQconsumeInput(conn_)) break;
            }
            if (PQstatus(conn_) == CONNECTION_OK) return conn_;
            PQfinish(conn_);
            conn_ = nullptr;
        }
        const char* keys[] = {"connect_timeout", "dbname", nullptr};
        const char* vals[] = {"3", conninfo_.c_str(), nullptr};
        PGconn* c = PQconnectdbParams(keys, vals, 1);
        if (!c) return Error(ErrorKind::Io, "PostgreSQL: out of memory");
        if (PQstatus(c) != CONNECTION_OK) {
            std::string msg = PQerrorMessage(c);
            while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
            PQfinish(c);
            return Error(ErrorKind::Io, fmt::format("PostgreSQL unavailable: {}", msg));
        }
        // Server notices (NOTICE, WARNING) are not the host's to print.
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr);
        conn_ = c;
        prepared_.clear();
        return conn_;
    }

    Result<void> prepare_on_connection(uint64_t id) {
        CIRRUS_TRY_ASSIGN(PGconn * c, connection());
        if (prepared_.count(id)) return {};
        std::string name = fmt::format("cirrus_{}", id);
        PgResult r(PQprepare(c, name.c_str(), statements_.at(id).c_str(), 0, nullptr));
        CIRRUS_TRY(check(r.get()));
        prepared_.insert(id);
        return {};
    }

    Result<void> check(const PGresult* r) {
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return {};
        std::string msg = r ? PQresultErrorMessage(r) : "";
        if (msg.empty() && conn_) msg = PQerrorMessage(conn_);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        if (conn_ && PQstatus(conn_) != CONNECTION_OK)
            return Error(ErrorKind::Io, fmt::format("PostgreSQL connection lost: {}", msg));
        const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        std::string code = state ? state : "";
        std::string text = fmt::format("PostgreSQL{}: {}", code.empty() ? "" : " " + code, msg);
        if (code.starts_with("42") || code.starts_with("0A") || code.starts_with("26"))
            return sql_error(SqlErrorKind::InvalidQuery, std::move(text));
        if (code.starts_with("22") || code == "08P01")
            return sql_error(SqlErrorKind::InvalidParams, std::move(text));
        return sql_error(SqlErrorKind::Unexpected, std::move(text));
    }

    std::mutex mutex_;
    std::string conninfo_;
    PGconn* conn_ = nullptr;
    std::map<uint64_t, std::string> statements_;
    std::set<uint64_t> prepared_; // prepared on conn_
    uint64_t next_id_ = 1;
};

} // namespace

std::unique_ptr<SqlDatabase> open_postgres(const std::string& conninfo) {
    return std::make_unique<PostgresDatabase>(conninfo);
}

} // namespace cirrus::capabilities
