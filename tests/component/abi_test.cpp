// Canonical ABI round trips and the traps a misbehaving guest must get.
//
// roundtrip.wat exports one function per value type; each lowers its argument into guest
// memory, hands it to the host import of the same type (which lifts it out again), and the
// host's answer is lowered and lifted back. So every value below crosses lift and lower four
// times and must come back unchanged.
#include "support.h"

#include <gtest/gtest.h>

#include <bit>

namespace cirrus::component::test {
namespace {

class RoundTrip : public ::testing::Test {
protected:
    void SetUp() override {
        component = load(engine, "roundtrip");
        ASSERT_TRUE(component);
        for (const auto& [name, et] : component->type().imports) {
            if (et.sort == Sort::Type) continue; // named types, nothing to provide
            ASSERT_EQ(et.sort, Sort::Func);
            if (name == "many") {
                linker.define_func(
                    "", name, et.func,
                    [](CallContext&, std::span<const Val> args) -> Result<std::optional<Val>> {
                        uint64_t sum = 0;
                        for (const auto& a : args) sum += a.as_u64();
                        return std::optional<Val>(Val::u32(uint32_t(sum)));
                    });
                continue;
            }
            linker.define_func(
                "", name, et.func,
                [this](CallContext&, std::span<const Val> args) -> Result<std::optional<Val>> {
                    ++host_calls;
                    return std::optional<Val>(args[0]);
                });
        }
        auto inst = linker.instantiate(store, component);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        instance = *inst;
    }

    // Calls export `func` with the WAVE value `in` and returns the result in WAVE.
    std::string echo(const std::string& func, const std::string& in) {
        Func* f = instance->get_func(func);
        EXPECT_NE(f, nullptr) << func;
        if (!f) return "";
        Val arg = wave(f->type().params[0].second, in);
        auto r = store.call(f, std::span<const Val>(&arg, 1));
        EXPECT_TRUE(r.ok()) << func << "(" << in << "): " << r.error().to_string();
        if (!r.ok() || !*r) return "<error>";
        EXPECT_EQ(**r, arg) << func << "(" << in << ")";
        return wave_print(**r, f->type().result);
    }

    wasm::Engine engine;
    Store store{engine};
    Linker linker;
    std::shared_ptr<const Component> component;
    Instance* instance = nullptr;
    int host_calls = 0;
};

struct Case {
    const char* func;
    const char* in;
    const char* out; // null: printed as given
};

TEST_F(RoundTrip, EveryTypeComesBackUnchanged) {
    const Case cases[] = {
        {"bool", "true", nullptr},
        {"bool", "false", nullptr},
        {"s8", "-128", nullptr},
        {"u8", "255", nullptr},
        {"s16", "-32768", nullptr},
        {"u16", "65535", nullptr},
        {"s32", "-2147483648", nullptr},
        {"u32", "4294967295", nullptr},
        {"s64", "-9223372036854775808", nullptr},
        {"u64", "18446744073709551615", nullptr},
        {"f32", "1.5", nullptr},
        {"f32", "-0", nullptr},
        {"f32", "inf", nullptr},
        {"f32", "nan", nullptr},
        {"f64", "3.141592653589793", nullptr},
        {"f64", "-inf", nullptr},
        {"char", "'x'", nullptr},
        {"char", "'😀'", nullptr},
        {"char", "'\\u{10ffff}'", "'\U0010ffff'"},
        {"char", "'\\n'", nullptr},
        {"string", "\"\"", nullptr},
        {"string", "\"hello\"", nullptr},
        {"string", "\"héllo wörld 😀 \\\"quoted\\\"\"", nullptr},
        {"enum", "blue", nullptr},
        {"flags9", "{}", nullptr},
        {"flags9", "{a, i}", nullptr},
        {"flags32", "{f-0, f-31}", nullptr},
        {"record", "{a: 1, b: 18446744073709551615, c: \"three\"}", nullptr},
        {"tuple", "(7, \"two\", 3.5)", nullptr},
        {"variant1", "a(7)", nullptr},
        {"variant1", "b(1.5)", nullptr},
        {"variant1", "c(\"str\")", nullptr},
        {"variant1", "d", nullptr},
        {"variant2", "x(18446744073709551615)", nullptr},
        {"variant2", "y(2.5)", nullptr},
        {"variant2", "z(-1.25)", nullptr},
        {"option-string", "some(\"hi\")", nullptr},
        {"option-string", "none", nullptr},
        {"option-f64", "some(2.5)", nullptr},
        {"result", "ok(3)", nullptr},
        {"result", "err(\"bad\")", nullptr},
        {"result-empty", "ok", nullptr},
        {"result-empty", "err", nullptr},
        {"flag-pair", "({a, h, i}, {f-5, f-31})", nullptr},
        {"list-u8", "[]", nullptr},
        {"list-u8", "[1, 2, 255]", nullptr},
        {"list-string", "[\"a\", \"\", \"ccc\"]", nullptr},
        {"list-list-u32", "[[1], [], [2, 3]]", nullptr},
        {"list-char", "['a', '😀']", nullptr},
        {"list-record", "[{a: 1, b: 2, c: \"x\"}, {a: 3, b: 4, c: \"\"}]", nullptr},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(echo(c.func, c.in), c.out ? c.out : c.in) << c.func;
    }
    EXPECT_EQ(host_calls, static_cast<int>(std::size(cases)));
}

TEST_F(RoundTrip, LongListsAndStrings) {
    std::string big(100000, 'x');
    Func* f = instance->get_func("string");
    Val arg = Val::string(big);
    auto r = store.call(f, std::span<const Val>(&arg, 1));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)->as_string(), big);

