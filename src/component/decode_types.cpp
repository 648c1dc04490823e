// Type decoding and validation for the component decoder (design/mvp/Binary.md "Type
// Definitions", Explainer "Type Definitions" and "Type checking"): core value, extern and
// module types, component value types, function, component and instance types, type
// declarations, the external visibility of types and the rules of annotated names.
#include "abi_types.h"
#include "decoder.h"
#include "names.h"

#include <algorithm>

namespace cirrus::component::detail {

Result<wasm::ValType> Decoder::core_val_type(Reader& r) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t b, r.byte());
    switch (b) {
    case 0x7f: return wasm::ValType::I32;
    case 0x7e: return wasm::ValType::I64;
    case 0x7d: return wasm::ValType::F32;
    case 0x7c: return wasm::ValType::F64;
    case 0x7b: return wasm::ValType::V128;
    case 0x70: return wasm::ValType::FuncRef;
    case 0x6f: return wasm::ValType::ExternRef;
    default: return Reader::malformed_at(at, fmt::format("invalid core value type 0x{:x}", b));
    }
}

static Result<wasm::Limits> read_limits(Reader& r) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t flag, r.byte());
    wasm::Limits l;
    if (flag > 1) return Reader::malformed_at(at, "unsupported limits flags");
    CIRRUS_TRY_ASSIGN(l.min, r.u32());
    if (flag == 1) {
        CIRRUS_TRY_ASSIGN(uint32_t max, r.u32());
        l.max = max;
    }
    return l;
}

Result<wasm::ExternType> Decoder::core_extern_type(Reader& r,
                                                   const std::vector<CoreTypeEntry>& types) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
    wasm::ExternType et;
    switch (kind) {
    case 0x00: {
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= types.size() || !types[idx].is_func)
            return Reader::invalid_at(at, fmt::format("core type {} is not a function type", idx));
        et.kind = wasm::ExternKind::Func;
        et.func = types[idx].func;
        return et;
    }
    case 0x01: {
        et.kind = wasm::ExternKind::Table;
        CIRRUS_TRY_ASSIGN(et.table.element, core_val_type(r));
        CIRRUS_TRY_ASSIGN(et.table.limits, read_limits(r));
        return et;
    }
    case 0x02: {
        et.kind = wasm::ExternKind::Memory;
        size_t lat = r.offset();
        CIRRUS_TRY_ASSIGN(et.memory.limits, read_limits(r));
        // 32-bit memories: at most 65536 pages of 64 KiB (as the core validator says).
        if (et.memory.limits.min > 65536 || (et.memory.limits.max && *et.memory.limits.max > 65536))
            return Reader::invalid_at(lat, "memory size must be at most 65536 pages (4 GiB)");
        return et;
    }
    case 0x03: {
        et.kind = wasm::ExternKind::Global;
        CIRRUS_TRY_ASSIGN(et.global.type, core_val_type(r));
        CIRRUS_TRY_ASSIGN(uint8_t m, r.byte());
        if (m > 1) return r.malformed("invalid mutability");
        et.global.mutable_ = m == 1;
        return et;
    }
    default:
        return Reader::malformed_at(at, fmt::format("unsupported core extern kind 0x{:x}", kind));
    }
}

