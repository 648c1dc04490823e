// The WIT printer (see include/cirrus/wit/printer.h). Names that are keywords get a `%`;
// types owned by the scope being printed are written as definitions, aliases of other
// interfaces' types as `use` statements, anonymous types inline.
#include "cirrus/wit/printer.h"

#include "lexer.h"
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace cirrus::wit {

namespace {

// `///` lines for `docs`. Parsing doc comments trims and re-indents them, so the lines are
// rendered, read back the way the parser reads them, and rendered again until stable: then
// printing what was parsed from the output gives the output again.
std::vector<std::string> doc_comments(const Docs& docs) {
    auto render = [](const std::string& text) {
        std::vector<std::string> out;
        size_t start = 0;
        for (;;) {
            size_t nl = text.find('\n', start);
            std::string piece =
                text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
            while (!piece.empty() && std::isspace(static_cast<unsigned char>(piece.back()))) {
                piece.pop_back();
            }
            // The space keeps a line that starts with `/` from losing it.
            out.push_back(piece.empty() ? "///" : "/// " + piece);
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
        return out;
    };
    if (!docs.contents) return {};
    std::string text = *docs.contents;
    // Returns true when `text` reads back unchanged; else moves it one step closer.
    auto settle = [&](std::string& t) {
        for (int round = 0; round < 4; ++round) {
            detail::AstDocs ast;
            ast.comments = render(t);
            Docs reparsed = detail::docs_from_ast(ast);
            if (!reparsed.contents) {
                t.clear();
                return true;
            }
            if (*reparsed.contents == t) return true;
            t = *reparsed.contents;
        }
        return false;
    };
    if (!settle(text)) {
        // Indentation mixing spaces with other whitespace never settles: make it spaces.
        bool at_line_start = true;
        for (char& c : text) {
            if (c == '\n') {
                at_line_start = true;
            } else if (at_line_start && std::isspace(static_cast<unsigned char>(c))) {
                c = ' ';
            } else {
                at_line_start = false;
            }
        }
        settle(text);
    }
    if (text.empty()) return {};
    return render(text);
}

class Printer {
public:
    explicit Printer(const Resolve& r) : r_(r) {}

    std::string out;

    void package(PackageId id, bool nested);
    void world(WorldId id);

private:
    const Resolve& r_;
    int indent_ = 0;
    PackageId cur_pkg_;

    void line(std::string_view text) {
        out.append(static_cast<size_t>(indent_) * 2, ' ');
        out.append(text);
        out += '\n';
    }
    static std::string name(std::string_view n) {
        return detail::is_keyword(n) ? std::string("%").append(n) : std::string(n);
    }
    void docs(const Docs& d) {
        for (const std::string& comment : doc_comments(d)) line(comment);
    }
    void stability(const Stability& s) {
        if (s.kind == Stability::Kind::Stable) {
            line(fmt::format("@since(version = {})", s.since.to_string()));
        } else if (s.kind == Stability::Kind::Unstable) {
            line(fmt::format("@unstable(feature = {})", name(s.feature)));
        }
        if (s.kind != Stability::Kind::Unknown && s.deprecated) {
            line(fmt::format("@deprecated(version = {})", s.deprecated->to_string()));
        }
    }
    static std::string stability_key(const Stability& s) {
        std::string k = std::to_string(static_cast<int>(s.kind));
        if (s.kind == Stability::Kind::Stable) k += s.since.to_string();
        if (s.kind == Stability::Kind::Unstable) k += s.feature;
        if (s.deprecated) k += "/" + s.deprecated->to_string();
        return k;
    }

    std::string package_name(PackageId id) const {
        const PackageName& n = r_.packages[id].name;
        return name(n.ns) + ":" + name(n.name);
    }
    // How `iface` is named from the package being printed.
    std::string interface_path(InterfaceId id) const {
        const Interface& iface = r_.interfaces[id];
        std::string n = iface.name ? name(*iface.name) : "<anonymous>";
        if (!iface.package || *iface.package == cur_pkg_) return n;
        std::string out = package_name(*iface.package) + "/" + n;
        const auto& version = r_.packages[*iface.package].name.version;
        if (version) out += "@" + version->to_string();
        return out;
    }

    std::string type(const Type& t) const;
    std::string rhs(const TypeDef& def) const;
    std::string opt_type(const std::optional<Type>& t) const { return t ? type(*t) : "_"; }
    std::string func_sig(const Function& f) const;
    void type_def(TypeId id, const std::vector<const Function*>& resource_funcs);
    void uses(const std::vector<TypeId>& aliases);
    void body(const IndexMap<std::string, TypeId>& types,
              const std::vector<const Function*>& funcs);
    void interface_items(const Interface& iface);
};

std::string Printer::type(const Type& t) const {
    if (!t.is_id) return primitive_name(t.primitive);
    const TypeDef& def = r_.types[t.id];
    if (def.name) return name(*def.name);
    return rhs(def);
}

// The structure of a type definition, as on the right of `type x = ...`.
std::string Printer::rhs(const TypeDef& def) const {
    return std::visit(
        [&](const auto& k) -> std::string {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, AliasKind>) return type(k.target);
            if constexpr (std::is_same_v<K, HandleKind>) {
                // `r` and `own<r>` are the same type; a definition keeps the handle explicit.
                std::string res = type(Type::ref(k.resource));
                if (k.borrow) return "borrow<" + res + ">";
                return def.name ? "own<" + res + ">" : res;
            }
            if constexpr (std::is_same_v<K, TupleKind>) {
                std::string s = "tuple<";
                for (size_t i = 0; i < k.types.size(); ++i) {
                    if (i) s += ", ";
                    s += type(k.types[i]);
                }
                return s + ">";
            }
            if constexpr (std::is_same_v<K, ListKind>) return "list<" + type(k.element) + ">";
            if constexpr (std::is_same_v<K, FixedListKind>) {
                return fmt::format("list<{}, {}>", type(k.element), k.size);
            }
            if constexpr (std::is_same_v<K, MapKind>) {
                return "map<" + type(k.key) + ", " + type(k.value) + ">";
            }
            if constexpr (std::is_same_v<K, OptionKind>) return "option<" + type(k.type) + ">";
            if constexpr (std::is_same_v<K, ResultKind>) {
                if (!k.ok && !k.err) return "result";
                if (!k.err) return "result<" + type(*k.ok) + ">";
                return "result<" + opt_type(k.ok) + ", " + type(*k.err) + ">";
            }
            if constexpr (std::is_same_v<K, FutureKind>) {
                return k.type ? "future<" + type(*k.type) + ">" : "future";
            }
            if constexpr (std::is_same_v<K, StreamKind>) {
                return k.type ? "stream<" + type(*k.type) + ">" : "stream";
            }
            // Records, variants and the like are always named in WIT.
            return "<anonymous>";
        },
        def.kind);
}

std::string Printer::func_sig(const Function& f) const {
    std::string s = function_kind_is_async(f.kind) ? "async func(" : "func(";
    if (f.kind == FunctionKind::Static || f.kind == FunctionKind::AsyncStatic) {
        s = "static " + s;
    }
    bool first = true;
    size_t skip = (f.kind == FunctionKind::Method || f.kind == FunctionKind::AsyncMethod) ? 1 : 0;
    for (size_t i = skip; i < f.params.size(); ++i) {
        if (!first) s += ", ";
        first = false;
        s += name(f.params[i].name) + ": " + type(f.params[i].type);
    }
    s += ")";
    if (f.result) s += " -> " + type(*f.result);
    return s;
}

void Printer::type_def(TypeId id, const std::vector<const Function*>& resource_funcs) {
    const TypeDef& def = r_.types[id];
    docs(def.docs);
    stability(def.stability);
    std::string n = name(*def.name);
    std::visit(
        [&](const auto& k) {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, RecordKind>) {
                line("record " + n + " {");
                ++indent_;
                for (const Field& f : k.fields) {
                    docs(f.docs);
                    line(name(f.name) + ": " + type(f.type) + ",");
                }
                --indent_;
                line("}");
            } else if constexpr (std::is_same_v<K, FlagsKind>) {
                line("flags " + n + " {");
                ++indent_;
                for (const Flag& f : k.flags) {
                    docs(f.docs);
                    line(name(f.name) + ",");
                }
                --indent_;
                line("}");
            } else if constexpr (std::is_same_v<K, EnumKind>) {
                line("enum " + n + " {");
                ++indent_;
                for (const EnumCase& c : k.cases) {
                    docs(c.docs);
                    line(name(c.name) + ",");
                }
                --indent_;
                line("}");
            } else if constexpr (std::is_same_v<K, VariantKind>) {
                line("variant " + n + " {");
                ++indent_;
                for (const Case& c : k.cases) {
                    docs(c.docs);
                    line(name(c.name) +
                         (c.type ? std::string("(").append(type(*c.type)).append(")") : "") + ",");
                }
                --indent_;
                line("}");
            } else if constexpr (std::is_same_v<K, ResourceKind>) {
                std::vector<const Function*> mine;
                for (const Function* f : resource_funcs) {
                    if (f->resource == id) mine.push_back(f);
                }
                if (mine.empty()) {
                    line("resource " + n + ";");
                    return;
                }
                line("resource " + n + " {");
                ++indent_;
                for (const Function* f : mine) {
                    docs(f->docs);
                    stability(f->stability);
                    if (f->kind == FunctionKind::Constructor) {
                        std::string s = "constructor(";
                        for (size_t i = 0; i < f->params.size(); ++i) {
                            if (i) s += ", ";
                            s += name(f->params[i].name) + ": " + type(f->params[i].type);
                        }
                        s += ")";
                        // The implicit result is `own<resource>`; only a `result<...>` is written.
                        if (f->result && f->result->is_id &&
                            std::holds_alternative<ResultKind>(r_.types[f->result->id].kind)) {
                            s += " -> " + type(*f->result);
                        }
                        line(s + ";");
                    } else {
                        line(name(f->item_name()) + ": " + func_sig(*f) + ";");
                    }
                }
                --indent_;
                line("}");
            } else {
                line("type " + n + " = " + rhs(def) + ";");
            }
        },
        def.kind);
}

// Aliases of other interfaces' types, as `use` statements grouped by interface and gate.
void Printer::uses(const std::vector<TypeId>& aliases) {
    std::vector<std::pair<std::string, std::vector<TypeId>>> groups;
    for (TypeId id : aliases) {
        const TypeDef& def = r_.types[id];
        InterfaceId from(r_.types[std::get<AliasKind>(def.kind).target.id].owner.index);
        std::string key = interface_path(from) + "|" + stability_key(def.stability);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto& g) { return g.first == key; });
        if (it == groups.end()) {
            groups.emplace_back(key, std::vector<TypeId>{});
            it = groups.end() - 1;
        }
        it->second.push_back(id);
    }
    for (const auto& [key, ids] : groups) {
        const TypeDef& first = r_.types[ids[0]];
        TypeId target = std::get<AliasKind>(first.kind).target.id;
        stability(first.stability);
        std::string s = "use " + interface_path(InterfaceId(r_.types[target].owner.index)) + ".{";
        for (size_t i = 0; i < ids.size(); ++i) {
            const TypeDef& def = r_.types[ids[i]];
            const TypeDef& orig = r_.types[std::get<AliasKind>(def.kind).target.id];
            if (i) s += ", ";
            s += name(*orig.name);
            if (*orig.name != *def.name) s += " as " + name(*def.name);
        }
        line(s + "};");
    }
}