    std::vector<Val> bytes;
    for (int i = 0; i < 70000; ++i) bytes.push_back(Val::u8(uint8_t(i)));
    Val list = Val::list(bytes);
    auto r2 = store.call(instance->get_func("list-u8"), std::span<const Val>(&list, 1));
    ASSERT_TRUE(r2.ok()) << r2.error().to_string();
    EXPECT_EQ(**r2, list);
}

// Lists of integers come out of a guest packed (one copy of their bytes) and go in from either
// form; the two forms are the same value.
TEST_F(RoundTrip, ListsOfIntegersCrossAsBytes) {
    Func* f = instance->get_func("list-u8");
    std::string raw;
    for (int i = 0; i < 70000; ++i) raw.push_back(static_cast<char>(i * 7));
    for (const std::string& bytes : {std::string(), std::string("\0\xff", 2), raw}) {
        Val packed = Val::bytes(bytes);
        auto r = store.call(f, std::span<const Val>(&packed, 1));
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        ASSERT_TRUE((*r)->packed_bytes());
        EXPECT_EQ(*(*r)->packed_bytes(), bytes);
        EXPECT_EQ((*r)->list_size(), bytes.size());
        std::vector<Val> elems;
        for (char c : bytes) elems.push_back(Val::u8(static_cast<uint8_t>(c)));
        EXPECT_EQ(**r, Val::list(elems));
        EXPECT_EQ(Val::list(elems), **r);
    }
    // Inside other values too: list<list<u32>> keeps its inner lists packed.
    Func* nested = instance->get_func("list-list-u32");
    Val arg =
        Val::list({Val::packed_list(TypeKind::U32, std::string("\1\0\0\0\xff\xff\xff\xff", 8)),
                   Val::list({Val::u32(2)}), Val::list({})});
    auto r = store.call(nested, std::span<const Val>(&arg, 1));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(**r, arg);
    EXPECT_EQ(wave_print(**r, nested->type().result), "[[1, 4294967295], [2], []]");
    EXPECT_EQ((*r)->elems.at(0).list_at(1).as_u64(), 4294967295u);
    // A packed list of the wrong element type is refused before anything is lowered.
    Val wrong = Val::packed_list(TypeKind::U16, std::string(2, '\0'));
    auto bad = store.call(f, std::span<const Val>(&wrong, 1));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("packed list of u16"), std::string::npos)
        << bad.error().message;
}

