// The decoded form of a component: its definitions in binary order, each of which appends one
// item to one index space (design/mvp/Explainer.md "Index spaces"). Validation has run over
// them, so instantiation walks the list without re-checking indices or types.
#pragma once

#include "cirrus/component/component.h"
#include "cirrus/component/types.h"
#include "cirrus/wasm/engine.h"

#include <memory>
#include <string>
#include <vector>

namespace cirrus::component::detail {

// The thirteen index spaces of a component.
enum class Space : uint8_t {
    CoreFunc,
    CoreTable,
    CoreMemory,
    CoreGlobal,
    CoreTag,
    CoreType,
    CoreModule,
    CoreInstance,
    Func,
    Value,
    Type,
    Component,
    Instance,
    None,
};
const char* space_name(Space space);
Space space_of(Sort sort);

struct SortIdx {
    Space space = Space::None;
    uint32_t index = 0;
};

struct CanonOptions {
    uint8_t encoding = 0;                // 0 utf8, 1 utf16, 2 latin1+utf16
    std::optional<uint32_t> memory;      // core memory index
    std::optional<uint32_t> realloc;     // core func index
    std::optional<uint32_t> post_return; // core func index
};

struct Def {
    enum class Op : uint8_t {
        CoreModule,        // a = module index in ComponentData::modules
        CoreInstantiate,   // a = core module idx, args (core instances)
        CoreInlineExports, // args (core sortidx)
        Component,         // a = nested component index in ComponentData::components
        Instantiate,       // a = component idx, args
        InlineExports,     // args
        AliasExport,       // a = instance idx, name
        AliasCoreExport,   // a = core instance idx, name
        AliasOuter,        // a = outer count, b = index
        Type,              // resource (may be null: a type with no run-time part), b = dtor+1
        CanonLift,         // a = core func idx, func_type, opts
        CanonLower,        // a = func idx, opts
        ResourceNew,       // a = type idx
        ResourceDrop,      // a = type idx
        ResourceRep,       // a = type idx
        Import,            // name, ext
        Export,            // name, target
    };
    Op op = Op::Type;
    Space space = Space::None; // the index space this definition appends to
    uint32_t a = 0, b = 0;
    std::string name;
    struct Arg {
        std::string name;
        SortIdx target;
    };
    std::vector<Arg> args;
    SortIdx target;
    CanonOptions opts;
    const FuncType* func_type = nullptr;
    const ResourceType* resource = nullptr;
    ExternType ext;
    // CanonLift, CanonLower, ResourceNew/Drop/Rep: the core function type (of the function
    // lifted, or of the one made), its Engine::type_id, and whether parameters and results
    // pass through memory; computed once by the decoder, not per instantiation.
    wasm::FuncType core_type;
    uint32_t core_type_id = 0;
    bool params_in_memory = false;
    bool results_in_memory = false;
};

// A core module defined in a component, with the type its imports and exports give it.
struct CoreModuleDef {
    std::shared_ptr<const wasm::Module> module;
    const CoreModuleType* type = nullptr;
};

struct ComponentData {
    std::shared_ptr<TypeArena> types; // shared by a component and the components nested in it
    std::vector<CoreModuleDef> modules;
    std::vector<std::unique_ptr<ComponentData>> components;
    std::vector<Def> defs;
    const ComponentType* type = nullptr;
};

// Decodes and validates; `engine` compiles the embedded core modules.
Result<std::unique_ptr<ComponentData>> decode_component(const wasm::Engine& engine,
                                                        std::span<const uint8_t> bytes);

} // namespace cirrus::component::detail