Result<CoreTypeEntry> Decoder::core_type(Reader& r, Scope& s) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t form, r.byte());
    CoreTypeEntry e;
    if (form == 0x60) {
        CIRRUS_TRY_ASSIGN(uint32_t np, r.count());
        for (uint32_t i = 0; i < np; ++i) {
            CIRRUS_TRY_ASSIGN(auto t, core_val_type(r));
            e.func.params.push_back(t);
        }
        CIRRUS_TRY_ASSIGN(uint32_t nr, r.count());
        for (uint32_t i = 0; i < nr; ++i) {
            CIRRUS_TRY_ASSIGN(auto t, core_val_type(r));
            e.func.results.push_back(t);
        }
        return e;
    }
    if (form == 0x50) {
        // A module type: its own core type index space, imports and exports.
        std::vector<CoreTypeEntry> inner;
        CoreModuleType mt;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::set<std::string> export_names;
        std::set<std::pair<std::string, std::string>> import_names;
        for (uint32_t i = 0; i < n; ++i) {
            size_t dat = r.offset();
            CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
            switch (kind) {
            case 0x00: {
                // Two-level import names must differ as the one-level names they mangle to.
                CIRRUS_TRY_ASSIGN(std::string module, r.name());
                CIRRUS_TRY_ASSIGN(std::string name, r.name());
                if (!import_names.insert({module, name}).second)
                    return Reader::invalid_at(
                        dat, fmt::format("duplicate import name `{}:{}`", module, name));
                CIRRUS_TRY_ASSIGN(wasm::ExternType type, core_extern_type(r, inner));
                mt.imports.push_back({std::move(module), std::move(name), std::move(type)});
                break;
            }
            case 0x01: {
                size_t tat = r.offset();
                CIRRUS_TRY_ASSIGN(uint8_t f, r.peek());
                if (f != 0x60) return Reader::invalid_at(tat, "module type inside a module type");
                Scope dummy;
                CIRRUS_TRY_ASSIGN(auto t, core_type(r, dummy));
                inner.push_back(std::move(t));
                break;
            }
            case 0x02: {
                CIRRUS_TRY_ASSIGN(uint8_t sort, r.byte());
                CIRRUS_TRY_ASSIGN(uint8_t k, r.byte());
                if (sort != 0x10 || k != 0x01)
                    return Reader::malformed_at(dat, "invalid alias in module type");
                // An outer alias of a core type: count 0 is this module type, 1 the
                // scope it is declared in, and so on out (Binary.md "core:alias").
                size_t cat = r.offset();
                CIRRUS_TRY_ASSIGN(uint32_t count, r.u32());
                size_t iat = r.offset();
                CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
                const std::vector<CoreTypeEntry>* space = &inner;
                if (count > 0) {
                    Scope* target = &s;
                    for (uint32_t k = 1; k < count && target; ++k) target = target->parent;
                    if (!target)
                        return Reader::invalid_at(
                            cat, fmt::format("invalid outer alias count of {}", count));
                    space = &target->core_types;
                }
                if (idx >= space->size())
                    return Reader::invalid_at(iat,
                                              fmt::format("core type index {} out of bounds", idx));
                if (!(*space)[idx].is_func)
                    return Reader::invalid_at(iat, "a module type can only alias function types");
                CoreTypeEntry aliased = (*space)[idx];
                inner.push_back(std::move(aliased));
                break;
            }
            case 0x03: {
                size_t nat = r.offset();
                CIRRUS_TRY_ASSIGN(std::string nm, r.name());
                if (!export_names.insert(nm).second)
                    return Reader::invalid_at(nat, fmt::format("duplicate export `{}`", nm));
                CIRRUS_TRY_ASSIGN(wasm::ExternType type, core_extern_type(r, inner));
                mt.exports.emplace_back(std::move(nm), std::move(type));
                break;
            }
            default:
                return Reader::malformed_at(
                    dat, fmt::format("invalid module type declaration 0x{:x}", kind));
            }
        }
        e.is_func = false;
        e.module = types_->core_module(std::move(mt));
        return e;
    }
    return Reader::malformed_at(at, fmt::format("unsupported core type form 0x{:x}", form));
}

static bool is_prim_opcode(uint8_t b) {
    return (b >= 0x73 && b <= 0x7f) || b == 0x64;
}

static TypeKind prim_kind(uint8_t b) {
    switch (b) {
    case 0x7f: return TypeKind::Bool;
    case 0x7e: return TypeKind::S8;
    case 0x7d: return TypeKind::U8;
    case 0x7c: return TypeKind::S16;
    case 0x7b: return TypeKind::U16;
    case 0x7a: return TypeKind::S32;
    case 0x79: return TypeKind::U32;
    case 0x78: return TypeKind::S64;
    case 0x77: return TypeKind::U64;
    case 0x76: return TypeKind::F32;
    case 0x75: return TypeKind::F64;
    case 0x74: return TypeKind::Char;
    case 0x73: return TypeKind::String;
    default: return TypeKind::ErrorContext;
    }
}

Result<const ValType*> Decoder::val_type(Reader& r, Scope& s) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t b, r.peek());
    if (b >= 0x40 && b < 0x80) {
        r.byte().value();
        if (!is_prim_opcode(b))
            return Reader::malformed_at(at, fmt::format("invalid value type 0x{:x}", b));
        if (b == 0x64) return Reader::invalid_at(at, "error-context is not supported");
        return ValType::primitive(prim_kind(b));
    }
    CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
    if (idx >= s.types.size())
        return Reader::invalid_at(at, fmt::format("type index {} out of bounds", idx));
    if (s.types[idx].kind != DefType::Kind::Val)
        return Reader::invalid_at(at, fmt::format("type {} is not a defined value type", idx));
    return s.types[idx].val;
}