TEST_F(RoundTrip, NaNsAreCanonicalised) {
    Val arg = Val(TypeKind::F32, 0x7fa00001); // a NaN with a payload
    auto r = store.call(instance->get_func("f32"), std::span<const Val>(&arg, 1));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->bits, 0x7fc00000u);
    Val arg64 = Val(TypeKind::F64, 0xfff0000000000001ull);
    auto r64 = store.call(instance->get_func("f64"), std::span<const Val>(&arg64, 1));
    ASSERT_TRUE(r64.ok());
    EXPECT_EQ((*r64)->bits, 0x7ff8000000000000ull);
}

TEST_F(RoundTrip, SeventeenParametersSpillToMemory) {
    std::vector<Val> args;
    for (uint32_t i = 1; i <= 17; ++i) args.push_back(Val::u32(i));
    auto r = store.call(instance->get_func("many"), args);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)->as_u64(), 153u);
}

TEST_F(RoundTrip, HostValuesAreCheckedAgainstTheType) {
    Val bad = Val::u32(1);
    auto r = store.call(instance->get_func("string"), std::span<const Val>(&bad, 1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Usage);
    Val surrogate = Val::character(0xd800);
    auto r2 = store.call(instance->get_func("char"), std::span<const Val>(&surrogate, 1));
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().message.find("code point"), std::string::npos);
    Val invalid = Val::string("\xff");
    auto r3 = store.call(instance->get_func("string"), std::span<const Val>(&invalid, 1));
    ASSERT_FALSE(r3.ok());
}

// ---------------------------------------------------------------- traps

class Traps : public ::testing::Test {
protected:
    void SetUp() override {
        component = load(engine, "traps");
        ASSERT_TRUE(component);
        auto inst = Linker().instantiate(store, component);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        instance = *inst;
    }
    Result<std::optional<Val>> call(const std::string& name, std::vector<Val> args = {}) {
        Func* f = instance->get_func(name);
        EXPECT_NE(f, nullptr) << name;
        return store.call(f, args);
    }
    // Expects a trap whose message contains `what`.
    void expect_trap(const std::string& name, const std::string& what, std::vector<Val> args = {}) {
        // A trap leaves the instance unusable (as in the spec), so use a fresh one each time.
        Store fresh(engine);
        auto inst = Linker().instantiate(fresh, component);
        ASSERT_TRUE(inst.ok());
        auto r = fresh.call((*inst)->get_func(name), args);
        ASSERT_FALSE(r.ok()) << name << " did not trap";
        EXPECT_EQ(r.error().kind, ErrorKind::Trap) << name;
        EXPECT_NE(r.error().message.find(what), std::string::npos)
            << name << ": " << r.error().message;
    }
    wasm::Engine engine;
    Store store{engine};
    std::shared_ptr<const Component> component;
    Instance* instance = nullptr;
};

TEST_F(Traps, BadPointersAndValuesFromTheGuestTrapWithAMessage) {
    expect_trap("misaligned-result", "misaligned result pointer 3");
    expect_trap("out-of-bounds-result", "out of bounds");
    expect_trap("out-of-bounds-string", "out of bounds");
    expect_trap("invalid-utf8", "invalid UTF-8");
    expect_trap("misaligned-list", "misaligned list pointer 2");
    expect_trap("surrogate-char", "invalid `char` code point 0xd800");
    expect_trap("too-big-char", "invalid `char` code point 0x110000");
    expect_trap("bad-enum", "invalid enum discriminant 3");
    expect_trap("bad-option", "invalid option discriminant 2");
    expect_trap("unreachable", "unreachable");
}

