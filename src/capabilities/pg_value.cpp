// pg-value (pg_value.h): one table of the variant's cases, in WIT order, with the shape of each
// payload (which decides its WIT type and how it is written and read) and the PostgreSQL type
// it is bound as. Parameters are written in PostgreSQL's text input format and sent out of line
// with that type; nothing from a guest is ever put into the statement text.
#include "pg_value.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace cirrus::capabilities {

using component::Case;
using component::Field;
using component::TypeArena;
using component::TypeKind;
using component::Val;
using component::ValType;

namespace {

enum class Shape : uint8_t {
    None,
    S64,
    Bool,
    H64,
    S32,
    U32,
    S16,
    U64,
    Str,
    Bytes,
    Bit,    // tuple<u32, list<u8>>: bit(n), char(n)
    Varbit, // tuple<option<u32>, list<u8>>: varbit, varchar
    Mac6,
    Mac8,
    Point,
    Box,
    Circle,
    Line,
    Path,
    Date,
    Interval,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Snapshot,
    TsVector,
    Hstore,
    Int2Vector,
};

struct PgCase {
    const char* name;
    Shape shape;
    bool list; // list<shape>
    uint32_t oid;
};

namespace o = pg_oid;

// The pg-value cases in the WIT's order (the index is the case index).
constexpr PgCase cases[] = {
    {"null", Shape::None, false, 0},
    {"big-int", Shape::S64, false, o::int8},
    {"int8", Shape::S64, false, o::int8},
    {"int8-array", Shape::S64, true, o::int8_array},
    {"big-serial", Shape::S64, false, o::int8},
    {"serial8", Shape::S64, false, o::int8},
    {"bool", Shape::Bool, false, o::boolean},
    {"boolean", Shape::Bool, false, o::boolean},
    {"bool-array", Shape::Bool, true, o::bool_array},
    {"double", Shape::H64, false, o::float8},
    {"float8", Shape::H64, false, o::float8},
    {"float8-array", Shape::H64, true, o::float8_array},
    {"real", Shape::H64, false, o::float4},
    {"float4", Shape::H64, false, o::float4},
    {"float4-array", Shape::H64, true, o::float4_array},
    {"integer", Shape::S32, false, o::int4},
    {"int", Shape::S32, false, o::int4},
    {"int4", Shape::S32, false, o::int4},
    {"int4-array", Shape::S32, true, o::int4_array},
    {"numeric", Shape::Str, false, o::numeric},
    {"decimal", Shape::Str, false, o::numeric},
    {"numeric-array", Shape::Str, true, o::numeric_array},
    {"serial", Shape::U32, false, o::int4},
    {"serial4", Shape::U32, false, o::int4},
    {"small-int", Shape::S16, false, o::int2},
    {"int2", Shape::S16, false, o::int2},
    {"int2-array", Shape::S16, true, o::int2_array},
    {"int2-vector", Shape::Int2Vector, false, o::int2vector},
    {"int2-vector-array", Shape::Int2Vector, true, o::int2vector_array},
    {"small-serial", Shape::S16, false, o::int2},
    {"serial2", Shape::S16, false, o::int2},
    {"bit", Shape::Bit, false, o::bit},
    {"bit-array", Shape::Bit, true, o::bit_array},
    {"bit-varying", Shape::Varbit, false, o::varbit},
    {"varbit", Shape::Varbit, false, o::varbit},
    {"varbit-array", Shape::Varbit, true, o::varbit_array},
    {"bytea", Shape::Bytes, false, o::bytea},
    {"bytea-array", Shape::Bytes, true, o::bytea_array},
    {"char", Shape::Bit, false, o::bpchar},
    {"char-array", Shape::Bit, true, o::bpchar_array},
    {"varchar", Shape::Varbit, false, o::varchar},
    {"varchar-array", Shape::Varbit, true, o::varchar_array},
    {"cidr", Shape::Str, false, o::cidr},
    {"cidr-array", Shape::Str, true, o::cidr_array},
    {"inet", Shape::Str, false, o::inet},
    {"inet-array", Shape::Str, true, o::inet_array},
    {"macaddr", Shape::Mac6, false, o::macaddr},
    {"macaddr-array", Shape::Mac6, true, o::macaddr_array},
    {"macaddr8", Shape::Mac8, false, o::macaddr8},
    {"macaddr8-array", Shape::Mac8, true, o::macaddr8_array},
    {"box", Shape::Box, false, o::box},
    {"box-array", Shape::Box, true, o::box_array},
    {"circle", Shape::Circle, false, o::circle},
    {"circle-array", Shape::Circle, true, o::circle_array},
    {"line", Shape::Line, false, o::line},
    {"line-array", Shape::Line, true, o::line_array},
    {"lseg", Shape::Line, false, o::lseg},
    {"lseg-array", Shape::Line, true, o::lseg_array},
    {"path", Shape::Path, false, o::path},
    {"path-array", Shape::Path, true, o::path_array},
    {"point", Shape::Point, false, o::point},
    {"point-array", Shape::Point, true, o::point_array},
    {"polygon", Shape::Path, false, o::polygon},
    {"polygon-array", Shape::Path, true, o::polygon_array},
    {"date", Shape::Date, false, o::date},
    {"date-array", Shape::Date, true, o::date_array},
    // The WIT's `interval` is a range of dates (start, end, inclusive flags): a daterange.
    {"interval", Shape::Interval, false, o::daterange},
    {"interval-array", Shape::Interval, true, o::daterange_array},
    {"time", Shape::Time, false, o::time},
    {"time-array", Shape::Time, true, o::time_array},
    {"time-tz", Shape::TimeTz, false, o::timetz},
    {"time-tz-array", Shape::TimeTz, true, o::timetz_array},
    {"timestamp", Shape::Timestamp, false, o::timestamp},
    {"timestamp-array", Shape::Timestamp, true, o::timestamp_array},
    {"timestamp-tz", Shape::TimestampTz, false, o::timestamptz},
    {"timestamp-tz-array", Shape::TimestampTz, true, o::timestamptz_array},
    {"json", Shape::Str, false, o::json},
    {"json-array", Shape::Str, true, o::json_array},
    {"jsonb", Shape::Str, false, o::jsonb},
    {"jsonb-array", Shape::Str, true, o::jsonb_array},
    {"money", Shape::Str, false, o::money},
    {"money-array", Shape::Str, true, o::money_array},
    {"pg-lsn", Shape::U64, false, o::pg_lsn},
    {"pg-lsn-array", Shape::U64, true, o::pg_lsn_array},
    {"pg-snapshot", Shape::Snapshot, false, o::pg_snapshot},
    {"txid-snapshot", Shape::S64, false, o::int8},
    {"name", Shape::Str, false, o::name},
    {"name-array", Shape::Str, true, o::name_array},
    {"text", Shape::Str, false, o::text},
    {"text-array", Shape::Str, true, o::text_array},
    {"xml", Shape::Str, false, o::xml},
    {"xml-array", Shape::Str, true, o::xml_array},
    {"ts-query", Shape::Str, false, o::tsquery},
    {"ts-vector", Shape::TsVector, false, o::tsvector},
    {"uuid", Shape::Str, false, o::uuid},
    {"uuid-array", Shape::Str, true, o::uuid_array},
    // hstore is an extension: its type is the server's to infer.
    {"hstore", Shape::Hstore, false, 0},
};
constexpr size_t case_count = sizeof cases / sizeof cases[0];

uint32_t case_index(std::string_view name) {
    for (uint32_t i = 0; i < case_count; ++i) {
        if (name == cases[i].name) return i;
    }
    return 0;
}

// ---------------------------------------------------------------- WIT types

struct Builder {
    TypeArena& a;
    const ValType* p(TypeKind k) { return ValType::primitive(k); }
    const ValType* str() { return p(TypeKind::String); }
    const ValType* bytes() { return a.list(p(TypeKind::U8)); }
    const ValType* h64() { return a.tuple({p(TypeKind::U64), p(TypeKind::S16), p(TypeKind::S8)}); }
    const ValType* point() { return a.tuple({h64(), h64()}); }
    const ValType* date() {
        return a.variant(
            {Case{"positive-infinity", nullptr}, Case{"negative-infinity", nullptr},
             Case{"ymd", a.tuple({p(TypeKind::S32), p(TypeKind::U32), p(TypeKind::U32)})}});
    }
    const ValType* time() {
        return a.record({Field{"hour", p(TypeKind::U32)}, Field{"min", p(TypeKind::U32)},
                         Field{"sec", p(TypeKind::U32)}, Field{"micro", p(TypeKind::U32)}});
    }
    const ValType* timestamp() { return a.record({Field{"date", date()}, Field{"time", time()}}); }
    const ValType* shape(Shape s) {
        switch (s) {
        case Shape::None: return nullptr;
        case Shape::S64: return p(TypeKind::S64);
        case Shape::Bool: return p(TypeKind::Bool);
        case Shape::H64: return h64();
        case Shape::S32: return p(TypeKind::S32);
        case Shape::U32: return p(TypeKind::U32);
        case Shape::S16: return p(TypeKind::S16);
        case Shape::U64: return p(TypeKind::U64);
        case Shape::Str: return str();
        case Shape::Bytes: return bytes();
        case Shape::Bit: return a.tuple({p(TypeKind::U32), bytes()});
        case Shape::Varbit: return a.tuple({a.option(p(TypeKind::U32)), bytes()});
        case Shape::Mac6:
        case Shape::Mac8: {
            std::vector<const ValType*> b(s == Shape::Mac6 ? 6 : 8, p(TypeKind::U8));
            return a.record({Field{"bytes", a.tuple(std::move(b))}});
        }
        case Shape::Point: return point();
        case Shape::Box:
        case Shape::Line: return a.tuple({point(), point()});
        case Shape::Circle: return a.tuple({point(), h64()});
        case Shape::Path: return a.list(point());
        case Shape::Date: return date();
        case Shape::Interval:
            return a.record({Field{"start", date()}, Field{"start-inclusive", p(TypeKind::Bool)},
                             Field{"end", date()}, Field{"end-inclusive", p(TypeKind::Bool)}});
        case Shape::Time: return time();
        case Shape::TimeTz: return a.record({Field{"timesonze", str()}, Field{"time", time()}});
        case Shape::Timestamp: return timestamp();
        case Shape::TimestampTz:
            return a.record(
                {Field{"timestamp", timestamp()},
                 Field{"offset", a.variant({Case{"eastern-hemisphere-secs", p(TypeKind::S32)},
                                            Case{"western-hemisphere-secs", p(TypeKind::S32)}})}});
        case Shape::Snapshot:
            return a.tuple({p(TypeKind::S64), p(TypeKind::S64), a.list(p(TypeKind::S64))});
        case Shape::TsVector:
            return a.list(a.record({Field{"position", a.option(p(TypeKind::U16))},
                                    Field{"weight", a.option(a.enumeration({"A", "B", "C", "D"}))},
                                    Field{"data", str()}}));
        case Shape::Hstore: return a.list(a.tuple({str(), a.option(str())}));
        case Shape::Int2Vector: return a.list(p(TypeKind::S16));
        }
        return nullptr;
    }
};

// ---------------------------------------------------------------- to PostgreSQL text

// Appends `item` to a `sep`-separated list.
void append(std::string& out, const char* sep, std::string_view item) {
    if (!out.empty()) out += sep;
    out += item;
}

std::string fmt_double(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    return fmt::format("{}", v);
}

double h64_of(const Val& t) {
    return hashable_to_double(t.elems.at(0).as_u64(), static_cast<int16_t>(t.elems.at(1).bits),
                              static_cast<int8_t>(t.elems.at(2).bits));
}

std::string point_text(const Val& p) {
    return fmt::format("({},{})", fmt_double(h64_of(p.elems.at(0))),
                       fmt_double(h64_of(p.elems.at(1))));
}

Result<std::string> date_text(const Val& d) {
    if (d.case_index() == 0) return std::string("infinity");
    if (d.case_index() == 1) return std::string("-infinity");
    const Val& ymd = d.elems.at(0);
    int32_t y = static_cast<int32_t>(ymd.elems.at(0).bits);
    uint32_t m = static_cast<uint32_t>(ymd.elems.at(1).bits);
    uint32_t day = static_cast<uint32_t>(ymd.elems.at(2).bits);
    if (y <= 0) return fmt::format("{:04}-{:02}-{:02} BC", 1 - static_cast<int64_t>(y), m, day);
    return fmt::format("{:04}-{:02}-{:02}", y, m, day);
}

std::string time_text(const Val& t) {
    return fmt::format("{:02}:{:02}:{:02}.{:06}", t.elems.at(0).bits, t.elems.at(1).bits,
                       t.elems.at(2).bits, t.elems.at(3).bits);
}

std::string bits_text(uint64_t nbits, const Val& list) {
    std::string bytes = list.to_bytes();
    std::string out;
    for (uint64_t i = 0; i < nbits; ++i) {
        size_t byte = static_cast<size_t>(i / 8);
        uint8_t b = byte < bytes.size() ? static_cast<uint8_t>(bytes[byte]) : 0;
        out += (b >> (7 - i % 8)) & 1 ? '1' : '0';
    }
    return out;
}

std::string chars_of(const Val& bytes) {
    return bytes.to_bytes();
}

std::string quote_element(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string hex_bytes(const std::string& raw) {
    std::string out = "\\x";
    for (unsigned char c : raw) out += fmt::format("{:02x}", c);
    return out;
}

// One payload of `shape` as PostgreSQL text.
Result<std::string> text_of(Shape shape, const Val& v) {
    switch (shape) {
    case Shape::None: return std::string();
    case Shape::S64:
    case Shape::S32:
    case Shape::S16: return std::to_string(v.as_s64());
    case Shape::U32: return std::to_string(v.as_u64());
    case Shape::U64: return fmt::format("{:X}/{:X}", v.as_u64() >> 32, v.as_u64() & 0xffffffff);
    case Shape::Bool: return std::string(v.as_bool() ? "true" : "false");
    case Shape::H64: return fmt_double(h64_of(v));
    case Shape::Str: return v.as_string();
    case Shape::Bytes: return hex_bytes(chars_of(v));
    case Shape::Bit: return bits_text(v.elems.at(0).as_u64(), v.elems.at(1));
    case Shape::Varbit: {
        const Val& n = v.elems.at(0);
        uint64_t nbits =
            n.case_index() == 1 ? n.elems.at(0).as_u64() : v.elems.at(1).list_size() * 8;
        return bits_text(nbits, v.elems.at(1));
    }
    case Shape::Mac6:
    case Shape::Mac8: {
        std::string out;
        for (const auto& b : v.elems.at(0).elems)
            out += fmt::format("{}{:02x}", out.empty() ? "" : ":", b.bits);
        return out;
    }
    case Shape::Point: return point_text(v);
    case Shape::Box: return point_text(v.elems.at(0)) + "," + point_text(v.elems.at(1));
    case Shape::Line:
        return "[" + point_text(v.elems.at(0)) + "," + point_text(v.elems.at(1)) + "]";
    case Shape::Circle:
        return "<" + point_text(v.elems.at(0)) + "," + fmt_double(h64_of(v.elems.at(1))) + ">";
    case Shape::Path: {
        std::string out;
        for (const auto& p : v.elems) append(out, ",", point_text(p));
        return "[" + out + "]";
    }
    case Shape::Date: return date_text(v);
    case Shape::Interval: {
        CIRRUS_TRY_ASSIGN(std::string start, date_text(v.elems.at(0)));
        CIRRUS_TRY_ASSIGN(std::string end, date_text(v.elems.at(2)));
        return fmt::format("{}{},{}{}", v.elems.at(1).as_bool() ? '[' : '(', start, end,
                           v.elems.at(3).as_bool() ? ']' : ')');
    }
    case Shape::Time: return time_text(v);
    case Shape::TimeTz: return time_text(v.elems.at(1)) + " " + v.elems.at(0).as_string();
    case Shape::Timestamp: {
        CIRRUS_TRY_ASSIGN(std::string d, date_text(v.elems.at(0)));
        return d + " " + time_text(v.elems.at(1));
    }
    case Shape::TimestampTz: {
        const Val& ts = v.elems.at(0);
        CIRRUS_TRY_ASSIGN(std::string d, date_text(ts.elems.at(0)));
        const Val& off = v.elems.at(1);
        int64_t secs = static_cast<int32_t>(off.elems.at(0).bits);
        if (off.case_index() == 1) secs = -secs;
        char sign = secs < 0 ? '-' : '+';
        secs = std::llabs(secs);
        return fmt::format("{} {}{}{:02}:{:02}:{:02}", d, time_text(ts.elems.at(1)), sign,
                           secs / 3600, secs / 60 % 60, secs % 60);
    }
    case Shape::Snapshot: {
        std::string xip;
        const Val& list = v.elems.at(2);
        for (size_t i = 0; i < list.list_size(); ++i)
            append(xip, ",", std::to_string(list.list_at(i).as_s64()));
        return fmt::format("{}:{}:{}", v.elems.at(0).as_s64(), v.elems.at(1).as_s64(), xip);
    }
    case Shape::TsVector: {
        std::string out;
        for (const auto& lex : v.elems) {
            std::string word = "'";
            for (char c : lex.elems.at(2).as_string()) {
                if (c == '\'' || c == '\\') word += c;
                word += c;
            }
            word += "'";
            const Val& pos = lex.elems.at(0);
            if (pos.case_index() == 1) {
                word += fmt::format(":{}", pos.elems.at(0).as_u64());
                const Val& w = lex.elems.at(1);
                if (w.case_index() == 1) word += "ABCD"[w.elems.at(0).bits & 3];
            }
            append(out, " ", word);
        }
        return out;
    }
    case Shape::Hstore: {
        std::string out;
        for (const auto& kv : v.elems) {
            append(out, ", ", quote_element(kv.elems.at(0).as_string()));
            out += "=>";
            const Val& value = kv.elems.at(1);
            out += value.case_index() == 1 ? quote_element(value.elems.at(0).as_string()) : "NULL";
        }
        return out;
    }
    case Shape::Int2Vector: {
        std::string out;
        for (size_t i = 0; i < v.list_size(); ++i)
            append(out, " ", std::to_string(v.list_at(i).as_s64()));
        return out;
    }
    }
    return std::string();
}

// ---------------------------------------------------------------- from PostgreSQL text

Val some(Val v) {
    return Val::some(std::move(v));
}

Val date_val(std::string_view s) {
    if (s == "infinity") return Val::variant(0, std::nullopt);
    if (s == "-infinity") return Val::variant(1, std::nullopt);
    int y = 0;
    unsigned m = 0, d = 0;
    std::sscanf(std::string(s).c_str(), "%d-%u-%u", &y, &m, &d);
    if (s.ends_with(" BC")) y = 1 - y;
    return Val::variant(2, Val::tuple({Val::s32(y), Val::u32(m), Val::u32(d)}));
}

// "HH:MM:SS[.ffffff]" at the start of `s`; returns the rest (a zone offset for timetz).
Val time_val(std::string_view s, std::string_view* rest = nullptr) {
    unsigned h = 0, mi = 0, sec = 0, micro = 0;
    int used = 0;
    std::string str(s);
    std::sscanf(str.c_str(), "%u:%u:%u%n", &h, &mi, &sec, &used);
    size_t pos = static_cast<size_t>(used);
    if (pos < str.size() && str[pos] == '.') {
        size_t start = ++pos;
        while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) ++pos;
        std::string frac = str.substr(start, pos - start);
        frac.resize(6, '0');
        micro = static_cast<unsigned>(std::stoul(frac.substr(0, 6)));
    }
    if (rest) *rest = s.substr(std::min(pos, s.size()));
    return Val::record({Val::u32(h), Val::u32(mi), Val::u32(sec), Val::u32(micro)});
}

// "+HH[:MM[:SS]]" or "-..." as seconds east of UTC.
int32_t offset_seconds(std::string_view s) {
    if (s.empty()) return 0;
    int sign = s[0] == '-' ? -1 : 1;
    unsigned h = 0, m = 0, sec = 0;
    std::sscanf(std::string(s.substr(1)).c_str(), "%u:%u:%u", &h, &m, &sec);
    return sign * static_cast<int32_t>(h * 3600 + m * 60 + sec);
}

Val bytes_val(std::string_view s) {
    return Val::bytes(std::string(s));
}

Val point_val(std::string_view s) {
    double x = 0, y = 0;
    std::sscanf(std::string(s).c_str(), "(%lf,%lf)", &x, &y);
    return Val::tuple({double_to_hashable(x), double_to_hashable(y)});
}

// The elements of a one-dimensional array literal; nullopt for NULL elements or nesting.
std::optional<std::vector<std::string>> array_elements(std::string_view s) {
    if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
    std::vector<std::string> out;
    size_t i = 1;
    if (s.size() == 2) return out;
    while (i < s.size() - 1) {
        std::string e;
        if (s[i] == '{') return std::nullopt;
        if (s[i] == '"') {
            for (++i; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                e += s[i];
            }
            ++i;
        } else {
            while (i < s.size() - 1 && s[i] != ',') e += s[i++];
            if (e == "NULL") return std::nullopt;
        }
        out.push_back(std::move(e));
        if (i < s.size() - 1 && s[i] == ',') ++i;
    }
    return out;
}

Val text_val(std::string s) {
    return Val::variant(case_index("text"), Val::string(std::move(s)));
}

} // namespace