Result<const ValType*> Decoder::def_val_type(Reader& r, Scope& s, uint8_t op) {
    size_t at = r.offset() - 1;
    if (is_prim_opcode(op)) {
        if (op == 0x64) return Reader::invalid_at(at, "error-context is not supported");
        return ValType::primitive(prim_kind(op));
    }
    ValType t;
    auto label = [&](std::set<std::string>& seen, const char* what) -> Result<std::string> {
        size_t lat = r.offset();
        CIRRUS_TRY_ASSIGN(std::string l, r.name());
        if (!valid_label(l))
            return Reader::invalid_at(lat,
                                      fmt::format("{} name `{}` is not a valid label", what, l));
        if (!seen.insert(lower_ascii(l)).second)
            return Reader::invalid_at(lat, fmt::format("{} name `{}` conflicts with previous {} "
                                                       "name",
                                                       what, l, what));
        return l;
    };
    auto opt_val = [&]() -> Result<const ValType*> {
        CIRRUS_TRY_ASSIGN(uint8_t present, r.byte());
        if (present == 0) return static_cast<const ValType*>(nullptr);
        if (present != 1) return r.malformed("invalid optional value type");
        return val_type(r, s);
    };
    std::set<std::string> seen;
    switch (op) {
    case 0x72: {
        t.kind = TypeKind::Record;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        if (n == 0) return Reader::invalid_at(at, "record type must have at least one field");
        for (uint32_t i = 0; i < n; ++i) {
            CIRRUS_TRY_ASSIGN(std::string l, label(seen, "record field"));
            CIRRUS_TRY_ASSIGN(const ValType* ft, val_type(r, s));
            t.fields.push_back({std::move(l), ft});
        }
        break;
    }
    case 0x71: {
        t.kind = TypeKind::Variant;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        if (n == 0) return Reader::invalid_at(at, "variant type must have at least one case");
        for (uint32_t i = 0; i < n; ++i) {
            CIRRUS_TRY_ASSIGN(std::string l, label(seen, "variant case"));
            CIRRUS_TRY_ASSIGN(const ValType* ct, opt_val());
            CIRRUS_TRY_ASSIGN(uint8_t refines, r.byte());
            if (refines != 0) return r.malformed("variant case refinement is not supported");
            t.cases.push_back({std::move(l), ct});
        }
        break;
    }
    case 0x70: {
        t.kind = TypeKind::List;
        CIRRUS_TRY_ASSIGN(t.element, val_type(r, s));
        break;
    }
    case 0x6f: {
        t.kind = TypeKind::Tuple;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        if (n == 0) return Reader::invalid_at(at, "tuple type must have at least one type");
        for (uint32_t i = 0; i < n; ++i) {
            CIRRUS_TRY_ASSIGN(const ValType* ft, val_type(r, s));
            t.fields.push_back({"", ft});
        }
        break;
    }
    case 0x6e:
    case 0x6d: {
        t.kind = op == 0x6e ? TypeKind::Flags : TypeKind::Enum;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        if (n == 0)
            return Reader::invalid_at(at, op == 0x6e ? "flags must have at least one entry"
                                                     : "enum type must have at least one case");
        if (op == 0x6e && n > 32) return Reader::invalid_at(at, "cannot have more than 32 flags");
        for (uint32_t i = 0; i < n; ++i) {
            CIRRUS_TRY_ASSIGN(std::string l, label(seen, op == 0x6e ? "flag" : "enum tag"));
            t.labels.push_back(std::move(l));
        }
        break;
    }
    case 0x6b: {
        t.kind = TypeKind::Option;
        CIRRUS_TRY_ASSIGN(t.element, val_type(r, s));
        break;
    }
    case 0x6a: {
        t.kind = TypeKind::Result;
        CIRRUS_TRY_ASSIGN(t.element, opt_val());
        CIRRUS_TRY_ASSIGN(t.error, opt_val());
        break;
    }
    case 0x69:
    case 0x68: {
        t.kind = op == 0x69 ? TypeKind::Own : TypeKind::Borrow;
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= s.types.size())
            return Reader::invalid_at(iat, fmt::format("type index {} out of bounds", idx));
        if (s.types[idx].kind != DefType::Kind::Resource)
            return Reader::invalid_at(iat,
                                      fmt::format("type index {} is not a resource type", idx));
        t.resource = s.types[idx].resource;
        if (!s.types[idx].named) {
            const ValType* out = types_->val(std::move(t));
            unnamed_handles_.insert(out);
            return out;
        }
        break;
    }
    case 0x67: return Reader::invalid_at(at, "fixed-length lists are not supported");
    case 0x66:
    case 0x65: return Reader::invalid_at(at, "streams and futures (async) are not supported");
    case 0x63: return Reader::invalid_at(at, "map types are not supported");
    default: return Reader::malformed_at(at, fmt::format("invalid type opcode 0x{:x}", op));
    }
    const ValType* out = types_->val(std::move(t));
    if (type_depth(out) > kMaxTypeDepth) return Reader::invalid_at(at, "type nesting is too deep");
    CIRRUS_TRY(check_size(type_size(out), at));
    if (elem_size(out) >= (1u << 28)) return Reader::invalid_at(at, "type is too large");
    return out;
}

