// Runs the component-model .wast scripts of ../shared/testsuite/component-model/. The scripts
// are split and their components encoded at build time by wast2json.mjs (jco's wasm-tools
// text parser); this runner decodes, validates, instantiates and invokes with cirrus and
// checks each assertion. Scripts or commands that need what this layer does not have (async,
// values, host imports, text-level errors) are listed with a reason in wast_skip.txt.
#include "cirrus/support/utf8.h"
#include "support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace cirrus::component::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------- s-expressions

struct SExpr {
    bool is_list = false;
    bool is_string = false;
    std::string atom; // atom or decoded string
    std::vector<SExpr> items;
};

// wast string escapes: \n \t \r \\ \' \" \hh \u{...}
std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 >= s.size()) {
            out += s[i];
            continue;
        }
        char c = s[++i];
        auto hex = [](char h) { return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10; };
        switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'u': {
            size_t close = s.find('}', i);
            uint32_t cp = static_cast<uint32_t>(
                std::stoul(std::string(s.substr(i + 2, close - i - 2)), nullptr, 16));
            i = close;
            cirrus::append_utf8(out, cp);
            break;
        }
        default: out += static_cast<char>(hex(c) * 16 + hex(s[i + 1])); ++i;
        }
    }
    return out;
}

std::optional<SExpr> parse_sexpr(std::string_view s, size_t& p) {
    auto ws = [&] {
        while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
    };
    ws();
    if (p >= s.size()) return std::nullopt;
    SExpr e;
    if (s[p] == '(') {
        e.is_list = true;
        ++p;
        while (true) {
            ws();
            if (p >= s.size()) return std::nullopt;
            if (s[p] == ')') {
                ++p;
                return e;
            }
            auto item = parse_sexpr(s, p);
            if (!item) return std::nullopt;
            e.items.push_back(std::move(*item));
        }
    }
    if (s[p] == '"') {
        size_t start = ++p;
        while (p < s.size() && s[p] != '"') p += s[p] == '\\' ? 2 : 1;
        e.is_string = true;
        e.atom = unescape(s.substr(start, p - start));
        ++p;
        return e;
    }
    size_t start = p;
    while (p < s.size() && !std::isspace(static_cast<unsigned char>(s[p])) && s[p] != '(' &&
           s[p] != ')')
        ++p;
    e.atom = std::string(s.substr(start, p - start));
    return e;
}

// ---------------------------------------------------------------- values

