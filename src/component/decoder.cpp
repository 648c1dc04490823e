// Decoder and validator of component binaries (design/mvp/Binary.md). One pass: every section
// is read, each definition is checked against the index spaces built so far (as the spec
// builds them incrementally) and appended to ComponentData::defs for instantiation. Errors are
// Malformed (cannot be read) or Invalid (breaks a rule) and carry the byte offset.
#include "decoder.h"
#include "abi_types.h"
#include "names.h"

#include <algorithm>

namespace cirrus::component::detail {

Result<std::string> Decoder::extern_name(Reader& r, NameAttrs* attrs) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t tag, r.byte());
    if (tag > 0x02) return Reader::malformed_at(at, fmt::format("invalid name tag 0x{:x}", tag));
    CIRRUS_TRY_ASSIGN(std::string name, r.name());
    if (!valid_extern_name(name))
        return Reader::invalid_at(at, fmt::format("`{}` is not a valid extern name", name));
    if (tag == 0x02) {
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::set<uint8_t> seen;
        for (uint32_t i = 0; i < n; ++i) {
            size_t aat = r.offset();
            CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
            if (kind > 0x02)
                return Reader::malformed_at(aat, fmt::format("invalid attribute 0x{:x}", kind));
            if (!seen.insert(kind).second)
                return Reader::invalid_at(aat, "duplicate name attribute");
            CIRRUS_TRY_ASSIGN(std::string value, r.name());
            if (kind == 0x00) {
                // implements: an interface name (checked against the extern once its type is
                // known).
                if (value.empty() || value.find(':') == std::string::npos ||
                    !valid_extern_name(value))
                    return Reader::invalid_at(
                        aat, fmt::format("`implements` value `{}` is not a valid name: it must "
                                         "be an interface name",
                                         value));
                if (attrs) {
                    attrs->implements = value;
                    attrs->implements_at = aat;
                }
            } else if (kind == 0x01) {
                // versionsuffix: the name carries a canonical version, and the two together
                // are a valid semver.
                size_t vat = name.find('@');
                std::string_view canon = vat == std::string::npos
                                             ? std::string_view()
                                             : std::string_view(name).substr(vat + 1);
                bool canonical = !canon.empty() &&
                                 std::count(canon.begin(), canon.end(), '.') < 2 &&
                                 canon.find_first_not_of("0123456789.") == std::string_view::npos;
                if (!canonical || !valid_semver(std::string(canon) + value))
                    return Reader::invalid_at(
                        aat, fmt::format("version suffix `{}` does not complete the version of "
                                         "`{}` to a valid semver",
                                         value, name));
            }
        }
    }
    return name;
}

// implements: only on instances, and only with a plain name (Binary.md).
Result<void> Decoder::check_implements(const std::string& name, const NameAttrs& attrs,
                                       const ExternType& et) const {
    if (attrs.implements.empty()) return {};
    if (et.sort != Sort::Instance)
        return Reader::invalid_at(
            attrs.implements_at,
            fmt::format("`{}`: only instances can have an `implements`", name));
    if (name.find(':') != std::string::npos || name.starts_with('['))
        return Reader::invalid_at(attrs.implements_at,
                                  fmt::format("name `{}` is not valid with `implements`", name));
    return {};
}

Result<void> Decoder::add_name(const Reader&, std::set<std::string>& names, const std::string& name,
                               size_t at, const char* what) {
    // Strongly unique: no two names may be the same once canonicalized.
    if (!names.insert(canonical_name(name)).second)
        return Reader::invalid_at(
            at, fmt::format("{} name `{}` conflicts with a previous name", what, name));
    return {};
}

void Decoder::push_extern(Scope& s, const ExternType& et, ComponentData*, Def* def) {
    switch (et.sort) {
    case Sort::CoreModule:
        s.modules.push_back(nullptr);
        s.module_types.push_back(et.core_module);
        if (def) def->space = Space::CoreModule;
        break;
    case Sort::Func:
        s.funcs.push_back(et.func);
        if (def) def->space = Space::Func;
        break;
    case Sort::Value:
        ++s.values;
        if (def) def->space = Space::Value;
        break;
    case Sort::Type: {
        DefType dt;
        dt.named = true;
        if (et.resource) {
            dt.kind = DefType::Kind::Resource;
            dt.resource = et.resource;
        } else if (et.func) {
            dt.kind = DefType::Kind::Func;
            dt.func = et.func;
        } else if (et.component) {
            dt.kind = DefType::Kind::Component;
            dt.component = et.component;
        } else if (et.instance) {
            dt.kind = DefType::Kind::Instance;
            dt.instance = et.instance;
        } else {
            dt.kind = DefType::Kind::Val;
            dt.val = et.value_type;
        }
        s.types.push_back(dt);
        if (def) {
            def->space = Space::Type;
            def->resource = et.resource;
        }
        break;
    }
    case Sort::Component:
        s.components.push_back(et.component);
        if (def) def->space = Space::Component;
        break;
    case Sort::Instance:
        s.instances.push_back(et.instance);
        if (def) def->space = Space::Instance;
        break;
    }
}