// The nesting depth of a value type (a primitive or a handle is 1), memoized: every type a
// definition refers to was defined, and measured, before it.
uint32_t Decoder::type_depth(const ValType* t) {
    if (!t || is_primitive(t->kind) || t->kind == TypeKind::Own || t->kind == TypeKind::Borrow)
        return 1;
    if (auto it = depths_.find(t); it != depths_.end()) return it->second;
    uint32_t inner = 0;
    inner = std::max({inner, type_depth(t->element), type_depth(t->error)});
    for (const auto& f : t->fields) inner = std::max(inner, type_depth(f.type));
    for (const auto& c : t->cases) inner = std::max(inner, type_depth(c.type));
    depths_.emplace(t, inner + 1);
    return inner + 1;
}

Result<const FuncType*> Decoder::func_type(Reader& r, Scope& s) {
    FuncType ft;
    std::set<std::string> seen;
    CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
    for (uint32_t i = 0; i < n; ++i) {
        size_t lat = r.offset();
        CIRRUS_TRY_ASSIGN(std::string l, r.name());
        if (!valid_label(l))
            return Reader::invalid_at(lat, fmt::format("function parameter name `{}` is not a "
                                                       "valid label",
                                                       l));
        if (!seen.insert(lower_ascii(l)).second)
            return Reader::invalid_at(lat, fmt::format("function parameter name `{}` conflicts "
                                                       "with previous parameter name",
                                                       l));
        CIRRUS_TRY_ASSIGN(const ValType* t, val_type(r, s));
        ft.params.emplace_back(std::move(l), t);
    }
    size_t rat = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t tag, r.byte());
    if (tag == 0x00) {
        CIRRUS_TRY_ASSIGN(ft.result, val_type(r, s));
    } else if (tag == 0x01) {
        CIRRUS_TRY_ASSIGN(uint8_t zero, r.byte());
        if (zero != 0x00)
            return Reader::malformed_at(rat, "named function results are not supported");
    } else {
        return Reader::malformed_at(rat, fmt::format("invalid result list tag 0x{:x}", tag));
    }
    if (contains_borrow(ft.result))
        return Reader::invalid_at(rat, "function result cannot contain a `borrow` type");
    const FuncType* out = types_->func(std::move(ft));
    CIRRUS_TRY(check_size(type_size(out), rat));
    return out;
}