std::optional<uint64_t> parse_uint(std::string text, bool* negative) {
    std::erase(text, '_');
    *negative = !text.empty() && text[0] == '-';
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.erase(0, 1);
    try {
        size_t used = 0;
        uint64_t v = std::stoull(text, &used, text.starts_with("0x") ? 16 : 10);
        if (used != text.size()) return std::nullopt;
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<Val> value_of(const SExpr& e, const ValType* t);

// A value written as `(T.const ...)`, or flat inside a record field.
std::optional<Val> value_from(const std::string& head, std::span<const SExpr> args,
                              const ValType* t) {
    auto num = [&](bool is_signed) -> std::optional<Val> {
        if (args.empty()) return std::nullopt;
        bool neg = false;
        auto v = parse_uint(args[0].atom, &neg);
        if (!v) return std::nullopt;
        uint64_t bits = neg ? uint64_t{0} - *v : *v;
        (void)is_signed;
        Val out(t->kind, bits);
        // Narrow to the width the type has (as WAVE would have parsed it).
        switch (t->kind) {
        case TypeKind::U8: out.bits &= 0xff; break;
        case TypeKind::U16: out.bits &= 0xffff; break;
        case TypeKind::U32: out.bits &= 0xffffffff; break;
        case TypeKind::S8: out.bits = static_cast<uint64_t>(int64_t(int8_t(bits))); break;
        case TypeKind::S16: out.bits = static_cast<uint64_t>(int64_t(int16_t(bits))); break;
        case TypeKind::S32: out.bits = static_cast<uint64_t>(int64_t(int32_t(bits))); break;
        default: break;
        }
        return out;
    };
    switch (t->kind) {
    case TypeKind::Bool:
        if (args.empty()) return std::nullopt;
        return Val::boolean(args[0].atom == "true");
    case TypeKind::U8:
    case TypeKind::U16:
    case TypeKind::U32:
    case TypeKind::U64: return num(false);
    case TypeKind::S8:
    case TypeKind::S16:
    case TypeKind::S32:
    case TypeKind::S64: return num(true);
    case TypeKind::F32:
    case TypeKind::F64: {
        if (args.empty()) return std::nullopt;
        std::string a = args[0].atom;
        std::erase(a, '_');
        double d;
        if (a.find("nan") != std::string::npos)
            d = std::nan("");
        else if (a == "inf" || a == "+inf")
            d = INFINITY;
        else if (a == "-inf")
            d = -INFINITY;
        else
            d = std::strtod(a.c_str(), nullptr);
        return t->kind == TypeKind::F32 ? Val::f32(static_cast<float>(d)) : Val::f64(d);
    }
    case TypeKind::Char: {
        if (args.empty()) return std::nullopt;
        const std::string& s = args[0].atom;
        auto v = wave_parse("'" + s + "'", t, nullptr);
        if (!v && !s.empty()) {
            // decode the UTF-8 directly
            uint32_t cp = static_cast<unsigned char>(s[0]);
            size_t n = cp < 0x80 ? 0 : cp < 0xe0 ? 1 : cp < 0xf0 ? 2 : 3;
            cp &= n == 0 ? 0x7f : n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07;
            for (size_t i = 1; i <= n && i < s.size(); ++i)
                cp = cp << 6 | (static_cast<unsigned char>(s[i]) & 0x3f);
            return Val::character(cp);
        }
        return v;
    }
    case TypeKind::String: return Val::string(args.empty() ? "" : args[0].atom);
    case TypeKind::List: {
        std::vector<Val> elems;
        for (const auto& a : args) {
            auto v = value_of(a, t->element);
            if (!v) return std::nullopt;
            elems.push_back(std::move(*v));
        }
        return Val::list(std::move(elems));
    }
    case TypeKind::Tuple:
    case TypeKind::Record: {
        if (args.size() != t->fields.size()) return std::nullopt;
        std::vector<Val> fields;
        for (size_t i = 0; i < args.size(); ++i) {
            const SExpr* a = &args[i];
            std::optional<Val> v;
            if (a->is_list && !a->items.empty() && a->items[0].atom == "field") {
                // (field "name" value) or (field "name" T.const args...)
                if (a->items.size() == 3) {
                    v = value_of(a->items[2], t->fields[i].type);
                } else if (a->items.size() > 3) {
                    v = value_from(a->items[2].atom, std::span<const SExpr>(a->items).subspan(3),
                                   t->fields[i].type);
                }
            } else {
                v = value_of(*a, t->fields[i].type);
            }
            if (!v) return std::nullopt;
            fields.push_back(std::move(*v));
        }
        Val out = Val::record(std::move(fields));
        out.kind = t->kind;
        return out;
    }
    case TypeKind::Variant:
    case TypeKind::Enum: {
        if (args.empty()) return std::nullopt;
        std::vector<Case> enum_cases;
        const std::vector<Case>* cases = &t->cases;
        if (t->kind == TypeKind::Enum) {
            for (const auto& l : t->labels) enum_cases.push_back({l, nullptr});
            cases = &enum_cases;
        }
        for (size_t i = 0; i < cases->size(); ++i) {
            if ((*cases)[i].name != args[0].atom) continue;
            Val out(t->kind, i);
            if ((*cases)[i].type) {
                if (args.size() < 2) return std::nullopt;
                auto p = value_of(args[1], (*cases)[i].type);
                if (!p) return std::nullopt;
                out.elems.push_back(std::move(*p));
            }
            return out;
        }
        return std::nullopt;
    }
    case TypeKind::Flags: {
        std::vector<uint32_t> words((t->labels.size() + 31) / 32);
        for (const auto& a : args) {
            for (size_t i = 0; i < t->labels.size(); ++i) {
                if (t->labels[i] == a.atom) words[i / 32] |= 1u << (i % 32);
            }
        }
        return Val::flags(std::move(words));
    }
    case TypeKind::Option:
        if (head == "option.none") return Val::none();
        if (head == "option.some" && !args.empty()) {
            auto v = value_of(args[0], t->element);
            if (!v) return std::nullopt;
            return Val::some(std::move(*v));
        }
        return std::nullopt;
    case TypeKind::Result: {
        bool ok = head == "result.ok";
        const ValType* pt = ok ? t->element : t->error;
        std::optional<Val> payload;
        if (pt) {
            if (args.empty()) return std::nullopt;
            payload = value_of(args[0], pt);
            if (!payload) return std::nullopt;
        }
        return ok ? Val::ok(std::move(payload)) : Val::err(std::move(payload));
    }
    default: return std::nullopt;
    }
}

std::optional<Val> value_of(const SExpr& e, const ValType* t) {
    if (!e.is_list || e.items.empty()) return std::nullopt;
    return value_from(e.items[0].atom, std::span<const SExpr>(e.items).subspan(1), t);
}

// ---------------------------------------------------------------- the runner

std::vector<uint8_t> base64(const std::string& in) {
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0) continue;
        acc = acc << 6 | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(acc >> bits));
        }
    }
    return out;
}

