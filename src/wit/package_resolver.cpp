// First resolution stage (see package_resolver.h). The order of work follows WIT's scoping
// rules: interfaces and worlds of a package are visited in dependency order of their `use`s,
// types of an interface in dependency order of their definitions, and every name is looked
// up in the scope of the file (top-level `use`), then the package.
#include "package_resolver.h"

#include "parser.h"

#include <fmt/format.h>

#include <functional>
#include <queue>
#include <set>

namespace cirrus::wit::detail {

bool toposort(const char* kind, const IndexMap<std::string, std::vector<AstId>>& deps,
              std::vector<std::string>& order, Diag& err) {
    size_t n = deps.size();
    std::vector<size_t> remaining(n, 0);
    std::vector<std::vector<size_t>> reverse(n);
    std::map<std::string_view, size_t> index;
    for (size_t i = 0; i < n; ++i) index.emplace(deps.at(i).first, i);
    for (size_t i = 0; i < n; ++i) {
        remaining[i] = deps.at(i).second.size();
        for (const AstId& edge : deps.at(i).second) {
            auto it = index.find(edge.name);
            if (it == index.end()) {
                err = {fmt::format("{} `{}` does not exist", kind, edge.name), edge.span};
                return false;
            }
            reverse[it->second].push_back(i);
        }
    }
    // Ready nodes leave in source order, so the result is stable for a given graph.
    std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
    for (size_t i = 0; i < n; ++i) {
        if (remaining[i] == 0) ready.push(i);
    }
    order.clear();
    while (!ready.empty()) {
        size_t i = ready.top();
        ready.pop();
        order.push_back(deps.at(i).first);
        for (size_t j : reverse[i]) {
            if (--remaining[j] == 0) ready.push(j);
        }
        reverse[i].clear();
    }
    if (order.size() == n) return true;
    for (size_t i = 0; i < n; ++i) {
        if (remaining[i] == 0) continue;
        for (const AstId& edge : deps.at(i).second) {
            if (remaining[index[edge.name]] == 0) continue;
            err = {fmt::format("{} `{}` depends on itself", kind, edge.name), edge.span};
            return false;
        }
    }
    err = {fmt::format("{} cycle", kind), Span{}};
    return false;
}

namespace {

enum class PathUse { Interface, World, Unknown };

struct ItemRef {
    bool is_world = false;
    uint32_t id = 0;
};

struct TypeOrItem {
    bool is_type = true;
    TypeId id;
    const char* item = nullptr; // "function" when not a type
    Span span;
};

using PathVisitor =
    std::function<bool(const AstId* owner, const AstAttributes& attrs, const AstUsePath& path,
                       const std::vector<AstUseName>* names, PathUse use)>;

// Calls `f` on every path a file mentions, as wit-parser's `for_each_path` does.
bool for_each_path(const std::vector<AstItem>& items, const PathVisitor& f) {
    for (const AstItem& item : items) {
        switch (item.kind) {
        case AstItem::Kind::World: {
            const AstWorld& world = item.world;
            std::vector<const AstWorldItem*> imports, exports;
            for (const AstWorldItem& wi : world.items) {
                switch (wi.kind) {
                case AstWorldItem::Kind::Use:
                    WIT_TRY(f(nullptr, wi.use.attributes, wi.use.from, &wi.use.names,
                              PathUse::Interface));
                    break;
                case AstWorldItem::Kind::Include:
                    WIT_TRY(f(&world.name, wi.include.attributes, wi.include.from, nullptr,
                              PathUse::World));
                    break;
                case AstWorldItem::Kind::Import: imports.push_back(&wi); break;
                case AstWorldItem::Kind::Export: exports.push_back(&wi); break;
                case AstWorldItem::Kind::Type: break;
                }
            }
            auto visit = [&](const AstWorldItem* wi) {
                const AstExtern& ext = wi->ext;
                switch (ext.kind) {
                case AstExtern::Kind::Interface:
                    for (const AstInterfaceItem& ii : ext.items) {
                        if (ii.kind != AstInterfaceItem::Kind::Use) continue;
                        WIT_TRY(f(nullptr, ii.use.attributes, ii.use.from, &ii.use.names,
                                  PathUse::Interface));
                    }
                    return true;
                case AstExtern::Kind::Path:
                case AstExtern::Kind::NamedPath:
                    return f(nullptr, wi->attributes, ext.path, nullptr, PathUse::Interface);
                case AstExtern::Kind::Func: return true;
                }
                return true;
            };
            for (auto* wi : imports) WIT_TRY(visit(wi));
            for (auto* wi : exports) WIT_TRY(visit(wi));
            break;
        }
        case AstItem::Kind::Interface:
            for (const AstInterfaceItem& ii : item.interface.items) {
                if (ii.kind != AstInterfaceItem::Kind::Use) continue;
                WIT_TRY(f(&item.interface.name, ii.use.attributes, ii.use.from, &ii.use.names,
                          PathUse::Interface));
            }
            break;
        case AstItem::Kind::Use:
            WIT_TRY(f(nullptr, item.use.attributes, item.use.item, nullptr, PathUse::Unknown));
            break;
        case AstItem::Kind::Package:
            if (item.package) WIT_TRY(for_each_path(item.package->items, f));
            break;
        }
    }
    return true;
}

std::string type_key(const Type& t) {
    return t.is_id ? fmt::format("#{}", t.id.index)
                   : fmt::format("p{}", static_cast<int>(t.primitive));
}
std::string type_key(const std::optional<Type>& t) {
    return t ? type_key(*t) : "-";
}

void collect_deps(const AstType& ty, std::vector<AstId>& deps) {
    switch (ty.kind) {
    case AstType::Kind::Name:
    case AstType::Kind::Own:
    case AstType::Kind::Borrow: deps.push_back(ty.name); break;
    default:
        for (const AstType& arg : ty.args) collect_deps(arg, deps);
        break;
    }
}

void collect_deps(const AstTypeDef& def, std::vector<AstId>& deps) {
    switch (def.kind) {
    case AstTypeDef::Kind::Alias: collect_deps(def.alias, deps); break;
    case AstTypeDef::Kind::Record:
        for (const AstField& f : def.fields) collect_deps(f.type, deps);
        break;
    case AstTypeDef::Kind::Variant:
        for (const AstCase& c : def.cases) {
            if (c.type) collect_deps(*c.type, deps);
        }
        break;
    default: break;
    }
}

class PackageResolver {
public:
    Diag err_;

