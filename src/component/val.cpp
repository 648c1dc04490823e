// Val constructors, type checking of host-provided values, and WAVE (the WebAssembly Value
// Encoding used by wasm-tools and wasmtime's `--invoke`) parsing and printing.
#include "cirrus/component/val.h"
#include "cirrus/support/utf8.h"

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace cirrus::component {

Val Val::f32(float v) {
    return Val(TypeKind::F32, std::bit_cast<uint32_t>(v));
}
Val Val::f64(double v) {
    return Val(TypeKind::F64, std::bit_cast<uint64_t>(v));
}
float Val::as_f32() const {
    return std::bit_cast<float>(static_cast<uint32_t>(bits));
}
double Val::as_f64() const {
    return std::bit_cast<double>(bits);
}
Val Val::string(std::string s) {
    Val v(TypeKind::String, 0);
    v.str = std::move(s);
    return v;
}
Val Val::list(std::vector<Val> elems) {
    Val v(TypeKind::List, 0);
    v.elems = std::move(elems);
    return v;
}
Val Val::bytes(std::string bytes) {
    return packed_list(TypeKind::U8, std::move(bytes));
}
Val Val::bytes(std::span<const uint8_t> bytes) {
    return packed_list(TypeKind::U8,
                       std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}
Val Val::packed_list(TypeKind element, std::string raw) {
    Val v(TypeKind::List, static_cast<uint64_t>(element) + 1);
    v.str = std::move(raw);
    return v;
}

static uint64_t read_packed(const char* p, TypeKind k) {
    uint32_t n = packed_elem_size(k);
    uint64_t x = 0;
    for (uint32_t i = 0; i < n; ++i) x |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
    bool is_signed = k == TypeKind::S8 || k == TypeKind::S16 || k == TypeKind::S32;
    if (is_signed && n < 8 && (x >> (8 * n - 1) & 1)) x |= ~uint64_t{0} << (8 * n);
    return x;
}

size_t Val::list_size() const {
    if (!is_packed()) return elems.size();
    uint32_t n = packed_elem_size(packed_kind());
    return n ? str.size() / n : 0;
}

Val Val::list_at(size_t i) const {
    if (!is_packed()) return elems.at(i);
    TypeKind k = packed_kind();
    return Val(k, read_packed(str.data() + i * packed_elem_size(k), k));
}

std::string Val::to_bytes() const {
    if (is_packed()) return str;
    std::string out;
    out.reserve(elems.size());
    for (const auto& e : elems) out.push_back(static_cast<char>(e.bits));
    return out;
}

bool operator==(const Val& a, const Val& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == TypeKind::List && (a.is_packed() || b.is_packed())) {
        if (a.is_packed() && b.is_packed()) return a.bits == b.bits && a.str == b.str;
        size_t n = a.list_size();
        if (n != b.list_size()) return false;
        for (size_t i = 0; i < n; ++i) {
            if (!(a.list_at(i) == b.list_at(i))) return false;
        }
        return true;
    }
    return a.bits == b.bits && a.str == b.str && a.elems == b.elems &&
           a.flag_words == b.flag_words && a.resource == b.resource;
}

Val Val::record(std::vector<Val> fields) {
    Val v(TypeKind::Record, 0);
    v.elems = std::move(fields);
    return v;
}
Val Val::tuple(std::vector<Val> members) {
    Val v(TypeKind::Tuple, 0);
    v.elems = std::move(members);
    return v;
}
Val Val::variant(uint32_t case_index, std::optional<Val> payload) {
    Val v(TypeKind::Variant, case_index);
    if (payload) v.elems.push_back(std::move(*payload));
    return v;
}
Val Val::none() {
    return Val(TypeKind::Option, 0);
}
Val Val::some(Val x) {
    Val v(TypeKind::Option, 1);
    v.elems.push_back(std::move(x));
    return v;
}
Val Val::ok(std::optional<Val> x) {
    Val v(TypeKind::Result, 0);
    if (x) v.elems.push_back(std::move(*x));
    return v;
}
Val Val::err(std::optional<Val> x) {
    Val v(TypeKind::Result, 1);
    if (x) v.elems.push_back(std::move(*x));
    return v;
}
Val Val::flags(std::vector<uint32_t> words) {
    Val v(TypeKind::Flags, 0);
    v.flag_words = std::move(words);
    return v;
}
Val Val::own(ResourceImpl* resource, uint32_t rep) {
    Val v(TypeKind::Own, rep);
    v.resource = resource;
    return v;
}
Val Val::borrow(ResourceImpl* resource, uint32_t rep) {
    Val v(TypeKind::Borrow, rep);
    v.resource = resource;
    return v;
}

bool val_matches(const Val& v, const ValType* t, std::string* why) {
    auto fail = [&](std::string msg) {
        if (why) *why = std::move(msg);
        return false;
    };
    if (v.kind != t->kind)
        return fail(fmt::format("expected a {} value, found a {} value", type_kind_name(t->kind),
                                type_kind_name(v.kind)));
    auto in_range = [&](int64_t lo, int64_t hi) {
        int64_t x = static_cast<int64_t>(v.bits);
        return x >= lo && x <= hi;
    };
    switch (t->kind) {
    case TypeKind::Bool: return v.bits <= 1 || fail("bool out of range");
    case TypeKind::S8: return in_range(-128, 127) || fail("s8 out of range");
    case TypeKind::U8: return v.bits <= 0xff || fail("u8 out of range");
    case TypeKind::S16: return in_range(-32768, 32767) || fail("s16 out of range");
    case TypeKind::U16: return v.bits <= 0xffff || fail("u16 out of range");
    case TypeKind::S32: return in_range(INT32_MIN, INT32_MAX) || fail("s32 out of range");
    case TypeKind::U32: return v.bits <= 0xffffffff || fail("u32 out of range");
    case TypeKind::F32: return v.bits <= 0xffffffff || fail("f32 bits out of range");
    case TypeKind::Char:
        return (v.bits < 0xd800 || (v.bits > 0xdfff && v.bits < 0x110000)) ||
               fail(fmt::format("invalid char code point 0x{:x}", v.bits));
    case TypeKind::String: return valid_utf8(v.str) || fail("string is not valid UTF-8");
    case TypeKind::List:
        if (v.is_packed()) {
            if (v.packed_kind() != t->element->kind)
                return fail(fmt::format("expected a list of {}, found a packed list of {}",
                                        type_kind_name(t->element->kind),
                                        type_kind_name(v.packed_kind())));
            uint32_t n = packed_elem_size(v.packed_kind());
            return (n != 0 && v.str.size() % n == 0) || fail("packed list of a partial element");
        }
        for (const auto& e : v.elems) {
            if (!val_matches(e, t->element, why)) return false;
        }
        return true;
    case TypeKind::Record:
    case TypeKind::Tuple:
        if (v.elems.size() != t->fields.size())
            return fail(
                fmt::format("expected {} fields, found {}", t->fields.size(), v.elems.size()));
        for (size_t i = 0; i < v.elems.size(); ++i) {
            if (!val_matches(v.elems[i], t->fields[i].type, why)) return false;
        }
        return true;
    case TypeKind::Variant: {
        if (v.bits >= t->cases.size()) return fail("variant case out of range");
        const ValType* ct = t->cases[v.bits].type;
        if ((ct != nullptr) != (v.elems.size() == 1)) return fail("variant payload mismatch");
        return !ct || val_matches(v.elems[0], ct, why);
    }
    case TypeKind::Option:
        if (v.bits > 1) return fail("option discriminant out of range");
        if (v.bits == 0) return v.elems.empty() || fail("none with a payload");
        return (v.elems.size() == 1 && val_matches(v.elems[0], t->element, why)) ||
               (why && !why->empty()) || fail("some without a payload");
    case TypeKind::Result: {
        if (v.bits > 1) return fail("result discriminant out of range");
        const ValType* ct = v.bits == 0 ? t->element : t->error;
        if ((ct != nullptr) != (v.elems.size() == 1)) return fail("result payload mismatch");
        return !ct || val_matches(v.elems[0], ct, why);
    }
    case TypeKind::Enum: return v.bits < t->labels.size() || fail("enum case out of range");
    case TypeKind::Flags: {
        size_t n = t->labels.size();
        for (size_t i = 0; i < v.flag_words.size(); ++i) {
            for (int b = 0; b < 32; ++b) {
                if ((v.flag_words[i] >> b & 1) && i * 32 + static_cast<size_t>(b) >= n)
                    return fail("flag bit beyond the last label");
            }
        }
        return true;
    }
    case TypeKind::Own:
    case TypeKind::Borrow: return v.resource != nullptr || fail("handle without a resource");
    default: return true;
    }
}

// ---------------------------------------------------------------- WAVE printing

static const char* const wave_keywords[] = {"true", "false", "some", "none", "ok",
                                            "err",  "inf",   "nan",  "-inf"};

static std::string wave_label(const std::string& l) {
    for (const char* k : wave_keywords) {
        if (l == k) return "%" + l;
    }
    return l;
}

static void wave_char(std::string& out, uint32_t cp, char quote) {
    switch (cp) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    case '\\': out += "\\\\"; return;
    case '\'': out += quote == '\'' ? "\\'" : "'"; return;
    case '"': out += quote == '"' ? "\\\"" : "\""; return;
    default: break;
    }
    if (cp < 0x20 || cp == 0x7f) {
        out += fmt::format("\\u{{{:x}}}", cp);
        return;
    }
    cirrus::append_utf8(out, cp);
}

