// Unit tests of the WIT front end: what a user writing WIT sees.
#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <gtest/gtest.h>

namespace cirrus::wit {
namespace {

TEST(WitResolve, ResolvesAnInterfaceAndAWorld) {
    Resolve r;
    auto pkg = r.push_source("test.wit", R"(
package demo:app@1.2.0;

interface types {
    record point { x: s32, y: s32 }
    resource counter {
        constructor(start: u32);
        bump: func() -> u32;
        make: static func() -> counter;
    }
}

world app {
    use types.{point};
    import log: func(msg: string);
    export run: func(p: point) -> result<list<u8>, string>;
}
)");
    ASSERT_TRUE(pkg.ok()) << pkg.error().message;
    const Package& p = r.packages[*pkg];
    EXPECT_EQ(p.name.to_string(), "demo:app@1.2.0");
    const Interface& types = r.interfaces[*p.interfaces.find("types")];
    EXPECT_TRUE(types.functions.contains("[constructor]counter"));
    EXPECT_TRUE(types.functions.contains("[method]counter.bump"));
    EXPECT_TRUE(types.functions.contains("[static]counter.make"));
    auto world = r.select_world(*pkg, "");
    ASSERT_TRUE(world.ok());
    const World& w = r.worlds[*world];
    // `use types.{point}` makes the world import `types` first.
    ASSERT_GE(w.imports.size(), 3u);
    EXPECT_TRUE(w.imports.at(0).first.is_interface);
    EXPECT_TRUE(w.exports.contains(WorldKey::named("run")));
}

TEST(WitResolve, ReportsUnknownNamesWithLocation) {
    Resolve r;
    auto pkg = r.push_source("bad.wit", "package a:b;\ninterface i {\n  type t = nope;\n}\n");
    ASSERT_FALSE(pkg.ok());
    EXPECT_EQ(pkg.error().message, "type `nope` does not exist\n"
                                   "     --> bad.wit:3:12\n"
                                   "      |\n"
                                   "    3 |   type t = nope;\n"
                                   "      |            ^---");
    // A failed load leaves the Resolve untouched.
    EXPECT_EQ(r.packages.size(), 0u);
    EXPECT_EQ(r.types.size(), 0u);
}

TEST(WitResolve, DeepNestingIsAnErrorNotACrash) {
    std::string deep = "package a:b;\ninterface i {\n  type t = ";
    for (int i = 0; i < 5000; ++i) deep += "list<";
    deep += "u8";
    for (int i = 0; i < 5000; ++i) deep += ">";
    deep += ";\n}\n";
    Resolve r;
    auto pkg = r.push_source("deep.wit", deep);
    ASSERT_FALSE(pkg.ok());
    EXPECT_NE(pkg.error().message.find("type nesting too deep"), std::string::npos);

    std::string nested = "package a:b;\n";
    for (int i = 0; i < 5000; ++i) nested += "package a:x" + std::to_string(i) + " {\n";
    auto pkg2 = r.push_source("nested.wit", nested);
    ASSERT_FALSE(pkg2.ok());
    EXPECT_NE(pkg2.error().message.find("package nesting too deep"), std::string::npos);
}

TEST(WitResolve, LongDependencyChainsAreErrorsNotCrashes) {
    // 3000 interfaces, each using a type of the previous one, imported by a world.
    std::string chain = "package a:b;\ninterface i0 { type t = u32; }\n";
    for (int i = 1; i < 3000; ++i) {
        chain +=
            "interface i" + std::to_string(i) + " { use i" + std::to_string(i - 1) + ".{t}; }\n";
    }
    chain += "world w { import i2999; }\n";
    Resolve r;
    auto pkg = r.push_source("chain.wit", chain);
    ASSERT_FALSE(pkg.ok());
    EXPECT_NE(pkg.error().message.find("chain of more than"), std::string::npos);

    // 3000 packages, each using the next one (so the first visited has the longest chain).
    std::string pkgs = "package p:main;\npackage p:p2999 { interface i { type t = u32; } }\n";
    for (int i = 0; i < 2999; ++i) {
        pkgs += "package p:p" + std::to_string(i) + " { interface i { use p:p" +
                std::to_string(i + 1) + "/i.{t}; } }\n";
    }
    auto pkg2 = r.push_source("pkgs.wit", pkgs);
    ASSERT_FALSE(pkg2.ok());
    EXPECT_NE(pkg2.error().message.find("chain of more than"), std::string::npos);
}

TEST(WitResolve, RejectsInvalidUtf8) {
    Resolve r;
    // 0xF6 never starts a UTF-8 sequence (found by wit_fuzz in a doc comment).
    auto pkg = r.push_source("bad.wit", "package a:b;\n/// \xf6\x96\x91\x8f\ninterface i {}\n");
    ASSERT_FALSE(pkg.ok());
    EXPECT_NE(pkg.error().message.find("not valid utf-8"), std::string::npos);
}

// Doc comments with odd whitespace print to text that parses back to the same docs.
TEST(WitPrint, DocCommentsAreAFixedPoint) {
    const char* inputs[] = {
        "package a:b;\n/// \r\r\t\r%_\rGGs.\ninterface i {}\n", // found by wit_fuzz
        "package a:b;\n/// // a line that starts with slashes\n///   indented\ninterface i {}\n",
        "package a:b;\n/**  first\n     second  \n*/\ninterface i {}\n",
        "package a:b;\n//\t\ttabs\n// spaces\ninterface i {}\n",
    };
    for (const char* text : inputs) {
        Resolve first;
        auto p1 = first.push_source("docs.wit", text);
        ASSERT_TRUE(p1.ok()) << p1.error().message;
        std::string printed = print_resolve(first, *p1);
        Resolve second;
        auto p2 = second.push_source("printed.wit", printed);
        ASSERT_TRUE(p2.ok()) << p2.error().message;
        EXPECT_EQ(print_resolve(second, *p2), printed);
    }
}

TEST(WitResolve, UnstableItemsFollowTheFeatureSet) {
    const char* text = R"(
package a:b;
interface i {
    @unstable(feature = fancy)
    f: func();
    g: func();
}
)";
    Resolve off;
    auto p1 = off.push_source("t.wit", text);
    ASSERT_TRUE(p1.ok()) << p1.error().message;
    EXPECT_FALSE(off.interfaces[InterfaceId(0)].functions.contains("f"));
    Resolve on;
    on.features.insert("fancy");
    ASSERT_TRUE(on.push_source("t.wit", text).ok());
    EXPECT_TRUE(on.interfaces[InterfaceId(0)].functions.contains("f"));
}

} // namespace
} // namespace cirrus::wit