Result<SortIdx> Decoder::sort_idx(Reader& r, Scope& s, bool core_only) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t b, r.byte());
    SortIdx si;
    auto core_space = [&](uint8_t c) -> Result<Space> {
        switch (c) {
        case 0x00: return Space::CoreFunc;
        case 0x01: return Space::CoreTable;
        case 0x02: return Space::CoreMemory;
        case 0x03: return Space::CoreGlobal;
        case 0x04: return Space::CoreTag;
        case 0x10: return Space::CoreType;
        case 0x11: return Space::CoreModule;
        case 0x12: return Space::CoreInstance;
        default: return Reader::malformed_at(at, fmt::format("invalid core sort 0x{:x}", c));
        }
    };
    if (core_only) {
        CIRRUS_TRY_ASSIGN(si.space, core_space(b));
    } else {
        switch (b) {
        case 0x00: {
            CIRRUS_TRY_ASSIGN(uint8_t c, r.byte());
            CIRRUS_TRY_ASSIGN(si.space, core_space(c));
            break;
        }
        case 0x01: si.space = Space::Func; break;
        case 0x02: si.space = Space::Value; break;
        case 0x03: si.space = Space::Type; break;
        case 0x04: si.space = Space::Component; break;
        case 0x05: si.space = Space::Instance; break;
        default: return Reader::malformed_at(at, fmt::format("invalid sort 0x{:x}", b));
        }
    }
    size_t iat = r.offset();
    CIRRUS_TRY_ASSIGN(si.index, r.u32());
    CIRRUS_TRY(check_index(r, s, si, iat));
    return si;
}

static size_t space_size(const Scope& s, Space sp) {
    switch (sp) {
    case Space::CoreFunc: return s.core_funcs.size();
    case Space::CoreTable: return s.core_tables.size();
    case Space::CoreMemory: return s.core_memories.size();
    case Space::CoreGlobal: return s.core_globals.size();
    case Space::CoreTag: return s.core_tags;
    case Space::CoreType: return s.core_types.size();
    case Space::CoreModule: return s.modules.size();
    case Space::CoreInstance: return s.core_instances.size();
    case Space::Func: return s.funcs.size();
    case Space::Value: return s.values;
    case Space::Type: return s.types.size();
    case Space::Component: return s.components.size();
    case Space::Instance: return s.instances.size();
    case Space::None: return 0;
    }
    return 0;
}

Result<void> Decoder::check_index(const Reader&, Scope& s, SortIdx si, size_t at) {
    if (si.index >= space_size(s, si.space))
        return Reader::invalid_at(
            at, fmt::format("{} index {} out of bounds", space_name(si.space), si.index));
    return {};
}

Result<ExternType> Decoder::extern_of(const Reader&, Scope& s, SortIdx si, size_t at) {
    ExternType et;
    switch (si.space) {
    case Space::CoreModule:
        et.sort = Sort::CoreModule;
        et.core_module = s.module_types[si.index];
        return et;
    case Space::Func:
        et.sort = Sort::Func;
        et.func = s.funcs[si.index];
        return et;
    case Space::Type: {
        et.sort = Sort::Type;
        const DefType& dt = s.types[si.index];
        if (dt.kind == DefType::Kind::Resource)
            et.resource = dt.resource;
        else if (dt.kind == DefType::Kind::Val)
            et.value_type = dt.val;
        else if (dt.kind == DefType::Kind::Func)
            et.func = dt.func;
        else if (dt.kind == DefType::Kind::Component)
            et.component = dt.component;
        else if (dt.kind == DefType::Kind::Instance)
            et.instance = dt.instance;
        else
            return Reader::invalid_at(at, "a core module type cannot be exported");
        return et;
    }
    case Space::Component:
        et.sort = Sort::Component;
        et.component = s.components[si.index];
        return et;
    case Space::Instance:
        et.sort = Sort::Instance;
        et.instance = s.instances[si.index];
        return et;
    case Space::Value: return Reader::invalid_at(at, "values are not supported");
    default:
        return Reader::invalid_at(at, fmt::format("a core {} cannot be exported or passed to a "
                                                  "component",
                                                  space_name(si.space)));
    }
}

Result<wasm::ExternType> Decoder::core_extern_of(Scope& s, SortIdx si) {
    wasm::ExternType et;
    switch (si.space) {
    case Space::CoreFunc:
        et.kind = wasm::ExternKind::Func;
        et.func = s.core_funcs[si.index];
        return et;
    case Space::CoreTable: return s.core_tables[si.index];
    case Space::CoreMemory: return s.core_memories[si.index];
    case Space::CoreGlobal: return s.core_globals[si.index];
    default:
        return Error(ErrorKind::Invalid,
                     fmt::format("core {} cannot be a core instance export", space_name(si.space)));
    }
}

const CoreModuleType* Decoder::module_type_of(const wasm::Module& module) {
    CoreModuleType mt;
    mt.imports = module.imports();
    for (const auto& ex : module.exports()) mt.exports.emplace_back(ex.name, ex.type);
    return types_->core_module(std::move(mt));
}

