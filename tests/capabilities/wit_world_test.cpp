// The worlds `cirrus inspect` prints for the guests built in the tree (C through clang-19 and
// `jco new`, JavaScript through componentize-js) resolve to the same graph as the official WIT
// in ../shared/wit: every function of every standard interface the guest imports or exports has
// the reference's parameters and result, and every named type in them is defined by the same
// interface as in the reference (a resource shared through `use` stays one resource).
#include "cirrus/component/component.h"
#include "cirrus/component/wit.h"
#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace cirrus::component {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A type written out in full: primitives by name, named definitions as
// `interface#name{structure}`, resources as `interface#name`, handles as own<>/borrow<>.
class Shape {
public:
    explicit Shape(const wit::Resolve& r) : r_(r) {}

    std::string of(const wit::Type& t) const {
        if (!t.is_id) return wit::primitive_name(t.primitive);
        const wit::TypeDef& def = r_.types[t.id];
        if (const auto* alias = std::get_if<wit::AliasKind>(&def.kind)) return of(alias->target);
        if (std::holds_alternative<wit::ResourceKind>(def.kind)) return "own<" + where(def) + ">";
        std::string body = structure(def);
        return def.name ? where(def) + "{" + body + "}" : body;
    }

private:
    const wit::Resolve& r_;

    // The defining interface, its version cut to the semver-compatible part (0.2.1 and
    // 0.2.12 are one track: a component built against both imports the newer).
    std::string where(const wit::TypeDef& def) const {
        std::string owner = "world";
        if (def.owner.kind == wit::TypeOwner::Kind::Interface)
            owner = r_.id_of(wit::InterfaceId(def.owner.index));
        size_t at = owner.find('@');
        if (at != std::string::npos) {
            auto v = wit::Version::parse(std::string_view(owner).substr(at + 1));
            if (v && v->pre.empty()) {
                owner.resize(at + 1);
                owner += v->major == 0 ? fmt::format("0.{}", v->minor) : std::to_string(v->major);
            }
        }
        return owner + "#" + def.name.value_or("?");
    }
    std::string resource(wit::TypeId id) const {
        const wit::TypeDef* def = &r_.types[id];
        while (const auto* alias = std::get_if<wit::AliasKind>(&def->kind))
            def = &r_.types[alias->target.id];
        return where(*def);
    }
    std::string opt(const std::optional<wit::Type>& t) const { return t ? of(*t) : "_"; }
    std::string structure(const wit::TypeDef& def) const {
        return std::visit(
            [&](const auto& k) -> std::string {
                using K = std::decay_t<decltype(k)>;
                std::string s;
                if constexpr (std::is_same_v<K, wit::RecordKind>) {
                    for (const auto& f : k.fields) s += f.name + ":" + of(f.type) + ",";
                    return "record " + s;
                } else if constexpr (std::is_same_v<K, wit::VariantKind>) {
                    for (const auto& c : k.cases) s += c.name + "(" + opt(c.type) + "),";
                    return "variant " + s;
                } else if constexpr (std::is_same_v<K, wit::EnumKind>) {
                    for (const auto& c : k.cases) s += c.name + ",";
                    return "enum " + s;
                } else if constexpr (std::is_same_v<K, wit::FlagsKind>) {
                    for (const auto& f : k.flags) s += f.name + ",";
                    return "flags " + s;
                } else if constexpr (std::is_same_v<K, wit::TupleKind>) {
                    for (const auto& t : k.types) s += of(t) + ",";
                    return "tuple<" + s + ">";
                } else if constexpr (std::is_same_v<K, wit::ListKind>) {
                    return "list<" + of(k.element) + ">";
                } else if constexpr (std::is_same_v<K, wit::OptionKind>) {
                    return "option<" + of(k.type) + ">";
                } else if constexpr (std::is_same_v<K, wit::ResultKind>) {
                    return "result<" + opt(k.ok) + "," + opt(k.err) + ">";
                } else if constexpr (std::is_same_v<K, wit::HandleKind>) {
                    return (k.borrow ? "borrow<" : "own<") + resource(k.resource) + ">";
                } else {
                    return "other";
                }
            },
            def.kind);
    }
};

std::string signature(const wit::Resolve& r, const wit::Function& f) {
    Shape shape(r);
    std::string s = "(";
    for (const auto& p : f.params) s += p.name + ": " + shape.of(p.type) + ", ";
    s += ")";
    if (f.result) s += " -> " + shape.of(*f.result);
    return s;
}