TEST_F(Traps, ListsOfIntegersFromTheGuest) {
    auto bytes = call("list-u8");
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    ASSERT_TRUE((*bytes)->packed_bytes());
    EXPECT_EQ(*(*bytes)->packed_bytes(), "bytes");
    EXPECT_EQ((*bytes)->to_bytes(), "bytes");
    auto s16 = call("list-s16");
    ASSERT_TRUE(s16.ok()) << s16.error().to_string();
    ASSERT_EQ((*s16)->list_size(), 2u);
    EXPECT_EQ((*s16)->list_at(0).as_s64(), -1);
    EXPECT_EQ((*s16)->list_at(1).as_s64(), -32768);
    EXPECT_EQ(**s16, Val::list({Val::s16(-1), Val::s16(-32768)}));
    auto empty = call("empty-list-at-end");
    ASSERT_TRUE(empty.ok()) << empty.error().to_string();
    EXPECT_EQ((*empty)->list_size(), 0u);
    expect_trap("out-of-bounds-list", "out of bounds memory access (pointer 65530 + 8 bytes");
    expect_trap("huge-list", "out of bounds");
    expect_trap("misaligned-list-s16", "misaligned list pointer 97 (alignment 2)");
    // Lowered into the guest: the realloc'd range is checked before the copy.
    Val packed = Val::bytes(std::string(8, 'x'));
    auto ok = call("take-bytes", {packed});
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    expect_trap("take-bytes-out-of-bounds", "out of bounds", {packed});
    expect_trap("take-bytes-out-of-bounds", "out of bounds",
                {Val::list(std::vector<Val>(8, Val::u8(1)))});
}

TEST_F(Traps, ReallocResultsAreChecked) {
    std::vector<Val> list = {Val::list({Val::u32(1), Val::u32(2)})};
    auto ok = call("take-list", list);
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    expect_trap("take-list-misaligned", "realloc returned misaligned pointer 258", list);
    expect_trap("take-list-out-of-bounds", "out of bounds", list);
}

TEST_F(Traps, LenientLifts) {
    // An empty string may point anywhere in bounds; nothing is read.
    auto empty = call("dangling-empty");
    ASSERT_TRUE(empty.ok()) << empty.error().to_string();
    EXPECT_EQ((*empty)->as_string(), "");
    auto b = call("bool-two");
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE((*b)->as_bool());
    auto u = call("u8-wraps");
    ASSERT_TRUE(u.ok());
    EXPECT_EQ((*u)->as_u64(), 255u);
}

TEST_F(Traps, ATrappedInstanceCannotBeEnteredAgain) {
    auto r = call("unreachable");
    ASSERT_FALSE(r.ok());
    auto again = call("bool-two");
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("cannot enter component instance"), std::string::npos);
}

// ---------------------------------------------------------------- string encodings

class Strings : public ::testing::Test {
protected:
    void SetUp() override {
        component = load(engine, "strings");
        ASSERT_TRUE(component);
        auto inst = Linker().instantiate(store, component);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        instance = *inst;
    }
    Result<std::optional<Val>> call(const std::string& name, std::vector<Val> args = {}) {
        return store.call(instance->get_func(name), args);
    }
    wasm::Engine engine;
    Store store{engine};
    std::shared_ptr<const Component> component;
    Instance* instance = nullptr;
};

TEST_F(Strings, EachEncodingRoundTrips) {
    for (const char* enc : {"utf8", "utf16", "latin1"}) {
        for (std::string s : {"", "plain ascii", "héllo", "a😀é", "\xf4\x8f\xbf\xbf"}) {
            auto r = call(std::string(enc) + "-echo", {Val::string(s)});
            ASSERT_TRUE(r.ok()) << enc << ": " << r.error().to_string();
            EXPECT_EQ((*r)->as_string(), s) << enc;
        }
    }
}