// The type rules of annotated names (Explainer "Import and Export Definitions", Binary.md):
// `[constructor]R` returns `(own $R)` or `(result (own $R) (error E)?)`, `[method]R.m` takes a
// first `(param "self" (borrow $R))`, and `[static]R.m` needs `R`; where `$R` is the resource
// type imported or exported as `R` in the same namespace (`space`: the imports so far for an
// import, the exports so far for an export).
Result<void> Decoder::check_annotated(const std::string& name, const ExternType& et,
                                      const std::vector<std::pair<std::string, ExternType>>& space,
                                      size_t at) const {
    std::string_view n = name;
    enum { Constructor, Method, Static } kind;
    std::string_view rest;
    if (n.starts_with("[constructor]")) {
        kind = Constructor;
        rest = n.substr(13);
    } else if (n.starts_with("[method]")) {
        kind = Method;
        rest = n.substr(8);
    } else if (n.starts_with("[static]")) {
        kind = Static;
        rest = n.substr(8);
    } else {
        return {};
    }
    std::string resource_name(kind == Constructor ? rest : rest.substr(0, rest.find('.')));
    auto bad = [&](std::string why) {
        return Reader::invalid_at(at, fmt::format("`{}`: {}", name, why));
    };
    if (et.sort != Sort::Func) return bad("is not a func");
    const ResourceType* expected = nullptr;
    for (const auto& [other, oet] : space) {
        if (other == resource_name && oet.sort == Sort::Type && oet.resource)
            expected = oet.resource;
    }
    auto handle_named = [&](const ValType* handle) -> Result<void> {
        if (!expected)
            return bad(fmt::format("resource used in function does not have a name in this "
                                   "context (no resource `{}`)",
                                   resource_name));
        if (handle->resource != expected)
            return bad(
                fmt::format("function does not match expected resource name `{}`", resource_name));
        return {};
    };
    const FuncType* f = et.func;
    switch (kind) {
    case Constructor: {
        if (!f->result) return bad("a constructor should return one value");
        const ValType* r = f->result;
        if (r->kind == TypeKind::Result && r->element) r = r->element;
        if (r->kind != TypeKind::Own)
            return bad("function should return `(own $T)` or `(result (own $T))`");
        return handle_named(r);
    }
    case Method: {
        if (f->params.empty()) return bad("a method should have at least one argument");
        if (f->params[0].first != "self") return bad("should have a first argument called `self`");
        if (f->params[0].second->kind != TypeKind::Borrow)
            return bad("should take a first argument of `(borrow $T)`");
        return handle_named(f->params[0].second);
    }
    case Static:
        if (!expected)
            return bad(fmt::format("static resource name is not known in this context (no "
                                   "resource `{}`)",
                                   resource_name));
        return {};
    }
    return {};
}

Result<ExternType> Decoder::extern_type(Reader& r, Scope& s, const std::string& name) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
    ExternType et;
    auto type_at = [&](DefType::Kind want, const char* what) -> Result<DefType> {
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= s.types.size())
            return Reader::invalid_at(iat, fmt::format("type index {} out of bounds", idx));
        if (s.types[idx].kind != want)
            return Reader::invalid_at(iat,
                                      fmt::format("type index {} is not a {} type", idx, what));
        return s.types[idx];
    };
    switch (kind) {
    case 0x00: {
        CIRRUS_TRY_ASSIGN(uint8_t k2, r.byte());
        if (k2 != 0x11) return Reader::malformed_at(at, "invalid core extern type");
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= s.core_types.size() || s.core_types[idx].is_func)
            return Reader::invalid_at(iat,
                                      fmt::format("core type index {} is not a module type", idx));
        et.sort = Sort::CoreModule;
        et.core_module = s.core_types[idx].module;
        return et;
    }
    case 0x01: {
        et.sort = Sort::Func;
        CIRRUS_TRY_ASSIGN(DefType dt, type_at(DefType::Kind::Func, "function"));
        et.func = dt.func;
        return et;
    }
    case 0x02: return Reader::invalid_at(at, "value imports and exports are not supported");
    case 0x03: {
        et.sort = Sort::Type;
        size_t bat = r.offset();
        CIRRUS_TRY_ASSIGN(uint8_t bound, r.byte());
        if (bound == 0x00) {
            size_t iat = r.offset();
            CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
            if (idx >= s.types.size())
                return Reader::invalid_at(iat, fmt::format("type index {} out of bounds", idx));
            const DefType& dt = s.types[idx];
            if (dt.kind == DefType::Kind::Resource) {
                et.resource = dt.resource;
            } else if (dt.kind == DefType::Kind::Val) {
                // A named value type: keep a copy carrying the name for WIT printing.
                ValType named = *dt.val;
                named.name = name;
                named.named_from = dt.val;
                et.value_type = types_->val(std::move(named));
            } else if (dt.kind == DefType::Kind::Func) {
                et.func = dt.func;
            } else if (dt.kind == DefType::Kind::Component) {
                et.component = dt.component;
            } else if (dt.kind == DefType::Kind::Instance) {
                et.instance = dt.instance;
            } else {
                return Reader::invalid_at(iat, "a core module type cannot be exported");
            }
        } else if (bound == 0x01) {
            et.resource = new_resource(name);
        } else {
            return Reader::malformed_at(bat, fmt::format("invalid type bound 0x{:x}", bound));
        }
        return et;
    }
    case 0x04: {
        et.sort = Sort::Component;
        CIRRUS_TRY_ASSIGN(DefType dt, type_at(DefType::Kind::Component, "component"));
        et.component = dt.component;
        return et;
    }
    case 0x05: {
        et.sort = Sort::Instance;
        CIRRUS_TRY_ASSIGN(DefType dt, type_at(DefType::Kind::Instance, "instance"));
        et.instance = dt.instance;
        return et;
    }
    default: return Reader::malformed_at(at, fmt::format("invalid extern type 0x{:x}", kind));
    }
}

