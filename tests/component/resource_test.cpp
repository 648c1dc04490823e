// Resources: a guest-defined resource with a destructor, and a host-defined resource the guest
// borrows, keeps or drops (CanonicalABI.md "Handle State", "canon resource.*").
#include "support.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cirrus::component::test {
namespace {

class Resources : public ::testing::Test {
protected:
    void SetUp() override {
        component = load(engine, "resources");
        ASSERT_TRUE(component);
        token =
            linker.define_resource("", "token", [this](uint32_t rep) { dropped.push_back(rep); });
        auto inst = linker.instantiate(store, component);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        instance = *inst;
    }
    Result<std::optional<Val>> call(const std::string& name, std::vector<Val> args = {}) {
        Func* f = instance->get_func(name);
        EXPECT_NE(f, nullptr) << name;
        return store.call(f, args);
    }
    uint64_t u32_of(const std::string& name) {
        auto r = call(name);
        EXPECT_TRUE(r.ok());
        return r.ok() ? (*r)->as_u64() : ~0ull;
    }
    wasm::Engine engine;
    // Before the store: its destructor runs the host destructor of tokens still held.
    Linker linker;
    std::vector<uint32_t> dropped;
    Store store{engine};
    ResourceImpl* token = nullptr;
    std::shared_ptr<const Component> component;
    Instance* instance = nullptr;
};

TEST_F(Resources, GuestResourceLifecycle) {
    auto c = call("[constructor]counter", {Val::u32(5)});
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    ASSERT_EQ((*c)->kind, TypeKind::Own);
    Val own = **c;
    // A method borrows the handle; the implementing instance sees the rep.
    Val borrowed = Val::borrow(own.resource, own.rep());
    auto g = call("[method]counter.get", {borrowed});
    ASSERT_TRUE(g.ok()) << g.error().to_string();
    EXPECT_EQ((*g)->as_u64(), 5u);
    EXPECT_EQ(u32_of("dropped"), 0u);
    // Passing ownership back: the guest drops it and its destructor runs.
    auto r = call("consume", {own});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)->as_u64(), 5u);
    EXPECT_EQ(u32_of("dropped"), 1u);
    EXPECT_EQ(u32_of("last-dropped"), 5u);
}

TEST_F(Resources, HostDropRunsTheGuestDestructor) {
    auto c = call("[constructor]counter", {Val::u32(9)});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(store.drop_resource(**c).ok());
    EXPECT_EQ(u32_of("dropped"), 1u);
    EXPECT_EQ(u32_of("last-dropped"), 9u);
}

TEST_F(Resources, DroppingAHandleTwiceTraps) {
    auto c = call("[constructor]counter", {Val::u32(1)});
    ASSERT_TRUE(c.ok());
    auto r = call("drop-twice", {**c});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Trap);
    EXPECT_NE(r.error().message.find("unknown handle index"), std::string::npos)
        << r.error().message;
}

TEST_F(Resources, ResourceRepOfAnInvalidHandleTraps) {
    auto r = call("rep-of-handle", {Val::u32(77)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("unknown handle index 77"), std::string::npos);
}

TEST_F(Resources, BorrowsMustBeDroppedBeforeReturning) {
    auto ok = call("drop-borrow", {Val::borrow(token, 3)});
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    EXPECT_TRUE(dropped.empty()); // dropping a borrow does not destroy
    auto r = call("keep-borrow", {Val::borrow(token, 3)});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("borrow handles still remain"), std::string::npos);
}

TEST_F(Resources, OwnedHostResourcesAreDestroyedByTheGuest) {
    auto r = call("take-token", {Val::own(token, 11)});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0], 11u);
    // Ownership goes in and comes back out.
    auto back = call("return-token", {Val::own(token, 12)});
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ((*back)->kind, TypeKind::Own);
    EXPECT_EQ((*back)->rep(), 12u);
    EXPECT_EQ((*back)->resource, token);
}

TEST_F(Resources, HandlesOfTheWrongResourceTypeTrap) {
    auto c = call("[constructor]counter", {Val::u32(1)});
    ASSERT_TRUE(c.ok());
    // A counter where a token is expected.
    auto r = call("take-token", {**c});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("wrong resource type"), std::string::npos)
        << r.error().message;
}

// A host object the guest keeps and never drops is destroyed with the Store (as a serve
// worker's capability session would otherwise keep it for as long as the worker lives).
TEST(ResourceLifetime, HostHandlesTheGuestKeptAreDestroyedWithTheStore) {
    wasm::Engine engine;
    Linker linker;
    std::vector<uint32_t> dropped;
    ResourceImpl* token =
        linker.define_resource("", "token", [&](uint32_t rep) { dropped.push_back(rep); });
    auto component = load(engine, "resources");
    ASSERT_TRUE(component);
    {
        Store store(engine);
        auto inst = linker.instantiate(store, component);
        ASSERT_TRUE(inst.ok()) << inst.error().to_string();
        Func* keep = (*inst)->get_func("keep-token");
        ASSERT_NE(keep, nullptr);
        for (uint32_t rep : {21u, 22u}) {
            std::vector<Val> args = {Val::own(token, rep)};
            ASSERT_TRUE(store.call(keep, args).ok());
        }
        Func* take = (*inst)->get_func("take-token");
        std::vector<Val> args = {Val::own(token, 23)};
        ASSERT_TRUE(store.call(take, args).ok()); // dropped by the guest: destroyed once
        EXPECT_EQ(dropped, std::vector<uint32_t>{23});
    }
    std::sort(dropped.begin(), dropped.end());
    EXPECT_EQ(dropped, (std::vector<uint32_t>{21, 22, 23}));
}

TEST(ResourceLinking, AMissingHostResourceIsNamed) {
    wasm::Engine engine;
    Store store(engine);
    Linker linker;
    auto component = load(engine, "resources");
    ASSERT_TRUE(component);
    auto inst = linker.instantiate(store, component);
    ASSERT_FALSE(inst.ok());
    EXPECT_EQ(inst.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(inst.error().message.find("`token`"), std::string::npos);
}

// An export ascribed `(sub resource)` is a type of its own for the decoder; at run time it is
// the resource it exports, so handles of it go out and come back.
TEST(AscribedResource, HandlesOfTheAscribedExportRoundTrip) {
    wasm::Engine engine;
    auto component = load(engine, "ascribed-resource");
    ASSERT_TRUE(component);
    Store store(engine);
    auto inst = Linker().instantiate(store, component);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    std::vector<Val> seven = {Val::u32(7)};
    auto made = store.call((*inst)->get_func("make"), seven);
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    ASSERT_EQ((*made)->kind, TypeKind::Own);
    std::vector<Val> handle = {**made};
    auto value = store.call((*inst)->get_func("value"), handle);
    ASSERT_TRUE(value.ok()) << value.error().to_string();
    EXPECT_EQ((*value)->as_u64(), 7u);
}

} // namespace
} // namespace cirrus::component::test