template <typename F>
static std::string wave_float(F x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return fmt::format("{}", x);
}

static void print(std::string& out, const Val& v, const ValType* t) {
    switch (t->kind) {
    case TypeKind::Bool: out += v.bits ? "true" : "false"; return;
    case TypeKind::S8:
    case TypeKind::S16:
    case TypeKind::S32:
    case TypeKind::S64: out += fmt::format("{}", static_cast<int64_t>(v.bits)); return;
    case TypeKind::U8:
    case TypeKind::U16:
    case TypeKind::U32:
    case TypeKind::U64: out += fmt::format("{}", v.bits); return;
    case TypeKind::F32: out += wave_float(v.as_f32()); return;
    case TypeKind::F64: out += wave_float(v.as_f64()); return;
    case TypeKind::Char:
        out += '\'';
        wave_char(out, static_cast<uint32_t>(v.bits), '\'');
        out += '\'';
        return;
    case TypeKind::String: {
        out += '"';
        size_t i = 0;
        const std::string& s = v.str;
        while (i < s.size()) {
            uint8_t c = static_cast<uint8_t>(s[i]);
            size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
            if (n == 1) {
                wave_char(out, c, '"');
            } else {
                out.append(s, i, n);
            }
            i += n;
        }
        out += '"';
        return;
    }
    case TypeKind::List:
        out += '[';
        if (v.is_packed()) {
            for (size_t i = 0; i < v.list_size(); ++i) {
                if (i) out += ", ";
                print(out, v.list_at(i), t->element);
            }
        } else {
            for (size_t i = 0; i < v.elems.size(); ++i) {
                if (i) out += ", ";
                print(out, v.elems[i], t->element);
            }
        }
        out += ']';
        return;
    case TypeKind::Record:
        out += '{';
        for (size_t i = 0; i < v.elems.size(); ++i) {
            if (i) out += ", ";
            out += wave_label(t->fields[i].name) + ": ";
            print(out, v.elems[i], t->fields[i].type);
        }
        out += '}';
        return;
    case TypeKind::Tuple:
        out += '(';
        for (size_t i = 0; i < v.elems.size(); ++i) {
            if (i) out += ", ";
            print(out, v.elems[i], t->fields[i].type);
        }
        out += ')';
        return;
    case TypeKind::Variant: {
        const Case& c = t->cases[v.bits];
        out += wave_label(c.name);
        if (c.type && !v.elems.empty()) {
            out += '(';
            print(out, v.elems[0], c.type);
            out += ')';
        }
        return;
    }
    case TypeKind::Enum: out += wave_label(t->labels[v.bits]); return;
    case TypeKind::Option:
        if (v.bits == 0) {
            out += "none";
        } else {
            out += "some(";
            print(out, v.elems[0], t->element);
            out += ')';
        }
        return;
    case TypeKind::Result: {
        out += v.bits == 0 ? "ok" : "err";
        const ValType* ct = v.bits == 0 ? t->element : t->error;
        if (ct && !v.elems.empty()) {
            out += '(';
            print(out, v.elems[0], ct);
            out += ')';
        }
        return;
    }
    case TypeKind::Flags: {
        out += '{';
        bool first = true;
        for (size_t i = 0; i < t->labels.size(); ++i) {
            if (!v.flag(static_cast<uint32_t>(i))) continue;
            if (!first) out += ", ";
            out += wave_label(t->labels[i]);
            first = false;
        }
        out += '}';
        return;
    }
    case TypeKind::Own:
    case TypeKind::Borrow: out += fmt::format("{}<{}>", type_kind_name(t->kind), v.bits); return;
    case TypeKind::ErrorContext: out += "error-context"; return;
    }
}

