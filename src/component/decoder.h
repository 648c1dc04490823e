// The component decoder's private interface: the byte reader, the index spaces of a component
// or type being validated (Scope) and the Decoder itself. decoder.cpp reads sections and
// checks definitions; decode_types.cpp reads and validates types (value, function, component,
// instance and core types), external visibility and the rules of annotated names.
#pragma once

#include "cirrus/support/utf8.h"
#include "component_data.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace cirrus::component::detail {

class Reader {
public:
    Reader(const uint8_t* begin, const uint8_t* end, size_t base)
        : begin_(begin), p_(begin), end_(end), base_(base) {}

    size_t offset() const { return base_ + static_cast<size_t>(p_ - begin_); }
    bool at_end() const { return p_ >= end_; }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    const uint8_t* pos() const { return p_; }

    Error malformed(std::string_view msg) const { return malformed_at(offset(), msg); }
    Error invalid(std::string_view msg) const { return invalid_at(offset(), msg); }
    static Error malformed_at(size_t off, std::string_view msg) {
        return Error(ErrorKind::Malformed, fmt::format("{} (at offset 0x{:x})", msg, off));
    }
    static Error invalid_at(size_t off, std::string_view msg) {
        return Error(ErrorKind::Invalid, fmt::format("{} (at offset 0x{:x})", msg, off));
    }

    Result<uint8_t> byte() {
        if (p_ >= end_) return malformed("unexpected end");
        return *p_++;
    }
    Result<uint8_t> peek() const {
        if (p_ >= end_) return malformed("unexpected end");
        return *p_;
    }
    Result<uint32_t> u32() {
        uint32_t result = 0;
        for (int shift = 0;; shift += 7) {
            if (p_ >= end_) return malformed("unexpected end of LEB128");
            uint8_t b = *p_++;
            if (shift == 28 && (b & 0x70) != 0) return malformed("integer too large");
            result |= static_cast<uint32_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
            if (shift == 28) return malformed("integer representation too long");
        }
        return result;
    }
    Result<std::span<const uint8_t>> bytes(size_t n) {
        if (remaining() < n) return malformed("unexpected end");
        std::span<const uint8_t> s(p_, n);
        p_ += n;
        return s;
    }
    Result<std::string> name() {
        CIRRUS_TRY_ASSIGN(uint32_t len, u32());
        size_t start = offset();
        CIRRUS_TRY_ASSIGN(auto s, bytes(len));
        std::string out(s.begin(), s.end());
        if (!cirrus::valid_utf8(out)) return malformed_at(start, "malformed UTF-8 encoding");
        return out;
    }
    Result<void> expect_end(std::string_view what) const {
        if (p_ != end_) return malformed(fmt::format("unexpected content after {}", what));
        return {};
    }
    // A vector length, checked against the bytes left (each element takes at least one byte).
    Result<uint32_t> count() {
        CIRRUS_TRY_ASSIGN(uint32_t n, u32());
        if (n > remaining()) return malformed("vector length exceeds the bytes left");
        return n;
    }

private:
    const uint8_t* begin_;
    const uint8_t* p_;
    const uint8_t* end_;
    size_t base_;
};

struct DefType {
    enum class Kind { Val, Func, Component, Instance, Resource, CoreModule } kind = Kind::Val;
    const ValType* val = nullptr;
    const FuncType* func = nullptr;
    const ComponentType* component = nullptr;
    const InstanceType* instance = nullptr;
    const ResourceType* resource = nullptr;
    // Introduced by an import, an export or an alias of an instance's export: a type that can
    // appear in the types of imports and exports (Explainer "External visibility of types").
    bool named = false;
};

struct CoreTypeEntry {
    bool is_func = true;
    wasm::FuncType func;
    const CoreModuleType* module = nullptr;
};

using CoreExports = std::vector<std::pair<std::string, wasm::ExternType>>;

