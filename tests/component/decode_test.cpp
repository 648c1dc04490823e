// Decoding and validation: malformed and invalid components give errors with byte offsets,
// never a crash; a component's type prints as WIT.
#include "cirrus/wit/resolve.h"
#include "support.h"

#include <gtest/gtest.h>

namespace cirrus::component::test {
namespace {

std::vector<uint8_t> header() {
    return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
}

std::vector<uint8_t> with_section(uint8_t id, std::vector<uint8_t> body) {
    auto bytes = header();
    bytes.push_back(id);
    bytes.push_back(static_cast<uint8_t>(body.size()));
    bytes.insert(bytes.end(), body.begin(), body.end());
    return bytes;
}

Error compile_error(const std::vector<uint8_t>& bytes) {
    wasm::Engine engine;
    auto c = Component::compile(engine, bytes);
    EXPECT_FALSE(c.ok());
    return c.ok() ? Error() : c.error();
}

TEST(Decode, MalformedHeaders) {
    EXPECT_NE(compile_error({}).message.find("unexpected end"), std::string::npos);
    Error magic = compile_error({0x00, 0x61, 0x73, 0x6e, 0x0d, 0x00, 0x01, 0x00});
    EXPECT_EQ(magic.kind, ErrorKind::Malformed);
    EXPECT_NE(magic.message.find("magic header"), std::string::npos);
    Error core = compile_error({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
    EXPECT_NE(core.message.find("core module, not a component"), std::string::npos);
    Error version = compile_error({0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00});
    EXPECT_NE(version.message.find("unknown component version"), std::string::npos);
}

TEST(Decode, SectionErrorsCarryOffsets) {
    auto bytes = header();
    bytes.insert(bytes.end(), {0x07, 0x10, 0x01});
    Error size = compile_error(bytes);
    EXPECT_NE(size.message.find("section size exceeds the end of the component (at offset 0x8)"),
              std::string::npos)
        << size.message;
    Error unknown = compile_error(with_section(13, {}));
    EXPECT_NE(unknown.message.find("unknown section id 13 (at offset 0x8)"), std::string::npos)
        << unknown.message;
}

TEST(Decode, IndexAndTypeRulesAreChecked) {
    // alias export "f" of instance 0, with no instance defined
    Error alias = compile_error(with_section(6, {0x01, 0x01, 0x00, 0x00, 0x01, 'f'}));
    EXPECT_EQ(alias.kind, ErrorKind::Invalid);
    EXPECT_NE(alias.message.find("instance index 0 out of bounds (at offset 0xd)"),
              std::string::npos)
        << alias.message;
    // a record with no fields
    Error record = compile_error(with_section(7, {0x01, 0x72, 0x00}));
    EXPECT_NE(record.message.find("record type must have at least one field"), std::string::npos)
        << record.message;
    // flags with 33 labels
    std::vector<uint8_t> flags = {0x01, 0x6e, 33};
    for (int i = 0; i < 33; ++i) {
        flags.push_back(2);
        flags.push_back('a' + static_cast<uint8_t>(i / 26));
        flags.push_back('a' + static_cast<uint8_t>(i % 26));
    }
    auto fb = header();
    fb.push_back(7);
    fb.push_back(static_cast<uint8_t>(flags.size() & 0x7f) | 0x80);
    fb.push_back(static_cast<uint8_t>(flags.size() >> 7));
    fb.insert(fb.end(), flags.begin(), flags.end());
    EXPECT_NE(compile_error(fb).message.find("cannot have more than 32 flags"), std::string::npos);
    // own of a type that is not a resource: (type u32) (type (own 0))
    Error own = compile_error(with_section(7, {0x02, 0x79, 0x69, 0x00}));
    EXPECT_NE(own.message.find("type index 0 is not a resource type"), std::string::npos)
        << own.message;
    // function type with two parameters named alike (case-insensitively)
    Error dup = compile_error(
        with_section(7, {0x01, 0x40, 0x02, 0x01, 'a', 0x79, 0x01, 'A', 0x79, 0x01, 0x00}));
    EXPECT_NE(dup.message.find("conflicts with previous parameter name"), std::string::npos)
        << dup.message;
    // a kebab-case violation in an import name: (import "a_b" (func (type 0)))
    Error name =
        compile_error({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05, 0x01, 0x40, 0x00,
                       0x01, 0x00, 0x0a, 0x08, 0x01, 0x00, 0x03, 'a',  '_',  'b',  0x01, 0x00});
    EXPECT_NE(name.message.find("`a_b` is not a valid extern name (at offset 0x12)"),
              std::string::npos)
        << name.message;
}

TEST(Decode, CanonLiftTypeMustMatchTheCoreFunction) {
    auto bytes = read_test_file("invalid-lift.wasm");
    wasm::Engine engine;
    auto c = Component::compile(engine, bytes);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Invalid);
    EXPECT_NE(c.error().message.find("lowered function type `(param i32)` does not match the "
                                     "core function's type `(param i64)`"),
              std::string::npos)
        << c.error().message;
}

// A section whose body may be longer than 127 bytes (the size as an unsigned LEB128).
std::vector<uint8_t> with_long_section(uint8_t id, const std::vector<uint8_t>& body) {
    auto bytes = header();
    bytes.push_back(id);
    size_t n = body.size();
    do {
        uint8_t b = n & 0x7f;
        n >>= 7;
        bytes.push_back(n ? (b | 0x80) : b);
    } while (n);
    bytes.insert(bytes.end(), body.begin(), body.end());
    return bytes;
}

// `depth` instance types nested in one another: (type (instance (type (instance ...)))).
std::vector<uint8_t> nested_instance_types(int depth) {
    std::vector<uint8_t> inner = {0x42, 0x00};
    for (int i = 1; i < depth; ++i) inner.insert(inner.begin(), {0x42, 0x01, 0x01});
    inner.insert(inner.begin(), 0x01); // one type in the section
    return with_long_section(7, inner);
}

TEST(Decode, ComponentAndInstanceTypesNestAtMost100Deep) {
    wasm::Engine engine;
    auto ok = Component::compile(engine, nested_instance_types(100));
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    // Deeper is refused with an error (and never exhausts the stack, however deep).
    for (int depth : {101, 5000}) {
        Error e = compile_error(nested_instance_types(depth));
        EXPECT_EQ(e.kind, ErrorKind::Invalid);
        EXPECT_NE(e.message.find("type nesting is too deep (at offset 0x"), std::string::npos)
            << e.message;
    }
}

// Each type a tuple of two of the one before: 30 bytes of types that expand to 2^30 nodes.
TEST(Decode, ExponentiallyLargeTypesAreRefused) {
    std::vector<uint8_t> body = {30, 0x6f, 0x02, 0x7d, 0x7d};
    for (uint8_t k = 1; k < 30; ++k)
        body.insert(body.end(), {0x6f, 0x02, uint8_t(k - 1), uint8_t(k - 1)});
    Error e = compile_error(with_long_section(7, body));
    EXPECT_EQ(e.kind, ErrorKind::Invalid);
    EXPECT_NE(e.message.find("effective type size exceeds the limit of 100000 (at offset 0x"),
              std::string::npos)
        << e.message;
}

// (core type (module)) (core type (module (alias outer N 0 (type)))): a module type may
// alias the function types of its enclosing scopes, nothing else.
TEST(Decode, ModuleTypesAliasOnlyOuterFunctionTypes) {
    Error module = compile_error(
        with_section(3, {0x02, 0x50, 0x00, 0x50, 0x01, 0x02, 0x10, 0x01, 0x01, 0x00}));
    EXPECT_NE(module.message.find("a module type can only alias function types (at offset 0x13)"),
              std::string::npos)
        << module.message;
    Error count = compile_error(
        with_section(3, {0x02, 0x50, 0x00, 0x50, 0x01, 0x02, 0x10, 0x01, 0x05, 0x00}));
    EXPECT_NE(count.message.find("invalid outer alias count of 5 (at offset 0x12)"),
              std::string::npos)
        << count.message;
    wasm::Engine engine;
    // (core type (func)) (core type (module (alias outer 1 0 (type)) (export "f" (func 0))))
    auto ok = Component::compile(engine,
                                 with_section(3, {0x02, 0x60, 0x00, 0x00, 0x50, 0x02, 0x02, 0x10,
                                                  0x01, 0x01, 0x00, 0x03, 0x01, 'f', 0x00, 0x00}));
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
}

TEST(Decode, InstantiationArgumentsKeepResourceIdentity) {
    Error e = compile_error(read_test_file("resource-args.wasm"));
    EXPECT_EQ(e.kind, ErrorKind::Invalid);
    EXPECT_NE(e.message.find("type mismatch for import `g`: parameter `x`: resource types are "
                             "not the same (expected `T`, found `U`) (at offset 0x"),
              std::string::npos)
        << e.message;
}

// Handles and resource types compare by resource under a map, which binds the parameters
// (resources mapped to null) to the first resource provided for them.
TEST(Subtyping, ResourcesCompareUnderAMap) {
    TypeArena arena;
    const ResourceType* param = arena.resource("t");
    const ResourceType* a = arena.resource("a");
    const ResourceType* b = arena.resource("b");
    ResourceMap map{{param, nullptr}};
    std::string why;
    EXPECT_TRUE(val_subtype(arena.list(arena.own(a)), arena.list(arena.own(param)), &why, &map));
    EXPECT_EQ(map[param], a);
    EXPECT_TRUE(val_subtype(arena.borrow(a), arena.borrow(param), &why, &map));
    EXPECT_FALSE(val_subtype(arena.own(b), arena.own(param), &why, &map));
    EXPECT_EQ(why, "resource types are not the same (expected `t`, found `b`)");
    EXPECT_FALSE(val_subtype(arena.borrow(a), arena.own(param), &why, &map));
    EXPECT_EQ(why, "expected t, found borrow<a>"); // WIT spells `own<t>` as `t`
    // A resource that is no parameter matches only itself.
    EXPECT_FALSE(val_subtype(arena.own(a), arena.own(b), &why, &map));
    ExternType pa{Sort::Type}, pb{Sort::Type};
    pa.resource = a;
    pb.resource = b;
    EXPECT_FALSE(extern_subtype(pa, pb, &why, &map));
    EXPECT_TRUE(extern_subtype(pa, pa, &why, &map));
    // Without a map, handles compare by kind only (the host's resources are checked at run
    // time).
    EXPECT_TRUE(val_subtype(arena.own(a), arena.own(b), &why));
}

// Type exports of different kinds (found by component_fuzz: a value type given where a
// function type is expected reached a null instance type) are refused with both kinds named.
TEST(Subtyping, TypeExportsOfDifferentKinds) {
    TypeArena arena;
    FuncType ft;
    InstanceType it;
    ExternType value{Sort::Type}, func{Sort::Type}, inst{Sort::Type}, res{Sort::Type};
    value.value_type = ValType::primitive(TypeKind::U32);
    func.func = &ft;
    inst.instance = &it;
    res.resource = arena.resource("r");
    std::string why;
    EXPECT_FALSE(extern_subtype(value, func, &why));
    EXPECT_EQ(why, "expected a function type, found a value type");
    EXPECT_FALSE(extern_subtype(func, inst, &why));
    EXPECT_EQ(why, "expected an instance type, found a function type");
    EXPECT_FALSE(extern_subtype(inst, res, &why));
    EXPECT_EQ(why, "expected a resource type, found an instance type");
    EXPECT_TRUE(extern_subtype(func, func, &why));
    EXPECT_TRUE(extern_subtype(inst, inst, &why));
}

// Every prefix and every single-byte corruption of real components decodes or fails cleanly.
TEST(Decode, TruncatedAndCorruptedInputsNeverCrash) {
    wasm::Engine engine;
    for (const char* name : {"greeter.wasm", "resources.wasm", "nested.wasm"}) {
        auto bytes = read_test_file(name);
        ASSERT_FALSE(bytes.empty());
        for (size_t n = 0; n < bytes.size(); ++n) {
            std::span<const uint8_t> prefix(bytes.data(), n);
            auto c = Component::compile(engine, prefix);
            // A prefix that ends between sections can be a valid component; any other fails.
            if (!c.ok()) {
                EXPECT_TRUE(c.error().kind == ErrorKind::Malformed ||
                            c.error().kind == ErrorKind::Invalid)
                    << name << " prefix " << n << ": " << c.error().to_string();
            }
        }
        for (size_t i = 0; i < bytes.size(); i += 3) {
            auto copy = bytes;
            copy[i] ^= 0x5a;
            auto c = Component::compile(engine, copy);
            if (!c.ok()) {
                EXPECT_FALSE(c.error().message.empty());
            } else {
                // Whatever still validates must instantiate or fail with an error.
                Store store(engine);
                (void)Linker().instantiate(store, *c);
            }
        }
    }
}

TEST(Inspect, WorldAsWit) {
    wasm::Engine engine;
    auto greeter = load(engine, "greeter");
    ASSERT_TRUE(greeter);
    EXPECT_EQ(greeter->world_wit(), R"(package root:component;

world root {
  export local:greeter-demo/greet;
}

package local:greeter-demo {

  interface greet {
    greet: func(name: string) -> string;
  }
}
)");
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    EXPECT_EQ(caller->world_wit("caller"), R"(package root:component;

world caller {
  import local:greeter-demo/greet;
  export run: func(name: string) -> string;
  export run-empty: func() -> string;
  export post-returns: func() -> u32;
}

package local:greeter-demo {

  interface greet {
    greet: func(name: string) -> string;
  }
}
)");
}

TEST(Inspect, ResourcesAndTypes) {
    wasm::Engine engine;
    auto c = load(engine, "resources");
    ASSERT_TRUE(c);
    std::string wit = c->world_wit();
    // The imported resource is a world-level type; signatures name it even where the
    // component re-exports it under another name.
    EXPECT_NE(wit.find("  resource token;\n"), std::string::npos) << wit;
    EXPECT_NE(wit.find("export keep-borrow: func(t: borrow<token>);"), std::string::npos) << wit;
    EXPECT_NE(wit.find("export return-token: func(t: token) -> token;"), std::string::npos) << wit;
    // A resource defined and exported at the root has no WIT form: said, not invented.
    EXPECT_NE(wit.find("// export counter: a resource exported from the root is not representable"),
              std::string::npos)
        << wit;
    EXPECT_NE(wit.find("// export [constructor]counter: a function of a resource exported"),
              std::string::npos)
        << wit;
    EXPECT_EQ(wit.find("  export [constructor]"), std::string::npos) << wit;
}

// The printed world is WIT that cirrus's own WIT resolver accepts, with the same imports and
// exports as the component.
TEST(Inspect, WorldResolves) {
    wasm::Engine engine;
    for (const char* name : {"greeter", "caller", "roundtrip", "strings", "fused", "nested"}) {
        SCOPED_TRACE(name);
        auto c = load(engine, name);
        ASSERT_TRUE(c);
        std::string text = c->world_wit();
        wit::Resolve resolve;
        auto pkg = resolve.push_source("inspect.wit", text);
        ASSERT_TRUE(pkg) << pkg.error().message << "\n" << text;
        auto world = resolve.select_world(*pkg, "root");
        ASSERT_TRUE(world) << world.error().message;
        const wit::World& w = resolve.worlds[*world];
        // Functions and instances keep their direction; types are world-level definitions.
        auto has = [&](const auto& items, const std::string& n) {
            for (const auto& [key, item] : items) {
                if (resolve.name_world_key(key) == n) return true;
            }
            return false;
        };
        size_t imports = 0, exports = 0;
        for (const auto& [ename, et] : c->type().imports) {
            EXPECT_TRUE(has(w.imports, ename)) << ename << "\n" << text;
            if (et.sort != Sort::Type) ++imports;
        }
        for (const auto& [ename, et] : c->type().exports) {
            EXPECT_TRUE(has(et.sort == Sort::Type ? w.imports : w.exports, ename)) << ename << "\n"
                                                                                   << text;
            if (et.sort != Sort::Type) ++exports;
        }
        size_t world_imports = 0;
        for (const auto& [key, item] : w.imports) {
            if (item.kind != wit::WorldItem::Kind::Type) ++world_imports;
        }
        EXPECT_EQ(world_imports, imports) << text;
        EXPECT_EQ(w.exports.size(), exports) << text;
    }
}

} // namespace
} // namespace cirrus::component::test