std::string wave_print(const Val& v, const ValType* type) {
    std::string out;
    print(out, v, type);
    return out;
}

// ---------------------------------------------------------------- WAVE parsing

namespace {

class WaveParser {
public:
    WaveParser(std::string_view text, WaveError* err) : s_(text), err_(err) {}

    std::optional<Val> value(const ValType* t);
    bool at_end() {
        skip_ws();
        return p_ >= s_.size();
    }
    bool fail(std::string msg) {
        if (err_ && err_->message.empty()) {
            err_->offset = p_;
            err_->message = std::move(msg);
        }
        return false;
    }
    void skip_ws() {
        while (p_ < s_.size() &&
               (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r'))
            ++p_;
    }
    bool eat(char c) {
        skip_ws();
        if (p_ < s_.size() && s_[p_] == c) {
            ++p_;
            return true;
        }
        return false;
    }
    bool expect(char c) { return eat(c) || fail(fmt::format("expected `{}`", c)); }
    std::string label() {
        skip_ws();
        size_t start = p_;
        if (p_ < s_.size() && s_[p_] == '%') ++p_, ++start;
        while (p_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '-'))
            ++p_;
        return std::string(s_.substr(start, p_ - start));
    }
    std::string_view token() {
        skip_ws();
        size_t start = p_;
        while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) ||
                                  s_[p_] == '-' || s_[p_] == '+' || s_[p_] == '.' || s_[p_] == '_'))
            ++p_;
        return s_.substr(start, p_ - start);
    }
    size_t pos() const { return p_; }
    void set_pos(size_t p) { p_ = p; }
    std::string_view rest() const { return s_.substr(p_); }

