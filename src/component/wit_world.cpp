// A component type as a world of the resolved WIT model (include/cirrus/component/wit.h), and
// Component::world_wit, which prints it with the WIT printer.
//
// Type identity is what makes the result a graph rather than text: a resource is one
// ResourceType wherever it appears, so the first interface that exports it defines it and any
// later one aliases it (printed as `use`); a named value type exported by an instance type is a
// named copy whose `named_from` leads back to the type it names, which is the first interface's
// export when the type was aliased from an imported instance.
#include "cirrus/component/wit.h"

#include "cirrus/component/component.h"
#include "cirrus/wit/printer.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

namespace cirrus::component {

namespace {

std::optional<wit::Primitive> primitive_of(TypeKind k) {
    switch (k) {
    case TypeKind::Bool: return wit::Primitive::Bool;
    case TypeKind::S8: return wit::Primitive::S8;
    case TypeKind::U8: return wit::Primitive::U8;
    case TypeKind::S16: return wit::Primitive::S16;
    case TypeKind::U16: return wit::Primitive::U16;
    case TypeKind::S32: return wit::Primitive::S32;
    case TypeKind::U32: return wit::Primitive::U32;
    case TypeKind::S64: return wit::Primitive::S64;
    case TypeKind::U64: return wit::Primitive::U64;
    case TypeKind::F32: return wit::Primitive::F32;
    case TypeKind::F64: return wit::Primitive::F64;
    case TypeKind::Char: return wit::Primitive::Char;
    case TypeKind::String: return wit::Primitive::String;
    case TypeKind::ErrorContext: return wit::Primitive::ErrorContext;
    default: return std::nullopt;
    }
}

// `ns:pkg/iface@version` split into the package name and the interface name.
struct InterfaceRef {
    wit::PackageName package;
    std::string name;
};

std::optional<InterfaceRef> parse_interface_name(std::string_view full) {
    size_t colon = full.find(':'), slash = full.find('/');
    if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon)
        return std::nullopt;
    std::string_view rest = full.substr(slash + 1);
    size_t at = rest.find('@');
    InterfaceRef ref;
    ref.package.ns = std::string(full.substr(0, colon));
    ref.package.name = std::string(full.substr(colon + 1, slash - colon - 1));
    ref.name = std::string(rest.substr(0, at));
    if (at != std::string_view::npos) {
        ref.package.version = wit::Version::parse(rest.substr(at + 1));
        if (!ref.package.version) return std::nullopt;
    }
    return ref;
}

class Builder {
public:
    explicit Builder(wit::Resolve& r) : r_(r) {}

    WitWorld build(const ComponentType& ct, std::string_view world_name);

private:
    wit::Resolve& r_;
    WitWorld out_;
    // Where each resource and named value type is defined (its first definition).
    std::map<const ResourceType*, wit::TypeId> resource_home_;
    std::map<const ValType*, wit::TypeId> value_home_;
    // The interface or world being built: its owner tag and the names it binds.
    wit::TypeOwner owner_;
    std::map<const ResourceType*, wit::TypeId> scope_resources_;
    std::map<const ValType*, wit::TypeId> scope_values_;
    std::map<std::string, wit::TypeId, std::less<>> scope_names_;
    // Named value types of the imported interfaces, by name, and whether the pass that runs
    // is the imports'.
    std::multimap<std::string, std::pair<const ValType*, wit::TypeId>> imported_values_;
    bool importing_ = true;

    void enter(wit::TypeOwner owner) {
        owner_ = owner;
        scope_resources_.clear();
        scope_values_.clear();
        scope_names_.clear();
    }
    wit::TypeId add(std::optional<std::string> name, wit::TypeDefKind kind) {
        wit::TypeDef def;
        def.name = std::move(name);
        def.kind = std::move(kind);
        def.owner = def.name ? owner_ : wit::TypeOwner{};
        return r_.types.alloc(std::move(def));
    }

