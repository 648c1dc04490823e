// Small pieces of the type model: versions, package names, primitive names, and the source
// map that turns byte offsets into `file:line:column` diagnostics.
#include "cirrus/wit/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace cirrus::wit {

const char* primitive_name(Primitive p) {
    switch (p) {
    case Primitive::Bool: return "bool";
    case Primitive::U8: return "u8";
    case Primitive::U16: return "u16";
    case Primitive::U32: return "u32";
    case Primitive::U64: return "u64";
    case Primitive::S8: return "s8";
    case Primitive::S16: return "s16";
    case Primitive::S32: return "s32";
    case Primitive::S64: return "s64";
    case Primitive::F32: return "f32";
    case Primitive::F64: return "f64";
    case Primitive::Char: return "char";
    case Primitive::String: return "string";
    case Primitive::ErrorContext: return "error-context";
    }
    return "?";
}

bool function_kind_has_resource(FunctionKind k) {
    return k != FunctionKind::Freestanding && k != FunctionKind::AsyncFreestanding;
}

bool function_kind_is_async(FunctionKind k) {
    return k == FunctionKind::AsyncFreestanding || k == FunctionKind::AsyncMethod ||
           k == FunctionKind::AsyncStatic;
}

std::string Function::item_name() const {
    if (name.empty() || name[0] != '[') return name;
    size_t close = name.find(']');
    std::string_view rest = std::string_view(name).substr(close + 1);
    size_t dot = rest.find('.');
    return std::string(dot == std::string_view::npos ? rest : rest.substr(dot + 1));
}

// --- Version ---

std::string Version::to_string() const {
    std::string out = fmt::format("{}.{}.{}", major, minor, patch);
    if (!pre.empty()) out += "-" + pre;
    if (!build.empty()) out += "+" + build;
    return out;
}

static bool parse_number(std::string_view s, uint64_t& out, std::string* error, const char* what) {
    if (s.empty()) {
        if (error)
            *error = fmt::format("unexpected end of input while parsing {} version number", what);
        return false;
    }
    if (s.size() > 1 && s[0] == '0') {
        if (error) *error = fmt::format("invalid leading zero in {} version number", what);
        return false;
    }
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
        if (error) *error = fmt::format("value of {} version number exceeds u64::MAX", what);
        return false;
    }
    return true;
}

static bool valid_identifiers(std::string_view s, bool is_pre, std::string* error) {
    if (s.empty()) {
        if (error) *error = "empty identifier segment in pre-release identifier";
        return false;
    }
    size_t start = 0;
    for (;;) {
        size_t dot = s.find('.', start);
        std::string_view part = s.substr(start, dot == s.npos ? s.npos : dot - start);
        if (part.empty()) {
            if (error) {
                *error = fmt::format("empty identifier segment in {}",
                                     is_pre ? "pre-release identifier" : "build metadata");
            }
            return false;
        }
        bool numeric = true;
        for (char c : part) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) {
                if (error) *error = fmt::format("unexpected character '{}' in version", c);
                return false;
            }
            if (!std::isdigit(static_cast<unsigned char>(c))) numeric = false;
        }
        if (is_pre && numeric && part.size() > 1 && part[0] == '0') {
            if (error) *error = "invalid leading zero in pre-release identifier";
            return false;
        }
        if (dot == s.npos) break;
        start = dot + 1;
    }
    return true;
}

std::optional<Version> Version::parse(std::string_view text, std::string* error) {
    Version v;
    size_t plus = text.find('+');
    std::string_view core = text.substr(0, plus);
    if (plus != text.npos) {
        v.build = std::string(text.substr(plus + 1));
        if (!valid_identifiers(v.build, false, error)) return std::nullopt;
    }
    size_t dash = core.find('-');
    if (dash != core.npos) {
        v.pre = std::string(core.substr(dash + 1));
        core = core.substr(0, dash);
        if (!valid_identifiers(v.pre, true, error)) return std::nullopt;
    }
    size_t d1 = core.find('.');
    size_t d2 = d1 == core.npos ? core.npos : core.find('.', d1 + 1);
    if (d1 == core.npos || d2 == core.npos) {
        if (error) *error = "unexpected end of input while parsing version";
        return std::nullopt;
    }
    if (!parse_number(core.substr(0, d1), v.major, error, "major") ||
        !parse_number(core.substr(d1 + 1, d2 - d1 - 1), v.minor, error, "minor") ||
        !parse_number(core.substr(d2 + 1), v.patch, error, "patch")) {
        return std::nullopt;
    }
    return v;
}

