// Component Model types (design/mvp/Explainer.md "Type Definitions"): value types, function
// types, resource types, and the instance and component types that describe what a component
// imports and exports. Types are immutable once built and referred to by pointer; a TypeArena
// owns them (one per decoded component, one per host definition set).
#pragma once

#include "cirrus/wasm/types.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cirrus::component {

enum class TypeKind : uint8_t {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    ErrorContext,
    List,
    Record,
    Tuple,
    Variant,
    Enum,
    Option,
    Result,
    Flags,
    Own,
    Borrow,
};
const char* type_kind_name(TypeKind kind);
inline bool is_primitive(TypeKind kind) {
    return kind <= TypeKind::ErrorContext;
}

// A resource type as declared (by a `resource` definition, an imported or exported
// `(sub resource)` bound, or the host). Identity is the pointer; the runtime binds each one
// to a concrete resource of a component instance or of the host.
struct ResourceType {
    std::string name; // for messages and WIT printing; may be empty
};

struct ValType;

struct Field {
    std::string name;
    const ValType* type = nullptr;
};

struct Case {
    std::string name;
    const ValType* type = nullptr; // null: no payload
};

struct ValType {
    TypeKind kind = TypeKind::Bool;
    const ValType* element = nullptr;       // list, option, result ok (may be null)
    const ValType* error = nullptr;         // result err (may be null)
    std::vector<Field> fields;              // record; tuple (names empty)
    std::vector<Case> cases;                // variant
    std::vector<std::string> labels;        // enum, flags
    const ResourceType* resource = nullptr; // own, borrow
    std::string name; // the name it was exported or imported under, for WIT printing
    // A named copy made for an export or import: the type it names (for WIT, where the
    // named type is a `use` of the interface that defined the original).
    const ValType* named_from = nullptr;

    // The shared instance of a primitive type.
    static const ValType* primitive(TypeKind kind);
};

struct FuncType {
    std::vector<std::pair<std::string, const ValType*>> params;
    const ValType* result = nullptr; // null: no result
};

struct InstanceType;
struct ComponentType;
struct CoreModuleType;

// The kind of an import, export or instantiation argument (binary `sort`).
enum class Sort : uint8_t { CoreModule, Func, Value, Type, Component, Instance };
const char* sort_name(Sort sort);

struct ExternType {
    Sort sort = Sort::Func;
    const FuncType* func = nullptr;
    const InstanceType* instance = nullptr;
    const ComponentType* component = nullptr;
    const CoreModuleType* core_module = nullptr;
    // Sort::Type: either a resource (`sub resource` or a resource definition) or a value type
    // (`eq`), or a function, component or instance type (in `func`, `component`, `instance`).
    const ResourceType* resource = nullptr;
    const ValType* value_type = nullptr;
};

struct InstanceType {
    std::vector<std::pair<std::string, ExternType>> exports;
    const ExternType* find(std::string_view name) const;
};

struct ComponentType {
    std::vector<std::pair<std::string, ExternType>> imports;
    std::vector<std::pair<std::string, ExternType>> exports;
};

// A core module type (core:moduletype): what the module imports and exports.
struct CoreModuleType {
    std::vector<wasm::ImportDesc> imports;
    std::vector<std::pair<std::string, wasm::ExternType>> exports;
};

// Owns types; pointers stay valid for its lifetime.
class TypeArena {
public:
    ValType* val(ValType t) { return &vals_.emplace_back(std::move(t)); }
    FuncType* func(FuncType t) { return &funcs_.emplace_back(std::move(t)); }
    ResourceType* resource(std::string name) {
        return &resources_.emplace_back(ResourceType{std::move(name)});
    }
    InstanceType* instance(InstanceType t) { return &instances_.emplace_back(std::move(t)); }
    ComponentType* component(ComponentType t) { return &components_.emplace_back(std::move(t)); }
    CoreModuleType* core_module(CoreModuleType t) { return &modules_.emplace_back(std::move(t)); }

    // Value type constructors, for host code.
    const ValType* list(const ValType* element);
    const ValType* option(const ValType* element);
    const ValType* result(const ValType* ok, const ValType* err);
    const ValType* tuple(std::vector<const ValType*> types);
    const ValType* record(std::vector<Field> fields);
    const ValType* variant(std::vector<Case> cases);
    const ValType* enumeration(std::vector<std::string> labels);
    const ValType* flags(std::vector<std::string> labels);
    const ValType* own(const ResourceType* resource);
    const ValType* borrow(const ResourceType* resource);

private:
    std::deque<ValType> vals_;
    std::deque<FuncType> funcs_;
    std::deque<ResourceType> resources_;
    std::deque<InstanceType> instances_;
    std::deque<ComponentType> components_;
    std::deque<CoreModuleType> modules_;
};

// Resource identities while checking subtyping (Explainer "Type checking"): an `expected`
// resource found here stands for the resource it maps to, and one mapped to null is an
// abstract type parameter (a `sub resource` import of the component being instantiated) that
// the check binds to the first resource provided in its place. Other resources match only
// themselves.
using ResourceMap = std::map<const ResourceType*, const ResourceType*>;

// Subtyping (Explainer "Subtyping"): can a `provided` value stand where `expected` is needed?
// On failure `why` says where the two differ. Given `resources`, handles and resource types
// must designate the same resource under it; without, handles compare by kind only (as when
// the host links its own resource types: the run time checks which resource a handle is of).
bool val_subtype(const ValType* provided, const ValType* expected, std::string* why,
                 ResourceMap* resources = nullptr);
bool func_subtype(const FuncType& provided, const FuncType& expected, std::string* why,
                  ResourceMap* resources = nullptr);
bool extern_subtype(const ExternType& provided, const ExternType& expected, std::string* why,
                    ResourceMap* resources = nullptr);

// Core subtyping (WebAssembly "Import Subtyping"): the same kind, function and global types
// equal, table and memory limits at least as tight.
bool core_extern_subtype(const wasm::ExternType& provided, const wasm::ExternType& expected);

// WIT spelling of a value type (`list<string>`, `result<u32, string>`, a name when named).
std::string wit_type(const ValType* type);
// `func(a: u32) -> string`.
std::string wit_func(const FuncType& type);

} // namespace cirrus::component
