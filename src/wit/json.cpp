// JSON form of a Resolve, following wit-parser's serde layout field for field so the two can
// be compared directly (see include/cirrus/wit/json.h).
#include "cirrus/wit/json.h"

#include <nlohmann/json.hpp>

namespace cirrus::wit {

namespace {

using Json = nlohmann::ordered_json;

Json type_json(const Type& t) {
    if (t.is_id) return t.id.index;
    return primitive_name(t.primitive);
}

Json opt_type_json(const std::optional<Type>& t) {
    return t ? type_json(*t) : Json(nullptr);
}

void add_docs(Json& j, const Docs& docs) {
    if (docs.contents) j["docs"] = Json{{"contents", *docs.contents}};
}

Json stability_json(const Stability& s) {
    Json inner = Json::object();
    if (s.kind == Stability::Kind::Stable) {
        inner["since"] = s.since.to_string();
        if (s.deprecated) inner["deprecated"] = s.deprecated->to_string();
        return Json{{"stable", inner}};
    }
    inner["feature"] = s.feature;
    if (s.deprecated) inner["deprecated"] = s.deprecated->to_string();
    return Json{{"unstable", inner}};
}

void add_stability(Json& j, const Stability& s) {
    if (s.kind != Stability::Kind::Unknown) j["stability"] = stability_json(s);
}

Json kind_json(const TypeDefKind& kind) {
    return std::visit(
        [](const auto& k) -> Json {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, AliasKind>) return Json{{"type", type_json(k.target)}};
            if constexpr (std::is_same_v<K, RecordKind>) {
                Json fields = Json::array();
                for (const Field& f : k.fields) {
                    Json j{{"name", f.name}, {"type", type_json(f.type)}};
                    add_docs(j, f.docs);
                    fields.push_back(j);
                }
                return Json{{"record", Json{{"fields", fields}}}};
            }
            if constexpr (std::is_same_v<K, ResourceKind>) return "resource";
            if constexpr (std::is_same_v<K, HandleKind>) {
                return Json{{"handle", Json{{k.borrow ? "borrow" : "own", k.resource.index}}}};
            }
            if constexpr (std::is_same_v<K, FlagsKind>) {
                Json flags = Json::array();
                for (const Flag& f : k.flags) {
                    Json j{{"name", f.name}};
                    add_docs(j, f.docs);
                    flags.push_back(j);
                }
                return Json{{"flags", Json{{"flags", flags}}}};
            }
            if constexpr (std::is_same_v<K, TupleKind>) {
                Json types = Json::array();
                for (const Type& t : k.types) types.push_back(type_json(t));
                return Json{{"tuple", Json{{"types", types}}}};
            }
            if constexpr (std::is_same_v<K, VariantKind>) {
                Json cases = Json::array();
                for (const Case& c : k.cases) {
                    Json j{{"name", c.name}, {"type", opt_type_json(c.type)}};
                    add_docs(j, c.docs);
                    cases.push_back(j);
                }
                return Json{{"variant", Json{{"cases", cases}}}};
            }
            if constexpr (std::is_same_v<K, EnumKind>) {
                Json cases = Json::array();
                for (const EnumCase& c : k.cases) {
                    Json j{{"name", c.name}};
                    add_docs(j, c.docs);
                    cases.push_back(j);
                }
                return Json{{"enum", Json{{"cases", cases}}}};
            }
            if constexpr (std::is_same_v<K, OptionKind>) return Json{{"option", type_json(k.type)}};
            if constexpr (std::is_same_v<K, ResultKind>) {
                return Json{
                    {"result", Json{{"ok", opt_type_json(k.ok)}, {"err", opt_type_json(k.err)}}}};
            }
            if constexpr (std::is_same_v<K, ListKind>) return Json{{"list", type_json(k.element)}};
            if constexpr (std::is_same_v<K, FixedListKind>) {
                return Json{{"fixed-length-list", Json::array({type_json(k.element), k.size})}};
            }
            if constexpr (std::is_same_v<K, MapKind>) {
                return Json{{"map", Json::array({type_json(k.key), type_json(k.value)})}};
            }
            if constexpr (std::is_same_v<K, FutureKind>)
                return Json{{"future", opt_type_json(k.type)}};
            if constexpr (std::is_same_v<K, StreamKind>)
                return Json{{"stream", opt_type_json(k.type)}};
            return "unknown";
        },
        kind);
}

Json function_json(const Function& f) {
    Json j{{"name", f.name}};
    switch (f.kind) {
    case FunctionKind::Freestanding: j["kind"] = "freestanding"; break;
    case FunctionKind::AsyncFreestanding: j["kind"] = "async-freestanding"; break;
    case FunctionKind::Method: j["kind"] = Json{{"method", f.resource.index}}; break;
    case FunctionKind::AsyncMethod: j["kind"] = Json{{"async-method", f.resource.index}}; break;
    case FunctionKind::Static: j["kind"] = Json{{"static", f.resource.index}}; break;
    case FunctionKind::AsyncStatic: j["kind"] = Json{{"async-static", f.resource.index}}; break;
    case FunctionKind::Constructor: j["kind"] = Json{{"constructor", f.resource.index}}; break;
    }
    Json params = Json::array();
    for (const Param& p : f.params)
        params.push_back(Json{{"name", p.name}, {"type", type_json(p.type)}});
    j["params"] = params;
    if (f.result) j["result"] = type_json(*f.result);
    add_docs(j, f.docs);
    add_stability(j, f.stability);
    return j;
}

Json world_items_json(const IndexMap<WorldKey, WorldItem>& items) {
    Json out = Json::object();
    for (const auto& [key, item] : items) {
        std::string name =
            key.is_interface ? "interface-" + std::to_string(key.interface.index) : key.name;
        switch (item.kind) {
        case WorldItem::Kind::Interface: {
            Json inner{{"id", item.interface.index}};
            add_stability(inner, item.stability);
            out[name] = Json{{"interface", inner}};
            break;
        }
        case WorldItem::Kind::Function:
            out[name] = Json{{"function", function_json(item.function)}};
            break;
        case WorldItem::Kind::Type: out[name] = Json{{"type", item.type.index}}; break;
        }
    }
    return out;
}

} // namespace