void Printer::body(const IndexMap<std::string, TypeId>& types,
                   const std::vector<const Function*>& funcs) {
    std::vector<TypeId> aliases, defs;
    for (const auto& [n, id] : types) {
        const TypeDef& def = r_.types[id];
        const AliasKind* alias = std::get_if<AliasKind>(&def.kind);
        bool foreign = alias && alias->target.is_id &&
                       r_.types[alias->target.id].owner.kind == TypeOwner::Kind::Interface &&
                       !(r_.types[alias->target.id].owner == def.owner) &&
                       r_.types[alias->target.id].name;
        (foreign ? aliases : defs).push_back(id);
    }
    uses(aliases);
    if (!aliases.empty() && !defs.empty()) out += '\n';
    for (TypeId id : defs) type_def(id, funcs);
}

void Printer::interface_items(const Interface& iface) {
    std::vector<const Function*> resource_funcs;
    for (const auto& [n, f] : iface.functions) {
        if (function_kind_has_resource(f.kind)) resource_funcs.push_back(&f);
    }
    body(iface.types, resource_funcs);
    bool first = true;
    for (const auto& [n, f] : iface.functions) {
        if (function_kind_has_resource(f.kind)) continue;
        if (first && !iface.types.empty()) out += '\n';
        first = false;
        docs(f.docs);
        stability(f.stability);
        line(name(f.name) + ": " + func_sig(f) + ";");
    }
}

