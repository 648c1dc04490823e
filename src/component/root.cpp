// What the host refuses of a root component, before it resolves any import: the points where
// wasmtime's host refuses too. A host provides functions, resources and instances of them,
// never a component or a core module, so a root component cannot import one; a component
// exported from the root has no enclosing component to instantiate it; and a host function
// re-exported as one of the root's own is not supported. Nested components may do all of it:
// their parent provides what they import and takes what they export.
#include "runtime.h"

#include <fmt/format.h>

#include <deque>
#include <map>

namespace cirrus::component::detail {

namespace {

// Where a function, instance or component of a component comes from, followed through
// aliases, inline instances and the instances of nested components as instantiation would,
// without instantiating anything.
struct Origin {
    Sort sort = Sort::Func;
    // Func: one of the root's imports. Instance: an imported instance (everything in it is).
    bool imported = false;
    const std::map<std::string, Origin>* exports = nullptr; // an instance built in a component
    const ComponentData* component = nullptr;               // a component definition
    struct OScope* parent = nullptr;                        // the scope it was defined in
};

struct OScope {
    OScope* parent = nullptr;
    std::vector<Origin> funcs, instances, components;
};

class OriginWalk {
public:
    // Walks `data` with `args` as its imports; fills `exports` with what it exports.
    Result<void> walk(const ComponentData& data, OScope* parent,
                      const std::map<std::string, Origin>* args,
                      std::map<std::string, Origin>& exports);

private:
    std::vector<Origin>* space(OScope& s, Space sp) {
        switch (sp) {
        case Space::Func: return &s.funcs;
        case Space::Instance: return &s.instances;
        case Space::Component: return &s.components;
        default: return nullptr;
        }
    }
    Origin at(OScope& s, SortIdx si) {
        std::vector<Origin>* list = space(s, si.space);
        if (!list || si.index >= list->size()) return Origin{};
        return (*list)[si.index];
    }
    void push(OScope& s, Space sp, Origin o) {
        if (auto* list = space(s, sp)) list->push_back(o);
    }
    std::deque<OScope> scopes_;
    std::deque<std::map<std::string, Origin>> maps_;
    // Nested instantiations can multiply (each level instantiating the next twice): the walk
    // stops at a bound rather than running away on a hostile binary.
    size_t budget_ = 1'000'000;
};

Result<void> OriginWalk::walk(const ComponentData& data, OScope* parent,
                              const std::map<std::string, Origin>* args,
                              std::map<std::string, Origin>& exports) {
    OScope& s = scopes_.emplace_back();
    s.parent = parent;
    for (const Def& def : data.defs) {
        if (budget_-- == 0)
            return Error(ErrorKind::Unlinkable, "component nests too many instantiations");
        switch (def.op) {
        case Def::Op::Import: {
            Origin o;
            o.sort = def.ext.sort;
            if (!args) {
                o.imported = true; // the root's import: the host provides it
            } else if (auto it = args->find(def.name); it != args->end()) {
                o = it->second;
            }
            push(s, def.space, o);
            break;
        }
        case Def::Op::Component: {
            Origin o;
            o.sort = Sort::Component;
            o.component = data.components[def.a].get();
            o.parent = &s;
            s.components.push_back(o);
            break;
        }
        case Def::Op::Instantiate: {
            auto& child_args = maps_.emplace_back();
            for (const auto& arg : def.args) child_args[arg.name] = at(s, arg.target);
            Origin child = at(s, {Space::Component, def.a});
            auto& child_exports = maps_.emplace_back();
            if (child.component)
                CIRRUS_TRY(walk(*child.component, child.parent, &child_args, child_exports));
            Origin o;
            o.sort = Sort::Instance;
            o.exports = &child_exports;
            s.instances.push_back(o);
            break;
        }
        case Def::Op::InlineExports: {
            auto& m = maps_.emplace_back();
            for (const auto& arg : def.args) m[arg.name] = at(s, arg.target);
            Origin o;
            o.sort = Sort::Instance;
            o.exports = &m;
            s.instances.push_back(o);
            break;
        }
        case Def::Op::AliasExport: {
            Origin inst = at(s, {Space::Instance, def.a});
            Origin o;
            if (inst.imported) {
                o.imported = true;
            } else if (inst.exports) {
                if (auto it = inst.exports->find(def.name); it != inst.exports->end())
                    o = it->second;
            }
            push(s, def.space, o);
            break;
        }
        case Def::Op::AliasOuter: {
            OScope* target = &s;
            for (uint32_t i = 0; i < def.a && target; ++i) target = target->parent;
            if (def.space == Space::Component)
                s.components.push_back(target ? at(*target, {Space::Component, def.b}) : Origin{});
            break;
        }
        case Def::Op::CanonLift: s.funcs.push_back(Origin{}); break;
        case Def::Op::Export: {
            Origin o = at(s, def.target);
            exports[def.name] = o;
            push(s, def.space, o);
            break;
        }
        default: break;
        }
    }
    return {};
}

} // namespace

Result<void> check_root(const ComponentData& data) {
    for (const auto& [name, et] : data.type->imports) {
        if (et.sort == Sort::Component)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component import `{}`: root-level component imports are "
                                     "not supported (a host provides no components)",
                                     name));
        if (et.sort == Sort::CoreModule)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component import `{}`: root-level core module imports are "
                                     "not supported (a host provides no core modules)",
                                     name));
    }
    for (const auto& [name, et] : data.type->exports) {
        if (et.sort == Sort::Component)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component export `{}`: exporting a component from the "
                                     "root component is not supported",
                                     name));
    }
    OriginWalk w;
    std::map<std::string, Origin> exports;
    CIRRUS_TRY(w.walk(data, nullptr, nullptr, exports));
    for (const auto& [name, et] : data.type->exports) {
        auto it = exports.find(name);
        if (et.sort == Sort::Func && it != exports.end() && it->second.imported)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component export `{}` is a reexport of an imported function "
                                     "which is not implemented",
                                     name));
    }
    return {};
}

} // namespace cirrus::component::detail