Result<void> Decoder::core_instance(Reader& r, Scope& s, ComponentData& d) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
    Def def;
    def.space = Space::CoreInstance;
    CoreExports exports;
    if (kind == 0x00) {
        def.op = Def::Op::CoreInstantiate;
        size_t mat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        if (def.a >= s.modules.size())
            return Reader::invalid_at(mat, fmt::format("module index {} out of bounds", def.a));
        const CoreModuleType* module = s.module_types[def.a];
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::map<std::string, uint32_t> args;
        for (uint32_t i = 0; i < n; ++i) {
            size_t aat = r.offset();
            CIRRUS_TRY_ASSIGN(std::string name, r.name());
            CIRRUS_TRY_ASSIGN(uint8_t sort, r.byte());
            if (sort != 0x12)
                return Reader::malformed_at(aat, "core instantiation argument must be an instance");
            size_t iat = r.offset();
            CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
            if (idx >= s.core_instances.size())
                return Reader::invalid_at(iat,
                                          fmt::format("core instance index {} out of bounds", idx));
            if (!args.emplace(name, idx).second)
                return Reader::invalid_at(aat, fmt::format("duplicate module instantiation "
                                                           "argument named `{}`",
                                                           name));
            def.args.push_back({name, {Space::CoreInstance, idx}});
        }
        for (const auto& imp : module->imports) {
            auto it = args.find(imp.module);
            if (it == args.end())
                return Reader::invalid_at(at, fmt::format("missing module instantiation argument "
                                                          "named `{}`",
                                                          imp.module));
            const CoreExports& inst = s.core_instances[it->second];
            const wasm::ExternType* found = nullptr;
            for (const auto& [n, t] : inst) {
                if (n == imp.name) found = &t;
            }
            if (!found)
                return Reader::invalid_at(at, fmt::format("module instantiation argument `{}` "
                                                          "does not export an item named `{}`",
                                                          imp.module, imp.name));
            if (!core_extern_subtype(*found, imp.type))
                return Reader::invalid_at(at, fmt::format("type mismatch for export `{}` of "
                                                          "module instantiation argument `{}`",
                                                          imp.name, imp.module));
        }
        exports = module->exports;
    } else if (kind == 0x01) {
        def.op = Def::Op::CoreInlineExports;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::set<std::string> names;
        for (uint32_t i = 0; i < n; ++i) {
            size_t nat = r.offset();
            CIRRUS_TRY_ASSIGN(std::string name, r.name());
            if (!names.insert(name).second)
                return Reader::invalid_at(nat,
                                          fmt::format("export name `{}` already defined", name));
            CIRRUS_TRY_ASSIGN(SortIdx si, sort_idx(r, s, true));
            CIRRUS_TRY_ASSIGN(wasm::ExternType et, core_extern_of(s, si));
            exports.emplace_back(name, et);
            def.args.push_back({name, si});
        }
    } else {
        return Reader::malformed_at(at, fmt::format("invalid core instance kind 0x{:x}", kind));
    }
    s.core_instances.push_back(std::move(exports));
    d.defs.push_back(std::move(def));
    return {};
}

Result<void> Decoder::instance(Reader& r, Scope& s, ComponentData& d) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t kind, r.byte());
    Def def;
    def.space = Space::Instance;
    InstanceType it;
    if (kind == 0x00) {
        def.op = Def::Op::Instantiate;
        size_t cat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        if (def.a >= s.components.size())
            return Reader::invalid_at(cat, fmt::format("component index {} out of bounds", def.a));
        const ComponentType* ct = s.components[def.a];
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::map<std::string, ExternType> args;
        for (uint32_t i = 0; i < n; ++i) {
            size_t aat = r.offset();
            CIRRUS_TRY_ASSIGN(std::string name, r.name());
            CIRRUS_TRY_ASSIGN(SortIdx si, sort_idx(r, s, false));
            CIRRUS_TRY_ASSIGN(ExternType et, extern_of(r, s, si, aat));
            if (!args.emplace(name, et).second)
                return Reader::invalid_at(aat, fmt::format("instantiation argument `{}` conflicts "
                                                           "with previous argument",
                                                           name));
            def.args.push_back({name, si});
        }
        CIRRUS_TRY_ASSIGN(const InstanceType* type, instantiate_type(ct, args, at));
        it = *type;
    } else if (kind == 0x01) {
        def.op = Def::Op::InlineExports;
        CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
        std::set<std::string> names;
        for (uint32_t i = 0; i < n; ++i) {
            size_t nat = r.offset();
            NameAttrs attrs;
            CIRRUS_TRY_ASSIGN(std::string name, extern_name(r, &attrs));
            CIRRUS_TRY(add_name(r, names, name, nat, "instance export"));
            CIRRUS_TRY_ASSIGN(SortIdx si, sort_idx(r, s, false));
            CIRRUS_TRY_ASSIGN(ExternType et, extern_of(r, s, si, nat));
            CIRRUS_TRY(check_implements(name, attrs, et));
            // A synthesized instance type follows the rules of annotated names too, and its
            // exports name no new types: the resources an annotated function uses must have a
            // name outside it.
            CIRRUS_TRY(check_annotated(name, et, it.exports, nat));
            if (et.sort == Sort::Func && name.starts_with('[') && !func_visible(s, et.func, false))
                return Reader::invalid_at(nat, fmt::format("`{}`: resource used in function does "
                                                           "not have a name in this context",
                                                           name));
            it.exports.emplace_back(name, et);
            def.args.push_back({name, si});
        }
    } else {
        return Reader::malformed_at(at, fmt::format("invalid instance kind 0x{:x}", kind));
    }
    const InstanceType* type = types_->instance(std::move(it));
    CIRRUS_TRY(check_size(type_size(type), at));
    s.instances.push_back(type);
    d.defs.push_back(std::move(def));
    return {};
}

