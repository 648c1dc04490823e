// Run-time state of component instances: handle tables, the per-instance flags of the
// Canonical ABI (may_enter / may_leave), the index spaces of an instantiated component, and
// the lift/lower context (design/mvp/CanonicalABI.md "Runtime State", "Lifting and Lowering").
#pragma once

#include "cirrus/component/component.h"
#include "component_data.h"

#include <boost/container/small_vector.hpp>

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace cirrus::component::detail {

// A borrow scope: the borrows lent to the callee of one call; all must be dropped before the
// call returns.
struct CallScope {
    uint32_t num_borrows = 0;
};

struct HandleElem {
    ResourceImpl* resource = nullptr;
    uint32_t rep = 0;
    bool own = false;
    bool used = false;
    uint32_t lend_count = 0;    // own: borrows of it currently lent out
    CallScope* scope = nullptr; // borrow: the call it was lent for
};

struct InstanceState {
    std::string name;                              // for messages
    std::vector<HandleElem> handles{HandleElem{}}; // index 0 is never a valid handle
    std::vector<uint32_t> free;
    bool may_enter = true;
    bool may_leave = true;
    std::unordered_map<const ResourceType*, ResourceImpl*> resources;

    uint32_t add(HandleElem e);
    Result<HandleElem*> get(uint32_t index);
    Result<HandleElem> remove(uint32_t index);
    ResourceImpl* resource(const ResourceType* decl) const {
        auto it = resources.find(decl);
        return it == resources.end() ? nullptr : it->second;
    }
};

// A core instance as a component sees it: named exports (of a real module instance or of
// an inline export list).
struct CoreInst {
    const wasm::Instance* instance = nullptr;                         // a module instance
    std::vector<std::pair<std::string, wasm::Extern>> inline_exports; // else these
    const std::vector<std::pair<std::string, wasm::Extern>>& exports() const {
        return instance ? instance->exports() : inline_exports;
    }
};

// The positions of the exports an instantiation looked up by name, in lookup order. Another
// instantiation from the same InstancePre builds the same index spaces in the same order, so
// it replays each position instead of searching (checked against the name; searched when it
// differs).
struct LookupTape {
    std::vector<uint32_t> positions;
};

// The index spaces of one instantiated component.
struct RScope {
    RScope* parent = nullptr;
    const ComponentData* data = nullptr;
    InstanceState* state = nullptr;
    std::vector<wasm::Func*> core_funcs;
    std::vector<wasm::Table*> core_tables;
    std::vector<wasm::Memory*> core_memories;
    std::vector<wasm::Global*> core_globals;
    std::vector<const CoreModuleDef*> modules;
    std::vector<CoreInst*> core_instances;
    std::vector<Func*> funcs;
    std::vector<ResourceImpl*> types; // null for types with no run-time part
    std::vector<std::pair<const ComponentData*, RScope*>> components;
    std::vector<Instance*> instances;
};

// What lifting and lowering need: the options of one side of a call.
struct LiftLowerContext {
    Store* store = nullptr;
    wasm::Memory* memory = nullptr;
    wasm::Func* realloc = nullptr;
    uint8_t encoding = 0;
    InstanceState* inst = nullptr; // the instance whose handle table is used
    CallScope* scope = nullptr;    // lowering borrows into a callee
    // Own handles of `inst` lent by lifted borrows: released after the call (a call lends a
    // few at most: kept inline, no allocation per call).
    boost::container::small_vector<uint32_t, 4> lenders;
};

// What the host refuses of a root component before resolving its imports (root.cpp):
// component and core module imports, component exports, re-exported host functions.
Result<void> check_root(const ComponentData& data);

// Lift and lower (abi.cpp).
Result<Val> load(LiftLowerContext& cx, const ValType* t, uint32_t ptr);
Result<void> store_val(LiftLowerContext& cx, const Val& v, const ValType* t, uint32_t ptr);
struct FlatReader {
    std::span<const wasm::Value> values;
    size_t pos = 0;
};
Result<Val> lift_flat(LiftLowerContext& cx, FlatReader& in, const ValType* t);
Result<void> lower_flat(LiftLowerContext& cx, const Val& v, const ValType* t,
                        std::vector<wasm::Value>& out);
// Allocates with the context's realloc and checks the returned pointer.
Result<uint32_t> call_realloc(LiftLowerContext& cx, uint32_t align, uint32_t size);
Error trap(std::string message);

struct Runtime {
    Store* store = nullptr;
    std::deque<std::unique_ptr<Func>> funcs;
    std::deque<std::unique_ptr<Instance>> instances;
    std::deque<std::unique_ptr<InstanceState>> states;
    std::deque<std::unique_ptr<RScope>> scopes;
    std::deque<std::unique_ptr<CoreInst>> core_instances;
    std::deque<std::unique_ptr<ResourceImpl>> resources;
    std::deque<std::unique_ptr<InstanceType>> instance_types;
    std::deque<std::shared_ptr<const Component>> components; // kept alive by instances
    std::deque<std::shared_ptr<const InstancePre>> pres;     // the host instances they use

    Result<std::optional<Val>> call(Func* f, std::span<const Val> args);
    Result<std::optional<Val>> call_lifted(Func* f, std::span<const Val> args);
    // The host function behind `canon lower` of `callee` for a component instance.
    wasm::Func* lower(Func* callee, InstanceState* caller, wasm::Memory* memory,
                      wasm::Func* realloc, const Def& def);
    // The fused component-to-component path (fused.cpp) for calls whose values are scalars,
    // UTF-8 strings or lists of integers: copied memory to memory without Vals.
    static bool can_fuse(const Func* callee, uint8_t caller_encoding);
    Result<void> call_fused(Func* callee, LiftLowerContext& caller,
                            std::span<const wasm::Value> args, std::span<wasm::Value> results,
                            bool caller_results_in_memory);
    Result<void> drop_handle(InstanceState* inst, ResourceImpl* expected, uint32_t index);
    Result<void> destroy(ResourceImpl* rt, uint32_t rep);
    static CallContext make_context(Store* s) { return CallContext(s); }
};

} // namespace cirrus::component::detail