// One declaration of a component type (allow_import) or instance type.
Result<void> Decoder::type_decl(Reader& r, Scope& scope, bool allow_import) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
    switch (kind) {
    case 0x00: {
        CIRRUS_TRY_ASSIGN(auto ct, core_type(r, scope));
        scope.core_types.push_back(std::move(ct));
        return {};
    }
    case 0x01: {
        size_t tat = r.offset();
        CIRRUS_TRY_ASSIGN(uint8_t op, r.peek());
        if (op == 0x3f)
            return Reader::invalid_at(tat, "resource types cannot be defined in a "
                                           "component or instance type");
        CIRRUS_TRY_ASSIGN(DefType dt, def_type(r, scope));
        scope.types.push_back(dt);
        return {};
    }
    case 0x02: return alias(r, scope, nullptr);
    case 0x03: {
        if (!allow_import)
            return Reader::malformed_at(at, "imports are not allowed in instance types");
        return import(r, scope, nullptr);
    }
    case 0x04: {
        size_t nat = r.offset();
        NameAttrs attrs;
        CIRRUS_TRY_ASSIGN(std::string name, extern_name(r, &attrs));
        CIRRUS_TRY(add_name(r, scope.export_names, name, nat, "export"));
        CIRRUS_TRY_ASSIGN(ExternType et, extern_type(r, scope, name));
        et = fresh_instance(et);
        CIRRUS_TRY(check_implements(name, attrs, et));
        CIRRUS_TRY(check_named(scope, et, false, nat));
        CIRRUS_TRY(check_annotated(name, et, scope.exports, nat));
        scope.exports.emplace_back(name, et);
        push_extern(scope, et, nullptr, nullptr);
        return {};
    }
    default: return Reader::malformed_at(at, fmt::format("invalid type declaration 0x{:x}", kind));
    }
}

Result<const ComponentType*> Decoder::component_type(Reader& r, Scope& s) {
    Scope inner;
    inner.parent = &s;
    inner.is_component = false;
    inner.depth = s.depth + 1;
    if (inner.depth > kMaxTypeDepth) return r.invalid("type nesting is too deep");
    uint32_t first = next_resource_;
    CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
    for (uint32_t i = 0; i < n; ++i) CIRRUS_TRY(type_decl(r, inner, true));
    const ComponentType* ct = types_->component(ComponentType{inner.imports, inner.exports});
    created_[ct] = {first, next_resource_};
    CIRRUS_TRY(check_size(type_size(ct), r.offset()));
    return ct;
}

Result<const InstanceType*> Decoder::instance_type(Reader& r, Scope& s) {
    Scope inner;
    inner.parent = &s;
    inner.is_component = false;
    inner.is_instance_type = true;
    inner.depth = s.depth + 1;
    if (inner.depth > kMaxTypeDepth) return r.invalid("type nesting is too deep");
    uint32_t first = next_resource_;
    CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
    for (uint32_t i = 0; i < n; ++i) CIRRUS_TRY(type_decl(r, inner, false));
    const InstanceType* it = types_->instance(InstanceType{inner.exports});
    created_[it] = {first, next_resource_};
    CIRRUS_TRY(check_size(type_size(it), r.offset()));
    return it;
}

Result<DefType> Decoder::def_type(Reader& r, Scope& s) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t op, r.byte());
    DefType dt;
    switch (op) {
    case 0x40: {
        dt.kind = DefType::Kind::Func;
        CIRRUS_TRY_ASSIGN(dt.func, func_type(r, s));
        return dt;
    }
    case 0x43: return Reader::invalid_at(at, "async function types are not supported");
    case 0x41: {
        dt.kind = DefType::Kind::Component;
        CIRRUS_TRY_ASSIGN(dt.component, component_type(r, s));
        return dt;
    }
    case 0x42: {
        dt.kind = DefType::Kind::Instance;
        CIRRUS_TRY_ASSIGN(dt.instance, instance_type(r, s));
        return dt;
    }
    case 0x3f:
        // Resource definitions are handled by the type section itself (they need the
        // component's core functions for the destructor).
        return Reader::invalid_at(at, "resource type definition is not allowed here");
    default: {
        dt.kind = DefType::Kind::Val;
        CIRRUS_TRY_ASSIGN(dt.val, def_val_type(r, s, op));
        return dt;
    }
    }
}

} // namespace cirrus::component::detail