double hashable_to_double(uint64_t mantissa, int16_t exponent, int8_t sign) {
    double v = std::ldexp(static_cast<double>(mantissa), exponent);
    return sign < 0 ? -v : v;
}

Val double_to_hashable(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    int8_t sign = (bits >> 63) ? -1 : 1;
    int16_t exponent = static_cast<int16_t>((bits >> 52) & 0x7ff);
    uint64_t mantissa = exponent == 0 ? (bits & 0xfffffffffffffull) << 1
                                      : (bits & 0xfffffffffffffull) | (1ull << 52);
    exponent = static_cast<int16_t>(exponent - 1075);
    return Val::tuple({Val::u64(mantissa), Val::s16(exponent), Val::s8(sign)});
}

PgTypes make_pg_types(TypeArena& a) {
    Builder b{a};
    std::vector<Case> vcases;
    for (const PgCase& c : cases) {
        const ValType* t = b.shape(c.shape);
        vcases.push_back(Case{c.name, c.list ? a.list(t) : t});
    }
    PgTypes t;
    t.pg_value = a.variant(std::move(vcases));
    t.result_row = a.list(a.record({Field{"column-name", b.str()}, Field{"value", t.pg_value}}));
    t.query_error = a.variant({Case{"invalid-params", b.str()}, Case{"invalid-query", b.str()},
                               Case{"unexpected", b.str()}});
    t.prepare_error = a.variant({Case{"unexpected", b.str()}});
    t.exec_error = a.variant({Case{"unknown-prepared-query", nullptr},
                              Case{"query-error", t.query_error}, Case{"unexpected", b.str()}});
    return t;
}