void Printer::world(WorldId id) {
    const World& w = r_.worlds[id];
    if (w.package) cur_pkg_ = *w.package;
    docs(w.docs);
    stability(w.stability);
    line("world " + name(w.name) + " {");
    ++indent_;
    IndexMap<std::string, TypeId> types;
    std::vector<const Function*> resource_funcs;
    for (const auto& [key, item] : w.imports) {
        if (item.kind == WorldItem::Kind::Type) types.insert(key.name, item.type);
        if (item.kind == WorldItem::Kind::Function &&
            function_kind_has_resource(item.function.kind)) {
            resource_funcs.push_back(&item.function);
        }
    }
    body(types, resource_funcs);
    for (int pass = 0; pass < 2; ++pass) {
        const char* what = pass == 0 ? "import " : "export ";
        for (const auto& [key, item] : pass == 0 ? w.imports : w.exports) {
            switch (item.kind) {
            case WorldItem::Kind::Type: break;
            case WorldItem::Kind::Function:
                if (function_kind_has_resource(item.function.kind)) break;
                docs(item.function.docs);
                stability(item.function.stability);
                line(what + name(key.name) + ": " + func_sig(item.function) + ";");
                break;
            case WorldItem::Kind::Interface: {
                const Interface& iface = r_.interfaces[item.interface];
                docs(iface.name ? item.docs : iface.docs);
                stability(item.stability);
                if (key.is_interface) {
                    line(what + interface_path(item.interface) + ";");
                } else if (iface.name) {
                    line(what + name(key.name) + ": " + interface_path(item.interface) + ";");
                } else {
                    line(what + name(key.name) + ": interface {");
                    ++indent_;
                    interface_items(iface);
                    --indent_;
                    line("}");
                }
                break;
            }
            }
        }
    }
    --indent_;
    line("}");
}

