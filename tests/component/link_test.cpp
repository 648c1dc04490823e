// Linking: components built from C with clang-19 and `jco new`, one's import satisfied by the
// other's export in the same store (strings copied from one linear memory to the other), host
// interfaces defined in C++, and the errors for missing and mismatched imports.
#include "support.h"

#include "cirrus/component/typed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace cirrus::component::test {
namespace {

constexpr const char* greet_iface = "local:greeter-demo/greet";

TEST(Link, GreeterExportsItsInterface) {
    wasm::Engine engine;
    Store store(engine);
    auto greeter = load(engine, "greeter");
    ASSERT_TRUE(greeter);
    auto inst = Linker().instantiate(store, greeter);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    Func* greet = (*inst)->get_func("local:greeter-demo/greet#greet");
    ASSERT_NE(greet, nullptr);
    for (int i = 0; i < 3; ++i) { // post-return frees the result each time
        auto r = store.call(greet, std::vector<Val>{Val::string("world")});
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ((*r)->as_string(), "Hello, world!");
    }
}

TEST(Link, ComponentToComponent) {
    wasm::Engine engine;
    Store store(engine);
    auto greeter = load(engine, "greeter");
    auto caller = load(engine, "caller");
    ASSERT_TRUE(greeter && caller);
    auto g = Linker().instantiate(store, greeter);
    ASSERT_TRUE(g.ok()) << g.error().to_string();
    Linker linker;
    ASSERT_TRUE(linker.define_instance(greet_iface, (*g)->get_instance(greet_iface)).ok());
    auto c = linker.instantiate(store, caller);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    auto r = store.call((*c)->get_func("run"), std::vector<Val>{Val::string("wörld")});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)->as_string(), "[Hello, wörld!]");
    auto e = store.call((*c)->get_func("run-empty"), std::vector<Val>{});
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    EXPECT_EQ((*e)->as_string(), "[Hello, !]");
    auto posts = store.call((*c)->get_func("post-returns"), std::vector<Val>{});
    ASSERT_TRUE(posts.ok());
    EXPECT_EQ((*posts)->as_u64(), 1u); // run has a post-return, run-empty has none
}

TEST(Link, HostImplementsTheInterface) {
    wasm::Engine engine;
    Store store(engine);
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    FuncType ft;
    ft.params = {{"name", ValType::primitive(TypeKind::String)}};
    ft.result = ValType::primitive(TypeKind::String);
    std::vector<std::string> seen;
    linker.define_func(greet_iface, "greet", linker.types().func(ft),
                       [&](CallContext&, std::span<const Val> args) -> Result<std::optional<Val>> {
                           seen.push_back(args[0].as_string());
                           return std::optional<Val>(Val::string("hi " + args[0].as_string()));
                       });
    auto c = linker.instantiate(store, caller);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    auto r = store.call((*c)->get_func("run"), std::vector<Val>{Val::string("host")});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)->as_string(), "[hi host]");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], "host");
}

