// Type checking across scopes for the component decoder (Explainer "Type Checking" and
// "External Visibility of Types"): resource identity (fresh resources for `sub` bounds and
// for each instantiation, imported types replaced by the arguments of an instantiation) and
// which types the imports and exports of a component or component type may use.
#include "decoder.h"

#include <algorithm>

namespace cirrus::component::detail {

// ---------------------------------------------------------------- external visibility

// A record, variant, enum or flags type must itself be named; a handle must be made from a
// type index that names its resource, and the resource be named here; other types are
// visible when their parts are.
bool Decoder::visible(const Scope& s, const ValType* t, bool import) const {
    if (!t) return true;
    const auto& vals = import ? s.imported_vals : s.exported_vals;
    switch (t->kind) {
    case TypeKind::Record:
    case TypeKind::Variant:
    case TypeKind::Enum:
    case TypeKind::Flags: return vals.count(t) != 0;
    default: return parts_visible(s, t, import);
    }
}

bool Decoder::parts_visible(const Scope& s, const ValType* t, bool import) const {
    switch (t->kind) {
    case TypeKind::List:
    case TypeKind::Option: return visible(s, t->element, import);
    case TypeKind::Result: return visible(s, t->element, import) && visible(s, t->error, import);
    case TypeKind::Record:
    case TypeKind::Tuple:
        for (const auto& f : t->fields) {
            if (!visible(s, f.type, import)) return false;
        }
        return true;
    case TypeKind::Variant:
        for (const auto& c : t->cases) {
            if (!visible(s, c.type, import)) return false;
        }
        return true;
    case TypeKind::Own:
    case TypeKind::Borrow: {
        const auto& resources = import ? s.imported_resources : s.exported_resources;
        return unnamed_handles_.count(t) == 0 && resources.count(t->resource) != 0;
    }
    default: return true;
    }
}

bool Decoder::func_visible(const Scope& s, const FuncType* f, bool import) const {
    for (const auto& [n, t] : f->params) {
        if (!visible(s, t, import)) return false;
    }
    return visible(s, f->result, import);
}

// An import names its types for the imports and exports after it, an export for the exports
// after it; an instance names the types it exports, in order (wasmparser does the same).
bool Decoder::name_extern(Scope& s, const ExternType& et, bool import) {
    switch (et.sort) {
    case Sort::Func: return func_visible(s, et.func, import);
    case Sort::Type:
        if (et.resource) {
            s.exported_resources.insert(et.resource);
            if (import) s.imported_resources.insert(et.resource);
            return true;
        }
        if (et.func) return func_visible(s, et.func, import);
        if (et.instance) {
            // An instance type exported as a type uses only visible types, as an instance
            // would, but names nothing here.
            Scope probe;
            probe.imported_vals = s.imported_vals;
            probe.exported_vals = s.exported_vals;
            probe.imported_resources = s.imported_resources;
            probe.exported_resources = s.exported_resources;
            ExternType as = et;
            as.sort = Sort::Instance;
            return name_extern(probe, as, import);
        }
        if (et.component) return true; // closed, like a component
        if (!parts_visible(s, et.value_type, import)) return false;
        s.exported_vals.insert(et.value_type);
        if (import) s.imported_vals.insert(et.value_type);
        return true;
    case Sort::Instance:
        for (const auto& [n, e] : et.instance->exports) {
            if (!name_extern(s, e, import)) return false;
        }
        return true;
    default: return true; // components and modules are closed
    }
}

Result<void> Decoder::check_named(Scope& s, const ExternType& et, bool import, size_t at) {
    if (s.is_instance_type) return {}; // checked where the instance type is used
    if (!name_extern(s, et, import))
        return Reader::invalid_at(at,
                                  fmt::format("{} not valid to be used as {}", sort_name(et.sort),
                                              import ? "import" : "export"));
    return {};
}

// ---------------------------------------------------------------- resource identity

const ResourceType* Decoder::new_resource(std::string name) {
    const ResourceType* r = types_->resource(std::move(name));
    resource_seq_.emplace(r, next_resource_++);
    return r;
}

bool Decoder::created_in(const ResourceType* r, Created range) const {
    auto it = resource_seq_.find(r);
    return it != resource_seq_.end() && it->second >= range.begin && it->second < range.end;
}

Created Decoder::created_of(const void* type) const {
    auto it = created_.find(type);
    return it == created_.end() ? Created{} : it->second;
}

const ResourceType* Decoder::subst_resource(Subst& sub, const ResourceType* r) {
    if (!r) return r;
    if (auto it = sub.resources.find(r); it != sub.resources.end()) return it->second;
    const ResourceType* out = created_in(r, sub.fresh) ? new_resource(r->name) : r;
    sub.resources.emplace(r, out);
    return out;
}

const ValType* Decoder::subst_val(Subst& sub, const ValType* t) {
    if (!t || is_primitive(t->kind)) return t;
    if (auto it = sub.vals.find(t); it != sub.vals.end()) return it->second;
    ValType copy = *t;
    bool changed = false;
    auto val = [&](const ValType*& v) {
        const ValType* n = subst_val(sub, v);
        changed |= n != v;
        v = n;
    };
    val(copy.element);
    val(copy.error);
    for (auto& f : copy.fields) val(f.type);
    for (auto& c : copy.cases) val(c.type);
    if (copy.resource) {
        const ResourceType* n = subst_resource(sub, copy.resource);
        changed |= n != copy.resource;
        copy.resource = n;
    }
    const ValType* out = t;
    if (changed) {
        out = types_->val(std::move(copy));
        if (unnamed_handles_.count(t)) unnamed_handles_.insert(out);
    }
    sub.vals.emplace(t, out);
    return out;
}

const FuncType* Decoder::subst_func(Subst& sub, const FuncType* f) {
    if (!f) return f;
    if (auto it = sub.funcs.find(f); it != sub.funcs.end()) return it->second;
    FuncType copy = *f;
    bool changed = false;
    for (auto& [n, t] : copy.params) {
        const ValType* nt = subst_val(sub, t);
        changed |= nt != t;
        t = nt;
    }
    const ValType* r = subst_val(sub, copy.result);
    changed |= r != copy.result;
    copy.result = r;
    const FuncType* out = changed ? types_->func(std::move(copy)) : f;
    sub.funcs.emplace(f, out);
    return out;
}

ExternType Decoder::subst_extern(Subst& sub, const ExternType& et) {
    ExternType out = et;
    switch (et.sort) {
    case Sort::Func: out.func = subst_func(sub, et.func); break;
    case Sort::Type:
        out.resource = subst_resource(sub, et.resource);
        out.value_type = subst_val(sub, et.value_type);
        break;
    case Sort::Instance: out.instance = subst_instance(sub, et.instance); break;
    case Sort::Component: out.component = subst_component(sub, et.component); break;
    default: break;
    }
    return out;
}

const InstanceType* Decoder::subst_instance(Subst& sub, const InstanceType* it) {
    if (!it) return it;
    if (auto pos = sub.instances.find(it); pos != sub.instances.end()) return pos->second;
    InstanceType copy;
    bool changed = false;
    for (const auto& [n, et] : it->exports) {
        ExternType e = subst_extern(sub, et);
        changed |= e.func != et.func || e.resource != et.resource ||
                   e.value_type != et.value_type || e.instance != et.instance ||
                   e.component != et.component;
        copy.exports.emplace_back(n, e);
    }
    const InstanceType* out = changed ? types_->instance(std::move(copy)) : it;
    sub.instances.emplace(it, out);
    return out;
}

const ComponentType* Decoder::subst_component(Subst& sub, const ComponentType* ct) {
    if (!ct) return ct;
    if (auto pos = sub.components.find(ct); pos != sub.components.end()) return pos->second;
    ComponentType copy;
    bool changed = false;
    auto list = [&](const std::vector<std::pair<std::string, ExternType>>& from,
                    std::vector<std::pair<std::string, ExternType>>& to) {
        for (const auto& [n, et] : from) {
            ExternType e = subst_extern(sub, et);
            changed |= e.func != et.func || e.resource != et.resource ||
                       e.value_type != et.value_type || e.instance != et.instance ||
                       e.component != et.component;
            to.emplace_back(n, e);
        }
    };
    uint32_t first = next_resource_;
    list(ct->imports, copy.imports);
    list(ct->exports, copy.exports);
    if (!changed) {
        sub.components.emplace(ct, ct);
        return ct;
    }
    const ComponentType* out = types_->component(std::move(copy));
    // Its own resources were renewed by this rewriting (they lie in `sub.fresh`, which holds
    // the component types nested in it): the new ones are its own.
    created_[out] = {first, next_resource_};
    sub.components.emplace(ct, out);
    return out;
}

ExternType Decoder::fresh_instance(const ExternType& et) {
    if (et.sort != Sort::Instance) return et;
    Created own = created_of(et.instance);
    if (own.begin == own.end) return et;
    Subst sub;
    sub.fresh = own;
    uint32_t first = next_resource_;
    ExternType out = et;
    out.instance = subst_instance(sub, et.instance);
    if (out.instance != et.instance) created_[out.instance] = {first, next_resource_};
    return out;
}

// The abstract resources an extern type introduces in `range` (a component type's
// parameters, when these are its imports).
static void collect_resources(const ExternType& et, std::vector<const ResourceType*>& out) {
    if (et.sort == Sort::Type && et.resource) out.push_back(et.resource);
    if (et.sort == Sort::Instance) {
        for (const auto& [n, e] : et.instance->exports) collect_resources(e, out);
    }
}

// Explainer "Type Checking": each imported `sub resource` of the component is a parameter
// bound to the resource supplied for it (and `eq` bounds must then agree); imported value
// types are replaced by the types supplied; resources the component creates (definitions,
// `sub resource` exports) are fresh for each instance.
Result<const InstanceType*> Decoder::instantiate_type(const ComponentType* ct,
                                                      const std::map<std::string, ExternType>& args,
                                                      size_t at) {
    Created own = created_of(ct);
    ResourceMap params;
    for (const auto& [name, expected] : ct->imports) {
        std::vector<const ResourceType*> rs;
        collect_resources(expected, rs);
        for (const ResourceType* r : rs) {
            if (created_in(r, own)) params.emplace(r, nullptr);
        }
    }
    Subst sub;
    sub.fresh = own;
    // Value types supplied for `eq`-bound type imports, in instance imports too.
    auto bind_vals = [&](auto& self, const ExternType& expected,
                         const ExternType& provided) -> void {
        if (expected.sort == Sort::Type && expected.value_type && provided.value_type)
            sub.vals.emplace(expected.value_type, provided.value_type);
        if (expected.sort == Sort::Instance) {
            for (const auto& [n, e] : expected.instance->exports) {
                if (const ExternType* p = provided.instance->find(n)) self(self, e, *p);
            }
        }
    };
    for (const auto& [name, expected] : ct->imports) {
        auto found = args.find(name);
        if (found == args.end())
            return Reader::invalid_at(at, fmt::format("missing import named `{}`", name));
        std::string why;
        if (!extern_subtype(found->second, expected, &why, &params))
            return Reader::invalid_at(at,
                                      fmt::format("type mismatch for import `{}`: {}", name, why));
        bind_vals(bind_vals, expected, found->second);
    }
    for (const auto& [r, bound] : params) {
        if (bound) sub.resources.emplace(r, bound);
    }
    InstanceType it;
    for (const auto& [name, et] : ct->exports) it.exports.emplace_back(name, subst_extern(sub, et));
    return types_->instance(std::move(it));
}

// ---------------------------------------------------------------- type size

// Sizes saturate just past the limit, so sums cannot overflow.
static uint64_t add_size(uint64_t a, uint64_t b) {
    return std::min<uint64_t>(a + b, 2 * kMaxTypeSize + 1);
}

uint64_t Decoder::type_size(const ValType* t) {
    if (!t || is_primitive(t->kind)) return 1;
    if (auto it = sizes_.find(t); it != sizes_.end()) return it->second;
    uint64_t n = add_size(1, add_size(type_size(t->element), type_size(t->error)));
    for (const auto& f : t->fields) n = add_size(n, type_size(f.type));
    for (const auto& c : t->cases) n = add_size(n, type_size(c.type));
    n = add_size(n, t->labels.size());
    sizes_.emplace(t, n);
    return n;
}

uint64_t Decoder::type_size(const FuncType* f) {
    if (auto it = sizes_.find(f); it != sizes_.end()) return it->second;
    uint64_t n = add_size(1, type_size(f->result));
    for (const auto& [name, t] : f->params) n = add_size(n, type_size(t));
    sizes_.emplace(f, n);
    return n;
}

uint64_t Decoder::type_size(const ExternType& et) {
    switch (et.sort) {
    case Sort::Func: return type_size(et.func);
    case Sort::Type: return et.resource ? 1 : type_size(et.value_type);
    case Sort::Instance: return type_size(et.instance);
    case Sort::Component: return type_size(et.component);
    case Sort::CoreModule:
        return et.core_module
                   ? add_size(et.core_module->imports.size(), et.core_module->exports.size() + 1)
                   : 1;
    default: return 1;
    }
}

uint64_t Decoder::type_size(const InstanceType* it) {
    if (auto pos = sizes_.find(it); pos != sizes_.end()) return pos->second;
    uint64_t n = 1;
    for (const auto& [name, et] : it->exports) n = add_size(n, type_size(et));
    sizes_.emplace(it, n);
    return n;
}

uint64_t Decoder::type_size(const ComponentType* ct) {
    if (auto pos = sizes_.find(ct); pos != sizes_.end()) return pos->second;
    uint64_t n = 1;
    for (const auto& [name, et] : ct->imports) n = add_size(n, type_size(et));
    for (const auto& [name, et] : ct->exports) n = add_size(n, type_size(et));
    sizes_.emplace(ct, n);
    return n;
}

Result<void> Decoder::check_size(uint64_t size, size_t at) const {
    if (size > kMaxTypeSize)
        return Reader::invalid_at(
            at, fmt::format("effective type size exceeds the limit of {}", kMaxTypeSize));
    return {};
}

// ---------------------------------------------------------------- outer aliases

bool Decoder::refers_to_resources(const DefType& dt) const {
    auto val = [&](auto& self, const ValType* t) -> bool {
        if (!t) return false;
        if (t->kind == TypeKind::Own || t->kind == TypeKind::Borrow) return true;
        if (self(self, t->element) || self(self, t->error)) return true;
        for (const auto& f : t->fields) {
            if (self(self, f.type)) return true;
        }
        for (const auto& c : t->cases) {
            if (self(self, c.type)) return true;
        }
        return false;
    };
    auto func = [&](const FuncType* f) {
        for (const auto& [n, t] : f->params) {
            if (val(val, t)) return true;
        }
        return val(val, f->result);
    };
    // In a component or instance type, only resources it did not create itself count.
    auto ext = [&](auto& self, const ExternType& et, Created own) -> bool {
        switch (et.sort) {
        case Sort::Func: return func(et.func);
        case Sort::Type:
            return et.resource ? !created_in(et.resource, own) : val(val, et.value_type);
        case Sort::Instance:
            for (const auto& [n, e] : et.instance->exports) {
                if (self(self, e, own)) return true;
            }
            return false;
        case Sort::Component:
            for (const auto* list : {&et.component->imports, &et.component->exports}) {
                for (const auto& [n, e] : *list) {
                    if (self(self, e, own)) return true;
                }
            }
            return false;
        default: return false;
        }
    };
    switch (dt.kind) {
    case DefType::Kind::Resource: return true;
    case DefType::Kind::Val: return val(val, dt.val);
    case DefType::Kind::Func: return func(dt.func);
    case DefType::Kind::Instance: {
        ExternType et;
        et.sort = Sort::Instance;
        et.instance = dt.instance;
        return ext(ext, et, created_of(dt.instance));
    }
    case DefType::Kind::Component: {
        ExternType et;
        et.sort = Sort::Component;
        et.component = dt.component;
        return ext(ext, et, created_of(dt.component));
    }
    default: return false;
    }
}

} // namespace cirrus::component::detail
