// Appending a resolved package to a Resolve (see remap.h). Local ids of the UnresolvedPackage
// are mapped to global ids slot by slot; a slot is "gated" when its item was left out by a
// feature gate, and any reference to it is then an error.
#include "remap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

namespace cirrus::wit::detail {

namespace {

// Longest chain of interface dependencies (or of types cloned by an `include`) followed
// recursively; WIT written by people stays far below it.
constexpr size_t kMaxDependencyDepth = 1000;

struct Slot {
    bool registered = false;
    bool gated = false;
    uint32_t id = 0;
};

// `name` renamed by an `include ... with { a as b }` entry, if it matches.
std::optional<std::string> rename(const std::string& original, const IncludeName& include) {
    if (original == include.name) return include.as;
    size_t close = original.find(']');
    if (close == std::string::npos) return std::nullopt;
    std::string kind = original.substr(0, close);
    std::string rest = original.substr(close + 1);
    size_t dot = rest.find('.');
    if (dot != std::string::npos && rest.substr(0, dot) == include.name) {
        return kind + "]" + include.as + rest.substr(dot);
    }
    if (rest == include.name) return kind + "]" + include.as;
    return std::nullopt;
}

bool stability_equal(const Stability& a, const Stability& b) {
    if (a.kind != b.kind) return false;
    if (a.deprecated.has_value() != b.deprecated.has_value()) return false;
    if (a.deprecated && !(*a.deprecated == *b.deprecated)) return false;
    if (a.kind == Stability::Kind::Stable) return a.since == b.since;
    if (a.kind == Stability::Kind::Unstable) return a.feature == b.feature;
    return true;
}

// Copies the types owned by one world (and anonymous interfaces) into another, as an
// `include` does.
class Cloner {
public:
    Cloner(Resolve& r, TypeOwner prev, TypeOwner next, PackageId pkg,
           std::map<uint32_t, TypeId>& types)
        : r_(r), prev_(prev), next_(next), pkg_(pkg), types_(types) {}

    void world_item(const WorldKey& key, WorldItem& item) {
        if (key.is_interface) return;
        switch (item.kind) {
        case WorldItem::Kind::Type: type_id(item.type); break;
        case WorldItem::Kind::Function: function(item.function); break;
        case WorldItem::Kind::Interface:
            if (!r_.interfaces[item.interface].name) interface(item.interface);
            break;
        }
    }

    // Set when a chain of types was too long to clone; the include is then rejected.
    bool too_deep = false;

    void type_id(TypeId& id) {
        auto it = types_.find(id.index);
        if (it == types_.end()) {
            if (depth_ >= kMaxDependencyDepth) {
                too_deep = true;
                return;
            }
            ++depth_;
            TypeDef copy = r_.types[id];
            type_def(copy);
            --depth_;
            TypeId fresh = r_.types.alloc(std::move(copy));
            it = types_.emplace(id.index, fresh).first;
        }
        id = it->second;
    }

    void function(Function& f) {
        if (function_kind_has_resource(f.kind) && f.resource.valid()) type_id(f.resource);
        for (Param& p : f.params) ty(p.type);
        if (f.result) ty(*f.result);
    }

private:
    void ty(Type& t) {
        if (t.is_id) type_id(t.id);
    }
    void ty(std::optional<Type>& t) {
        if (t) ty(*t);
    }

    void type_def(TypeDef& def) {
        if (def.owner.kind != TypeOwner::Kind::None) def.owner = next_;
        std::visit(
            [&](auto& k) {
                using K = std::decay_t<decltype(k)>;
                if constexpr (std::is_same_v<K, AliasKind>) {
                    if (k.target.is_id) {
                        if (r_.types[k.target.id].owner == prev_) {
                            type_id(k.target.id);
                        } else if (auto it = types_.find(k.target.id.index); it != types_.end()) {
                            k.target.id = it->second;
                        }
                    }
                } else if constexpr (std::is_same_v<K, HandleKind>) {
                    type_id(k.resource);
                } else if constexpr (std::is_same_v<K, OptionKind>) {
                    ty(k.type);
                } else if constexpr (std::is_same_v<K, ListKind> ||
                                     std::is_same_v<K, FixedListKind>) {
                    ty(k.element);
                } else if constexpr (std::is_same_v<K, MapKind>) {
                    ty(k.key);
                    ty(k.value);
                } else if constexpr (std::is_same_v<K, TupleKind>) {
                    for (Type& t : k.types) ty(t);
                } else if constexpr (std::is_same_v<K, RecordKind>) {
                    for (Field& f : k.fields) ty(f.type);
                } else if constexpr (std::is_same_v<K, VariantKind>) {
                    for (Case& c : k.cases) ty(c.type);
                } else if constexpr (std::is_same_v<K, ResultKind>) {
                    ty(k.ok);
                    ty(k.err);
                } else if constexpr (std::is_same_v<K, FutureKind> ||
                                     std::is_same_v<K, StreamKind>) {
                    ty(k.type);
                }
            },
            def.kind);
    }