    bool push(AstPackageFile file);
    bool resolve(UnresolvedPackage& out);

private:
    std::optional<std::pair<PackageName, Span>> package_name_;
    Docs package_docs_;
    std::vector<AstPackageFile> files_;
    UnresolvedPackage pkg_;
    std::map<std::string, TypeId> anon_types_;
    size_t cur_file_ = 0;
    std::vector<IndexMap<std::string, ItemRef>> file_items_;
    IndexMap<std::string, ItemRef> package_items_;
    std::vector<IndexMap<std::string, TypeOrItem>> interface_types_;
    IndexMap<std::string, TypeOrItem> type_lookup_;

    bool fail(Span span, std::string message) {
        err_ = Diag{std::move(message), span};
        return false;
    }
    ForeignPackage* foreign_package(const PackageName& name) {
        for (ForeignPackage& p : pkg_.foreign_deps) {
            if (p.name == name) return &p;
        }
        return nullptr;
    }

    InterfaceId alloc_interface(Span span);
    WorldId alloc_world(Span span);
    void populate_foreign_deps();
    bool populate_ast_items(std::vector<InterfaceId>& iface_order,
                            std::vector<WorldId>& world_order);
    bool populate_foreign_types();
    bool resolve_ast_item_path(const AstUsePath& path, ItemRef& out);
    bool extract_iface(const ItemRef& item, const AstId& name, InterfaceId& out);
    bool extract_world(const ItemRef& item, const AstId& name, WorldId& out);
    bool stability(const AstAttributes& attrs, Stability& out);
    bool define_name(const AstId& name, TypeOrItem item);