Result<SqlValue> pg_param(const Val& value, bool postgres) {
    uint32_t index = value.case_index();
    if (index >= case_count) return sql_error(SqlErrorKind::InvalidParams, "unknown pg-value case");
    const PgCase& c = cases[index];
    if (c.shape == Shape::None) return SqlValue::null();
    const Val& p = value.elems.at(0);
    if (!c.list) {
        switch (c.shape) {
        case Shape::S64:
        case Shape::S32:
        case Shape::S16: return SqlValue::integer(p.as_s64(), c.oid);
        case Shape::U32: return SqlValue::integer(static_cast<int64_t>(p.as_u64()), c.oid);
        case Shape::Bool: return SqlValue::boolean(p.as_bool(), c.oid);
        case Shape::H64: return SqlValue::real(h64_of(p), c.oid);
        case Shape::Bytes: return SqlValue::bytes(chars_of(p), c.oid);
        case Shape::Str: return SqlValue::text(p.as_string(), c.oid);
        case Shape::Bit:
        case Shape::Varbit:
            // char(n) and varchar(n) carry their text as bytes.
            if (c.oid == pg_oid::bpchar || c.oid == pg_oid::varchar)
                return SqlValue::text(chars_of(p.elems.at(1)), c.oid);
            break;
        default: break;
        }
    }
    // What remains has no SQLite storage class of its own: dates and times are stored as
    // their ISO text; the rest (arrays, geometry, network addresses' kin) only PostgreSQL has.
    bool sqlite_text =
        !c.list && (c.shape == Shape::Date || c.shape == Shape::Time || c.shape == Shape::TimeTz ||
                    c.shape == Shape::Timestamp || c.shape == Shape::TimestampTz);
    if (!postgres && !sqlite_text)
        return sql_error(SqlErrorKind::InvalidParams,
                         fmt::format("pg-value `{}` has no SQLite equivalent (SQLite holds null, "
                                     "integers, floats, text, bytea, booleans, dates and times)",
                                     c.name));
    if (!c.list) {
        CIRRUS_TRY_ASSIGN(std::string text, text_of(c.shape, p));
        return SqlValue::text(std::move(text), c.oid);
    }
    std::string out = "{";
    for (size_t i = 0; i < p.list_size(); ++i) {
        CIRRUS_TRY_ASSIGN(std::string e, text_of(c.shape, p.list_at(i)));
        if (i) out += ',';
        out += quote_element(e);
    }
    out += "}";
    return SqlValue::text(std::move(out), c.oid);
}