    void interface(InterfaceId& id) {
        Interface copy = r_.interfaces[id];
        InterfaceId next_id(static_cast<uint32_t>(r_.interfaces.size()));
        Cloner sub(r_, TypeOwner::interface(id), TypeOwner::interface(next_id), pkg_, types_);
        for (auto& [name, tid] : copy.types) sub.type_id(tid);
        for (auto& [name, f] : copy.functions) sub.function(f);
        copy.package = pkg_;
        id = r_.interfaces.alloc(std::move(copy));
    }

    Resolve& r_;
    TypeOwner prev_, next_;
    PackageId pkg_;
    std::map<uint32_t, TypeId>& types_;
    size_t depth_ = 0;
};

class Remap {
public:
    explicit Remap(Resolve& r) : r_(r) {}
    Diag err_;

    bool append(UnresolvedPackage& pkg, PackageId& out);

private:
    Resolve& r_;
    PackageId pkgid_;
    std::vector<Slot> types_, interfaces_, worlds_;
    std::map<uint32_t, TypeId> own_handles_;
    std::map<uint32_t, bool> has_borrow_;

    bool fail(Span span, std::string message) {
        err_ = Diag{std::move(message), span};
        return false;
    }
    bool map(const std::vector<Slot>& slots, uint32_t id, const char* desc, Span span,
             uint32_t& out) {
        if (id >= slots.size() || !slots[id].registered) {
            return fail(span, fmt::format("internal error: {} {} was not registered", desc, id));
        }
        if (slots[id].gated) {
            return fail(span, fmt::format("found a reference to a {} which is excluded due to its "
                                          "feature not being activated",
                                          desc));
        }
        out = slots[id].id;
        return true;
    }
    bool map_type(TypeId& id, Span span) { return map(types_, id.index, "type", span, id.index); }
    bool map_interface(InterfaceId& id, Span span) {
        return map(interfaces_, id.index, "interface", span, id.index);
    }
    bool map_world(WorldId& id, Span span) {
        return map(worlds_, id.index, "world", span, id.index);
    }
    static void set(std::vector<Slot>& slots, uint32_t local, std::optional<uint32_t> global) {
        if (slots.size() <= local) slots.resize(local + 1);
        slots[local] = global ? Slot{true, false, *global} : Slot{true, true, 0};
    }