Result<void> Decoder::alias(Reader& r, Scope& s, ComponentData* d) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t sort_byte, r.byte());
    Space space;
    if (sort_byte == 0x00) {
        CIRRUS_TRY_ASSIGN(uint8_t c, r.byte());
        switch (c) {
        case 0x00: space = Space::CoreFunc; break;
        case 0x01: space = Space::CoreTable; break;
        case 0x02: space = Space::CoreMemory; break;
        case 0x03: space = Space::CoreGlobal; break;
        case 0x04: space = Space::CoreTag; break;
        case 0x10: space = Space::CoreType; break;
        case 0x11: space = Space::CoreModule; break;
        case 0x12: space = Space::CoreInstance; break;
        default: return Reader::malformed_at(at, fmt::format("invalid core sort 0x{:x}", c));
        }
    } else {
        switch (sort_byte) {
        case 0x01: space = Space::Func; break;
        case 0x02: space = Space::Value; break;
        case 0x03: space = Space::Type; break;
        case 0x04: space = Space::Component; break;
        case 0x05: space = Space::Instance; break;
        default: return Reader::malformed_at(at, fmt::format("invalid sort 0x{:x}", sort_byte));
        }
    }
    CIRRUS_TRY_ASSIGN(uint8_t target, r.byte());
    Def def;
    def.space = space;
    if (target == 0x00) {
        def.op = Def::Op::AliasExport;
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        CIRRUS_TRY_ASSIGN(def.name, r.name());
        if (def.a >= s.instances.size())
            return Reader::invalid_at(iat, fmt::format("instance index {} out of bounds", def.a));
        if (!s.is_component && space != Space::Instance && space != Space::Type)
            return Reader::invalid_at(at, "only instance and type export aliases are allowed in "
                                          "type declarations");
        const ExternType* et = s.instances[def.a]->find(def.name);
        if (!et)
            return Reader::invalid_at(
                iat, fmt::format("instance {} has no export named `{}`", def.a, def.name));
        if (space_of(et->sort) != space)
            return Reader::invalid_at(iat, fmt::format("export `{}` of instance {} is a {}, not "
                                                       "a {}",
                                                       def.name, def.a, sort_name(et->sort),
                                                       space_name(space)));
        push_extern(s, *et, d, &def);
    } else if (target == 0x01) {
        def.op = Def::Op::AliasCoreExport;
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        CIRRUS_TRY_ASSIGN(def.name, r.name());
        if (!s.is_component)
            return Reader::invalid_at(at, "core export aliases are not allowed in type "
                                          "declarations");
        if (def.a >= s.core_instances.size())
            return Reader::invalid_at(iat,
                                      fmt::format("core instance index {} out of bounds", def.a));
        const wasm::ExternType* found = nullptr;
        for (const auto& [n, t] : s.core_instances[def.a]) {
            if (n == def.name) found = &t;
        }
        if (!found)
            return Reader::invalid_at(
                iat, fmt::format("core instance {} has no export named `{}`", def.a, def.name));
        Space want = Space::None;
        switch (found->kind) {
        case wasm::ExternKind::Func: want = Space::CoreFunc; break;
        case wasm::ExternKind::Table: want = Space::CoreTable; break;
        case wasm::ExternKind::Memory: want = Space::CoreMemory; break;
        case wasm::ExternKind::Global: want = Space::CoreGlobal; break;
        }
        if (want != space)
            return Reader::invalid_at(iat, fmt::format("export `{}` of core instance {} is not a "
                                                       "{}",
                                                       def.name, def.a, space_name(space)));
        switch (space) {
        case Space::CoreFunc: s.core_funcs.push_back(found->func); break;
        case Space::CoreTable: s.core_tables.push_back(*found); break;
        case Space::CoreMemory: s.core_memories.push_back(*found); break;
        case Space::CoreGlobal: s.core_globals.push_back(*found); break;
        default: break;
        }
    } else if (target == 0x02) {
        def.op = Def::Op::AliasOuter;
        size_t cat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(def.b, r.u32());
        if (space != Space::Type && space != Space::CoreType && space != Space::CoreModule &&
            space != Space::Component)
            return Reader::invalid_at(at, "outer aliases may only refer to types, modules and "
                                          "components");
        if (!s.is_component && space != Space::Type && space != Space::CoreType)
            return Reader::invalid_at(at, "only type outer aliases are allowed in type "
                                          "declarations");
        Scope* target_scope = &s;
        bool leaves_component = false;
        for (uint32_t i = 0; i < def.a; ++i) {
            leaves_component |= target_scope->is_component;
            target_scope = target_scope->parent;
            if (!target_scope)
                return Reader::invalid_at(cat,
                                          fmt::format("invalid outer alias count of {}", def.a));
        }
        if (def.b >= space_size(*target_scope, space))
            return Reader::invalid_at(
                iat, fmt::format("{} index {} out of bounds", space_name(space), def.b));
        // Resource types are generative: one instance of the inner component must not share
        // them with another (Explainer "Alias Definitions").
        if (space == Space::Type && leaves_component &&
            refers_to_resources(target_scope->types[def.b]))
            return Reader::invalid_at(iat, fmt::format("type {} transitively refers to resources "
                                                       "and cannot be aliased into a nested "
                                                       "component",
                                                       def.b));
        switch (space) {
        case Space::Type:
            s.types.push_back(target_scope->types[def.b]);
            def.resource = target_scope->types[def.b].resource;
            break;
        case Space::CoreType: s.core_types.push_back(target_scope->core_types[def.b]); break;
        case Space::CoreModule:
            s.modules.push_back(target_scope->modules[def.b]);
            s.module_types.push_back(target_scope->module_types[def.b]);
            break;
        case Space::Component: s.components.push_back(target_scope->components[def.b]); break;
        default: break;
        }
    } else {
        return Reader::malformed_at(at, fmt::format("invalid alias target 0x{:x}", target));
    }
    if (d) d->defs.push_back(std::move(def));
    return {};
}