private:
    bool escape(uint32_t& cp);
    bool quoted(char quote, std::string& out, std::vector<uint32_t>& cps);
    std::string_view s_;
    size_t p_ = 0;
    WaveError* err_;
};

bool WaveParser::escape(uint32_t& cp) {
    if (p_ >= s_.size()) return fail("unterminated escape");
    char c = s_[p_++];
    switch (c) {
    case 'n': cp = '\n'; return true;
    case 't': cp = '\t'; return true;
    case 'r': cp = '\r'; return true;
    case '\\': cp = '\\'; return true;
    case '\'': cp = '\''; return true;
    case '"': cp = '"'; return true;
    case 'u': {
        if (p_ >= s_.size() || s_[p_] != '{') return fail("expected `{` after \\u");
        ++p_;
        size_t start = p_;
        while (p_ < s_.size() && s_[p_] != '}') ++p_;
        if (p_ >= s_.size()) return fail("unterminated \\u escape");
        auto hex = s_.substr(start, p_ - start);
        ++p_;
        auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
        if (ec != std::errc() || ptr != hex.data() + hex.size() || hex.empty())
            return fail("invalid \\u escape");
        if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff))
            return fail(fmt::format("invalid code point 0x{:x} in escape", cp));
        return true;
    }
    default: return fail(fmt::format("unknown escape `\\{}`", c));
    }
}