TEST_F(Strings, LengthsAreInCodeUnitsOfTheEncoding) {
    auto len = [&](const char* f, const char* s) {
        auto r = call(f, {Val::string(s)});
        EXPECT_TRUE(r.ok());
        return r.ok() ? (*r)->as_u64() : 0;
    };
    EXPECT_EQ(len("utf8-len", "a😀é"), 7u);
    EXPECT_EQ(len("utf16-len", "a😀é"), 4u);               // the emoji is a surrogate pair
    EXPECT_EQ(len("latin1-len", "héllo"), 5u);            // fits latin1: untagged
    EXPECT_EQ(len("latin1-len", "a😀é"), 4u | (1u << 31)); // UTF-16, tagged
}

TEST_F(Strings, InvalidUtf16FromTheGuestTraps) {
    auto r = call("utf16-unpaired");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("unpaired surrogate"), std::string::npos);
    Store fresh(engine);
    auto inst = Linker().instantiate(fresh, component);
    ASSERT_TRUE(inst.ok());
    auto m = fresh.call((*inst)->get_func("utf16-misaligned"), {});
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("misaligned string pointer 65"), std::string::npos);
}

// ---------------------------------------------------------------- WAVE

TEST(Wave, ParseErrorsSayWhere) {
    TypeArena types;
    WaveError err;
    EXPECT_FALSE(wave_parse("300", ValType::primitive(TypeKind::U8), &err));
    EXPECT_NE(err.message.find("invalid u8"), std::string::npos);
    err = {};
    EXPECT_FALSE(wave_parse("[1, x]", types.list(ValType::primitive(TypeKind::U32)), &err));
    EXPECT_EQ(err.offset, 4u);
    err = {};
    EXPECT_FALSE(wave_parse("\"\\u{d800}\"", ValType::primitive(TypeKind::String), &err));
    EXPECT_NE(err.message.find("invalid code point"), std::string::npos);
    auto opt = types.record({{"a", ValType::primitive(TypeKind::U8)},
                             {"b", types.option(ValType::primitive(TypeKind::U8))}});
    auto v = wave_parse("{a: 1}", opt, nullptr);
    ASSERT_TRUE(v);
    EXPECT_EQ(wave_print(*v, opt), "{a: 1, b: none}");
}

TEST(Wave, ListsOfIntegersParseAndPrintInBothForms) {
    TypeArena types;
    const ValType* bytes = types.list(ValType::primitive(TypeKind::U8));
    const ValType* s64s = types.list(ValType::primitive(TypeKind::S64));
    auto v = wave_parse("[104, 105, 0, 255]", bytes, nullptr);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->is_packed());
    EXPECT_EQ(v->to_bytes(), std::string("hi\0\xff", 4));
    EXPECT_EQ(wave_print(*v, bytes), "[104, 105, 0, 255]");
    EXPECT_EQ(wave_print(Val::list({Val::u8(1), Val::u8(2)}), bytes), "[1, 2]");
    auto n = wave_parse("[-1, 9223372036854775807, -9223372036854775808]", s64s, nullptr);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->list_size(), 3u);
    EXPECT_EQ(n->list_at(0).as_s64(), -1);
    EXPECT_EQ(wave_print(*n, s64s), "[-1, 9223372036854775807, -9223372036854775808]");
    auto empty = wave_parse("[]", bytes, nullptr);
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, Val::list({}));
    std::string why;
    EXPECT_TRUE(val_matches(*v, bytes, &why)) << why;
    EXPECT_FALSE(val_matches(*v, s64s, &why));
    EXPECT_FALSE(val_matches(Val::packed_list(TypeKind::S64, "abc"), s64s, &why));
    EXPECT_NE(why.find("partial element"), std::string::npos) << why;
    EXPECT_NE(Val::bytes(std::string("ab")), Val::bytes(std::string("ac")));
    EXPECT_NE(Val::bytes(std::string("ab")), Val::list({Val::u8('a')}));
    EXPECT_NE(Val::packed_list(TypeKind::S8, "a"), Val::bytes(std::string("a")));
}

} // namespace
} // namespace cirrus::component::test