// The index spaces of one component, component type or instance type being validated.
struct Scope {
    Scope* parent = nullptr;
    bool is_component = true;
    bool is_instance_type = false; // else a component type, when not a component
    uint32_t depth = 0;            // of component and instance types nested in one another
    std::vector<wasm::FuncType> core_funcs;
    std::vector<wasm::ExternType> core_tables, core_memories, core_globals;
    uint32_t core_tags = 0;
    std::vector<CoreTypeEntry> core_types;
    std::vector<const wasm::Module*> modules; // null: imported (type only)
    std::vector<const CoreModuleType*> module_types;
    std::vector<CoreExports> core_instances;
    std::vector<const FuncType*> funcs;
    uint32_t values = 0;
    std::vector<DefType> types;
    std::vector<const ComponentType*> components;
    std::vector<const InstanceType*> instances;
    std::vector<std::pair<std::string, ExternType>> imports, exports;
    std::set<std::string> import_names, export_names;
    std::set<const ResourceType*> local_resources; // defined by a resource type definition
    // External visibility (Explainer "External Visibility of Types"): the value types and
    // resources named by this scope's imports (`imported_*`) and by its imports or exports
    // (`exported_*`), including through the exports of imported or exported instances.
    // Instance types name nothing themselves: their exports are checked where they are used.
    std::set<const ValType*> imported_vals, exported_vals;
    std::set<const ResourceType*> imported_resources, exported_resources;
};

// The resources created while one component, component type or instance type was read: its
// `sub resource` imports and exports, its resource definitions and what its instantiations
// made fresh. Resource creations are numbered in order, so this is a range of numbers.
struct Created {
    uint32_t begin = 0, end = 0;
};

// A rewriting of types replacing resources (and the value types of `eq`-bound imports) by
// others; a resource created in `fresh` and not replaced otherwise gets a new identity.
// Rewritten types are remembered, so a type shared by several exports stays shared.
struct Subst {
    std::map<const ResourceType*, const ResourceType*> resources;
    std::map<const ValType*, const ValType*> vals;
    Created fresh;
    std::map<const FuncType*, const FuncType*> funcs;
    std::map<const InstanceType*, const InstanceType*> instances;
    std::map<const ComponentType*, const ComponentType*> components;
};

// Value types, and component and instance types, nest at most this deep (as wasmparser's
// MAX_WASM_COMPONENT_TYPE_DEPTH): it bounds the recursion of every later walk over a type.
inline constexpr uint32_t kMaxTypeDepth = 100;
// A type's size with shared parts counted at each use (as wasmparser's type size limit): a
// type defined in a few bytes may be exponentially large when expanded, and every check walks
// the expansion, so no type may exceed this.
inline constexpr uint64_t kMaxTypeSize = 100000;

class Decoder {
public:
    Decoder(const wasm::Engine& engine, std::shared_ptr<TypeArena> types)
        : engine_(engine), types_(std::move(types)) {}

    Result<void> component_body(Reader& r, Scope& scope, ComponentData& data, int depth);

private:
    // Types
    Result<const ValType*> val_type(Reader& r, Scope& s);
    Result<const ValType*> def_val_type(Reader& r, Scope& s, uint8_t op);
    Result<DefType> def_type(Reader& r, Scope& s);
    Result<const FuncType*> func_type(Reader& r, Scope& s);
    Result<const ComponentType*> component_type(Reader& r, Scope& s);
    Result<const InstanceType*> instance_type(Reader& r, Scope& s);
    Result<void> type_decl(Reader& r, Scope& scope, bool allow_import);
    Result<ExternType> extern_type(Reader& r, Scope& s, const std::string& name);
    Result<CoreTypeEntry> core_type(Reader& r, Scope& s);
    Result<wasm::ValType> core_val_type(Reader& r);
    Result<wasm::ExternType> core_extern_type(Reader& r, const std::vector<CoreTypeEntry>& types);
    // An extern name and its attributes; `implements` is the interface an instance implements
    // (empty: none).
    struct NameAttrs {
        std::string implements;
        size_t implements_at = 0;
    };
    Result<std::string> extern_name(Reader& r, NameAttrs* attrs = nullptr);
    Result<void> check_implements(const std::string& name, const NameAttrs& attrs,
                                  const ExternType& et) const;