// The ../shared/wit folder of a package: `ns-name@version`.
fs::path reference_folder(const wit::PackageName& name) {
    return fs::path(CIRRUS_SHARED_DIR) / "wit" /
           fmt::format("{}-{}@{}", name.ns, name.name,
                       name.version ? name.version->to_string() : "unversioned");
}

struct Compared {
    std::set<std::string> interfaces;
    size_t functions = 0;
};

// Checks every interface of the guest's world that has a reference package.
Compared compare_with_reference(const fs::path& component_path) {
    Compared done;
    wasm::Engine engine;
    auto bytes = read_file(component_path);
    auto c = Component::compile(engine, bytes);
    if (!c) {
        ADD_FAILURE() << component_path << ": " << c.error().message;
        return done;
    }
    wit::Resolve mine;
    WitWorld ww = add_wit_world(mine, (*c)->type());
    std::string text = wit::print_resolve(mine, ww.package);
    // The text itself is WIT: it parses and resolves.
    wit::Resolve reparsed;
    auto pkg = reparsed.push_source("inspect.wit", text);
    EXPECT_TRUE(pkg) << (pkg ? "" : pkg.error().message) << "\n" << text;

    wit::Resolve ref;
    const wit::World& world = mine.worlds[ww.world];
    for (const auto* items : {&world.imports, &world.exports}) {
        for (const auto& [key, item] : *items) {
            if (!key.is_interface) continue;
            const wit::Interface& iface = mine.interfaces[key.interface];
            const wit::PackageName& pname = mine.packages[*iface.package].name;
            fs::path folder = reference_folder(pname);
            if (!fs::exists(folder)) continue;
            wit::PackageId rpkg;
            if (auto loaded = ref.package_names.find(pname); loaded != ref.package_names.end()) {
                rpkg = loaded->second;
            } else {
                auto pushed =
                    ref.push_path_searching(folder, {fs::path(CIRRUS_SHARED_DIR) / "wit"});
                if (!pushed) {
                    ADD_FAILURE() << folder << ": " << pushed.error().message;
                    continue;
                }
                rpkg = *pushed;
            }
            std::string id = mine.id_of(key.interface);
            const wit::InterfaceId* rid = ref.packages[rpkg].interfaces.find(*iface.name);
            if (!rid) {
                ADD_FAILURE() << id << " is not in " << folder;
                continue;
            }
            const wit::Interface& riface = ref.interfaces[*rid];
            for (const auto& [fname, f] : iface.functions) {
                const wit::Function* rf = riface.functions.find(fname);
                if (!rf) {
                    ADD_FAILURE() << id << ": no function " << fname << " in the reference";
                    continue;
                }
                EXPECT_EQ(signature(mine, f), signature(ref, *rf))
                    << component_path.filename() << " " << id << " " << fname << "\n"
                    << text;
                ++done.functions;
            }
            done.interfaces.insert(id);
        }
    }
    return done;
}

TEST(InspectWorld, CGuestsMatchTheReferenceWit) {
    fs::path dir(CIRRUS_CAPS_COMPONENTS);
    Compared caps = compare_with_reference(dir / "caps_guest.wasm");
    for (const char* id :
         {"wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/watcher@0.2.0-draft",
          "wasi:logging/logging@0.1.0-draft", "wasmcloud:secrets/reveal@0.1.0-draft",
          "wasi:filesystem/types@0.2.12", "wasi:io/streams@0.2.12"}) {
        EXPECT_TRUE(caps.interfaces.count(id)) << id;
    }
    Compared data = compare_with_reference(dir / "data_guest.wasm");
    for (const char* id :
         {"wasi:blobstore/container@0.2.0-draft", "wasmcloud:postgres/query@0.1.1-draft",
          "wasmcloud:messaging/consumer@0.2.0"}) {
        EXPECT_TRUE(data.interfaces.count(id)) << id;
    }
    Compared handler = compare_with_reference(dir / "handler_guest.wasm");
    EXPECT_TRUE(handler.interfaces.count("wasmcloud:messaging/handler@0.2.0"));
    EXPECT_GT(caps.functions + data.functions + handler.functions, 40u);
}

#ifdef CIRRUS_GUEST_DIR
TEST(InspectWorld, JsGuestsMatchTheReferenceWit) {
    Compared caps = compare_with_reference(fs::path(CIRRUS_GUEST_DIR) / "caps_guest_js.wasm");
    EXPECT_TRUE(caps.interfaces.count("wasi:keyvalue/store@0.2.0-draft"));
    EXPECT_GT(caps.functions, 5u);
}
#endif

} // namespace
} // namespace cirrus::component