bool WaveParser::quoted(char quote, std::string& out, std::vector<uint32_t>& cps) {
    skip_ws();
    if (p_ >= s_.size() || s_[p_] != quote) return fail(fmt::format("expected `{}`", quote));
    ++p_;
    while (true) {
        if (p_ >= s_.size()) return fail("unterminated quoted text");
        unsigned char c = static_cast<unsigned char>(s_[p_]);
        if (c == static_cast<unsigned char>(quote)) {
            ++p_;
            return true;
        }
        uint32_t cp;
        if (c == '\\') {
            ++p_;
            if (!escape(cp)) return false;
        } else if (c < 0x80) {
            cp = c;
            ++p_;
        } else {
            size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
            if (p_ + n > s_.size() || !valid_utf8(s_.substr(p_, n))) return fail("invalid UTF-8");
            out.append(s_.substr(p_, n));
            cp = 0;
            std::string_view seq = s_.substr(p_, n);
            cp = static_cast<unsigned char>(seq[0]) & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
            for (size_t k = 1; k < n; ++k)
                cp = cp << 6 | (static_cast<unsigned char>(seq[k]) & 0x3f);
            cps.push_back(cp);
            p_ += n;
            continue;
        }
        cps.push_back(cp);
        cirrus::append_utf8(out, cp);
    }
}

template <typename T>
static bool parse_int(std::string_view tok, T& out) {
    auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out);
    return ec == std::errc() && ptr == tok.data() + tok.size();
}