Result<CanonOptions> Decoder::canon_options(Reader& r, Scope& s) {
    CanonOptions o;
    bool have_encoding = false;
    CIRRUS_TRY_ASSIGN(uint32_t n, r.count());
    for (uint32_t i = 0; i < n; ++i) {
        size_t at = r.offset();
        CIRRUS_TRY_ASSIGN(uint8_t op, r.byte());
        switch (op) {
        case 0x00:
        case 0x01:
        case 0x02:
            if (have_encoding)
                return Reader::invalid_at(at, "canonical encoding option `utf8` conflicts with "
                                              "another encoding option");
            have_encoding = true;
            o.encoding = op;
            break;
        case 0x03: {
            if (o.memory) return Reader::invalid_at(at, "`memory` is specified more than once");
            CIRRUS_TRY_ASSIGN(uint32_t m, r.u32());
            if (m >= s.core_memories.size())
                return Reader::invalid_at(at, fmt::format("memory index {} out of bounds", m));
            o.memory = m;
            break;
        }
        case 0x04: {
            if (o.realloc) return Reader::invalid_at(at, "`realloc` is specified more than once");
            CIRRUS_TRY_ASSIGN(uint32_t f, r.u32());
            if (f >= s.core_funcs.size())
                return Reader::invalid_at(at,
                                          fmt::format("core function index {} out of bounds", f));
            wasm::FuncType want{
                {wasm::ValType::I32, wasm::ValType::I32, wasm::ValType::I32, wasm::ValType::I32},
                {wasm::ValType::I32}};
            if (!(s.core_funcs[f] == want))
                return Reader::invalid_at(at, "canonical option `realloc` uses a core function "
                                              "with an incorrect signature");
            o.realloc = f;
            break;
        }
        case 0x05: {
            if (o.post_return)
                return Reader::invalid_at(at, "`post-return` is specified more than once");
            CIRRUS_TRY_ASSIGN(uint32_t f, r.u32());
            if (f >= s.core_funcs.size())
                return Reader::invalid_at(at,
                                          fmt::format("core function index {} out of bounds", f));
            o.post_return = f;
            break;
        }
        case 0x06:
        case 0x07: return Reader::invalid_at(at, "async canonical options are not supported");
        default:
            return Reader::malformed_at(at, fmt::format("invalid canonical option 0x{:x}", op));
        }
    }
    return o;
}

static std::string core_sig(const std::vector<wasm::ValType>& p,
                            const std::vector<wasm::ValType>& r) {
    return wasm::FuncType{p, r}.to_string();
}