    bool include_stability(const Stability& s, Span span, bool& out);
    // Whether any of `stabilities` is enabled (a foreign item is usable when one is).
    bool include_any_stability(const std::vector<Stability>& stabilities, Span span, bool& out);
    bool process_foreign_deps(UnresolvedPackage& pkg);
    bool update_typedef(TypeDef& def, Span span);
    bool update_ty(Type& t, Span span);
    bool update_ty(std::optional<Type>& t, Span span) { return !t || update_ty(*t, span); }
    bool update_interface(Interface& iface);
    bool update_function(Function& f, Span span);
    bool update_world(World& world);
    bool process_world_includes(WorldId id);
    bool resolve_include(WorldId id, const WorldInclude& inc);
    bool validate_case_insensitive_names(WorldId id);
    bool elaborate_world(WorldId id);
    bool type_has_borrow(const Type& t, size_t depth);
};

bool Remap::include_any_stability(const std::vector<Stability>& stabilities, Span span, bool& out) {
    out = false;
    for (const Stability& s : stabilities) {
        WIT_TRY(include_stability(s, span, out));
        if (out) return true;
    }
    return true;
}

bool Remap::include_stability(const Stability& s, Span span, bool& out) {
    out = true;
    if (s.kind == Stability::Kind::Unstable) {
        out = r_.all_features || r_.features.count(s.feature) != 0;
        return true;
    }
    if (s.kind != Stability::Kind::Stable) return true;
    const Package& p = r_.packages[pkgid_];
    if (!p.name.version) {
        return fail(span, fmt::format("package [{}] contains a feature gate with a version "
                                      "specifier, so it must have a version",
                                      p.name.to_string()));
    }
    if (s.since > *p.name.version) {
        return fail(span, fmt::format("feature gate cannot reference unreleased version {} of "
                                      "package [{}] (current version {})",
                                      s.since.to_string(), p.name.to_string(),
                                      p.name.version->to_string()));
    }
    return true;
}

bool Remap::process_foreign_deps(UnresolvedPackage& pkg) {
    struct Ref {
        const ForeignPackage* pkg;
        const std::string* name;
        const ForeignItem* item;
    };
    std::map<uint32_t, Ref> ifaces, worlds;
    for (const ForeignPackage& fp : pkg.foreign_deps) {
        for (const auto& [name, item] : fp.items) {
            (item.is_world ? worlds : ifaces)[item.id] = Ref{&fp, &name, &item};
        }
    }
    auto find_package = [&](const ForeignPackage& fp, PackageId& out) {
        auto it = r_.package_names.find(fp.name);
        if (it != r_.package_names.end()) {
            out = it->second;
            return true;
        }
        std::string msg = fmt::format("package '{}' not found", fp.name.to_string());
        if (!r_.package_names.empty()) {
            msg += ". known packages:";
            for (const auto& [name, id] : r_.package_names) msg += "\n    " + name.to_string();
        }
        return fail(fp.span, std::move(msg));
    };
    for (const auto& [local, ref] : ifaces) {
        PackageId pid;
        WIT_TRY(find_package(*ref.pkg, pid));
        Span span = pkg.interfaces[InterfaceId(local)].span;
        bool enabled;
        WIT_TRY(include_any_stability(ref.item->stabilities, span, enabled));
        if (!enabled) {
            set(interfaces_, local, std::nullopt);
            continue;
        }
        const InterfaceId* found = r_.packages[pid].interfaces.find(*ref.name);
        if (!found) {
            return fail(span, fmt::format("interface '{}' not found in package '{}'", *ref.name,
                                          r_.packages[pid].name.to_string()));
        }
        set(interfaces_, local, found->index);
    }
    for (const auto& [local, ref] : worlds) {
        PackageId pid;
        WIT_TRY(find_package(*ref.pkg, pid));
        Span span = pkg.worlds[WorldId(local)].span;
        bool enabled;
        WIT_TRY(include_any_stability(ref.item->stabilities, span, enabled));
        if (!enabled) {
            set(worlds_, local, std::nullopt);
            continue;
        }
        const WorldId* found = r_.packages[pid].worlds.find(*ref.name);
        if (!found) {
            return fail(span, fmt::format("world '{}' not found in package '{}'", *ref.name,
                                          r_.packages[pid].name.to_string()));
        }
        set(worlds_, local, found->index);
    }
    for (size_t i = 0; i < pkg.types.size(); ++i) {
        const TypeDef& ty = pkg.types[TypeId(static_cast<uint32_t>(i))];
        if (!std::holds_alternative<UnknownKind>(ty.kind)) continue;
        bool inc;
        WIT_TRY(include_stability(ty.stability, ty.span, inc));
        if (!inc) {
            set(types_, static_cast<uint32_t>(i), std::nullopt);
            continue;
        }
        InterfaceId iface(ty.owner.index);
        WIT_TRY(map_interface(iface, Span{}));
        const TypeId* found = r_.interfaces[iface].types.find(*ty.name);
        if (!found)
            return fail(ty.span, fmt::format("type `{}` not defined in interface", *ty.name));
        set(types_, static_cast<uint32_t>(i), found->index);
    }
    for (const auto& [local, span] : pkg.required_resource_types) {
        TypeId id = local;
        if (local.index >= types_.size() || !types_[local.index].registered ||
            types_[local.index].gated) {
            continue;
        }
        WIT_TRY(map_type(id, span));
        for (size_t steps = 0;; ++steps) {
            const TypeDefKind& kind = r_.types[id].kind;
            if (std::holds_alternative<ResourceKind>(kind)) break;
            const AliasKind* alias = std::get_if<AliasKind>(&kind);
            if (!alias || !alias->target.is_id || steps > r_.types.size()) {
                return fail(span, "type used in a handle must be a resource");
            }
            id = alias->target.id;
        }
    }
    return true;
}

bool Remap::update_ty(Type& t, Span span) {
    if (!t.is_id) return true;
    WIT_TRY(map_type(t.id, span));
    // A bare resource name used as a value type means `own<resource>`.
    TypeId cur = t.id;
    for (size_t steps = 0; steps <= r_.types.size(); ++steps) {
        const TypeDefKind& kind = r_.types[cur].kind;
        if (std::holds_alternative<ResourceKind>(kind)) {
            auto it = own_handles_.find(t.id.index);
            if (it == own_handles_.end()) {
                TypeDef handle;
                handle.kind = HandleKind{false, t.id};
                it = own_handles_.emplace(t.id.index, r_.types.alloc(std::move(handle))).first;
            }
            t.id = it->second;
            return true;
        }
        const AliasKind* alias = std::get_if<AliasKind>(&kind);
        if (!alias || !alias->target.is_id) return true;
        cur = alias->target.id;
    }
    return true;
}

bool Remap::update_typedef(TypeDef& def, Span span) {
    bool ok = true;
    std::visit(
        [&](auto& k) {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, AliasKind>) {
                if (k.target.is_id) ok = map_type(k.target.id, span);
            } else if constexpr (std::is_same_v<K, HandleKind>) {
                ok = map_type(k.resource, span);
            } else if constexpr (std::is_same_v<K, OptionKind>) {
                ok = update_ty(k.type, span);
            } else if constexpr (std::is_same_v<K, ListKind> || std::is_same_v<K, FixedListKind>) {
                ok = update_ty(k.element, span);
            } else if constexpr (std::is_same_v<K, MapKind>) {
                ok = update_ty(k.key, span) && update_ty(k.value, span);
            } else if constexpr (std::is_same_v<K, TupleKind>) {
                for (Type& t : k.types) ok = ok && update_ty(t, span);
            } else if constexpr (std::is_same_v<K, RecordKind>) {
                for (Field& f : k.fields) ok = ok && update_ty(f.type, f.span);
            } else if constexpr (std::is_same_v<K, VariantKind>) {
                for (Case& c : k.cases) ok = ok && update_ty(c.type, span);
            } else if constexpr (std::is_same_v<K, ResultKind>) {
                ok = update_ty(k.ok, span) && update_ty(k.err, span);
            } else if constexpr (std::is_same_v<K, FutureKind> || std::is_same_v<K, StreamKind>) {
                ok = update_ty(k.type, span);
            }
        },
        def.kind);
    return ok;
}

bool Remap::type_has_borrow(const Type& t, size_t depth) {
    if (!t.is_id || depth > 1000) return false;
    auto cached = has_borrow_.find(t.id.index);
    if (cached != has_borrow_.end()) return cached->second;
    bool result = std::visit(
        [&](const auto& k) -> bool {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, AliasKind>) return type_has_borrow(k.target, depth + 1);
            if constexpr (std::is_same_v<K, HandleKind>) return k.borrow;
            if constexpr (std::is_same_v<K, OptionKind>) return type_has_borrow(k.type, depth + 1);
            if constexpr (std::is_same_v<K, ListKind> || std::is_same_v<K, FixedListKind>) {
                return type_has_borrow(k.element, depth + 1);
            }
            if constexpr (std::is_same_v<K, MapKind>) {
                return type_has_borrow(k.key, depth + 1) || type_has_borrow(k.value, depth + 1);
            }
            if constexpr (std::is_same_v<K, TupleKind>) {
                for (const Type& x : k.types) {
                    if (type_has_borrow(x, depth + 1)) return true;
                }
                return false;
            }
            if constexpr (std::is_same_v<K, RecordKind>) {
                for (const Field& f : k.fields) {
                    if (type_has_borrow(f.type, depth + 1)) return true;
                }
                return false;
            }
            if constexpr (std::is_same_v<K, VariantKind>) {
                for (const Case& c : k.cases) {
                    if (c.type && type_has_borrow(*c.type, depth + 1)) return true;
                }
                return false;
            }
            if constexpr (std::is_same_v<K, ResultKind>) {
                return (k.ok && type_has_borrow(*k.ok, depth + 1)) ||
                       (k.err && type_has_borrow(*k.err, depth + 1));
            }
            if constexpr (std::is_same_v<K, FutureKind> || std::is_same_v<K, StreamKind>) {
                return k.type && type_has_borrow(*k.type, depth + 1);
            }
            return false;
        },
        r_.types[t.id].kind);
    has_borrow_[t.id.index] = result;
    return result;
}