    wit::Type type(const ValType* t);
    wit::TypeDefKind structure(const ValType* t);
    wit::TypeId resource_ref(const ResourceType* res);
    std::optional<wit::TypeId> known_value(const ValType* t) const;
    // Binds an exported type of the current scope; returns its id.
    wit::TypeId bind_type(const std::string& name, const ExternType& et);
    wit::Function function(const std::string& name, const FuncType& ft);
    wit::InterfaceId interface(std::optional<std::string> name, wit::PackageId package,
                               const InstanceType& it, std::string_view where);
    wit::PackageId package(const wit::PackageName& name);
    void note(std::string line) { out_.unrepresentable.push_back(std::move(line)); }
};

std::optional<wit::TypeId> Builder::known_value(const ValType* t) const {
    for (const ValType* v = t; v; v = v->named_from) {
        if (auto it = scope_values_.find(v); it != scope_values_.end()) return it->second;
        if (auto it = value_home_.find(v); it != value_home_.end()) return it->second;
    }
    return std::nullopt;
}

wit::TypeId Builder::resource_ref(const ResourceType* res) {
    if (auto it = scope_resources_.find(res); it != scope_resources_.end()) return it->second;
    if (auto it = resource_home_.find(res); it != resource_home_.end()) return it->second;
    // A resource no scope exports (only possible in hand-written components): define it here
    // so the handle still names it.
    wit::TypeId id =
        add(res->name.empty() ? std::string("resource") : res->name, wit::ResourceKind{});
    resource_home_.emplace(res, id);
    return id;
}

wit::Type Builder::type(const ValType* t) {
    if (!t->name.empty()) {
        if (auto id = known_value(t)) return wit::Type::ref(*id);
    }
    if (auto p = primitive_of(t->kind)) return wit::Type::prim(*p);
    return wit::Type::ref(add(std::nullopt, structure(t)));
}

// The right-hand side of a type: what the WIT definition of `t` says.
wit::TypeDefKind Builder::structure(const ValType* t) {
    if (auto p = primitive_of(t->kind)) return wit::AliasKind{wit::Type::prim(*p)};
    auto opt = [&](const ValType* v) -> std::optional<wit::Type> {
        if (!v) return std::nullopt;
        return type(v);
    };
    switch (t->kind) {
    case TypeKind::List: return wit::ListKind{type(t->element)};
    case TypeKind::Option: return wit::OptionKind{type(t->element)};
    case TypeKind::Result: return wit::ResultKind{opt(t->element), opt(t->error)};
    case TypeKind::Tuple: {
        wit::TupleKind k;
        for (const Field& f : t->fields) k.types.push_back(type(f.type));
        return k;
    }
    case TypeKind::Record: {
        wit::RecordKind k;
        for (const Field& f : t->fields) k.fields.push_back({f.name, type(f.type), {}, {}});
        return k;
    }
    case TypeKind::Variant: {
        wit::VariantKind k;
        for (const Case& c : t->cases) k.cases.push_back({c.name, opt(c.type), {}});
        return k;
    }
    case TypeKind::Enum: {
        wit::EnumKind k;
        for (const std::string& l : t->labels) k.cases.push_back({l, {}});
        return k;
    }
    case TypeKind::Flags: {
        wit::FlagsKind k;
        for (const std::string& l : t->labels) k.flags.push_back({l, {}});
        return k;
    }
    case TypeKind::Own:
    case TypeKind::Borrow:
        return wit::HandleKind{t->kind == TypeKind::Borrow, resource_ref(t->resource)};
    default: return wit::AliasKind{wit::Type::prim(wit::Primitive::Bool)};
    }
}

wit::TypeId Builder::bind_type(const std::string& name, const ExternType& et) {
    wit::TypeId id;
    if (et.resource) {
        auto home = resource_home_.find(et.resource);
        if (home != resource_home_.end()) {
            id = add(name, wit::AliasKind{wit::Type::ref(home->second)});
        } else {
            id = add(name, wit::ResourceKind{});
            resource_home_.emplace(et.resource, id);
        }
        scope_resources_[et.resource] = id;
    } else {
        // A named copy: an alias when what it names is defined already (here or elsewhere),
        // else the definition.
        const ValType* v = et.value_type;
        std::optional<wit::TypeId> target;
        if (v->named_from) target = known_value(v->named_from);
        if (!target && !importing_) {
            // An exported interface is often an instance of a shim component whose value
            // types are its own `eq` imports, bound to the imported interface's types when it
            // was instantiated: value types have no identity, so the imported type of the same
            // name and structure is the one it uses (as wit-component's `use` made it).
            auto [lo, hi] = imported_values_.equal_range(name);
            std::set<wit::TypeId> matches;
            for (auto it = lo; it != hi; ++it) {
                if (val_subtype(v, it->second.first, nullptr) &&
                    val_subtype(it->second.first, v, nullptr)) {
                    matches.insert(it->second.second);
                }
            }
            if (matches.size() == 1) target = *matches.begin();
        }
        id = target ? add(name, wit::AliasKind{wit::Type::ref(*target)}) : add(name, structure(v));
        if (importing_ && owner_.kind == wit::TypeOwner::Kind::Interface)
            imported_values_.emplace(name, std::make_pair(v, target ? *target : id));
        value_home_.emplace(v, id);
        scope_values_[v] = id;
    }
    scope_names_[name] = id;
    return id;
}

wit::Function Builder::function(const std::string& name, const FuncType& ft) {
    wit::Function f;
    f.name = name;
    std::string_view n = name;
    auto resource_named = [&](std::string_view res) {
        auto it = scope_names_.find(res);
        if (it != scope_names_.end()) f.resource = it->second;
    };
    if (n.starts_with("[constructor]")) {
        f.kind = wit::FunctionKind::Constructor;
        resource_named(n.substr(13));
    } else if (n.starts_with("[method]") || n.starts_with("[static]")) {
        f.kind = n[1] == 'm' ? wit::FunctionKind::Method : wit::FunctionKind::Static;
        std::string_view rest = n.substr(8);
        resource_named(rest.substr(0, rest.find('.')));
    }
    if (f.kind != wit::FunctionKind::Freestanding && !f.resource.valid())
        f.kind = wit::FunctionKind::Freestanding;
    for (const auto& [pname, ptype] : ft.params) f.params.push_back({pname, type(ptype)});
    if (ft.result) f.result = type(ft.result);
    return f;
}

wit::InterfaceId Builder::interface(std::optional<std::string> name, wit::PackageId pkg,
                                    const InstanceType& it, std::string_view where) {
    wit::Interface iface;
    iface.name = std::move(name);
    iface.package = pkg;
    wit::InterfaceId id = r_.interfaces.alloc(std::move(iface));
    enter(wit::TypeOwner::interface(id));
    for (const auto& [n, et] : it.exports) {
        if (et.sort == Sort::Type && !et.resource && !et.value_type) {
            note(fmt::format("{}: a function, component or instance type `{}` is not "
                             "representable in WIT",
                             where, n));
        } else if (et.sort == Sort::Type) {
            wit::TypeId tid = bind_type(n, et);
            r_.interfaces[id].types.insert(n, tid);
        }
    }
    for (const auto& [n, et] : it.exports) {
        if (et.sort == Sort::Func) {
            r_.interfaces[id].functions.insert(n, function(n, *et.func));
        } else if (et.sort != Sort::Type) {
            note(fmt::format("{}: {} `{}` is not representable in WIT", where, sort_name(et.sort),
                             n));
        }
    }
    return id;
}

wit::PackageId Builder::package(const wit::PackageName& name) {
    if (auto it = r_.package_names.find(name); it != r_.package_names.end()) return it->second;
    wit::Package p;
    p.name = name;
    wit::PackageId id = r_.packages.alloc(std::move(p));
    r_.package_names.emplace(name, id);
    return id;
}

WitWorld Builder::build(const ComponentType& ct, std::string_view world_name) {
    out_.package = package(wit::PackageName{"root", "component", std::nullopt});
    wit::World w;
    w.name = std::string(world_name);
    w.package = out_.package;
    wit::WorldId wid = r_.worlds.alloc(std::move(w));
    r_.packages[out_.package].worlds.insert(std::string(world_name), wid);
    out_.world = wid;

    for (int pass = 0; pass < 2; ++pass) {
        bool imports = pass == 0;
        importing_ = imports;
        const char* dir = imports ? "import" : "export";
        for (const auto& [name, et] : imports ? ct.imports : ct.exports) {
            if (et.sort != Sort::Instance) continue;
            wit::WorldKey key;
            wit::InterfaceId iid;
            if (auto ref = parse_interface_name(name)) {
                wit::PackageId pid = package(ref->package);
                if (const wit::InterfaceId* existing =
                        r_.packages[pid].interfaces.find(ref->name)) {
                    iid = *existing;
                } else {
                    iid = interface(ref->name, pid, *et.instance, fmt::format("{} {}", dir, name));
                    r_.packages[pid].interfaces.insert(ref->name, iid);
                }
                key = wit::WorldKey::of(iid);
            } else {
                iid = interface(std::nullopt, out_.package, *et.instance,
                                fmt::format("{} {}", dir, name));
                key = wit::WorldKey::named(name);
            }
            auto& items = imports ? r_.worlds[wid].imports : r_.worlds[wid].exports;
            items.insert(key, wit::WorldItem::of_interface(iid, {}));
        }
        // The world's own types and functions, after the interfaces they may use.
        enter(wit::TypeOwner::world(wid));
        for (const auto& [name, et] : imports ? ct.imports : ct.exports) {
            auto& items = imports ? r_.worlds[wid].imports : r_.worlds[wid].exports;
            switch (et.sort) {
            case Sort::Instance: break;
            case Sort::Type: {
                if (!et.resource && !et.value_type) {
                    note(fmt::format("{} {}: a function, component or instance type is not "
                                     "representable in WIT",
                                     imports ? "import" : "export", name));
                    break;
                }
                if (imports) {
                    wit::TypeId tid = bind_type(name, et);
                    items.insert(wit::WorldKey::named(name), wit::WorldItem::of_type(tid));
                    break;
                }
                if (et.value_type) {
                    // A value type has no identity: a world-level definition says the same.
                    if (!known_value(et.value_type)) {
                        wit::TypeId tid = bind_type(name, et);
                        r_.worlds[wid].imports.insert(wit::WorldKey::named(name),
                                                      wit::WorldItem::of_type(tid));
                    }
                    break;
                }
                // A resource is a world-level type only as an import. Signatures keep naming a
                // re-exported import by its imported name; a resource defined here gets a
                // definition so they can name it at all.
                if (!resource_home_.count(et.resource)) bind_type(name, et);
                note(fmt::format("export {}: a resource exported from the root is not "
                                 "representable in WIT",
                                 name));
                break;
            }
            case Sort::Func: {
                wit::Function f = function(name, *et.func);
                if (!imports && wit::function_kind_has_resource(f.kind)) {
                    note(fmt::format("export {}: a function of a resource exported from the root "
                                     "is not representable in WIT",
                                     name));
                }
                items.insert(wit::WorldKey::named(name), wit::WorldItem::of_function(std::move(f)));
                break;
            }
            default:
                note(fmt::format("{} {}: a {} is not representable in WIT", dir, name,
                                 sort_name(et.sort)));
            }
        }
    }
    return std::move(out_);
}

} // namespace

WitWorld add_wit_world(wit::Resolve& resolve, const ComponentType& type,
                       std::string_view world_name) {
    return Builder(resolve).build(type, world_name);
}

std::string Component::world_wit(std::string_view world_name) const {
    wit::Resolve resolve;
    WitWorld ww = add_wit_world(resolve, type(), world_name);
    std::string text = wit::print_resolve(resolve, ww.package);
    if (ww.unrepresentable.empty()) return text;
    // Say what the world leaves out, inside the world's body (the root package is printed
    // first, in file form, so its world ends at the first line that is a lone `}`).
    std::string notes;
    for (const std::string& n : ww.unrepresentable) notes += "  // " + n + "\n";
    size_t world_at = text.find("world ");
    size_t close = world_at == std::string::npos ? std::string::npos : text.find("\n}\n", world_at);
    if (close == std::string::npos) return text + notes;
    return text.insert(close + 1, notes);
}

} // namespace cirrus::component