TEST(Link, HostErrorsBecomeTraps) {
    wasm::Engine engine;
    Store store(engine);
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    FuncType ft;
    ft.params = {{"name", ValType::primitive(TypeKind::String)}};
    ft.result = ValType::primitive(TypeKind::String);
    linker.define_func(greet_iface, "greet", linker.types().func(ft),
                       [](CallContext&, std::span<const Val>) -> Result<std::optional<Val>> {
                           return Error(ErrorKind::Other, "the host says no");
                       });
    auto c = linker.instantiate(store, caller);
    ASSERT_TRUE(c.ok());
    auto r = store.call((*c)->get_func("run"), std::vector<Val>{Val::string("x")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Trap);
    EXPECT_NE(r.error().message.find("the host says no"), std::string::npos);
}

TEST(Link, MissingImportIsNamed) {
    wasm::Engine engine;
    Store store(engine);
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    auto c = Linker().instantiate(store, caller);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(c.error().message.find(greet_iface), std::string::npos) << c.error().message;
}

TEST(Link, MismatchedImportSaysWhatDiffers) {
    wasm::Engine engine;
    Store store(engine);
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    FuncType ft;
    ft.params = {{"name", ValType::primitive(TypeKind::U32)}};
    ft.result = ValType::primitive(TypeKind::String);
    linker.define_func(greet_iface, "greet", linker.types().func(ft),
                       [](CallContext&, std::span<const Val>) -> Result<std::optional<Val>> {
                           return std::optional<Val>(Val::string(""));
                       });
    auto c = linker.instantiate(store, caller);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(c.error().message.find("parameter `name`: expected string, found u32"),
              std::string::npos)
        << c.error().message;

    Linker missing_func;
    missing_func.define_func(greet_iface, "hello", linker.types().func(ft),
                             [](CallContext&, std::span<const Val>) -> Result<std::optional<Val>> {
                                 return std::optional<Val>();
                             });
    auto c2 = missing_func.instantiate(store, caller);
    ASSERT_FALSE(c2.ok());
    EXPECT_NE(c2.error().message.find("missing export `greet`"), std::string::npos)
        << c2.error().message;
}

TEST(Link, NestedShimAndStartFunction) {
    wasm::Engine engine;
    Store store(engine);
    auto nested = load(engine, "nested");
    ASSERT_TRUE(nested);
    auto inst = Linker().instantiate(store, nested);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    auto started = store.call((*inst)->get_func("local:demo/math#started"), std::vector<Val>{});
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    EXPECT_EQ((*started)->as_u64(), 42u); // the core start function ran at instantiation
    auto sum = store.call((*inst)->get_func("local:demo/math#add"),
                          std::vector<Val>{Val::u32(2), Val::u32(40)});
    ASSERT_TRUE(sum.ok());
    EXPECT_EQ((*sum)->as_u64(), 42u);
}

// InstancePre: imports resolved once, a fresh instance per use (as `cirrus serve` does per
// request), each with its own memory and handle tables, from several threads at once.
TEST(InstancePre, InstantiatesManyTimesFromOneResolution) {
    wasm::Engine engine;
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    std::atomic<int> calls{0};
    define_typed(linker, greet_iface, "greet", {"name"}, [&](std::string name) {
        ++calls;
        return "hi " + name;
    });
    auto pre = linker.instantiate_pre(caller);
    ASSERT_TRUE(pre.ok()) << pre.error().to_string();
    EXPECT_EQ((*pre)->component(), caller);
    for (int i = 0; i < 3; ++i) {
        Store store(engine);
        auto inst = (*pre)->instantiate(store);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        auto r = store.call((*inst)->get_func("run"),
                            std::vector<Val>{Val::string("n" + std::to_string(i))});
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ((*r)->as_string(), "[hi n" + std::to_string(i) + "]");
    }
    EXPECT_EQ(calls.load(), 3);

    // Threads instantiate from the same InstancePre at once, each into its own store.
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                Store store(engine);
                auto inst = (*pre)->instantiate(store);
                if (!inst.ok()) return;
                std::string name = std::to_string(t) + "/" + std::to_string(i);
                auto r = store.call((*inst)->get_func("run"), std::vector<Val>{Val::string(name)});
                if (r.ok() && (*r)->as_string() == "[hi " + name + "]") ++good;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(good.load(), 80);
}

TEST(InstancePre, KeepsTheNestedComponentsAndStartFunctions) {
    wasm::Engine engine;
    auto nested = load(engine, "nested");
    ASSERT_TRUE(nested);
    Linker linker;
    auto pre = linker.instantiate_pre(nested);
    ASSERT_TRUE(pre.ok()) << pre.error().to_string();
    for (int i = 0; i < 2; ++i) {
        Store store(engine);
        auto inst = (*pre)->instantiate(store);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        auto started = store.call((*inst)->get_func("local:demo/math#started"), std::vector<Val>{});
        ASSERT_TRUE(started.ok()) << started.error().to_string();
        EXPECT_EQ((*started)->as_u64(), 42u);
        auto sum = store.call((*inst)->get_func("local:demo/math#add"),
                              std::vector<Val>{Val::u32(40), Val::u32(2)});
        ASSERT_TRUE(sum.ok());
        EXPECT_EQ((*sum)->as_u64(), 42u);
    }
}

TEST(InstancePre, RefusesWhatInstantiateRefuses) {
    wasm::Engine engine;
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    auto pre = linker.instantiate_pre(caller);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(pre.error().message.find(greet_iface), std::string::npos) << pre.error().message;
}

} // namespace
} // namespace cirrus::component::test

namespace cirrus::component::test {
namespace {

TEST(Typed, HostFunctionsAndCallsInPlainCpp) {
    wasm::Engine engine;
    Store store(engine);
    auto caller = load(engine, "caller");
    ASSERT_TRUE(caller);
    Linker linker;
    define_typed(linker, greet_iface, "greet", {"name"},
                 [](std::string name) { return "hey " + name; });
    auto inst = linker.instantiate(store, caller);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    auto run = TypedFunc<std::string(std::string)>::lookup(**inst, "run");
    ASSERT_TRUE(run.ok()) << run.error().to_string();
    auto r = run->call(store, "you");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, "[hey you]");