bool Remap::update_function(Function& f, Span span) {
    if (function_kind_has_resource(f.kind)) WIT_TRY(map_type(f.resource, span));
    for (Param& p : f.params) WIT_TRY(update_ty(p.type, span));
    WIT_TRY(update_ty(f.result, span));
    if (f.result && type_has_borrow(*f.result, 0)) {
        return fail(span, fmt::format("function `{}` returns a type which contains a `borrow<T>` "
                                      "which is not supported",
                                      f.name));
    }
    return true;
}

bool Remap::update_interface(Interface& iface) {
    IndexMap<std::string, TypeId> types;
    for (auto& [name, id] : iface.types) {
        if (id.index < types_.size() && types_[id.index].gated) continue;
        TypeId mapped = id;
        WIT_TRY(map_type(mapped, iface.span));
        types.insert(name, mapped);
    }
    iface.types = std::move(types);
    IndexMap<std::string, Function> funcs;
    for (auto& [name, f] : iface.functions) {
        bool inc;
        WIT_TRY(include_stability(f.stability, f.span, inc));
        if (!inc) continue;
        WIT_TRY(update_function(f, f.span));
        funcs.insert(name, std::move(f));
    }
    iface.functions = std::move(funcs);
    return true;
}

bool Remap::update_world(World& world) {
    IndexMap<WorldKey, WorldItem> imports = std::move(world.imports);
    IndexMap<WorldKey, WorldItem> exports = std::move(world.exports);
    world.imports.clear();
    world.exports.clear();
    for (int pass = 0; pass < 2; ++pass) {
        for (auto& [key_in, item_in] : pass == 0 ? imports : exports) {
            WorldKey key = key_in;
            WorldItem item = item_in;
            Span span = item.span;
            if (item.kind == WorldItem::Kind::Type) WIT_TRY(map_type(item.type, span));
            const Stability& stab = item.kind == WorldItem::Kind::Interface ? item.stability
                                    : item.kind == WorldItem::Kind::Function
                                        ? item.function.stability
                                        : r_.types[item.type].stability;
            bool inc;
            WIT_TRY(include_stability(stab, span, inc));
            if (!inc) continue;
            if (key.is_interface) WIT_TRY(map_interface(key.interface, span));
            if (item.kind == WorldItem::Kind::Interface)
                WIT_TRY(map_interface(item.interface, span));
            if (item.kind == WorldItem::Kind::Function)
                WIT_TRY(update_function(item.function, span));
            (pass == 0 ? world.imports : world.exports).insert(std::move(key), std::move(item));
        }
    }
    return true;
}