// Skip list: `script` or `script:line`, then the reason.
std::map<std::string, std::string> load_skips() {
    std::map<std::string, std::string> skips;
    std::ifstream in(std::string(CIRRUS_WAST_SKIP));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        size_t sp = line.find(' ');
        skips[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
    }
    return skips;
}

struct Outcome {
    int passed = 0, failed = 0, skipped = 0;
    std::vector<std::string> failures;
};

// The host functions wasmtime's wast runner defines for its scripts (crates/wast, the
// component spectest): a root function `host-return-two` and `return-three` in instance
// `host`. Every component of a script is linked against them, as wasmtime links its own.
void define_test_host(Linker& linker) {
    const FuncType* returns_u32 =
        linker.types().func(FuncType{{}, ValType::primitive(TypeKind::U32)});
    auto constant = [](uint32_t v) {
        return [v](CallContext&, std::span<const Val>) -> Result<std::optional<Val>> {
            return std::optional<Val>(Val::u32(v));
        };
    };
    linker.define_func("", "host-return-two", returns_u32, constant(2));
    linker.define_func("host", "return-three", returns_u32, constant(3));
}

class ScriptRunner {
public:
    explicit ScriptRunner(std::string script) : script_(std::move(script)) {
        define_test_host(host_);
    }

    void fail(int line, const std::string& why) {
        ++outcome.failed;
        outcome.failures.push_back(fmt_line(line) + why);
    }
    std::string fmt_line(int line) const { return script_ + ":" + std::to_string(line) + ": "; }

    Result<Instance*> instantiate(const std::shared_ptr<const Component>& c) {
        store_ = std::make_unique<Store>(engine_);
        return host_.instantiate(*store_, c);
    }

    void run(const json& cmd) {
        std::string kind = cmd["kind"];
        int line = cmd["line"];
        auto binary = [&]() -> std::optional<std::vector<uint8_t>> {
            if (!cmd.contains("ok") || !cmd["ok"].get<bool>()) return std::nullopt;
            return base64(cmd["binary"].get<std::string>());
        };
        if (kind == "component" || kind == "definition") {
            auto bytes = binary();
            if (!bytes) {
                fail(line, "could not encode: " + cmd.value("error", std::string()));
                instance_ = nullptr;
                return;
            }
            auto c = Component::compile(engine_, *bytes);
            if (!c.ok()) {
                fail(line, "component rejected: " + c.error().message);
                instance_ = nullptr;
                return;
            }
            if (kind == "definition") {
                definitions_[cmd["name"]] = *c;
                ++outcome.passed;
                return;
            }
            auto inst = instantiate(*c);
            if (!inst.ok()) {
                fail(line, "instantiation failed: " + inst.error().message);
                instance_ = nullptr;
                return;
            }
            instance_ = *inst;
            ++outcome.passed;
        } else if (kind == "instance") {
            auto def = definitions_.find(cmd["of"]);
            if (def == definitions_.end()) {
                fail(line, "unknown definition");
                return;
            }
            auto inst = instantiate(def->second);
            if (!inst.ok()) {
                fail(line, "instantiation failed: " + inst.error().message);
                instance_ = nullptr;
                return;
            }
            instance_ = *inst;
            ++outcome.passed;
        } else if (kind == "assert_invalid" || kind == "assert_malformed") {
            auto bytes = binary();
            if (!bytes) {
                ++outcome.skipped; // refused by the text parser already: not ours to check
                return;
            }
            auto c = Component::compile(engine_, *bytes);
            std::string message = cmd.value("message", std::string());
            if (!c.ok()) {
                ++outcome.passed;
                return;
            }
            // wasmtime's scripts also call invalid what wasmtime's host refuses of a root
            // component (a component import, a component export, a re-exported import): the
            // host must refuse it before resolving any import, with wasmtime's message.
            if (script_.starts_with("wasmtime_") && !message.empty()) {
                auto pre = host_.instantiate_pre(*c);
                if (!pre.ok() && pre.error().message.find(message) != std::string::npos) {
                    ++outcome.passed;
                    return;
                }
            }
            fail(line, "expected invalid (" + message + ")");
        } else if (kind == "assert_unlinkable" ||
                   (kind == "assert_trap" && !cmd.contains("invoke"))) {
            auto bytes = binary();
            if (!bytes) {
                fail(line, "could not encode");
                return;
            }
            auto c = Component::compile(engine_, *bytes);
            if (!c.ok()) {
                fail(line, "component rejected: " + c.error().message);
                return;
            }
            Store s(engine_);
            auto inst = host_.instantiate(s, *c);
            if (inst.ok())
                fail(line, "expected " + kind);
            else
                ++outcome.passed;
        } else if (kind == "assert_return" || kind == "assert_trap" || kind == "invoke") {
            invoke(cmd, kind, line);
        } else {
            ++outcome.skipped;
        }
    }

