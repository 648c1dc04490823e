// Component types: the primitive singletons, constructors for host code, subtyping
// (Explainer "Subtyping") and WIT spellings.
#include "cirrus/component/types.h"

#include <fmt/format.h>

#include <array>

namespace cirrus::component {

const char* type_kind_name(TypeKind kind) {
    switch (kind) {
    case TypeKind::Bool: return "bool";
    case TypeKind::S8: return "s8";
    case TypeKind::U8: return "u8";
    case TypeKind::S16: return "s16";
    case TypeKind::U16: return "u16";
    case TypeKind::S32: return "s32";
    case TypeKind::U32: return "u32";
    case TypeKind::S64: return "s64";
    case TypeKind::U64: return "u64";
    case TypeKind::F32: return "f32";
    case TypeKind::F64: return "f64";
    case TypeKind::Char: return "char";
    case TypeKind::String: return "string";
    case TypeKind::ErrorContext: return "error-context";
    case TypeKind::List: return "list";
    case TypeKind::Record: return "record";
    case TypeKind::Tuple: return "tuple";
    case TypeKind::Variant: return "variant";
    case TypeKind::Enum: return "enum";
    case TypeKind::Option: return "option";
    case TypeKind::Result: return "result";
    case TypeKind::Flags: return "flags";
    case TypeKind::Own: return "own";
    case TypeKind::Borrow: return "borrow";
    }
    return "?";
}

const char* sort_name(Sort sort) {
    switch (sort) {
    case Sort::CoreModule: return "core module";
    case Sort::Func: return "func";
    case Sort::Value: return "value";
    case Sort::Type: return "type";
    case Sort::Component: return "component";
    case Sort::Instance: return "instance";
    }
    return "?";
}

const ValType* ValType::primitive(TypeKind kind) {
    static const std::array<ValType, 14> prims = [] {
        std::array<ValType, 14> a;
        for (size_t i = 0; i < a.size(); ++i) a[i].kind = static_cast<TypeKind>(i);
        return a;
    }();
    return &prims[static_cast<size_t>(kind)];
}

const ExternType* InstanceType::find(std::string_view name) const {
    for (const auto& [n, t] : exports) {
        if (n == name) return &t;
    }
    return nullptr;
}

const ValType* TypeArena::list(const ValType* element) {
    ValType t;
    t.kind = TypeKind::List;
    t.element = element;
    return val(std::move(t));
}
const ValType* TypeArena::option(const ValType* element) {
    ValType t;
    t.kind = TypeKind::Option;
    t.element = element;
    return val(std::move(t));
}
const ValType* TypeArena::result(const ValType* ok, const ValType* err) {
    ValType t;
    t.kind = TypeKind::Result;
    t.element = ok;
    t.error = err;
    return val(std::move(t));
}
const ValType* TypeArena::tuple(std::vector<const ValType*> types) {
    ValType t;
    t.kind = TypeKind::Tuple;
    for (auto* m : types) t.fields.push_back({"", m});
    return val(std::move(t));
}
const ValType* TypeArena::record(std::vector<Field> fields) {
    ValType t;
    t.kind = TypeKind::Record;
    t.fields = std::move(fields);
    return val(std::move(t));
}
const ValType* TypeArena::variant(std::vector<Case> cases) {
    ValType t;
    t.kind = TypeKind::Variant;
    t.cases = std::move(cases);
    return val(std::move(t));
}
const ValType* TypeArena::enumeration(std::vector<std::string> labels) {
    ValType t;
    t.kind = TypeKind::Enum;
    t.labels = std::move(labels);
    return val(std::move(t));
}
const ValType* TypeArena::flags(std::vector<std::string> labels) {
    ValType t;
    t.kind = TypeKind::Flags;
    t.labels = std::move(labels);
    return val(std::move(t));
}
const ValType* TypeArena::own(const ResourceType* resource) {
    ValType t;
    t.kind = TypeKind::Own;
    t.resource = resource;
    return val(std::move(t));
}
const ValType* TypeArena::borrow(const ResourceType* resource) {
    ValType t;
    t.kind = TypeKind::Borrow;
    t.resource = resource;
    return val(std::move(t));
}

// Does `p` designate the resource `e` stands for (binding `e` when it is an unbound
// parameter)?
static bool same_resource(const ResourceType* p, const ResourceType* e, ResourceMap* resources) {
    auto it = resources->find(e);
    if (it == resources->end()) return p == e;
    if (!it->second) it->second = p;
    return it->second == p;
}

static std::string resource_label(const ResourceType* r) {
    return r && !r->name.empty() ? fmt::format("`{}`", r->name) : "an unnamed resource";
}

static bool resource_mismatch(const ResourceType* p, const ResourceType* e, std::string* why) {
    if (why)
        *why = fmt::format("resource types are not the same (expected {}, found {})",
                           resource_label(e), resource_label(p));
    return false;
}

// Value types match structurally (names of fields, cases and labels included). Handles match
// when both are own or both borrow, of the same resource when `resources` is given.
bool val_subtype(const ValType* p, const ValType* e, std::string* why, ResourceMap* resources) {
    auto fail = [&](std::string msg) {
        if (why) *why = std::move(msg);
        return false;
    };
    // The same type: a parameter of the instantiated component cannot occur on the provided
    // side, so nothing in it needs a binding.
    if (p == e) return true;
    if (!p || !e)
        return fail(fmt::format("expected {}, found {}", e ? wit_type(e) : "nothing",
                                p ? wit_type(p) : "nothing"));
    if (p->kind != e->kind)
        return fail(fmt::format("expected {}, found {}", wit_type(e), wit_type(p)));
    switch (p->kind) {
    case TypeKind::List:
    case TypeKind::Option: return val_subtype(p->element, e->element, why, resources);
    case TypeKind::Result:
        return val_subtype(p->element, e->element, why, resources) &&
               val_subtype(p->error, e->error, why, resources);
    case TypeKind::Record:
    case TypeKind::Tuple:
        if (p->fields.size() != e->fields.size())
            return fail(
                fmt::format("expected {} fields, found {}", e->fields.size(), p->fields.size()));
        for (size_t i = 0; i < p->fields.size(); ++i) {
            if (p->fields[i].name != e->fields[i].name)
                return fail(fmt::format("expected field `{}`, found `{}`", e->fields[i].name,
                                        p->fields[i].name));
            if (!val_subtype(p->fields[i].type, e->fields[i].type, why, resources)) return false;
        }
        return true;
    case TypeKind::Variant:
        if (p->cases.size() != e->cases.size())
            return fail(
                fmt::format("expected {} cases, found {}", e->cases.size(), p->cases.size()));
        for (size_t i = 0; i < p->cases.size(); ++i) {
            if (p->cases[i].name != e->cases[i].name)
                return fail(fmt::format("expected case `{}`, found `{}`", e->cases[i].name,
                                        p->cases[i].name));
            if (!val_subtype(p->cases[i].type, e->cases[i].type, why, resources)) return false;
        }
        return true;
    case TypeKind::Enum:
    case TypeKind::Flags:
        if (p->labels != e->labels)
            return fail(fmt::format("expected {}, found {}", wit_type(e), wit_type(p)));
        return true;
    case TypeKind::Own:
    case TypeKind::Borrow:
        if (resources && !same_resource(p->resource, e->resource, resources))
            return resource_mismatch(p->resource, e->resource, why);
        return true;
    default: return true;
    }
}

bool func_subtype(const FuncType& p, const FuncType& e, std::string* why, ResourceMap* resources) {
    if (p.params.size() != e.params.size()) {
        if (why)
            *why =
                fmt::format("expected {} parameters, found {}", e.params.size(), p.params.size());
        return false;
    }
    for (size_t i = 0; i < p.params.size(); ++i) {
        if (p.params[i].first != e.params[i].first) {
            if (why)
                *why = fmt::format("expected parameter `{}`, found `{}`", e.params[i].first,
                                   p.params[i].first);
            return false;
        }
        std::string inner;
        if (!val_subtype(p.params[i].second, e.params[i].second, &inner, resources)) {
            if (why) *why = fmt::format("parameter `{}`: {}", p.params[i].first, inner);
            return false;
        }
    }
    std::string inner;
    if (!val_subtype(p.result, e.result, &inner, resources)) {
        if (why) *why = fmt::format("result: {}", inner);
        return false;
    }
    return true;
}

bool extern_subtype(const ExternType& p, const ExternType& e, std::string* why,
                    ResourceMap* resources) {
    if (p.sort != e.sort) {
        if (why) *why = fmt::format("expected {}, found {}", sort_name(e.sort), sort_name(p.sort));
        return false;
    }
    switch (p.sort) {
    case Sort::Func: return func_subtype(*p.func, *e.func, why, resources);
    case Sort::Type:
        if (e.func || e.component || e.instance || p.func || p.component || p.instance) {
            // An exported function, component or instance type: `eq` asks for the same type,
            // subtyping both ways; first both must be types of the same kind.
            auto kind = [](const ExternType& t) {
                return t.func        ? "a function type"
                       : t.component ? "a component type"
                       : t.instance  ? "an instance type"
                       : t.resource  ? "a resource type"
                                     : "a value type";
            };
            if (std::string_view(kind(p)) != kind(e)) {
                if (why) *why = fmt::format("expected {}, found {}", kind(e), kind(p));
                return false;
            }
            ExternType pt = p, et = e;
            pt.sort = p.func ? Sort::Func : p.component ? Sort::Component : Sort::Instance;
            et.sort = e.func ? Sort::Func : e.component ? Sort::Component : Sort::Instance;
            return extern_subtype(pt, et, why) && extern_subtype(et, pt, why);
        }
        if ((p.resource != nullptr) != (e.resource != nullptr)) {
            if (why) *why = e.resource ? "expected a resource type" : "expected a value type";
            return false;
        }
        if (p.resource) {
            if (resources && !same_resource(p.resource, e.resource, resources))
                return resource_mismatch(p.resource, e.resource, why);
            return true;
        }
        return val_subtype(p.value_type, e.value_type, why, resources);
    case Sort::Instance:
        // In the expected type's order, so that a resource type export is bound before the
        // functions that use it.
        for (const auto& [name, et] : e.instance->exports) {
            const ExternType* found = p.instance->find(name);
            // A value type an instance type exports (e.g. `stream-error`) describes the
            // functions' signatures, which are checked structurally; a host instance holds
            // only functions and resources, so such a type need not be provided.
            if (!found && et.sort == Sort::Type && !et.resource) continue;
            if (!found) {
                if (why) *why = fmt::format("missing export `{}`", name);
                return false;
            }
            std::string inner;
            if (!extern_subtype(*found, et, &inner, resources)) {
                if (why) *why = fmt::format("export `{}`: {}", name, inner);
                return false;
            }
        }
        return true;
    case Sort::Component: {
        // The resources of two component types are their own parameters and results, which
        // this check does not relate: handles inside compare by kind.
        for (const auto& [name, et] : p.component->imports) {
            const ExternType* found = nullptr;
            for (const auto& [n2, t2] : e.component->imports) {
                if (n2 == name) found = &t2;
            }
            if (!found) {
                if (why) *why = fmt::format("unexpected import `{}`", name);
                return false;
            }
            std::string inner;
            if (!extern_subtype(*found, et, &inner)) {
                if (why) *why = fmt::format("import `{}`: {}", name, inner);
                return false;
            }
        }
        for (const auto& [name, et] : e.component->exports) {
            const ExternType* found = nullptr;
            for (const auto& [n2, t2] : p.component->exports) {
                if (n2 == name) found = &t2;
            }
            if (!found) {
                if (why) *why = fmt::format("missing export `{}`", name);
                return false;
            }
            std::string inner;
            if (!extern_subtype(*found, et, &inner)) {
                if (why) *why = fmt::format("export `{}`: {}", name, inner);
                return false;
            }
        }
        return true;
    }
    case Sort::CoreModule: {
        // Module subtyping (Explainer "Type Checking"): the provided module may import less
        // and export more. A module whose type is not known here (none given) is not checked.
        if (!p.core_module || !e.core_module) return true;
        auto fail = [&](std::string msg) {
            if (why) *why = std::move(msg);
            return false;
        };
        for (const auto& imp : p.core_module->imports) {
            const wasm::ImportDesc* found = nullptr;
            for (const auto& other : e.core_module->imports) {
                if (other.module == imp.module && other.name == imp.name) found = &other;
            }
            if (!found)
                return fail(fmt::format("missing expected import `{}::{}`", imp.module, imp.name));
            if (!core_extern_subtype(found->type, imp.type))
                return fail(fmt::format("type mismatch in import `{}::{}`", imp.module, imp.name));
        }
        for (const auto& [name, type] : e.core_module->exports) {
            const wasm::ExternType* found = nullptr;
            for (const auto& [other, t] : p.core_module->exports) {
                if (other == name) found = &t;
            }
            if (!found) return fail(fmt::format("missing expected export `{}`", name));
            if (!core_extern_subtype(*found, type))
                return fail(fmt::format("type mismatch in export `{}`", name));
        }
        return true;
    }
    default: return true;
    }
}

static bool limits_match(const wasm::Limits& provided, const wasm::Limits& expected) {
    if (provided.min < expected.min) return false;
    if (expected.max) {
        if (!provided.max || *provided.max > *expected.max) return false;
    }
    return true;
}

bool core_extern_subtype(const wasm::ExternType& p, const wasm::ExternType& e) {
    if (p.kind != e.kind) return false;
    switch (p.kind) {
    case wasm::ExternKind::Func: return p.func == e.func;
    case wasm::ExternKind::Table:
        return p.table.element == e.table.element && limits_match(p.table.limits, e.table.limits);
    case wasm::ExternKind::Memory: return limits_match(p.memory.limits, e.memory.limits);
    case wasm::ExternKind::Global: return p.global == e.global;
    }
    return false;
}

std::string wit_type(const ValType* t) {
    if (!t) return "_";
    if (!t->name.empty()) return t->name;
    switch (t->kind) {
    case TypeKind::List: return fmt::format("list<{}>", wit_type(t->element));
    case TypeKind::Option: return fmt::format("option<{}>", wit_type(t->element));
    case TypeKind::Result:
        if (!t->element && !t->error) return "result";
        if (!t->error) return fmt::format("result<{}>", wit_type(t->element));
        return fmt::format("result<{}, {}>", wit_type(t->element), wit_type(t->error));
    case TypeKind::Tuple: {
        std::string s = "tuple<";
        for (size_t i = 0; i < t->fields.size(); ++i) {
            if (i) s += ", ";
            s += wit_type(t->fields[i].type);
        }
        return s + ">";
    }
    case TypeKind::Own:
        return t->resource && !t->resource->name.empty() ? t->resource->name : "own<_>";
    case TypeKind::Borrow:
        return fmt::format("borrow<{}>",
                           t->resource && !t->resource->name.empty() ? t->resource->name : "_");
    case TypeKind::Record:
    case TypeKind::Variant:
    case TypeKind::Enum:
    case TypeKind::Flags: {
        // An anonymous type that WIT cannot spell inline: describe it.
        std::string s = fmt::format("{} {{", type_kind_name(t->kind));
        bool first = true;
        for (const auto& f : t->fields) {
            s += fmt::format("{} {}: {}", first ? "" : ",", f.name, wit_type(f.type));
            first = false;
        }
        for (const auto& c : t->cases) {
            s += fmt::format("{} {}", first ? "" : ",", c.name);
            if (c.type) s += fmt::format("({})", wit_type(c.type));
            first = false;
        }
        for (const auto& l : t->labels) {
            s += fmt::format("{} {}", first ? "" : ",", l);
            first = false;
        }
        return s + " }";
    }
    default: return type_kind_name(t->kind);
    }
}

std::string wit_func(const FuncType& type) {
    std::string s = "func(";
    for (size_t i = 0; i < type.params.size(); ++i) {
        if (i) s += ", ";
        s += fmt::format("{}: {}", type.params[i].first, wit_type(type.params[i].second));
    }
    s += ")";
    if (type.result) s += fmt::format(" -> {}", wit_type(type.result));
    return s;
}

} // namespace cirrus::component