Result<void> Decoder::canon(Reader& r, Scope& s, ComponentData& d) {
    size_t at = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t op, r.byte());
    Def def;
    auto resource_operand = [&]() -> Result<const ResourceType*> {
        size_t iat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        if (def.a >= s.types.size())
            return Reader::invalid_at(iat, fmt::format("type index {} out of bounds", def.a));
        if (s.types[def.a].kind != DefType::Kind::Resource)
            return Reader::invalid_at(iat,
                                      fmt::format("type index {} is not a resource type", def.a));
        return s.types[def.a].resource;
    };
    using VT = wasm::ValType;
    switch (op) {
    case 0x00: {
        CIRRUS_TRY_ASSIGN(uint8_t z, r.byte());
        if (z != 0x00) return Reader::malformed_at(at, "invalid canon lift encoding");
        def.op = Def::Op::CanonLift;
        def.space = Space::Func;
        size_t fat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        if (def.a >= s.core_funcs.size())
            return Reader::invalid_at(fat,
                                      fmt::format("core function index {} out of bounds", def.a));
        CIRRUS_TRY_ASSIGN(def.opts, canon_options(r, s));
        size_t tat = r.offset();
        CIRRUS_TRY_ASSIGN(uint32_t ti, r.u32());
        if (ti >= s.types.size() || s.types[ti].kind != DefType::Kind::Func)
            return Reader::invalid_at(tat, fmt::format("type index {} is not a function type", ti));
        def.func_type = s.types[ti].func;
        FlatSignature sig = flatten_functype(*def.func_type, true);
        const wasm::FuncType& core = s.core_funcs[def.a];
        if (core.params != sig.params || core.results != sig.results)
            return Reader::invalid_at(fat, fmt::format("lowered function type `{}` does not match "
                                                       "the core function's type `{}`",
                                                       core_sig(sig.params, sig.results),
                                                       core.to_string()));
        bool needs_memory = sig.params_in_memory || sig.results_in_memory;
        bool needs_realloc = sig.params_in_memory;
        for (const auto& [n, t] : def.func_type->params) {
            if (contains_memory_type(t)) needs_memory = needs_realloc = true;
        }
        if (contains_memory_type(def.func_type->result)) needs_memory = true;
        if (needs_memory && !def.opts.memory)
            return Reader::invalid_at(at, "canonical option `memory` is required");
        if (needs_realloc && !def.opts.realloc)
            return Reader::invalid_at(at, "canonical option `realloc` is required");
        if (def.opts.post_return) {
            const wasm::FuncType& pr = s.core_funcs[*def.opts.post_return];
            if (pr.params != sig.results || !pr.results.empty())
                return Reader::invalid_at(at, "canonical option `post-return` uses a core "
                                              "function with an incorrect signature");
        }
        s.funcs.push_back(def.func_type);
        def.core_type = core;
        def.params_in_memory = sig.params_in_memory;
        def.results_in_memory = sig.results_in_memory;
        break;
    }
    case 0x01: {
        CIRRUS_TRY_ASSIGN(uint8_t z, r.byte());
        if (z != 0x00) return Reader::malformed_at(at, "invalid canon lower encoding");
        def.op = Def::Op::CanonLower;
        def.space = Space::CoreFunc;
        size_t fat = r.offset();
        CIRRUS_TRY_ASSIGN(def.a, r.u32());
        if (def.a >= s.funcs.size())
            return Reader::invalid_at(fat, fmt::format("function index {} out of bounds", def.a));
        CIRRUS_TRY_ASSIGN(def.opts, canon_options(r, s));
        def.func_type = s.funcs[def.a];
        FlatSignature sig = flatten_functype(*def.func_type, false);
        bool needs_memory = sig.params_in_memory || sig.results_in_memory;
        bool needs_realloc = false;
        for (const auto& [n, t] : def.func_type->params) {
            if (contains_memory_type(t)) needs_memory = true;
        }
        if (contains_memory_type(def.func_type->result)) needs_memory = needs_realloc = true;
        if (needs_memory && !def.opts.memory)
            return Reader::invalid_at(at, "canonical option `memory` is required");
        if (needs_realloc && !def.opts.realloc)
            return Reader::invalid_at(at, "canonical option `realloc` is required");
        if (def.opts.post_return)
            return Reader::invalid_at(at, "canonical option `post-return` cannot be used on a "
                                          "lowered function");
        def.core_type = wasm::FuncType{std::move(sig.params), std::move(sig.results)};
        def.params_in_memory = sig.params_in_memory;
        def.results_in_memory = sig.results_in_memory;
        s.core_funcs.push_back(def.core_type);
        break;
    }
    case 0x02:
    case 0x03:
    case 0x04: {
        def.op = op == 0x02   ? Def::Op::ResourceNew
                 : op == 0x03 ? Def::Op::ResourceDrop
                              : Def::Op::ResourceRep;
        def.space = Space::CoreFunc;
        CIRRUS_TRY_ASSIGN(def.resource, resource_operand());
        if (op != 0x03 && !s.local_resources.count(def.resource))
            return Reader::invalid_at(at, "resource.new and resource.rep need a resource type "
                                          "defined by this component");
        def.core_type =
            op == 0x03 ? wasm::FuncType{{VT::I32}, {}} : wasm::FuncType{{VT::I32}, {VT::I32}};
        s.core_funcs.push_back(def.core_type);
        break;
    }
    case 0x07: return Reader::invalid_at(at, "resource.drop async is not supported");
    default:
        return Reader::invalid_at(at, fmt::format("canonical function 0x{:x} (async, threads or "
                                                  "error-context) is not supported",
                                                  op));
    }
    def.core_type_id = engine_.type_id(def.core_type);
    d.defs.push_back(std::move(def));
    return {};
}

Result<void> Decoder::import(Reader& r, Scope& s, ComponentData* d) {
    size_t nat = r.offset();
    NameAttrs attrs;
    CIRRUS_TRY_ASSIGN(std::string name, extern_name(r, &attrs));
    CIRRUS_TRY(add_name(r, s.import_names, name, nat, "import"));
    size_t tat = r.offset();
    CIRRUS_TRY_ASSIGN(ExternType et, extern_type(r, s, name));
    et = fresh_instance(et);
    CIRRUS_TRY(check_implements(name, attrs, et));
    CIRRUS_TRY(check_named(s, et, true, tat));
    CIRRUS_TRY(check_annotated(name, et, s.imports, nat));
    s.imports.emplace_back(name, et);
    Def def;
    def.op = Def::Op::Import;
    def.name = name;
    def.ext = et;
    push_extern(s, et, d, &def);
    if (d) d->defs.push_back(std::move(def));
    return {};
}