std::optional<Val> WaveParser::value(const ValType* t) {
    skip_ws();
    size_t start = pos();
    switch (t->kind) {
    case TypeKind::Bool: {
        auto tok = token();
        if (tok == "true") return Val::boolean(true);
        if (tok == "false") return Val::boolean(false);
        set_pos(start);
        fail("expected `true` or `false`");
        return std::nullopt;
    }
    case TypeKind::S8:
    case TypeKind::S16:
    case TypeKind::S32:
    case TypeKind::S64: {
        auto tok = token();
        int64_t x;
        int64_t lo = t->kind == TypeKind::S8    ? INT8_MIN
                     : t->kind == TypeKind::S16 ? INT16_MIN
                     : t->kind == TypeKind::S32 ? INT32_MIN
                                                : INT64_MIN;
        int64_t hi = t->kind == TypeKind::S8    ? INT8_MAX
                     : t->kind == TypeKind::S16 ? INT16_MAX
                     : t->kind == TypeKind::S32 ? INT32_MAX
                                                : INT64_MAX;
        if (!parse_int(tok, x) || x < lo || x > hi) {
            set_pos(start);
            fail(fmt::format("invalid {} `{}`", type_kind_name(t->kind), tok));
            return std::nullopt;
        }
        return Val(t->kind, static_cast<uint64_t>(x));
    }
    case TypeKind::U8:
    case TypeKind::U16:
    case TypeKind::U32:
    case TypeKind::U64: {
        auto tok = token();
        uint64_t x;
        uint64_t hi = t->kind == TypeKind::U8    ? UINT8_MAX
                      : t->kind == TypeKind::U16 ? UINT16_MAX
                      : t->kind == TypeKind::U32 ? UINT32_MAX
                                                 : UINT64_MAX;
        if (!parse_int(tok, x) || x > hi) {
            set_pos(start);
            fail(fmt::format("invalid {} `{}`", type_kind_name(t->kind), tok));
            return std::nullopt;
        }
        return Val(t->kind, x);
    }
    case TypeKind::F32:
    case TypeKind::F64: {
        auto tok = token();
        double x;
        if (tok == "nan") {
            x = std::nan("");
        } else if (tok == "inf") {
            x = INFINITY;
        } else if (tok == "-inf") {
            x = -INFINITY;
        } else {
            std::string tmp(tok);
            char* end = nullptr;
            if (tmp.empty()) {
                fail("expected a number");
                return std::nullopt;
            }
            x = std::strtod(tmp.c_str(), &end);
            if (end != tmp.c_str() + tmp.size() || tmp == "infinity" || tmp == "NaN") {
                set_pos(start);
                fail(fmt::format("invalid float `{}`", tok));
                return std::nullopt;
            }
        }
        if (t->kind == TypeKind::F32) return Val::f32(static_cast<float>(x));
        return Val::f64(x);
    }
    case TypeKind::Char: {
        std::string s;
        std::vector<uint32_t> cps;
        if (!quoted('\'', s, cps)) return std::nullopt;
        if (cps.size() != 1) {
            fail("a char literal holds exactly one character");
            return std::nullopt;
        }
        return Val::character(cps[0]);
    }
    case TypeKind::String: {
        std::string s;
        std::vector<uint32_t> cps;
        if (!quoted('"', s, cps)) return std::nullopt;
        return Val::string(std::move(s));
    }
    case TypeKind::List: {
        if (!expect('[')) return std::nullopt;
        // Lists of integers are made packed, as lifting makes them.
        uint32_t packed = packed_elem_size(t->element->kind);
        Val v = packed ? Val::packed_list(t->element->kind, {}) : Val(TypeKind::List, 0);
        if (eat(']')) return v;
        while (true) {
            auto e = value(t->element);
            if (!e) return std::nullopt;
            if (packed) {
                for (uint32_t i = 0; i < packed; ++i)
                    v.str.push_back(static_cast<char>(e->bits >> (8 * i)));
            } else {
                v.elems.push_back(std::move(*e));
            }
            if (eat(']')) return v;
            if (!expect(',')) return std::nullopt;
            if (eat(']')) return v;
        }
    }
    case TypeKind::Tuple: {
        if (!expect('(')) return std::nullopt;
        Val v(TypeKind::Tuple, 0);
        for (size_t i = 0; i < t->fields.size(); ++i) {
            if (i && !expect(',')) return std::nullopt;
            auto e = value(t->fields[i].type);
            if (!e) return std::nullopt;
            v.elems.push_back(std::move(*e));
        }
        eat(',');
        if (!expect(')')) return std::nullopt;
        return v;
    }
    case TypeKind::Record: {
        if (!expect('{')) return std::nullopt;
        std::vector<std::optional<Val>> fields(t->fields.size());
        if (!eat('}')) {
            while (true) {
                size_t at = pos();
                std::string name = label();
                size_t idx = t->fields.size();
                for (size_t i = 0; i < t->fields.size(); ++i) {
                    if (t->fields[i].name == name) idx = i;
                }
                if (idx == t->fields.size()) {
                    set_pos(at);
                    fail(fmt::format("unknown record field `{}`", name));
                    return std::nullopt;
                }
                if (!expect(':')) return std::nullopt;
                auto e = value(t->fields[idx].type);
                if (!e) return std::nullopt;
                fields[idx] = std::move(*e);
                if (eat('}')) break;
                if (!expect(',')) return std::nullopt;
                if (eat('}')) break;
            }
        }
        Val v(TypeKind::Record, 0);
        for (size_t i = 0; i < fields.size(); ++i) {
            if (!fields[i]) {
                // Option fields may be left out (they are none).
                if (t->fields[i].type->kind == TypeKind::Option) {
                    v.elems.push_back(Val::none());
                    continue;
                }
                fail(fmt::format("missing record field `{}`", t->fields[i].name));
                return std::nullopt;
            }
            v.elems.push_back(std::move(*fields[i]));
        }
        return v;
    }
    case TypeKind::Variant:
    case TypeKind::Enum:
    case TypeKind::Option:
    case TypeKind::Result: {
        size_t at = pos();
        std::string name = label();
        std::vector<Case> tmp;
        const std::vector<Case>* cases = &t->cases;
        if (t->kind == TypeKind::Enum) {
            for (const auto& l : t->labels) tmp.push_back({l, nullptr});
            cases = &tmp;
        } else if (t->kind == TypeKind::Option) {
            tmp = {{"none", nullptr}, {"some", t->element}};
            cases = &tmp;
        } else if (t->kind == TypeKind::Result) {
            tmp = {{"ok", t->element}, {"err", t->error}};
            cases = &tmp;
        }
        size_t idx = cases->size();
        for (size_t i = 0; i < cases->size(); ++i) {
            if ((*cases)[i].name == name) idx = i;
        }
        if (idx == cases->size()) {
            set_pos(at);
            fail(fmt::format("unknown case `{}`", name));
            return std::nullopt;
        }
        Val v(t->kind, idx);
        const ValType* ct = (*cases)[idx].type;
        if (ct) {
            if (!expect('(')) return std::nullopt;
            auto e = value(ct);
            if (!e) return std::nullopt;
            v.elems.push_back(std::move(*e));
            if (!expect(')')) return std::nullopt;
        }
        return v;
    }
    case TypeKind::Flags: {
        if (!expect('{')) return std::nullopt;
        std::vector<uint32_t> words((t->labels.size() + 31) / 32);
        if (!eat('}')) {
            while (true) {
                size_t at = pos();
                std::string name = label();
                size_t idx = t->labels.size();
                for (size_t i = 0; i < t->labels.size(); ++i) {
                    if (t->labels[i] == name) idx = i;
                }
                if (idx == t->labels.size()) {
                    set_pos(at);
                    fail(fmt::format("unknown flag `{}`", name));
                    return std::nullopt;
                }
                words[idx / 32] |= 1u << (idx % 32);
                if (eat('}')) break;
                if (!expect(',')) return std::nullopt;
                if (eat('}')) break;
            }
        }
        return Val::flags(std::move(words));
    }
    default:
        fail(fmt::format("values of type {} cannot be written in WAVE", type_kind_name(t->kind)));
        return std::nullopt;
    }
}

} // namespace