bool Remap::resolve_include(WorldId id, const WorldInclude& inc) {
    WorldId from = inc.id;
    WIT_TRY(map_world(from, inc.span));
    World included = r_.worlds[from];
    bool is_external = r_.worlds[id].package != included.package;
    std::vector<IncludeName> names = inc.names;
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& [key, item] : pass == 0 ? included.imports : included.exports) {
            if (key.is_interface) continue;
            names.erase(std::remove_if(
                            names.begin(), names.end(),
                            [&](const IncludeName& n) { return rename(key.name, n).has_value(); }),
                        names.end());
        }
    }
    if (!names.empty()) {
        return fail(inc.span, fmt::format("no import or export kebab-name `{}`. Note that an ID "
                                          "does not support renaming",
                                          names[0].name));
    }
    std::map<uint32_t, TypeId> cloned;
    Cloner cloner(r_, TypeOwner::world(from), TypeOwner::world(id), pkgid_, cloned);
    for (int pass = 0; pass < 2; ++pass) {
        const char* what = pass == 0 ? "import" : "export";
        for (const auto& [key, item] : pass == 0 ? included.imports : included.exports) {
            if (!key.is_interface) {
                std::string n = key.name;
                for (const IncludeName& in : inc.names) {
                    if (auto renamed = rename(key.name, in)) {
                        n = *renamed;
                        break;
                    }
                }
                WorldItem fresh = item;
                cloner.world_item(key, fresh);
                if (cloner.too_deep) {
                    return fail(inc.span, "types of the included world are nested too deeply");
                }
                if (fresh.kind == WorldItem::Kind::Function) fresh.function.name = n;
                if (fresh.kind == WorldItem::Kind::Type) r_.types[fresh.type].name = n;
                auto& dst = pass == 0 ? r_.worlds[id].imports : r_.worlds[id].exports;
                if (!dst.insert(WorldKey::named(n), std::move(fresh))) {
                    return fail(inc.span, fmt::format("{} of `{}` shadows previously {}ed items",
                                                      what, n, what));
                }
                continue;
            }
            auto& dst = pass == 0 ? r_.worlds[id].imports : r_.worlds[id].exports;
            // Merge the stability of an interface included twice (a fresh entry is merged with
            // itself, which drops a stable gate coming from another package, as wit-parser does).
            dst.insert(key, item);
            WorldItem* prev = dst.find(key);
            const Stability& from_stab = item.stability;
            Stability& into = prev->stability;
            if (is_external && from_stab.kind == Stability::Kind::Stable) {
                into = Stability{};
            } else if (from_stab.kind != Stability::Kind::Unknown &&
                       !stability_equal(from_stab, into)) {
                if (into.kind == Stability::Kind::Unknown) {
                    into = from_stab;
                } else {
                    return fail(item.span,
                                "mismatch in stability between two includes of one interface");
                }
            }
        }
    }
    return true;
}