Result<void> Decoder::export_(Reader& r, Scope& s, ComponentData& d) {
    size_t nat = r.offset();
    NameAttrs attrs;
    CIRRUS_TRY_ASSIGN(std::string name, extern_name(r, &attrs));
    CIRRUS_TRY(add_name(r, s.export_names, name, nat, "export"));
    CIRRUS_TRY_ASSIGN(SortIdx si, sort_idx(r, s, false));
    CIRRUS_TRY_ASSIGN(ExternType et, extern_of(r, s, si, nat));
    size_t tat = r.offset();
    CIRRUS_TRY_ASSIGN(uint8_t has_type, r.byte());
    if (has_type == 0x01) {
        // The resources the ascribed type introduces (a `sub resource` bound, those of an
        // instance type) stand for the ones exported; a `sub resource` ascription keeps its
        // fresh identity, so that outside it is a type of its own (Explainer "Type
        // Checking"), bound to the exported resource at run time.
        uint32_t first = next_resource_;
        CIRRUS_TRY_ASSIGN(ExternType ascribed, extern_type(r, s, name));
        ascribed = fresh_instance(ascribed);
        ResourceMap bound;
        for (const auto& [res, seq] : resource_seq_) {
            if (seq >= first) bound.emplace(res, nullptr);
        }
        std::string why;
        if (!extern_subtype(et, ascribed, &why, &bound))
            return Reader::invalid_at(tat,
                                      fmt::format("type mismatch in export `{}`: {}", name, why));
        if (ascribed.sort == Sort::Instance) {
            Subst sub;
            for (const auto& [res, to] : bound) {
                if (to) sub.resources.emplace(res, to);
            }
            ascribed = subst_extern(sub, ascribed);
        }
        et = ascribed;
    } else if (has_type != 0x00) {
        return Reader::malformed_at(tat, "invalid optional export type");
    }
    if (et.sort == Sort::Type && et.value_type && et.value_type->name != name) {
        ValType named = *et.value_type;
        named.name = name;
        named.named_from = et.value_type;
        et.value_type = types_->val(std::move(named));
    }
    CIRRUS_TRY(check_named(s, et, false, nat));
    CIRRUS_TRY(check_implements(name, attrs, et));
    CIRRUS_TRY(check_annotated(name, et, s.exports, nat));
    if (et.sort == Sort::Type && et.resource && et.resource->name.empty()) {
        // A resource defined here takes the name it is first exported under (for messages and
        // WIT); the arena owns it and nothing has read the name yet.
        const_cast<ResourceType*>(et.resource)->name = name;
    }
    s.exports.emplace_back(name, et);
    Def def;
    def.op = Def::Op::Export;
    def.name = name;
    def.target = si;
    def.ext = et;
    push_extern(s, et, &d, &def);
    d.defs.push_back(std::move(def));
    return {};
}