Val pg_result(const SqlValue& v) {
    auto as = [](const char* name, std::optional<Val> payload) {
        return Val::variant(case_index(name), std::move(payload));
    };
    switch (v.kind) {
    case SqlValue::Kind::Null: return as("null", std::nullopt);
    case SqlValue::Kind::Bool: return as("bool", Val::boolean(v.b));
    case SqlValue::Kind::Int:
        if (v.pg_type == pg_oid::int4) return as("int4", Val::s32(static_cast<int32_t>(v.i)));
        if (v.pg_type == pg_oid::int2) return as("int2", Val::s16(static_cast<int16_t>(v.i)));
        return as("int8", Val::s64(v.i));
    case SqlValue::Kind::Float:
        return as(v.pg_type == pg_oid::float4 ? "float4" : "float8", double_to_hashable(v.f));
    case SqlValue::Kind::Bytes: return as("bytea", bytes_val(v.s));
    case SqlValue::Kind::Text: break;
    }
    const std::string& s = v.s;
    switch (v.pg_type) {
    case pg_oid::varchar:
        return as("varchar",
                  Val::tuple({some(Val::u32(static_cast<uint32_t>(s.size()))), bytes_val(s)}));
    case pg_oid::bpchar:
        return as("char", Val::tuple({Val::u32(static_cast<uint32_t>(s.size())), bytes_val(s)}));
    case pg_oid::name: return as("name", Val::string(s));
    case pg_oid::json: return as("json", Val::string(s));
    case pg_oid::jsonb: return as("jsonb", Val::string(s));
    case pg_oid::xml: return as("xml", Val::string(s));
    case pg_oid::uuid: return as("uuid", Val::string(s));
    case pg_oid::numeric: return as("numeric", Val::string(s));
    case pg_oid::money: return as("money", Val::string(s));
    case pg_oid::inet: return as("inet", Val::string(s));
    case pg_oid::cidr: return as("cidr", Val::string(s));
    case pg_oid::tsquery: return as("ts-query", Val::string(s));
    case pg_oid::date: return as("date", date_val(s));
    case pg_oid::time: return as("time", time_val(s));
    case pg_oid::timetz: {
        std::string_view rest;
        Val t = time_val(s, &rest);
        return as("time-tz", Val::record({Val::string(std::string(rest)), std::move(t)}));
    }
    case pg_oid::timestamp:
    case pg_oid::timestamptz: {
        size_t space = s.find(' ');
        if (space == std::string::npos) break; // infinity: no record form
        Val date = date_val(std::string_view(s).substr(0, space));
        std::string_view rest;
        Val time = time_val(std::string_view(s).substr(space + 1), &rest);
        Val ts = Val::record({std::move(date), std::move(time)});
        if (v.pg_type == pg_oid::timestamp) return as("timestamp", std::move(ts));
        int32_t off = offset_seconds(rest);
        Val offset = off >= 0 ? Val::variant(0, Val::s32(off)) : Val::variant(1, Val::s32(-off));
        return as("timestamp-tz", Val::record({std::move(ts), std::move(offset)}));
    }
    case pg_oid::macaddr:
    case pg_oid::macaddr8: {
        std::vector<Val> b;
        size_t want = v.pg_type == pg_oid::macaddr ? 6 : 8;
        for (size_t i = 0; i + 2 <= s.size() && b.size() < want; i += 3)
            b.push_back(Val::u8(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16))));
        return as(v.pg_type == pg_oid::macaddr ? "macaddr" : "macaddr8",
                  Val::record({Val::tuple(std::move(b))}));
    }
    case pg_oid::pg_lsn: {
        unsigned long long hi = 0, lo = 0;
        std::sscanf(s.c_str(), "%llX/%llX", &hi, &lo);
        return as("pg-lsn", Val::u64((hi << 32) | lo));
    }
    case pg_oid::point: return as("point", point_val(s));
    default: break;
    }
    // One-dimensional arrays of the common element types.
    struct ArrayCase {
        uint32_t oid;
        const char* name;
        Shape shape;
    };
    static constexpr ArrayCase arrays[] = {
        {pg_oid::int8_array, "int8-array", Shape::S64},
        {pg_oid::int4_array, "int4-array", Shape::S32},
        {pg_oid::int2_array, "int2-array", Shape::S16},
        {pg_oid::bool_array, "bool-array", Shape::Bool},
        {pg_oid::float8_array, "float8-array", Shape::H64},
        {pg_oid::float4_array, "float4-array", Shape::H64},
        {pg_oid::text_array, "text-array", Shape::Str},
        {pg_oid::numeric_array, "numeric-array", Shape::Str},
        {pg_oid::uuid_array, "uuid-array", Shape::Str},
        {pg_oid::json_array, "json-array", Shape::Str},
        {pg_oid::jsonb_array, "jsonb-array", Shape::Str},
        {pg_oid::name_array, "name-array", Shape::Str},
        {pg_oid::inet_array, "inet-array", Shape::Str},
        {pg_oid::cidr_array, "cidr-array", Shape::Str},
        {pg_oid::xml_array, "xml-array", Shape::Str},
        {pg_oid::money_array, "money-array", Shape::Str},
    };
    for (const ArrayCase& ac : arrays) {
        if (ac.oid != v.pg_type) continue;
        auto elems = array_elements(s);
        if (!elems) break;
        std::vector<Val> out;
        for (const auto& e : *elems) {
            switch (ac.shape) {
            case Shape::S64:
            case Shape::S32:
            case Shape::S16: {
                int64_t x = 0;
                std::from_chars(e.data(), e.data() + e.size(), x);
                out.push_back(ac.shape == Shape::S64   ? Val::s64(x)
                              : ac.shape == Shape::S32 ? Val::s32(static_cast<int32_t>(x))
                                                       : Val::s16(static_cast<int16_t>(x)));
                break;
            }
            case Shape::Bool: out.push_back(Val::boolean(e == "t")); break;
            case Shape::H64:
                out.push_back(double_to_hashable(std::strtod(e.c_str(), nullptr)));
                break;
            default: out.push_back(Val::string(e)); break;
            }
        }
        return as(ac.name, Val::list(std::move(out)));
    }
    // Everything else reaches the guest as its PostgreSQL text.
    return text_val(s);
}

} // namespace cirrus::capabilities
