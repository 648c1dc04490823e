// Components and core modules as values: a parent passing a core module to the child that
// imports it, and what the host refuses of a root component (a core module import, a
// re-exported host function), before it resolves any import.
#include "support.h"

#include <gtest/gtest.h>

namespace cirrus::component::test {
namespace {

TEST(Nesting, ChildInstantiatesTheModuleItsParentGives) {
    wasm::Engine engine;
    Store store(engine);
    auto c = load(engine, "module-import");
    ASSERT_TRUE(c);
    auto inst = Linker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    auto plain = store.call((*inst)->get_func("plain"), std::vector<Val>{});
    ASSERT_TRUE(plain.ok()) << plain.error().to_string();
    EXPECT_EQ((*plain)->as_u64(), 7u);
    auto adds = store.call((*inst)->get_func("adds"), std::vector<Val>{});
    ASSERT_TRUE(adds.ok()) << adds.error().to_string();
    EXPECT_EQ((*adds)->as_u64(), 1005u);
}

TEST(Nesting, ModuleLackingAnExportIsInvalid) {
    wasm::Engine engine;
    auto c = Component::compile(engine, read_test_file("module-mismatch.wasm"));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::Invalid);
    EXPECT_NE(c.error().message.find("import `m`"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("missing expected export `get`"), std::string::npos)
        << c.error().message;
}

TEST(Nesting, RootCoreModuleImportIsRefused) {
    wasm::Engine engine;
    auto c = load(engine, "module-import-root");
    ASSERT_TRUE(c);
    auto pre = Linker().instantiate_pre(c);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(pre.error().message.find("component import `m`: root-level core module imports "
                                       "are not supported"),
              std::string::npos)
        << pre.error().message;
    Store store(engine);
    EXPECT_FALSE(Linker().instantiate(store, c).ok());
}

TEST(Nesting, RootReexportThroughAChildIsRefused) {
    wasm::Engine engine;
    auto c = load(engine, "reexport-root");
    ASSERT_TRUE(c);
    Linker linker;
    const FuncType* ft = linker.types().func(FuncType{{}, ValType::primitive(TypeKind::U32)});
    linker.define_func("", "f", ft, [](CallContext&, std::span<const Val>) {
        return Result<std::optional<Val>>(std::optional<Val>(Val::u32(1)));
    });
    auto pre = linker.instantiate_pre(c);
    ASSERT_FALSE(pre.ok());
    EXPECT_EQ(pre.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(pre.error().message.find("component export `g` is a reexport of an imported "
                                       "function"),
              std::string::npos)
        << pre.error().message;
}

TEST(Nesting, InstancesAskingForNothingNeedNoDefinition) {
    wasm::Engine engine;
    auto c = load(engine, "empty-instances");
    ASSERT_TRUE(c);
    Store store(engine);
    auto inst = Linker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_NE((*inst)->get_instance("inner"), nullptr);
    // A definition of another sort under the name is an error, not an empty instance.
    Linker linker;
    const FuncType* ft = linker.types().func(FuncType{});
    linker.define_func("", "types", ft, [](CallContext&, std::span<const Val>) {
        return Result<std::optional<Val>>(std::nullopt);
    });
    auto wrong = linker.instantiate(store, c);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("component import `types` has the wrong type: expected "
                                         "instance, found func"),
              std::string::npos)
        << wrong.error().message;
}

TEST(Nesting, TypeExportsOfComponentAndInstanceTypes) {
    wasm::Engine engine;
    auto c = load(engine, "type-exports");
    ASSERT_TRUE(c);
    // WIT has no spelling for them: the world says so instead of printing them.
    std::string wit = c->world_wit();
    EXPECT_NE(wit.find("export c: a function, component or instance type is not representable"),
              std::string::npos)
        << wit;
    EXPECT_NE(wit.find("a function, component or instance type `f` is not representable"),
              std::string::npos)
        << wit;
    Store store(engine);
    auto inst = Linker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
}

} // namespace
} // namespace cirrus::component::test