    bool resolve_interface(InterfaceId id, const std::vector<AstInterfaceItem>& items,
                           const AstDocs& docs, const AstAttributes& attrs);
    bool resolve_world(WorldId id, const AstWorld& world);
    bool resolve_world_item(const AstDocs& docs, const AstAttributes& attrs, const AstExtern& ext,
                            WorldItem& out);
    // `items` in source order: each a `use` or a type definition.
    bool resolve_types(TypeOwner owner,
                       const std::vector<std::pair<const AstUse*, const AstTypeDef*>>& items);
    bool resolve_use(TypeOwner owner, const AstUse& use);
    bool resolve_include(WorldId id, const AstInclude& include);
    bool resolve_resource_func(const AstResourceFunc& func, const AstId& resource, Function& out);
    bool resolve_function(const AstNamedFunc& f, const std::string& name, FunctionKind kind,
                          TypeId resource, Function& out);
    bool resolve_typedef_kind(const AstTypeDef& def, const Stability& stab, TypeDefKind& out);
    bool resolve_type_kind(const AstType& ty, const Stability& stab, TypeDefKind& out);
    bool resolve_type(const AstType& ty, const Stability& stab, Type& out);
    bool resolve_opt_type(const AstType* ty, const Stability& stab, std::optional<Type>& out);
    bool resolve_type_name(const AstId& name, TypeId& out);
    bool validate_resource(const AstId& name, TypeId& out);
    Stability find_stability(const TypeDefKind& kind, const Stability& stab) const;
    Type anon_type_def(TypeDef def);
};

bool PackageResolver::push(AstPackageFile file) {
    if (file.package_id) {
        const AstPackageName& cur = *file.package_id;
        if (package_name_ && !(package_name_->first == cur.name)) {
            return fail(cur.span,
                        fmt::format("package identifier `{}` does not match previous "
                                    "package name of `{}`",
                                    cur.name.to_string(), package_name_->first.to_string()));
        }
        package_name_ = {cur.name, cur.span};
        Docs docs = docs_from_ast(cur.docs);
        if (docs.contents) {
            if (package_docs_.contents) {
                return fail(cur.docs.span, "found doc comments on multiple 'package' items");
            }
            package_docs_ = docs;
        }
    }
    for (const AstItem& item : file.items) {
        if (item.kind == AstItem::Kind::Package) {
            return fail(item.package->package_id->span,
                        "nested packages must be placed at the top-level");
        }
    }
    files_.push_back(std::move(file));
    return true;
}

InterfaceId PackageResolver::alloc_interface(Span span) {
    interface_types_.emplace_back();
    pkg_.foreign_interface.push_back(false);
    Interface iface;
    iface.span = span;
    return pkg_.interfaces.alloc(std::move(iface));
}

WorldId PackageResolver::alloc_world(Span span) {
    pkg_.foreign_world.push_back(false);
    World world;
    world.span = span;
    return pkg_.worlds.alloc(std::move(world));
}

bool PackageResolver::resolve(UnresolvedPackage& out) {
    if (!package_name_) {
        return fail(Span{}, "no `package` header was found in any WIT file for this package");
    }
    pkg_.name = package_name_->first;
    pkg_.name_span = package_name_->second;
    pkg_.docs = package_docs_;

    populate_foreign_deps();
    std::vector<InterfaceId> iface_order;
    std::vector<WorldId> world_order;
    WIT_TRY(populate_ast_items(iface_order, world_order));
    WIT_TRY(populate_foreign_types());

    std::map<uint32_t, std::pair<const AstInterface*, size_t>> iface_ast;
    std::map<uint32_t, std::pair<const AstWorld*, size_t>> world_ast;
    for (size_t i = 0; i < files_.size(); ++i) {
        for (const AstItem& item : files_[i].items) {
            if (item.kind == AstItem::Kind::Interface) {
                iface_ast[file_items_[i].find(item.interface.name.name)->id] = {&item.interface, i};
            } else if (item.kind == AstItem::Kind::World) {
                world_ast[file_items_[i].find(item.world.name.name)->id] = {&item.world, i};
            }
        }
    }
    for (InterfaceId id : iface_order) {
        auto [iface, file] = iface_ast[id.index];
        cur_file_ = file;
        WIT_TRY(resolve_interface(id, iface->items, iface->docs, iface->attributes));
    }
    for (WorldId id : world_order) {
        auto [world, file] = world_ast[id.index];
        cur_file_ = file;
        WIT_TRY(resolve_world(id, *world));
    }
    out = std::move(pkg_);
    return true;
}

// Every `ns:pkg/name` path gets a placeholder interface (or world, for `include`) per name.
void PackageResolver::populate_foreign_deps() {
    PathVisitor visit = [&](const AstId*, const AstAttributes& attrs, const AstUsePath& path,
                            const std::vector<AstUseName>*, PathUse use) {
        if (!path.package) return true;
        Stability stab;
        Diag saved = err_;
        if (!stability(attrs, stab)) err_ = saved; // reported where the item is resolved
        ForeignPackage* dep = foreign_package(path.package->name);
        if (!dep) {
            pkg_.foreign_deps.push_back(ForeignPackage{path.package->name, path.package->span, {}});
            dep = &pkg_.foreign_deps.back();
        }
        ForeignItem* item = dep->items.find(path.name.name);
        if (!item) {
            ForeignItem fresh;
            if (use == PathUse::World) {
                fresh.is_world = true;
                fresh.id = alloc_world(path.name.span).index;
                pkg_.foreign_world[fresh.id] = true;
            } else {
                fresh.id = alloc_interface(path.name.span).index;
                pkg_.foreign_interface[fresh.id] = true;
            }
            dep->items.insert(path.name.name, fresh);
            item = dep->items.find(path.name.name);
        }
        item->stabilities.push_back(stab);
        return true;
    };
    for (const AstPackageFile& file : files_) (void)for_each_path(file.items, visit);
}

bool PackageResolver::populate_ast_items(std::vector<InterfaceId>& iface_order,
                                         std::vector<WorldId>& world_order) {
    IndexMap<std::string, Span> package_items;
    std::map<std::string, bool> is_world;
    IndexMap<std::string, std::vector<AstId>> order;
    for (const AstPackageFile& file : files_) {
        for (const AstItem& item : file.items) {
            const AstId* name = item.kind == AstItem::Kind::Interface ? &item.interface.name
                                : item.kind == AstItem::Kind::World   ? &item.world.name
                                                                      : nullptr;
            if (!name) continue;
            if (!package_items.insert(name->name, name->span)) {
                return fail(name->span, fmt::format("duplicate item named `{}`", name->name));
            }
            order.insert(name->name, {});
            is_world[name->name] = item.kind == AstItem::Kind::World;
        }
    }
    // Per file: its names (top-level `use`s included), and the edges between local items.
    for (const AstPackageFile& file : files_) {
        struct Source {
            Span span;
            bool foreign;
            AstId local;
        };
        IndexMap<std::string, Source> file_ns;
        for (const AstItem& item : file.items) {
            const AstId* name = nullptr;
            Source src{};
            if (item.kind == AstItem::Kind::Use) {
                name = item.use.as ? &*item.use.as : &item.use.item.name;
                src.foreign = item.use.item.package.has_value();
                src.local = item.use.item.name;
            } else if (item.kind == AstItem::Kind::Interface) {
                name = &item.interface.name;
                src.local = *name;
            } else if (item.kind == AstItem::Kind::World) {
                name = &item.world.name;
                src.local = *name;
            } else {
                continue;
            }
            src.span = name->span;
            if (!file_ns.insert(name->name, src)) {
                return fail(name->span,
                            fmt::format("duplicate name `{}` in this file", name->name));
            }
        }
        WIT_TRY(for_each_path(file.items, [&](const AstId* owner, const AstAttributes&,
                                              const AstUsePath& path,
                                              const std::vector<AstUseName>*, PathUse) {
            if (!owner || path.package) return true;
            const AstId& used = path.name;
            if (const Source* src = file_ns.find(used.name)) {
                if (src->foreign) return true;
                order.find(owner->name)->push_back(src->local);
                return true;
            }
            if (package_items.contains(used.name)) {
                order.find(owner->name)->push_back(used);
                return true;
            }
            return fail(used.span,
                        fmt::format("interface or world `{}` does not exist", used.name));
        }));
    }
    std::vector<std::string> sorted;
    WIT_TRY(toposort("interface or world", order, sorted, err_));
    std::map<std::string, ItemRef> ids;
    for (const std::string& name : sorted) {
        Span span = *package_items.find(name);
        if (is_world[name]) {
            WorldId id = alloc_world(span);
            pkg_.worlds[id].name = name;
            ids[name] = ItemRef{true, id.index};
            world_order.push_back(id);
        } else {
            InterfaceId id = alloc_interface(span);
            pkg_.interfaces[id].name = name;
            ids[name] = ItemRef{false, id.index};
            iface_order.push_back(id);
        }
    }
    for (const AstPackageFile& file : files_) {
        IndexMap<std::string, ItemRef> items;
        for (const AstItem& item : file.items) {
            if (item.kind == AstItem::Kind::Use) {
                const AstToplevelUse& u = item.use;
                if (!u.attributes.empty()) {
                    return fail(u.span, "attributes not allowed on top-level use");
                }
                const AstId& name = u.as ? *u.as : u.item.name;
                ItemRef ref;
                if (!u.item.package) {
                    auto it = ids.find(u.item.name.name);
                    if (it == ids.end()) {
                        return fail(u.item.name.span,
                                    fmt::format("interface or world `{}` does not exist",
                                                u.item.name.name));
                    }
                    ref = it->second;
                } else {
                    const ForeignItem* fi =
                        foreign_package(u.item.package->name)->items.find(u.item.name.name);
                    ref = ItemRef{fi->is_world, fi->id};
                }
                items.insert(name.name, ref);
            } else if (item.kind == AstItem::Kind::Interface || item.kind == AstItem::Kind::World) {
                const std::string& name = item.kind == AstItem::Kind::Interface
                                              ? item.interface.name.name
                                              : item.world.name.name;
                items.insert(name, ids[name]);
                package_items_.insert(name, ids[name]);
            }
        }
        file_items_.push_back(std::move(items));
    }
    return true;
}

bool PackageResolver::populate_foreign_types() {
    for (size_t i = 0; i < files_.size(); ++i) {
        cur_file_ = i;
        WIT_TRY(for_each_path(files_[i].items, [&](const AstId*, const AstAttributes& attrs,
                                                   const AstUsePath& path,
                                                   const std::vector<AstUseName>* names, PathUse) {
            if (!names) return true;
            Stability stab;
            WIT_TRY(stability(attrs, stab));
            ItemRef item;
            WIT_TRY(resolve_ast_item_path(path, item));
            InterfaceId iface;
            WIT_TRY(extract_iface(item, path.name, iface));
            if (!pkg_.foreign_interface[iface.index]) return true;
            auto& lookup = interface_types_[iface.index];
            for (const AstUseName& name : *names) {
                if (lookup.contains(name.name.name)) continue;
                TypeDef def;
                def.kind = UnknownKind{};
                def.name = name.name.name;
                def.owner = TypeOwner::interface(iface);
                def.span = name.name.span;
                def.stability = stab;
                TypeId id = pkg_.types.alloc(std::move(def));
                lookup.insert(name.name.name, TypeOrItem{true, id, nullptr, name.name.span});
                pkg_.interfaces[iface].types.insert(name.name.name, id);
            }
            return true;
        }));
    }
    return true;
}

bool PackageResolver::resolve_ast_item_path(const AstUsePath& path, ItemRef& out) {
    if (path.package) {
        const ForeignItem* fi = foreign_package(path.package->name)->items.find(path.name.name);
        out = ItemRef{fi->is_world, fi->id};
        return true;
    }
    if (const ItemRef* r = file_items_[cur_file_].find(path.name.name)) {
        out = *r;
        return true;
    }
    if (const ItemRef* r = package_items_.find(path.name.name)) {
        out = *r;
        return true;
    }
    return fail(path.name.span,
                fmt::format("interface or world `{}` does not exist", path.name.name));
}

bool PackageResolver::extract_iface(const ItemRef& item, const AstId& name, InterfaceId& out) {
    if (item.is_world) {
        return fail(name.span,
                    fmt::format("name `{}` is defined as a world, not an interface", name.name));
    }
    out = InterfaceId(item.id);
    return true;
}

bool PackageResolver::extract_world(const ItemRef& item, const AstId& name, WorldId& out) {
    if (!item.is_world) {
        return fail(name.span,
                    fmt::format("name `{}` is defined as an interface, not a world", name.name));
    }
    out = WorldId(item.id);
    return true;
}

bool PackageResolver::stability(const AstAttributes& attrs, Stability& out) {
    const AstAttribute* since = nullptr;
    const AstAttribute* deprecated = nullptr;
    const AstAttribute* unstable = nullptr;
    for (const AstAttribute& attr : attrs) {
        switch (attr.kind) {
        case AstAttribute::Kind::Since:
            if (since) return fail(attr.span, "cannot specify @since twice");
            since = &attr;
            break;
        case AstAttribute::Kind::Deprecated:
            if (deprecated) return fail(attr.span, "cannot specify @deprecated twice");
            deprecated = &attr;
            break;
        case AstAttribute::Kind::Unstable:
            if (unstable) return fail(attr.span, "cannot specify @unstable twice");
            unstable = &attr;
            break;
        case AstAttribute::Kind::ExternalId: break;
        }
    }
    out = Stability{};
    if (since && unstable) return fail(since->span, "cannot specify both @since and @unstable");
    if (deprecated && !since && !unstable) {
        return fail(deprecated->span,
                    "cannot specify both @deprecated without @since or @unstable");
    }
    if (deprecated) out.deprecated = deprecated->version;
    if (since) {
        out.kind = Stability::Kind::Stable;
        out.since = since->version;
    } else if (unstable) {
        out.kind = Stability::Kind::Unstable;
        out.feature = unstable->feature;
    }
    return true;
}

bool PackageResolver::define_name(const AstId& name, TypeOrItem item) {
    item.span = name.span;
    if (!type_lookup_.insert(name.name, item)) {
        return fail(name.span, fmt::format("name `{}` is defined more than once", name.name));
    }
    return true;
}

bool PackageResolver::resolve_interface(InterfaceId id, const std::vector<AstInterfaceItem>& items,
                                        const AstDocs& docs, const AstAttributes& attrs) {
    pkg_.interfaces[id].docs = docs_from_ast(docs);
    WIT_TRY(stability(attrs, pkg_.interfaces[id].stability));
    std::vector<std::pair<const AstUse*, const AstTypeDef*>> type_items;
    for (const AstInterfaceItem& item : items) {
        if (item.kind == AstInterfaceItem::Kind::Use) type_items.emplace_back(&item.use, nullptr);
        if (item.kind == AstInterfaceItem::Kind::TypeDef) {
            type_items.emplace_back(nullptr, &item.type);
        }
    }
    WIT_TRY(resolve_types(TypeOwner::interface(id), type_items));
    for (const auto& [name, entry] : type_lookup_) {
        pkg_.interfaces[id].types.insert(name, entry.id);
    }
    std::vector<Function> funcs;
    for (const AstInterfaceItem& item : items) {
        if (item.kind == AstInterfaceItem::Kind::Func) {
            WIT_TRY(define_name(item.func.name, TypeOrItem{false, {}, "function", {}}));
            Function f;
            WIT_TRY(resolve_function(item.func, item.func.name.name,
                                     item.func.func.is_async ? FunctionKind::AsyncFreestanding
                                                             : FunctionKind::Freestanding,
                                     TypeId{}, f));
            funcs.push_back(std::move(f));
        } else if (item.kind == AstInterfaceItem::Kind::TypeDef &&
                   item.type.kind == AstTypeDef::Kind::Resource) {
            for (const AstResourceFunc& rf : item.type.funcs) {
                Function f;
                WIT_TRY(resolve_resource_func(rf, item.type.name, f));
                funcs.push_back(std::move(f));
            }
        }
    }
    for (Function& f : funcs) {
        std::string name = f.name;
        pkg_.interfaces[id].functions.insert(std::move(name), std::move(f));
    }
    interface_types_[id.index] = std::move(type_lookup_);
    type_lookup_.clear();
    return true;
}

bool PackageResolver::resolve_types(
    TypeOwner owner, const std::vector<std::pair<const AstUse*, const AstTypeDef*>>& items) {
    for (const auto& [use, def] : items) {
        if (use) WIT_TRY(resolve_use(owner, *use));
    }
    IndexMap<std::string, std::vector<AstId>> type_deps;
    IndexMap<std::string, const AstTypeDef*> type_defs;
    for (const auto& [use, def] : items) {
        if (def) {
            if (!type_defs.insert(def->name.name, def)) {
                return fail(def->name.span,
                            fmt::format("name `{}` is defined more than once", def->name.name));
            }
            std::vector<AstId> deps;
            collect_deps(*def, deps);
            type_deps.assign(def->name.name, std::move(deps));
            continue;
        }
        for (const AstUseName& n : use->names) {
            const AstId& name = n.as ? *n.as : n.name;
            type_deps.assign(name.name, {});
            type_defs.assign(name.name, nullptr);
        }
    }
    std::vector<std::string> order;
    if (!toposort("type", type_deps, order, err_)) {
        const std::string_view msg = err_.message;
        if (msg == "type `float32` does not exist" || msg == "type `float64` does not exist") {
            bool is32 = msg.find("32") != std::string_view::npos;
            err_.message += fmt::format(
                "\nthe `{}` type has been renamed to `{}` and is no longer accepted, but the "
                "`WIT_REQUIRE_F32_F64=0` environment variable can be used to temporarily disable "
                "this error",
                is32 ? "float32" : "float64", is32 ? "f32" : "f64");
        }
        return false;
    }
    for (const std::string& name : order) {
        const AstTypeDef* def = *type_defs.find(name);
        if (!def) continue;
        TypeDef td;
        td.docs = docs_from_ast(def->docs);
        WIT_TRY(stability(def->attributes, td.stability));
        WIT_TRY(resolve_typedef_kind(*def, td.stability, td.kind));
        td.name = def->name.name;
        td.owner = owner;
        td.span = def->name.span;
        TypeId id = pkg_.types.alloc(std::move(td));
        WIT_TRY(define_name(def->name, TypeOrItem{true, id, nullptr, {}}));
    }
    return true;
}

bool PackageResolver::resolve_use(TypeOwner owner, const AstUse& use) {
    ItemRef item;
    WIT_TRY(resolve_ast_item_path(use.from, item));
    InterfaceId from;
    WIT_TRY(extract_iface(item, use.from.name, from));
    Stability stab;
    WIT_TRY(stability(use.attributes, stab));
    for (const AstUseName& n : use.names) {
        const TypeOrItem* found = interface_types_[from.index].find(n.name.name);
        if (!found) {
            return fail(n.name.span, fmt::format("name `{}` does not exist", n.name.name));
        }
        if (!found->is_type) {
            return fail(n.name.span,
                        fmt::format("cannot import {} `{}`", found->item, n.name.name));
        }
        const AstId& name = n.as ? *n.as : n.name;
        TypeDef td;
        td.kind = AliasKind{Type::ref(found->id)};
        td.name = name.name;
        td.owner = owner;
        td.span = n.name.span;
        td.stability = stab;
        TypeId id = pkg_.types.alloc(std::move(td));
        WIT_TRY(define_name(name, TypeOrItem{true, id, nullptr, {}}));
    }
    return true;
}

bool PackageResolver::resolve_include(WorldId id, const AstInclude& include) {
    WorldInclude wi;
    WIT_TRY(stability(include.attributes, wi.stability));
    ItemRef item;
    WIT_TRY(resolve_ast_item_path(include.from, item));
    WIT_TRY(extract_world(item, include.from.name, wi.id));
    for (const auto& [name, as] : include.names)
        wi.names.push_back(IncludeName{name.name, as.name});
    wi.span = include.from.name.span;
    pkg_.worlds[id].includes.push_back(std::move(wi));
    return true;
}

bool PackageResolver::resolve_world(WorldId id, const AstWorld& world) {
    pkg_.worlds[id].docs = docs_from_ast(world.docs);
    WIT_TRY(stability(world.attributes, pkg_.worlds[id].stability));
    std::vector<std::pair<const AstUse*, const AstTypeDef*>> type_items;
    for (const AstWorldItem& item : world.items) {
        if (item.kind == AstWorldItem::Kind::Use) type_items.emplace_back(&item.use, nullptr);
        if (item.kind == AstWorldItem::Kind::Type) type_items.emplace_back(nullptr, &item.type);
    }
    WIT_TRY(resolve_types(TypeOwner::world(id), type_items));
    for (const AstWorldItem& item : world.items) {
        if (item.kind == AstWorldItem::Kind::Include) WIT_TRY(resolve_include(id, item.include));
    }
    for (const auto& [name, entry] : type_lookup_) {
        if (!pkg_.worlds[id].imports.insert(WorldKey::named(name),
                                            WorldItem::of_type(entry.id, entry.span))) {
            return fail(entry.span,
                        fmt::format("import `{}` conflicts with prior import of same name", name));
        }
    }
    std::set<uint32_t> imported, exported;
    for (const AstWorldItem& item : world.items) {
        if (item.kind == AstWorldItem::Kind::Type && item.type.kind == AstTypeDef::Kind::Resource) {
            for (const AstResourceFunc& rf : item.type.funcs) {
                Function f;
                WIT_TRY(resolve_resource_func(rf, item.type.name, f));
                std::string name = f.name;
                pkg_.worlds[id].imports.insert(WorldKey::named(name),
                                               WorldItem::of_function(std::move(f)));
            }
            continue;
        }
        if (item.kind != AstWorldItem::Kind::Import && item.kind != AstWorldItem::Kind::Export) {
            continue;
        }
        bool is_import = item.kind == AstWorldItem::Kind::Import;
        const char* desc = is_import ? "import" : "export";
        WorldItem wi;
        WIT_TRY(resolve_world_item(item.docs, item.attributes, item.ext, wi));
        WorldKey key;
        switch (item.ext.kind) {
        case AstExtern::Kind::Interface:
        case AstExtern::Kind::NamedPath: key = WorldKey::named(item.ext.id.name); break;
        case AstExtern::Kind::Func: key = WorldKey::named(wi.function.name); break;
        case AstExtern::Kind::Path: key = WorldKey::of(wi.interface); break;
        }
        if (key.is_interface) {
            auto& set = is_import ? imported : exported;
            if (!set.insert(key.interface.index).second) {
                return fail(item.ext.span(),
                            fmt::format("interface cannot be {}ed more than once", desc));
            }
        }
        auto& dst = is_import ? pkg_.worlds[id].imports : pkg_.worlds[id].exports;
        if (const WorldItem* prev = dst.find(key)) {
            const char* prev_kind = prev->kind == WorldItem::Kind::Interface  ? "interface"
                                    : prev->kind == WorldItem::Kind::Function ? "func"
                                                                              : "type";
            return fail(item.ext.span(), fmt::format("{} `{}` conflicts with prior {} of same name",
                                                     desc, key.name, prev_kind));
        }
        dst.insert(std::move(key), std::move(wi));
    }
    type_lookup_.clear();
    return true;
}

bool PackageResolver::resolve_world_item(const AstDocs& docs, const AstAttributes& attrs,
                                         const AstExtern& ext, WorldItem& out) {
    switch (ext.kind) {
    case AstExtern::Kind::Interface: {
        auto saved = std::move(type_lookup_);
        type_lookup_.clear();
        InterfaceId id = alloc_interface(ext.id.span);
        WIT_TRY(resolve_interface(id, ext.items, docs, attrs));
        type_lookup_ = std::move(saved);
        out = WorldItem::of_interface(id, pkg_.interfaces[id].stability, {}, ext.id.span);
        return true;
    }
    case AstExtern::Kind::Path:
    case AstExtern::Kind::NamedPath: {
        Stability stab;
        WIT_TRY(stability(attrs, stab));
        ItemRef item;
        WIT_TRY(resolve_ast_item_path(ext.path, item));
        InterfaceId id;
        WIT_TRY(extract_iface(item, ext.path.name, id));
        out = WorldItem::of_interface(id, stab, docs_from_ast(docs),
                                      ext.kind == AstExtern::Kind::Path ? ext.path.name.span
                                                                        : ext.id.span);
        return true;
    }
    case AstExtern::Kind::Func: {
        AstNamedFunc nf;
        nf.docs = docs;
        nf.attributes = attrs;
        nf.name = ext.id;
        nf.func = ext.func;
        Function f;
        WIT_TRY(resolve_function(nf, ext.id.name,
                                 ext.func.is_async ? FunctionKind::AsyncFreestanding
                                                   : FunctionKind::Freestanding,
                                 TypeId{}, f));
        out = WorldItem::of_function(std::move(f));
        out.span = ext.id.span;
        return true;
    }
    }
    return true;
}

bool PackageResolver::resolve_resource_func(const AstResourceFunc& rf, const AstId& resource,
                                            Function& out) {
    const TypeOrItem* found = type_lookup_.find(resource.name);
    if (!found || !found->is_type) {
        return fail(resource.span, fmt::format("type `{}` does not exist", resource.name));
    }
    TypeId rid = found->id;
    bool is_async = rf.func.func.is_async;
    std::string name;
    FunctionKind kind;
    switch (rf.kind) {
    case AstResourceFunc::Kind::Method:
        name = fmt::format("[method]{}.{}", resource.name, rf.func.name.name);
        kind = is_async ? FunctionKind::AsyncMethod : FunctionKind::Method;
        break;
    case AstResourceFunc::Kind::Static:
        name = fmt::format("[static]{}.{}", resource.name, rf.func.name.name);
        kind = is_async ? FunctionKind::AsyncStatic : FunctionKind::Static;
        break;
    case AstResourceFunc::Kind::Constructor:
    default:
        name = fmt::format("[constructor]{}", resource.name);
        kind = FunctionKind::Constructor;
        break;
    }
    return resolve_function(rf.func, name, kind, rid, out);
}

bool PackageResolver::resolve_function(const AstNamedFunc& f, const std::string& name,
                                       FunctionKind kind, TypeId resource, Function& out) {
    out = Function{};
    out.name = name;
    out.kind = kind;
    out.resource = resource;
    out.docs = docs_from_ast(f.docs);
    out.span = f.name.span;
    WIT_TRY(stability(f.attributes, out.stability));
    if (kind == FunctionKind::Method || kind == FunctionKind::AsyncMethod) {
        TypeDef self;
        self.kind = HandleKind{true, resource};
        self.stability = find_stability(self.kind, Stability{});
        self.span = f.func.span;
        out.params.push_back(Param{"self", anon_type_def(std::move(self))});
    }
    for (const auto& [pname, pty] : f.func.params) {
        for (const Param& p : out.params) {
            if (p.name == pname.name) {
                return fail(pname.span,
                            fmt::format("param `{}` is defined more than once", pname.name));
            }
        }
        Type t;
        WIT_TRY(resolve_type(pty, Stability{}, t));
        out.params.push_back(Param{pname.name, t});
    }
    if (kind != FunctionKind::Constructor) {
        if (f.func.result) {
            Type t;
            WIT_TRY(resolve_type(*f.func.result, Stability{}, t));
            out.result = t;
        }
        return true;
    }
    if (!f.func.result) {
        out.result = Type::ref(resource);
        return true;
    }
    const AstType& ast = *f.func.result;
    Type t;
    WIT_TRY(resolve_type(ast, Stability{}, t));
    const ResultKind* rk = t.is_id ? std::get_if<ResultKind>(&pkg_.types[t.id].kind) : nullptr;
    if (!rk) {
        return fail(ast.span, "if a constructor return type is declared it must be a `result`");
    }
    if (!(rk->ok && rk->ok->is_id && rk->ok->id == resource)) {
        Span span = ast.kind == AstType::Kind::Result && ast.has_ok ? ast.args[0].span : ast.span;
        return fail(span, "the `ok` type must be the resource being constructed");
    }
    out.result = t;
    return true;
}

bool PackageResolver::resolve_typedef_kind(const AstTypeDef& def, const Stability& stab,
                                           TypeDefKind& out) {
    switch (def.kind) {
    case AstTypeDef::Kind::Alias: return resolve_type_kind(def.alias, stab, out);
    case AstTypeDef::Kind::Resource: {
        int ctors = 0;
        std::set<std::string> names;
        for (const AstResourceFunc& rf : def.funcs) {
            if (rf.kind == AstResourceFunc::Kind::Constructor) {
                if (++ctors > 1) return fail(rf.func.name.span, "duplicate constructors");
            } else if (!names.insert(rf.func.name.name).second) {
                return fail(rf.func.name.span,
                            fmt::format("duplicate function name `{}`", rf.func.name.name));
            }
        }
        out = ResourceKind{};
        return true;
    }
    case AstTypeDef::Kind::Record: {
        RecordKind r;
        for (const AstField& f : def.fields) {
            Field field{f.name.name, {}, docs_from_ast(f.docs), f.name.span};
            WIT_TRY(resolve_type(f.type, stab, field.type));
            r.fields.push_back(std::move(field));
        }
        out = std::move(r);
        return true;
    }
    case AstTypeDef::Kind::Flags: {
        FlagsKind fl;
        for (const AstCase& c : def.cases)
            fl.flags.push_back(Flag{c.name.name, docs_from_ast(c.docs)});
        out = std::move(fl);
        return true;
    }
    case AstTypeDef::Kind::Variant: {
        if (def.cases.empty()) return fail(def.name.span, "empty variant");
        VariantKind v;
        for (const AstCase& c : def.cases) {
            Case vc{c.name.name, std::nullopt, docs_from_ast(c.docs)};
            WIT_TRY(resolve_opt_type(c.type ? &*c.type : nullptr, stab, vc.type));
            v.cases.push_back(std::move(vc));
        }
        out = std::move(v);
        return true;
    }
    case AstTypeDef::Kind::Enum: {
        if (def.cases.empty()) return fail(def.name.span, "empty enum");
        EnumKind e;
        for (const AstCase& c : def.cases)
            e.cases.push_back(EnumCase{c.name.name, docs_from_ast(c.docs)});
        out = std::move(e);
        return true;
    }
    }
    return true;
}

bool PackageResolver::resolve_type_kind(const AstType& ty, const Stability& stab,
                                        TypeDefKind& out) {
    switch (ty.kind) {
    case AstType::Kind::Primitive: out = AliasKind{Type::prim(ty.primitive)}; return true;
    case AstType::Kind::Name: {
        TypeId id;
        WIT_TRY(resolve_type_name(ty.name, id));
        out = AliasKind{Type::ref(id)};
        return true;
    }
    case AstType::Kind::List: {
        ListKind l;
        WIT_TRY(resolve_type(ty.args[0], stab, l.element));
        out = l;
        return true;
    }
    case AstType::Kind::FixedList: {
        FixedListKind l;
        WIT_TRY(resolve_type(ty.args[0], stab, l.element));
        l.size = ty.size;
        out = l;
        return true;
    }
    case AstType::Kind::Map: {
        MapKind m;
        WIT_TRY(resolve_type(ty.args[0], stab, m.key));
        WIT_TRY(resolve_type(ty.args[1], stab, m.value));
        bool ok_key = !m.key.is_id && m.key.primitive != Primitive::F32 &&
                      m.key.primitive != Primitive::F64 &&
                      m.key.primitive != Primitive::ErrorContext;
        if (!ok_key) {
            return fail(ty.span, "invalid map key type: map keys must be bool, u8, u16, u32, u64, "
                                 "s8, s16, s32, s64, char, or string");
        }
        out = m;
        return true;
    }
    case AstType::Kind::Own:
    case AstType::Kind::Borrow: {
        TypeId id;
        WIT_TRY(validate_resource(ty.name, id));
        out = HandleKind{ty.kind == AstType::Kind::Borrow, id};
        return true;
    }
    case AstType::Kind::Tuple: {
        TupleKind t;
        for (const AstType& a : ty.args) {
            Type x;
            WIT_TRY(resolve_type(a, stab, x));
            t.types.push_back(x);
        }
        out = std::move(t);
        return true;
    }
    case AstType::Kind::Option: {
        OptionKind o;
        WIT_TRY(resolve_type(ty.args[0], stab, o.type));
        out = o;
        return true;
    }
    case AstType::Kind::Result: {
        ResultKind r;
        size_t next = 0;
        if (ty.has_ok) WIT_TRY(resolve_opt_type(&ty.args[next++], stab, r.ok));
        if (ty.has_err) WIT_TRY(resolve_opt_type(&ty.args[next++], stab, r.err));
        out = r;
        return true;
    }
    case AstType::Kind::Future: {
        FutureKind f;
        WIT_TRY(resolve_opt_type(ty.has_ok ? &ty.args[0] : nullptr, stab, f.type));
        out = f;
        return true;
    }
    case AstType::Kind::Stream: {
        StreamKind s;
        WIT_TRY(resolve_opt_type(ty.has_ok ? &ty.args[0] : nullptr, stab, s.type));
        out = s;
        return true;
    }
    }
    return true;
}

bool PackageResolver::resolve_type(const AstType& ty, const Stability& stab, Type& out) {
    TypeDef def;
    WIT_TRY(resolve_type_kind(ty, stab, def.kind));
    def.stability = find_stability(def.kind, stab);
    def.span = ty.span;
    out = anon_type_def(std::move(def));
    return true;
}

bool PackageResolver::resolve_opt_type(const AstType* ty, const Stability& stab,
                                       std::optional<Type>& out) {
    out.reset();
    if (!ty) return true;
    Type t;
    WIT_TRY(resolve_type(*ty, stab, t));
    out = t;
    return true;
}

bool PackageResolver::resolve_type_name(const AstId& name, TypeId& out) {
    const TypeOrItem* found = type_lookup_.find(name.name);
    if (!found) return fail(name.span, fmt::format("name `{}` does not exist", name.name));
    if (!found->is_type) {
        return fail(name.span, fmt::format("cannot use {} `{}` as a type", found->item, name.name));
    }
    out = found->id;
    return true;
}

bool PackageResolver::validate_resource(const AstId& name, TypeId& out) {
    WIT_TRY(resolve_type_name(name, out));
    TypeId cur = out;
    for (size_t steps = 0; steps <= pkg_.types.size(); ++steps) {
        const TypeDefKind& kind = pkg_.types[cur].kind;
        if (std::holds_alternative<ResourceKind>(kind)) return true;
        if (std::holds_alternative<UnknownKind>(kind)) {
            pkg_.required_resource_types.emplace_back(cur, name.span);
            return true;
        }
        const AliasKind* alias = std::get_if<AliasKind>(&kind);
        if (!alias || !alias->target.is_id) break;
        cur = alias->target.id;
    }
    return fail(name.span, fmt::format("type `{}` used in a handle must be a resource", name.name));
}

Stability PackageResolver::find_stability(const TypeDefKind& kind, const Stability& stab) const {
    if (stab.kind != Stability::Kind::Unknown) return stab;
    auto in_type = [&](const std::optional<Type>& t) -> const Stability* {
        if (!t || !t->is_id) return nullptr;
        const Stability& s = pkg_.types[t->id].stability;
        return s.kind == Stability::Kind::Unknown ? nullptr : &s;
    };
    const Stability* found = std::visit(
        [&](const auto& k) -> const Stability* {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, AliasKind>) return in_type(k.target);
            if constexpr (std::is_same_v<K, HandleKind>) return in_type(Type::ref(k.resource));
            if constexpr (std::is_same_v<K, TupleKind>) {
                for (const Type& t : k.types) {
                    if (auto* s = in_type(t)) return s;
                }
                return nullptr;
            }
            if constexpr (std::is_same_v<K, ListKind> || std::is_same_v<K, FixedListKind>) {
                return in_type(k.element);
            }
            if constexpr (std::is_same_v<K, OptionKind>) return in_type(k.type);
            if constexpr (std::is_same_v<K, MapKind>) {
                auto* s = in_type(k.key);
                return s ? s : in_type(k.value);
            }
            if constexpr (std::is_same_v<K, FutureKind> || std::is_same_v<K, StreamKind>) {
                return in_type(k.type);
            }
            if constexpr (std::is_same_v<K, ResultKind>) {
                auto* s = in_type(k.ok);
                return s ? s : in_type(k.err);
            }
            return nullptr;
        },
        kind);
    return found ? *found : Stability{};
}

Type PackageResolver::anon_type_def(TypeDef def) {
    std::string key;
    if (auto* a = std::get_if<AliasKind>(&def.kind)) return a->target;
    if (auto* h = std::get_if<HandleKind>(&def.kind)) {
        if (!h->borrow) return Type::ref(h->resource);
        key = fmt::format("borrow|{}", h->resource.index);
    } else if (auto* v = std::get_if<VariantKind>(&def.kind)) {
        key = "variant";
        for (const Case& c : v->cases) key += fmt::format("|{}:{}", c.name, type_key(c.type));
    } else if (auto* r = std::get_if<RecordKind>(&def.kind)) {
        key = "record";
        for (const Field& f : r->fields) key += fmt::format("|{}:{}", f.name, type_key(f.type));
    } else if (auto* t = std::get_if<TupleKind>(&def.kind)) {
        key = "tuple";
        for (const Type& x : t->types) key += "|" + type_key(x);
    } else if (auto* l = std::get_if<ListKind>(&def.kind)) {
        key = "list|" + type_key(l->element);
    } else if (auto* fl = std::get_if<FixedListKind>(&def.kind)) {
        key = fmt::format("flist|{}|{}", type_key(fl->element), fl->size);
    } else if (auto* m = std::get_if<MapKind>(&def.kind)) {
        key = "map|" + type_key(m->key) + "|" + type_key(m->value);
    } else if (auto* o = std::get_if<OptionKind>(&def.kind)) {
        key = "option|" + type_key(o->type);
    } else if (auto* res = std::get_if<ResultKind>(&def.kind)) {
        key = "result|" + type_key(res->ok) + "|" + type_key(res->err);
    } else if (auto* fu = std::get_if<FutureKind>(&def.kind)) {
        key = "future|" + type_key(fu->type);
    } else if (auto* st = std::get_if<StreamKind>(&def.kind)) {
        key = "stream|" + type_key(st->type);
    } else {
        return Type::ref(pkg_.types.alloc(std::move(def)));
    }
    auto it = anon_types_.find(key);
    if (it != anon_types_.end()) return Type::ref(it->second);
    TypeId id = pkg_.types.alloc(std::move(def));
    anon_types_.emplace(std::move(key), id);
    return Type::ref(id);
}

} // namespace

bool resolve_package(std::vector<AstPackageFile> files, UnresolvedPackage& out, Diag& err) {
    PackageResolver resolver;
    for (AstPackageFile& file : files) {
        if (!resolver.push(std::move(file))) {
            err = std::move(resolver.err_);
            return false;
        }
    }
    if (!resolver.resolve(out)) {
        err = std::move(resolver.err_);
        return false;
    }
    return true;
}

} // namespace cirrus::wit::detail