void Printer::package(PackageId id, bool nested) {
    cur_pkg_ = id;
    const Package& p = r_.packages[id];
    docs(p.docs);
    std::string header = "package " + package_name(id);
    if (p.name.version) header += "@" + p.name.version->to_string();
    if (nested) {
        line(header + " {");
        ++indent_;
    } else {
        line(header + ";");
    }
    for (const auto& [n, iid] : p.interfaces) {
        out += '\n';
        const Interface& iface = r_.interfaces[iid];
        docs(iface.docs);
        stability(iface.stability);
        line("interface " + name(n) + " {");
        ++indent_;
        interface_items(iface);
        --indent_;
        line("}");
    }
    for (const auto& [n, wid] : p.worlds) {
        out += '\n';
        world(wid);
        cur_pkg_ = id;
    }
    if (nested) {
        --indent_;
        line("}");
    }
}

// Packages in dependency order (a package after those its interfaces and worlds use); ties
// are broken by package name so the order depends on the graph only. Iterative, as chains of
// packages can be long.
std::vector<PackageId> topological_packages(const Resolve& r) {
    auto deps_of = [&](PackageId id) {
        std::map<PackageName, PackageId> deps;
        auto dep_of = [&](InterfaceId i) {
            auto pkg = r.interfaces[i].package;
            if (pkg && *pkg != id) deps.emplace(r.packages[*pkg].name, *pkg);
        };
        const Package& p = r.packages[id];
        for (const auto& [n, iid] : p.interfaces) {
            for (InterfaceId dep : r.interface_direct_deps(iid)) dep_of(dep);
        }
        for (const auto& [n, wid] : p.worlds) {
            const World& w = r.worlds[wid];
            for (int pass = 0; pass < 2; ++pass) {
                for (const auto& [key, item] : pass == 0 ? w.imports : w.exports) {
                    if (item.kind == WorldItem::Kind::Interface) dep_of(item.interface);
                    if (item.kind == WorldItem::Kind::Type) {
                        if (auto dep = r.type_interface_dep(item.type)) dep_of(*dep);
                    }
                }
            }
        }
        std::vector<PackageId> out;
        for (const auto& [name, dep] : deps) out.push_back(dep);
        return out;
    };
    std::vector<PackageId> order;
    std::vector<int> state(r.packages.size(), 0); // 0 new, 1 on the stack, 2 done
    for (const auto& [name, root] : r.package_names) {
        if (state[root.index]) continue;
        // (package, its dependencies, next dependency to visit)
        std::vector<std::tuple<PackageId, std::vector<PackageId>, size_t>> stack;
        state[root.index] = 1;
        stack.emplace_back(root, deps_of(root), 0);
        while (!stack.empty()) {
            auto& [id, deps, next] = stack.back();
            if (next < deps.size()) {
                PackageId dep = deps[next++];
                if (state[dep.index] == 0) {
                    state[dep.index] = 1;
                    stack.emplace_back(dep, deps_of(dep), 0);
                }
                continue;
            }
            state[id.index] = 2;
            order.push_back(id);
            stack.pop_back();
        }
    }
    return order;
}

} // namespace

std::string print_package(const Resolve& resolve, PackageId package) {
    Printer p(resolve);
    p.package(package, false);
    return p.out;
}

std::string print_resolve(const Resolve& resolve, PackageId main) {
    Printer p(resolve);
    p.package(main, false);
    for (PackageId id : topological_packages(resolve)) {
        if (id == main) continue;
        p.out += '\n';
        p.package(id, true);
    }
    return p.out;
}

std::string print_world(const Resolve& resolve, WorldId world) {
    Printer p(resolve);
    p.world(world);
    return p.out;
}

} // namespace cirrus::wit