    auto wrong = TypedFunc<uint32_t(std::string)>::lookup(**inst, "run");
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("func(name: string) -> string"), std::string::npos)
        << wrong.error().message;
}

TEST(Typed, CompositeTypesRoundTrip) {
    wasm::Engine engine;
    Store store(engine);
    auto component = load(engine, "roundtrip");
    ASSERT_TRUE(component);
    Linker linker;
    for (const auto& [name, et] : component->type().imports) {
        if (et.sort != Sort::Func) continue;
        linker.define_func("", name, et.func,
                           [](CallContext&, std::span<const Val> a) -> Result<std::optional<Val>> {
                               return std::optional<Val>(a[0]);
                           });
    }
    auto inst = linker.instantiate(store, component);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();

    using Strings = std::vector<std::string>;
    auto list = TypedFunc<Strings(Strings)>::lookup(**inst, "list-string");
    ASSERT_TRUE(list.ok()) << list.error().to_string();
    EXPECT_EQ(*list->call(store, Strings{"a", "", "b"}), (Strings{"a", "", "b"}));

    auto opt = TypedFunc<std::optional<std::string>(std::optional<std::string>)>::lookup(
        **inst, "option-string");
    ASSERT_TRUE(opt.ok());
    EXPECT_EQ(*opt->call(store, std::string("x")), std::optional<std::string>("x"));
    EXPECT_EQ(*opt->call(store, std::nullopt), std::nullopt);

    using Tup = std::tuple<uint8_t, std::string, double>;
    auto tup = TypedFunc<Tup(Tup)>::lookup(**inst, "tuple");
    ASSERT_TRUE(tup.ok()) << tup.error().to_string();
    EXPECT_EQ(*tup->call(store, Tup{1, "two", 3.0}), (Tup{1, "two", 3.0}));

    using Res = Expected<uint32_t, std::string>;
    auto res = TypedFunc<Res(Res)>::lookup(**inst, "result");
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(*res->call(store, Res::err("no")), Res::err("no"));
    EXPECT_EQ(*res->call(store, Res::ok(7)), Res::ok(7));

    using Bytes = std::vector<uint8_t>;
    auto bytes = TypedFunc<Bytes(Bytes)>::lookup(**inst, "list-u8");
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    EXPECT_EQ(*bytes->call(store, Bytes{}), Bytes{});
    EXPECT_EQ(*bytes->call(store, Bytes{0, 1, 255}), (Bytes{0, 1, 255}));
    using Nested = std::vector<std::vector<uint32_t>>;
    auto nested = TypedFunc<Nested(Nested)>::lookup(**inst, "list-list-u32");
    ASSERT_TRUE(nested.ok()) << nested.error().to_string();
    EXPECT_EQ(*nested->call(store, Nested{{1, 0xffffffff}, {}}), (Nested{{1, 0xffffffff}, {}}));

    auto u64 = TypedFunc<uint64_t(uint64_t)>::lookup(**inst, "u64");
    ASSERT_TRUE(u64.ok());
    EXPECT_EQ(*u64->call(store, UINT64_MAX), UINT64_MAX);
}

} // namespace
} // namespace cirrus::component::test

namespace cirrus::component::test {
namespace {

// fused.wat: strings and lists cross from one component's memory to the other's directly.
TEST(Fused, StringsAndListsCrossMemoryToMemory) {
    wasm::Engine engine;
    auto c = load(engine, "fused");
    ASSERT_TRUE(c);
    auto call = [&](const char* name) {
        Store store(engine);
        auto inst = Linker().instantiate(store, c);
        EXPECT_TRUE(inst.ok());
        return store.call((*inst)->get_func(name), std::vector<Val>{});
    };
    auto good = call("good");
    ASSERT_TRUE(good.ok()) << good.error().to_string();
    EXPECT_EQ((*good)->as_string(), "hi there");
    auto sum = call("sum3");
    ASSERT_TRUE(sum.ok()) << sum.error().to_string();
    EXPECT_EQ((*sum)->as_u64(), 6u);
    const std::pair<const char*, const char*> traps[] = {
        {"bad-utf8", "invalid UTF-8"},
        {"out-of-bounds", "out of bounds"},
        {"bad-retptr", "result pointer 33"},
        {"sum-misaligned", "misaligned list pointer 66"},
    };
    for (const auto& [name, what] : traps) {
        auto r = call(name);
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().kind, ErrorKind::Trap) << name;
        EXPECT_NE(r.error().message.find(what), std::string::npos)
            << name << ": " << r.error().message;
    }
}

} // namespace
} // namespace cirrus::component::test