Result<void> Decoder::component_body(Reader& r, Scope& scope, ComponentData& data, int depth) {
    if (depth > 100) return r.invalid("components nested too deeply");
    size_t start = r.offset();
    CIRRUS_TRY_ASSIGN(auto magic, r.bytes(4));
    if (magic[0] != 0x00 || magic[1] != 0x61 || magic[2] != 0x73 || magic[3] != 0x6d)
        return Reader::malformed_at(start, "magic header not detected");
    CIRRUS_TRY_ASSIGN(auto version, r.bytes(4));
    if (version[0] == 0x01 && version[1] == 0x00 && version[2] == 0x00 && version[3] == 0x00)
        return Reader::malformed_at(start + 4, "this is a core module, not a component");
    if (version[0] != 0x0d || version[1] != 0x00 || version[2] != 0x01 || version[3] != 0x00)
        return Reader::malformed_at(start + 4, "unknown component version or layer");
    while (!r.at_end()) {
        size_t sat = r.offset();
        CIRRUS_TRY_ASSIGN(uint8_t id, r.byte());
        CIRRUS_TRY_ASSIGN(uint32_t size, r.u32());
        if (size > r.remaining())
            return Reader::malformed_at(sat, "section size exceeds the end of the component");
        size_t body_at = r.offset();
        CIRRUS_TRY_ASSIGN(auto body, r.bytes(size));
        Reader s(body.data(), body.data() + body.size(), body_at);
        auto each = [&](auto&& fn) -> Result<void> {
            CIRRUS_TRY_ASSIGN(uint32_t n, s.count());
            for (uint32_t i = 0; i < n; ++i) CIRRUS_TRY(fn());
            return s.expect_end("section");
        };
        switch (id) {
        case 0: {
            CIRRUS_TRY(s.name());
            break;
        }
        case 1: {
            auto compiled = wasm::Module::compile(engine_, body);
            if (!compiled.ok()) {
                Error e = std::move(compiled).error();
                e.message = fmt::format("core module at offset 0x{:x}: {}", body_at, e.message);
                return e;
            }
            // A component's core modules may not import one two-level name twice.
            std::set<std::pair<std::string, std::string>> seen;
            for (const auto& imp : compiled.value()->imports()) {
                if (!seen.insert({imp.module, imp.name}).second)
                    return Reader::invalid_at(
                        body_at, fmt::format("core module: duplicate import name `{}:{}`",
                                             imp.module, imp.name));
            }
            auto& def_module = data.modules.emplace_back();
            def_module.module = std::move(compiled).value();
            def_module.type = module_type_of(*def_module.module);
            scope.modules.push_back(def_module.module.get());
            scope.module_types.push_back(def_module.type);
            Def def;
            def.op = Def::Op::CoreModule;
            def.space = Space::CoreModule;
            def.a = static_cast<uint32_t>(data.modules.size() - 1);
            data.defs.push_back(std::move(def));
            break;
        }
        case 2: CIRRUS_TRY(each([&] { return core_instance(s, scope, data); })); break;
        case 3:
            CIRRUS_TRY(each([&]() -> Result<void> {
                size_t tat = s.offset();
                CIRRUS_TRY_ASSIGN(auto ct, core_type(s, scope));
                (void)tat;
                scope.core_types.push_back(std::move(ct));
                Def def;
                def.op = Def::Op::Type;
                def.space = Space::CoreType;
                data.defs.push_back(std::move(def));
                return {};
            }));
            break;
        case 4: {
            auto nested = std::make_unique<ComponentData>();
            nested->types = data.types;
            Scope inner;
            inner.parent = &scope;
            uint32_t first = next_resource_;
            CIRRUS_TRY(component_body(s, inner, *nested, depth + 1));
            nested->type = types_->component(ComponentType{inner.imports, inner.exports});
            created_[nested->type] = {first, next_resource_};
            CIRRUS_TRY(check_size(type_size(nested->type), sat));
            scope.components.push_back(nested->type);
            data.components.push_back(std::move(nested));
            Def def;
            def.op = Def::Op::Component;
            def.space = Space::Component;
            def.a = static_cast<uint32_t>(data.components.size() - 1);
            data.defs.push_back(std::move(def));
            break;
        }
        case 5: CIRRUS_TRY(each([&] { return instance(s, scope, data); })); break;
        case 6: CIRRUS_TRY(each([&] { return alias(s, scope, &data); })); break;
        case 7:
            CIRRUS_TRY(each([&]() -> Result<void> {
                size_t tat = s.offset();
                CIRRUS_TRY_ASSIGN(uint8_t op, s.peek());
                Def def;
                def.op = Def::Op::Type;
                def.space = Space::Type;
                if (op == 0x3f) {
                    s.byte().value();
                    CIRRUS_TRY_ASSIGN(auto rep, core_val_type(s));
                    if (rep != wasm::ValType::I32)
                        return Reader::invalid_at(tat, "resources can only be represented by "
                                                       "`i32`");
                    CIRRUS_TRY_ASSIGN(uint8_t has_dtor, s.byte());
                    if (has_dtor == 0x01) {
                        size_t fat = s.offset();
                        CIRRUS_TRY_ASSIGN(uint32_t f, s.u32());
                        if (f >= scope.core_funcs.size())
                            return Reader::invalid_at(fat, fmt::format("core function index {} "
                                                                       "out of bounds",
                                                                       f));
                        if (!(scope.core_funcs[f] == wasm::FuncType{{wasm::ValType::I32}, {}}))
                            return Reader::invalid_at(fat, "resource destructor must have type "
                                                           "[i32] -> []");
                        def.b = f + 1;
                    } else if (has_dtor != 0x00) {
                        return Reader::malformed_at(tat, "invalid optional destructor");
                    }
                    const ResourceType* rt = new_resource("");
                    scope.local_resources.insert(rt);
                    DefType dt;
                    dt.kind = DefType::Kind::Resource;
                    dt.resource = rt;
                    scope.types.push_back(dt);
                    def.resource = rt;
                } else {
                    CIRRUS_TRY_ASSIGN(DefType dt, def_type(s, scope));
                    scope.types.push_back(dt);
                }
                data.defs.push_back(std::move(def));
                return {};
            }));
            break;
        case 8: CIRRUS_TRY(each([&] { return canon(s, scope, data); })); break;
        case 9:
            return Reader::invalid_at(sat, "start definitions (component values) are not "
                                           "supported");
        case 10: CIRRUS_TRY(each([&] { return import(s, scope, &data); })); break;
        case 11: CIRRUS_TRY(each([&] { return export_(s, scope, data); })); break;
        case 12: return Reader::invalid_at(sat, "value definitions are not supported");
        default: return Reader::malformed_at(sat, fmt::format("unknown section id {}", id));
        }
    }
    return {};
}

const char* space_name(Space space) {
    switch (space) {
    case Space::CoreFunc: return "core function";
    case Space::CoreTable: return "core table";
    case Space::CoreMemory: return "core memory";
    case Space::CoreGlobal: return "core global";
    case Space::CoreTag: return "core tag";
    case Space::CoreType: return "core type";
    case Space::CoreModule: return "module";
    case Space::CoreInstance: return "core instance";
    case Space::Func: return "function";
    case Space::Value: return "value";
    case Space::Type: return "type";
    case Space::Component: return "component";
    case Space::Instance: return "instance";
    case Space::None: return "none";
    }
    return "?";
}

Space space_of(Sort sort) {
    switch (sort) {
    case Sort::CoreModule: return Space::CoreModule;
    case Sort::Func: return Space::Func;
    case Sort::Value: return Space::Value;
    case Sort::Type: return Space::Type;
    case Sort::Component: return Space::Component;
    case Sort::Instance: return Space::Instance;
    }
    return Space::None;
}

Result<std::unique_ptr<ComponentData>> decode_component(const wasm::Engine& engine,
                                                        std::span<const uint8_t> bytes) {
    auto data = std::make_unique<ComponentData>();
    data->types = std::make_shared<TypeArena>();
    Decoder decoder(engine, data->types);
    Reader r(bytes.data(), bytes.data() + bytes.size(), 0);
    Scope scope;
    CIRRUS_TRY(decoder.component_body(r, scope, *data, 0));
    data->type = data->types->component(ComponentType{scope.imports, scope.exports});
    return data;
}

} // namespace cirrus::component::detail