int Version::compare(const Version& a, const Version& b) {
    if (a.major != b.major) return a.major < b.major ? -1 : 1;
    if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
    if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
    if (a.pre == b.pre) return 0;
    if (a.pre.empty()) return 1; // a release is newer than its pre-releases
    if (b.pre.empty()) return -1;
    std::string_view x = a.pre, y = b.pre;
    for (;;) {
        size_t dx = x.find('.'), dy = y.find('.');
        std::string_view px = x.substr(0, dx), py = y.substr(0, dy);
        bool nx = std::all_of(px.begin(), px.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        bool ny = std::all_of(py.begin(), py.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (nx && ny) {
            if (px.size() != py.size()) return px.size() < py.size() ? -1 : 1;
            if (px != py) return px < py ? -1 : 1;
        } else if (nx != ny) {
            return nx ? -1 : 1;
        } else if (px != py) {
            return px < py ? -1 : 1;
        }
        if (dx == x.npos || dy == y.npos) {
            if (dx == x.npos && dy == y.npos) return 0;
            return dx == x.npos ? -1 : 1;
        }
        x = x.substr(dx + 1);
        y = y.substr(dy + 1);
    }
}

// --- PackageName ---

std::string PackageName::to_string() const {
    std::string out = ns;
    out += ':';
    out += name;
    if (version) {
        // Appended piecewise: `"@" + string` trips GCC 12's -Wrestrict false positive at -O3.
        out += '@';
        out += version->to_string();
    }
    return out;
}

bool operator<(const PackageName& a, const PackageName& b) {
    if (a.ns != b.ns) return a.ns < b.ns;
    if (a.name != b.name) return a.name < b.name;
    if (a.version.has_value() != b.version.has_value()) return !a.version.has_value();
    if (!a.version) return false;
    int c = Version::compare(*a.version, *b.version);
    if (c != 0) return c < 0;
    return a.version->build < b.version->build;
}

// --- SourceMap ---

uint32_t SourceMap::push(std::string path, std::string_view contents) {
    Source src;
    src.offset = next_offset_;
    src.path = std::move(path);
    src.contents.assign(contents);
    src.contents.push_back('\n');
    next_offset_ += static_cast<uint32_t>(src.contents.size());
    sources_.push_back(std::move(src));
    return sources_.back().offset;
}

const SourceMap::Source* SourceMap::source_for(uint32_t offset) const {
    if (sources_.empty()) return nullptr;
    auto it = std::upper_bound(sources_.begin(), sources_.end(), offset,
                               [](uint32_t off, const Source& s) { return off < s.offset; });
    if (it == sources_.begin()) return nullptr;
    return &*(it - 1);
}

void SourceMap::truncate(size_t n) {
    if (n >= sources_.size()) return;
    next_offset_ = sources_[n].offset;
    sources_.resize(n);
}

namespace {

// Zero-based line and column (in bytes) of a relative offset.
std::pair<size_t, size_t> line_col(const std::string& text, size_t offset) {
    size_t line = 0, start = 0;
    for (;;) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos || nl >= offset) return {line, offset - start};
        ++line;
        start = nl + 1;
    }
}

} // namespace

std::string SourceMap::location(Span span) const {
    const Source* src = span.known() ? source_for(span.start) : nullptr;
    if (!src) return "<unknown>";
    auto [line, col] = line_col(src->contents, span.start - src->offset);
    return fmt::format("{}:{}:{}", src->path, line + 1, col + 1);
}

std::string SourceMap::render(Span span, std::string_view message) const {
    const Source* src = span.known() ? source_for(span.start) : nullptr;
    if (!src) return std::string(message);
    size_t rel = span.start - src->offset;
    auto [line, col] = line_col(src->contents, rel);
    size_t line_start = rel - col;
    size_t line_end = src->contents.find('\n', line_start);
    std::string_view snippet =
        std::string_view(src->contents).substr(line_start, line_end - line_start);
    if (!snippet.empty() && snippet.back() == '\r') snippet.remove_suffix(1);
    if (snippet.size() > 500) {
        return fmt::format("{}:{}:{}: {}", src->path, line + 1, col + 1, message);
    }
    std::string marker(col, ' ');
    marker += '^';
    if (span.end > span.start && span.end - src->offset <= src->contents.size()) {
        // One '-' per further character (UTF-8 continuation bytes are not characters).
        std::string_view covered =
            std::string_view(src->contents).substr(rel, span.end - span.start);
        bool first = true;
        for (unsigned char c : covered) {
            if ((c & 0xc0) == 0x80) continue;
            if (!first) marker += '-';
            first = false;
        }
    }
    return fmt::format("{}\n     --> {}:{}:{}\n      |\n {:4} | {}\n      | {}", message, src->path,
                       line + 1, col + 1, line + 1, snippet, marker);
}

} // namespace cirrus::wit