std::string to_json(const Resolve& r) {
    Json worlds = Json::array();
    for (const World& w : r.worlds) {
        Json j{{"name", w.name},
               {"imports", world_items_json(w.imports)},
               {"exports", world_items_json(w.exports)}};
        if (w.package) j["package"] = w.package->index;
        add_docs(j, w.docs);
        add_stability(j, w.stability);
        worlds.push_back(j);
    }
    Json interfaces = Json::array();
    for (const Interface& i : r.interfaces) {
        Json j{{"name", i.name ? Json(*i.name) : Json(nullptr)}};
        Json types = Json::object();
        for (const auto& [name, id] : i.types) types[name] = id.index;
        j["types"] = types;
        Json funcs = Json::object();
        for (const auto& [name, f] : i.functions) funcs[name] = function_json(f);
        j["functions"] = funcs;
        add_docs(j, i.docs);
        add_stability(j, i.stability);
        if (i.package) j["package"] = i.package->index;
        interfaces.push_back(j);
    }
    Json types = Json::array();
    for (const TypeDef& t : r.types) {
        Json j{{"name", t.name ? Json(*t.name) : Json(nullptr)}, {"kind", kind_json(t.kind)}};
        switch (t.owner.kind) {
        case TypeOwner::Kind::None: j["owner"] = nullptr; break;
        case TypeOwner::Kind::Interface: j["owner"] = Json{{"interface", t.owner.index}}; break;
        case TypeOwner::Kind::World: j["owner"] = Json{{"world", t.owner.index}}; break;
        }
        add_docs(j, t.docs);
        add_stability(j, t.stability);
        types.push_back(j);
    }
    Json packages = Json::array();
    for (const Package& p : r.packages) {
        Json j{{"name", p.name.to_string()}};
        add_docs(j, p.docs);
        Json ifaces = Json::object();
        for (const auto& [name, id] : p.interfaces) ifaces[name] = id.index;
        j["interfaces"] = ifaces;
        Json ws = Json::object();
        for (const auto& [name, id] : p.worlds) ws[name] = id.index;
        j["worlds"] = ws;
        packages.push_back(j);
    }
    Json root{
        {"worlds", worlds}, {"interfaces", interfaces}, {"types", types}, {"packages", packages}};
    // Names and docs come from validated UTF-8 text; replace rather than throw regardless.
    return root.dump(2, ' ', false, Json::error_handler_t::replace);
}

} // namespace cirrus::wit