    // Sections
    Result<void> core_instance(Reader& r, Scope& s, ComponentData& d);
    Result<void> instance(Reader& r, Scope& s, ComponentData& d);
    Result<void> alias(Reader& r, Scope& s, ComponentData* d);
    Result<void> canon(Reader& r, Scope& s, ComponentData& d);
    Result<void> import(Reader& r, Scope& s, ComponentData* d);
    Result<void> export_(Reader& r, Scope& s, ComponentData& d);
    Result<CanonOptions> canon_options(Reader& r, Scope& s);

    // Helpers
    Result<SortIdx> sort_idx(Reader& r, Scope& s, bool core_only);
    Result<void> check_index(const Reader& r, Scope& s, SortIdx si, size_t at);
    void push_extern(Scope& s, const ExternType& et, ComponentData* d, Def* def);
    Result<ExternType> extern_of(const Reader& r, Scope& s, SortIdx si, size_t at);
    Result<wasm::ExternType> core_extern_of(Scope& s, SortIdx si);
    const CoreModuleType* module_type_of(const wasm::Module& module);
    Result<void> add_name(const Reader& r, std::set<std::string>& names, const std::string& name,
                          size_t at, const char* what);
    Result<void> check_annotated(const std::string& name, const ExternType& et,
                                 const std::vector<std::pair<std::string, ExternType>>& space,
                                 size_t at) const;

    // External visibility (decode_typing.cpp): may the type of an import (`import`) or export
    // use `t`? check_named also registers the types an import or export names in `s`.
    bool visible(const Scope& s, const ValType* t, bool import) const;
    bool parts_visible(const Scope& s, const ValType* t, bool import) const;
    bool func_visible(const Scope& s, const FuncType* f, bool import) const;
    bool name_extern(Scope& s, const ExternType& et, bool import);
    Result<void> check_named(Scope& s, const ExternType& et, bool import, size_t at);

    // Resource identity (decode_typing.cpp).
    const ResourceType* new_resource(std::string name);
    bool created_in(const ResourceType* r, Created range) const;
    Created created_of(const void* type) const;
    const ResourceType* subst_resource(Subst& sub, const ResourceType* r);
    const ValType* subst_val(Subst& sub, const ValType* t);
    const FuncType* subst_func(Subst& sub, const FuncType* f);
    const InstanceType* subst_instance(Subst& sub, const InstanceType* it);
    const ComponentType* subst_component(Subst& sub, const ComponentType* ct);
    ExternType subst_extern(Subst& sub, const ExternType& et);
    // An instance type used by an import or an instance export declaration: each use has
    // resources of its own (Explainer "Type checking": `sub` bounds are fresh).
    ExternType fresh_instance(const ExternType& et);
    // Checks the arguments of an instantiation of `ct` and returns the instance's type: the
    // component's exports with its imported types replaced by the arguments and its own
    // resources made fresh for this instance.
    Result<const InstanceType*> instantiate_type(const ComponentType* ct,
                                                 const std::map<std::string, ExternType>& args,
                                                 size_t at);
    // May a type cross a component boundary by an outer alias (Explainer "Alias
    // Definitions": not if it transitively refers to a resource it did not create)?
    bool refers_to_resources(const DefType& dt) const;

    const wasm::Engine& engine_;
    std::shared_ptr<TypeArena> types_;
    // Handles made from a type index that names no import or export (`(own $R)` of a
    // resource definition): never externally visible.
    std::set<const ValType*> unnamed_handles_;
    std::unordered_map<const ResourceType*, uint32_t> resource_seq_;
    uint32_t next_resource_ = 0;
    std::unordered_map<const void*, Created> created_;

    uint32_t type_depth(const ValType* t);
    std::unordered_map<const ValType*, uint32_t> depths_;
    uint64_t type_size(const ValType* t);
    uint64_t type_size(const FuncType* f);
    uint64_t type_size(const ExternType& et);
    uint64_t type_size(const InstanceType* it);
    uint64_t type_size(const ComponentType* ct);
    Result<void> check_size(uint64_t size, size_t at) const;
    std::unordered_map<const void*, uint64_t> sizes_;
};

} // namespace cirrus::component::detail