    void invoke(const json& cmd, const std::string& kind, int line) {
        if (!instance_) {
            fail(line, "no instance to invoke");
            return;
        }
        size_t p = 0;
        auto call = parse_sexpr(cmd["invoke"].get<std::string>(), p);
        if (!call || call->items.size() < 2) {
            fail(line, "cannot read invoke");
            return;
        }
        Func* f = instance_->get_func(call->items[1].atom);
        if (!f) {
            fail(line, "no export " + call->items[1].atom);
            return;
        }
        const FuncType& ft = f->type();
        std::vector<Val> args;
        for (size_t i = 2; i < call->items.size(); ++i) {
            if (i - 2 >= ft.params.size()) {
                fail(line, "too many arguments");
                return;
            }
            auto v = value_of(call->items[i], ft.params[i - 2].second);
            if (!v) {
                fail(line, "cannot read argument " + std::to_string(i - 2));
                return;
            }
            args.push_back(std::move(*v));
        }
        auto r = store_->call(f, args);
        if (kind == "assert_trap") {
            if (r.ok())
                fail(line, "expected a trap: " + cmd.value("message", std::string()));
            else
                ++outcome.passed;
            return;
        }
        if (!r.ok()) {
            fail(line, "call failed: " + r.error().message);
            return;
        }
        const auto& expected = cmd["expected"];
        if (expected.empty()) {
            ++outcome.passed;
            return;
        }
        size_t q = 0;
        auto e = parse_sexpr(expected[0].get<std::string>(), q);
        if (!ft.result || !*r) {
            fail(line, "expected a result");
            return;
        }
        auto want = e ? value_of(*e, ft.result) : std::nullopt;
        if (!want) {
            fail(line, "cannot read expected value");
            return;
        }
        bool same = **r == *want;
        // NaNs compare by being NaN.
        if (!same && (ft.result->kind == TypeKind::F32 || ft.result->kind == TypeKind::F64)) {
            double a = ft.result->kind == TypeKind::F32 ? (*r)->as_f32() : (*r)->as_f64();
            double b = ft.result->kind == TypeKind::F32 ? want->as_f32() : want->as_f64();
            same = std::isnan(a) && std::isnan(b);
        }
        if (!same)
            fail(line, "got " + wave_print(**r, ft.result) + ", expected " +
                           wave_print(*want, ft.result));
        else
            ++outcome.passed;
    }

    Outcome outcome;

private:
    std::string script_;
    wasm::Engine engine_;
    Linker host_; // outlives the stores, which use its host functions
    std::unique_ptr<Store> store_;
    Instance* instance_ = nullptr;
    std::map<std::string, std::shared_ptr<const Component>> definitions_;
};

std::vector<std::string> scripts() {
    std::vector<std::string> out;
    fs::path dir(CIRRUS_WAST_JSON);
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Wast : public ::testing::TestWithParam<std::string> {};

TEST_P(Wast, Script) {
    std::ifstream in(fs::path(CIRRUS_WAST_JSON) / (GetParam() + ".json"));
    json doc = json::parse(in);
    auto skips = load_skips();
    std::string name = GetParam();
    if (auto s = skips.find(name); s != skips.end()) GTEST_SKIP() << s->second;
    ScriptRunner runner(name);
    for (const auto& cmd : doc["commands"]) {
        std::string key = name + ":" + std::to_string(cmd["line"].get<int>());
        if (skips.count(key)) {
            ++runner.outcome.skipped;
            continue;
        }
        runner.run(cmd);
    }
    for (const auto& f : runner.outcome.failures) ADD_FAILURE() << f;
    RecordProperty("passed", runner.outcome.passed);
    RecordProperty("skipped", runner.outcome.skipped);
    std::printf("%s: %d passed, %d failed, %d skipped\n", name.c_str(), runner.outcome.passed,
                runner.outcome.failed, runner.outcome.skipped);
}

INSTANTIATE_TEST_SUITE_P(ComponentModel, Wast, ::testing::ValuesIn(scripts()),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return n;
                         });

} // namespace
} // namespace cirrus::component::test