std::optional<Val> wave_parse(std::string_view text, const ValType* type, WaveError* error) {
    WaveError local;
    WaveError* err = error ? error : &local;
    WaveParser p(text, err);
    auto v = p.value(type);
    if (!v) return std::nullopt;
    if (!p.at_end()) {
        p.fail("unexpected text after the value");
        return std::nullopt;
    }
    return v;
}

std::optional<std::pair<std::string, std::vector<Val>>>
wave_parse_call(std::string_view text,
                const std::function<const FuncType*(std::string_view)>& lookup, WaveError* error) {
    WaveError local;
    WaveError* err = error ? error : &local;
    size_t open = text.find('(');
    if (open == std::string_view::npos) {
        err->offset = text.size();
        err->message = "expected `(` after the function name";
        return std::nullopt;
    }
    std::string_view name = text.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    const FuncType* ft = lookup(name);
    if (!ft) {
        err->offset = 0;
        err->message = fmt::format("no exported function `{}`", name);
        return std::nullopt;
    }
    WaveParser p(text, err);
    p.set_pos(open + 1);
    std::vector<Val> args;
    for (size_t i = 0; i < ft->params.size(); ++i) {
        if (i && !p.expect(',')) return std::nullopt;
        auto v = p.value(ft->params[i].second);
        if (!v) return std::nullopt;
        args.push_back(std::move(*v));
    }
    p.eat(',');
    if (!p.expect(')')) return std::nullopt;
    if (!p.at_end()) {
        p.fail("unexpected text after the call");
        return std::nullopt;
    }
    return std::pair{std::string(name), std::move(args)};
}

} // namespace cirrus::component
