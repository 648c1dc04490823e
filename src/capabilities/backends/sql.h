// The SQL backend API behind wasmcloud:postgres: run a parameterized statement, run a batch,
// prepare a statement once and execute it many times. Parameters are always bound by the
// database's own binding (sqlite3_bind_*, PQexecParams / PQexecPrepared), never written into
// the statement text. Backends: SQLite (the embedded default, in memory or a file) and
// PostgreSQL (libpq). A backend is shared by every instance of a link and serializes its use.
#pragma once

#include "cirrus/support/result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus::capabilities {

// One parameter or result value. `pg_type` is the PostgreSQL type (an OID, see pg_type.h) the
// value is meant as or was read as; 0 leaves it to the kind (and, for text, to the server).
// Values PostgreSQL has no binary kind for here (dates, arrays, json, ...) travel as Text in
// PostgreSQL's text format with their OID.
struct SqlValue {
    enum class Kind : uint8_t { Null, Bool, Int, Float, Text, Bytes };
    Kind kind = Kind::Null;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s; // Text and Bytes
    uint32_t pg_type = 0;

    static SqlValue null() { return {}; }
    static SqlValue boolean(bool v, uint32_t t = 0) {
        SqlValue x;
        x.kind = Kind::Bool, x.b = v, x.pg_type = t;
        return x;
    }
    static SqlValue integer(int64_t v, uint32_t t = 0) {
        SqlValue x;
        x.kind = Kind::Int, x.i = v, x.pg_type = t;
        return x;
    }
    static SqlValue real(double v, uint32_t t = 0) {
        SqlValue x;
        x.kind = Kind::Float, x.f = v, x.pg_type = t;
        return x;
    }
    static SqlValue text(std::string v, uint32_t t = 0) {
        SqlValue x;
        x.kind = Kind::Text, x.s = std::move(v), x.pg_type = t;
        return x;
    }
    static SqlValue bytes(std::string v, uint32_t t = 0) {
        SqlValue x;
        x.kind = Kind::Bytes, x.s = std::move(v), x.pg_type = t;
        return x;
    }
    friend bool operator==(const SqlValue&, const SqlValue&) = default;
};

struct SqlColumn {
    std::string name;
    SqlValue value;
};
using SqlRow = std::vector<SqlColumn>;

// What went wrong, as wasmcloud:postgres tells a guest.
enum class SqlErrorKind : uint8_t {
    InvalidParams, // wrong number or type of parameters, a value the column cannot take
    InvalidQuery,  // the statement does not parse or names what does not exist
    Unexpected,    // anything else: a constraint, the server unreachable, ...
};
struct SqlError {
    SqlErrorKind kind = SqlErrorKind::Unexpected;
    std::string message;
};
// An Error whose kind carries the SqlErrorKind: Usage for invalid params, Invalid for an invalid
// query, Io when the database cannot be reached, Other for the rest.
Error sql_error(SqlErrorKind kind, std::string message);
SqlErrorKind sql_error_kind(const Error& e);

class SqlDatabase {
public:
    virtual ~SqlDatabase() = default;
    // Runs one statement with its parameters ($1, $2, ... in the text), returns the rows.
    virtual Result<std::vector<SqlRow>> query(std::string_view sql,
                                              std::span<const SqlValue> params) = 0;
    // Runs statements separated by `;`, no parameters.
    virtual Result<void> batch(std::string_view sql) = 0;
    // Prepares a statement; the number identifies it to exec for the life of the backend (a
    // backend that reconnects prepares it again on the new connection).
    virtual Result<uint64_t> prepare(std::string_view sql) = 0;
    // Executes a prepared statement, returns the number of rows it affected.
    virtual Result<uint64_t> exec(uint64_t statement, std::span<const SqlValue> params) = 0;
};

// SQLite: `path` is a database file, or empty for a private in-memory database.
Result<std::unique_ptr<SqlDatabase>> open_sqlite(const std::string& path);

// PostgreSQL through libpq: `conninfo` is a libpq connection string or URI. Connecting is
// lazy: a server that is down makes each call fail (Io) until it is back.
std::unique_ptr<SqlDatabase> open_postgres(const std::string& conninfo);

// PostgreSQL type OIDs the SQL layer names (pg_type.dat).
namespace pg_oid {
constexpr uint32_t boolean = 16, bytea = 17, char_ = 18, name = 19, int8 = 20, int2 = 21,
                   int2vector = 22, int4 = 23, text = 25, oid = 26, json = 114, xml = 142,
                   xml_array = 143, json_array = 199, point = 600, lseg = 601, path = 602,
                   box = 603, polygon = 604, line = 628, cidr = 650, cidr_array = 651, float4 = 700,
                   float8 = 701, circle = 718, macaddr8 = 774, money = 790, money_array = 791,
                   macaddr = 829, inet = 869, bool_array = 1000, bytea_array = 1001,
                   char_array = 1002, name_array = 1003, int2_array = 1005, int2vector_array = 1006,
                   int4_array = 1007, text_array = 1009, bpchar_array = 1014, varchar_array = 1015,
                   int8_array = 1016, point_array = 1017, lseg_array = 1018, path_array = 1019,
                   box_array = 1020, float4_array = 1021, float8_array = 1022, polygon_array = 1027,
                   line_array = 629, circle_array = 719, macaddr_array = 1040, inet_array = 1041,
                   macaddr8_array = 775, bpchar = 1042, varchar = 1043, date = 1082, time = 1083,
                   timestamp = 1114, timestamp_array = 1115, date_array = 1182, time_array = 1183,
                   timestamptz = 1184, timestamptz_array = 1185, interval = 1186,
                   interval_array = 1187, numeric_array = 1231, timetz = 1266, timetz_array = 1270,
                   bit = 1560, bit_array = 1561, varbit = 1562, varbit_array = 1563, numeric = 1700,
                   uuid = 2950, uuid_array = 2951, txid_snapshot = 2970, pg_lsn = 3220,
                   pg_lsn_array = 3221, tsvector = 3614, tsquery = 3615, jsonb = 3802,
                   jsonb_array = 3807, pg_snapshot = 5038, daterange = 3912, daterange_array = 3913;
} // namespace pg_oid

} // namespace cirrus::capabilities