bool Remap::validate_case_insensitive_names(WorldId id) {
    const World& world = r_.worlds[id];
    for (int pass = 0; pass < 2; ++pass) {
        const char* what = pass == 0 ? "import" : "export";
        std::map<std::string, std::string> seen;
        for (const auto& [key, item] : pass == 0 ? world.imports : world.exports) {
            if (key.is_interface) continue;
            std::string lower = key.name;
            for (char& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            auto [it, fresh] = seen.emplace(lower, key.name);
            if (!fresh && it->second != key.name) {
                return fail(Span{}, fmt::format("{} `{}` in world `{}` conflicts with {} `{}` "
                                                "(kebab-case identifiers are case-insensitive)",
                                                what, key.name, world.name, what, it->second));
            }
            it->second = key.name;
        }
    }
    return true;
}

bool Remap::process_world_includes(WorldId id) {
    std::vector<WorldInclude> includes = std::move(r_.worlds[id].includes);
    r_.worlds[id].includes.clear();
    for (const WorldInclude& inc : includes) {
        bool ok;
        WIT_TRY(include_stability(inc.stability, inc.span, ok));
        if (!ok) continue;
        WIT_TRY(resolve_include(id, inc));
    }
    return validate_case_insensitive_names(id);
}

// World elaboration (wit-parser's `elaborate_world`): every interface an import depends on is
// imported too; an exported interface's dependencies are exported when they are exported
// themselves, else imported, and a dependency can't be both.
bool Remap::elaborate_world(WorldId id) {
    Resolve& r = r_;
    auto sort_key = [&](const WorldItem& item) {
        switch (item.kind) {
        case WorldItem::Kind::Interface: return 0;
        case WorldItem::Kind::Type: {
            const TypeDef& ty = r.types[item.type];
            const AliasKind* alias = std::get_if<AliasKind>(&ty.kind);
            if (alias && alias->target.is_id && !(r.types[alias->target.id].owner == ty.owner)) {
                return 1;
            }
            return 2;
        }
        case WorldItem::Kind::Function:
            return function_kind_has_resource(item.function.kind) ? 4 : 3;
        }
        return 5;
    };
    // Items grouped by sort key, source order kept within a group (a stable sort).
    auto sorted = [&](const IndexMap<WorldKey, WorldItem>& items) {
        std::vector<std::pair<WorldKey, WorldItem>> v;
        for (int key = 0; key <= 5; ++key) {
            for (const auto& entry : items) {
                if (sort_key(entry.second) == key) v.push_back(entry);
            }
        }
        return v;
    };
    IndexMap<WorldKey, WorldItem> imports;
    // The dependency graph is acyclic, but a long chain of interfaces would recurse deeply:
    // past kMaxDependencyDepth the world is rejected instead.
    size_t depth = 0;
    bool too_deep = false;
    std::function<void(WorldKey, InterfaceId, const Stability&, const Docs&)> add_import =
        [&](WorldKey key, InterfaceId iface, const Stability& stab, const Docs& docs) {
            if (imports.contains(key)) return;
            if (++depth > kMaxDependencyDepth) {
                too_deep = true;
                --depth;
                return;
            }
            for (InterfaceId dep : r.interface_direct_deps(iface)) {
                add_import(WorldKey::of(dep), dep, stab, Docs{});
            }
            --depth;
            imports.insert(std::move(key), WorldItem::of_interface(iface, stab, docs));
        };
    const World& world = r.worlds[id];
    for (auto& [key, item] : sorted(world.imports)) {
        switch (item.kind) {
        case WorldItem::Kind::Interface:
            add_import(key, item.interface, item.stability, item.docs);
            break;
        case WorldItem::Kind::Function: imports.insert(key, item); break;
        case WorldItem::Kind::Type:
            if (auto dep = r.type_interface_dep(item.type)) {
                add_import(WorldKey::of(*dep), *dep, r.types[item.type].stability, Docs{});
            }
            imports.insert(key, item);
            break;
        }
    }
    IndexMap<WorldKey, WorldItem> exports;
    IndexMap<WorldKey, WorldItem> export_interfaces;
    for (const auto& [key, item] : world.exports) {
        if (item.kind == WorldItem::Kind::Interface) {
            export_interfaces.insert(key, item);
        } else {
            exports.insert(key, item);
        }
    }
    std::set<uint32_t> required_imports;
    std::function<bool(const WorldKey&, const WorldItem&, bool)> add_export =
        [&](const WorldKey& key, const WorldItem& item, bool as_export) -> bool {
        if (exports.contains(key)) return as_export;
        InterfaceId iface = item.interface;
        if (!as_export && required_imports.count(iface.index)) return true;
        if (depth >= kMaxDependencyDepth) {
            too_deep = true;
            return false;
        }
        ++depth;
        for (InterfaceId dep : r.interface_direct_deps(iface)) {
            WorldKey dep_key = WorldKey::of(dep);
            WorldItem dep_item = WorldItem::of_interface(dep, item.stability);
            if (!add_export(dep_key, dep_item, as_export && export_interfaces.contains(dep_key))) {
                --depth;
                return false;
            }
        }
        --depth;
        if (as_export) {
            if (required_imports.count(iface.index)) return false;
            exports.insert(key, item);
        } else {
            required_imports.insert(iface.index);
            if (!imports.contains(key)) imports.insert(key, item);
        }
        return true;
    };
    auto chain_too_deep = [&] {
        return fail(world.span, fmt::format("world `{}` depends on a chain of more than {} "
                                            "interfaces",
                                            world.name, kMaxDependencyDepth));
    };
    if (too_deep) return chain_too_deep();
    for (const auto& [key, item] : export_interfaces) {
        if (!add_export(key, item, true)) {
            if (too_deep) return chain_too_deep();
            return fail(world.span, fmt::format("interface `{}` transitively depends on an "
                                                "interface in incompatible ways",
                                                r.name_world_key(key)));
        }
    }
    IndexMap<WorldKey, WorldItem> final_imports;
    for (auto& [key, item] : sorted(imports)) final_imports.insert(std::move(key), std::move(item));
    r.worlds[id].imports = std::move(final_imports);
    r.worlds[id].exports = std::move(exports);
    return true;
}

bool Remap::append(UnresolvedPackage& pkg, PackageId& out) {
    Package p;
    p.name = pkg.name;
    p.docs = pkg.docs;
    pkgid_ = r_.packages.alloc(std::move(p));
    r_.package_names[pkg.name] = pkgid_;
    WIT_TRY(process_foreign_deps(pkg));

    std::vector<TypeId> new_types;
    for (size_t i = 0; i < pkg.types.size(); ++i) {
        TypeId local(static_cast<uint32_t>(i));
        TypeDef ty = pkg.types[local];
        if (std::holds_alternative<UnknownKind>(ty.kind)) continue;
        bool inc;
        WIT_TRY(include_stability(ty.stability, ty.span, inc));
        if (!inc) {
            set(types_, local.index, std::nullopt);
            continue;
        }
        WIT_TRY(update_typedef(ty, ty.span));
        TypeId global = r_.types.alloc(std::move(ty));
        new_types.push_back(global);
        set(types_, local.index, global.index);
    }
    std::vector<InterfaceId> new_ifaces;
    for (size_t i = 0; i < pkg.interfaces.size(); ++i) {
        if (pkg.foreign_interface[i]) continue;
        InterfaceId local(static_cast<uint32_t>(i));
        Interface iface = pkg.interfaces[local];
        bool inc;
        WIT_TRY(include_stability(iface.stability, iface.span, inc));
        if (!inc) {
            set(interfaces_, local.index, std::nullopt);
            continue;
        }
        iface.package = pkgid_;
        WIT_TRY(update_interface(iface));
        InterfaceId global = r_.interfaces.alloc(std::move(iface));
        new_ifaces.push_back(global);
        set(interfaces_, local.index, global.index);
    }
    for (TypeId id : new_types) {
        TypeOwner& owner = r_.types[id].owner;
        if (owner.kind != TypeOwner::Kind::Interface) continue;
        InterfaceId iface(owner.index);
        if (!map_interface(iface, r_.types[id].span)) {
            err_.message += "; this type is not gated by a feature but its interface is";
            return false;
        }
        r_.types[id].owner.index = iface.index;
    }
    std::vector<WorldId> new_worlds;
    for (size_t i = 0; i < pkg.worlds.size(); ++i) {
        if (pkg.foreign_world[i]) continue;
        WorldId local(static_cast<uint32_t>(i));
        World world = pkg.worlds[local];
        bool inc;
        WIT_TRY(include_stability(world.stability, world.span, inc));
        if (!inc) {
            set(worlds_, local.index, std::nullopt);
            continue;
        }
        WIT_TRY(update_world(world));
        // Its includes still name local worlds; they are mapped when processed below.
        world.package = pkgid_;
        WorldId global = r_.worlds.alloc(std::move(world));
        new_worlds.push_back(global);
        set(worlds_, local.index, global.index);
    }
    for (TypeId id : new_types) {
        TypeOwner& owner = r_.types[id].owner;
        if (owner.kind != TypeOwner::Kind::World) continue;
        WorldId w(owner.index);
        if (!map_world(w, r_.types[id].span)) {
            err_.message += "; this type is not gated by a feature but its world is";
            return false;
        }
        r_.types[id].owner.index = w.index;
    }
    for (WorldId id : new_worlds) {
        WIT_TRY(process_world_includes(id));
        WIT_TRY(elaborate_world(id));
    }
    for (InterfaceId id : new_ifaces) {
        const Interface& iface = r_.interfaces[id];
        if (iface.name) r_.packages[pkgid_].interfaces.insert(*iface.name, id);
    }
    for (WorldId id : new_worlds) {
        r_.packages[pkgid_].worlds.insert(r_.worlds[id].name, id);
    }
    out = pkgid_;
    return true;
}

} // namespace

bool append_package(Resolve& resolve, UnresolvedPackage pkg, PackageId& out, Diag& err) {
    Remap remap(resolve);
    if (!remap.append(pkg, out)) {
        err = std::move(remap.err_);
        return false;
    }
    return true;
}

} // namespace cirrus::wit::detail
