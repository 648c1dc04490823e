// The embedding API of the component layer.
//
//   Component  a decoded and validated component binary; immutable and shareable. Its type
//              (imports and exports) can be printed as a WIT world.
//   Store      the runtime objects of one unit of work: the core wasm Store that holds the core
//              instances, and the component instances, functions and handle tables.
//   Linker     names what the host (or another component instance) provides for imports;
//              type-checks a component's imports against it and instantiates.
//   InstancePre  a component with its imports resolved against a Linker once; instantiates
//              it many times (a fresh instance per request) without resolving anything again.
//   Instance   an instantiated component: exported functions and instances by name.
//   Func       a component function (lifted from core wasm, or defined by the host); called
//              with Vals through Store::call, following the canonical ABI.
//
// Everything a guest or a user can get wrong is an Error value; guest traps and canonical ABI
// violations (bad pointers, invalid code points, handle misuse) are Errors of kind Trap.
#pragma once

#include "cirrus/component/types.h"
#include "cirrus/component/val.h"
#include "cirrus/support/result.h"
#include "cirrus/wasm/engine.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus::component {

namespace detail {
struct ComponentData;
struct CoreModuleDef;
struct RScope;
struct InstanceState;
struct Runtime;
struct LookupTape;
class Instantiator;
} // namespace detail

class Store;
class Instance;
class InstancePre;

class Component {
public:
    // Decodes and validates a component binary (design/mvp/Binary.md). Errors are Malformed
    // or Invalid and name the byte offset.
    static Result<std::shared_ptr<const Component>> compile(const wasm::Engine& engine,
                                                            std::span<const uint8_t> bytes);
    ~Component();
    // The component's own imports and exports.
    const ComponentType& type() const;
    // The imports and exports as a WIT world named `world_name`.
    std::string world_wit(std::string_view world_name = "root") const;

    const detail::ComponentData& data() const { return *data_; }

private:
    explicit Component(std::unique_ptr<detail::ComponentData> data);
    std::unique_ptr<detail::ComponentData> data_;
};

// A resource at run time: a resource type of one component instance or of the host.
struct ResourceImpl {
    const ResourceType* decl = nullptr;
    detail::InstanceState* owner = nullptr; // null for host resources
    wasm::Func* dtor = nullptr;             // guest destructor
    std::function<void(uint32_t rep)> host_dtor;
};

// What a host function gets to work with besides its arguments.
class CallContext {
public:
    Store& store() const { return *store_; }

private:
    friend struct detail::Runtime;
    explicit CallContext(Store* store) : store_(store) {}
    Store* store_;
};

// A host function: arguments are already checked against the declared type; it returns the
// result value (or nullopt for functions without a result) or an Error that makes the calling
// guest trap.
using HostFunc =
    std::function<Result<std::optional<Val>>(CallContext& cx, std::span<const Val> args)>;

class Func {
public:
    const FuncType& type() const { return *type_; }

private:
    friend struct detail::Runtime;
    friend class detail::Instantiator;
    friend class Linker;
    friend class Store;
    const FuncType* type_ = nullptr;
    detail::InstanceState* owner_ = nullptr; // lifted functions
    wasm::Func* core_ = nullptr;
    wasm::Memory* memory_ = nullptr;
    wasm::Func* realloc_ = nullptr;
    wasm::Func* post_return_ = nullptr;
    uint8_t encoding_ = 0;           // 0 utf8, 1 utf16, 2 latin1+utf16
    bool params_in_memory_ = false;  // flattened params > 16: passed through memory
    bool results_in_memory_ = false; // flattened results > 1: returned through memory
    HostFunc host_;
};

class Instance {
public:
    // An exported function by name: "greet", or "local:demo/greet#greet" /
    // "local:demo/greet.greet" for a function of an exported instance.
    Func* get_func(std::string_view name) const;
    // An exported instance by name.
    Instance* get_instance(std::string_view name) const;
    struct Export {
        std::string name;
        Sort sort = Sort::Func;
        Func* func = nullptr;
        Instance* instance = nullptr;
        ResourceImpl* resource = nullptr;
        // Sort::Component: the component, with the enclosing instance its outer aliases see.
        const detail::ComponentData* component = nullptr;
        detail::RScope* component_scope = nullptr;
        const detail::CoreModuleDef* module = nullptr; // Sort::CoreModule
    };
    const std::vector<Export>& exports() const { return exports_; }
    // The type of this instance's exports (for linking it into another component).
    const InstanceType& type() const { return *type_; }

private:
    friend struct detail::Runtime;
    friend class detail::Instantiator;
    friend class Linker;
    friend class InstancePre;
    std::vector<Export> exports_;
    const InstanceType* type_ = nullptr;
};

class Store {
public:
    explicit Store(const wasm::Engine& engine, wasm::StoreLimits limits = {});
    // Runs the host destructor of every own handle of a host resource the instances still
    // hold: the Linker that defined the resources and whatever their destructors use must
    // outlive the Store (declare them before it).
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    wasm::Store& core() { return core_; }
    const wasm::Engine& engine() const { return core_.engine(); }

    // Calls a component function: the arguments are checked against its parameter types,
    // lowered into the callee's memory, the core function runs, the result is lifted and
    // post-return runs. Guest traps and ABI violations come back as Errors of kind Trap.
    Result<std::optional<Val>> call(Func* func, std::span<const Val> args);

    // Drops an own handle the host holds (runs the destructor).
    Result<void> drop_resource(const Val& own);

    detail::Runtime& runtime() { return *runtime_; }

private:
    friend class Linker;
    wasm::Store core_;
    std::unique_ptr<detail::Runtime> runtime_;
};

class Linker {
public:
    Linker();
    ~Linker();
    Linker(const Linker&) = delete;
    Linker& operator=(const Linker&) = delete;

    // Types for host definitions are built here and live as long as the Linker.
    TypeArena& types() { return *types_; }

    // Defines function `name` in host instance `instance` (e.g. "local:demo/host"); with an
    // empty `instance` it is a top-level function import.
    void define_func(std::string_view instance, std::string_view name, const FuncType* type,
                     HostFunc fn);
    // Defines resource type `name` in host instance `instance`; `dtor` runs when the guest
    // drops an own handle of it. Returns the resource to build own/borrow types and Vals with.
    ResourceImpl* define_resource(std::string_view instance, std::string_view name,
                                  std::function<void(uint32_t rep)> dtor = {});
    // Exports a resource defined before under a second name too, as WIT's `type headers =
    // fields` or `use ...{error as io-error}` make an instance export one resource twice.
    void alias_resource(std::string_view instance, std::string_view name, ResourceImpl* resource);
    // Declares host instance `instance` even when nothing is defined in it (an interface of
    // value types only, e.g. one that declares records).
    void declare_instance(std::string_view instance) { (void)def(instance); }
    // Provides a component instance's export `name` (or the whole instance when `name` is
    // empty is not allowed) as import `as`: component-to-component linking.
    Result<void> define_instance(std::string_view as, Instance* instance);

    // Type-checks the component's imports against the definitions (Unlinkable error naming the
    // import and the mismatch), then instantiates it in `store`: core modules in the order the
    // component gives, start functions run.
    Result<Instance*> instantiate(Store& store, const std::shared_ptr<const Component>& component);

    // Type-checks the component's imports against the definitions once (the same errors as
    // instantiate); the result instantiates it as often as wanted. The Linker must outlive it
    // and must not be given new definitions meanwhile.
    Result<std::shared_ptr<const InstancePre>>
    instantiate_pre(const std::shared_ptr<const Component>& component);

private:
    struct Def;
    Def& def(std::string_view instance);
    std::unique_ptr<TypeArena> types_;
    std::vector<std::unique_ptr<Def>> defs_;
    std::vector<std::unique_ptr<Func>> host_funcs_;
    std::vector<std::unique_ptr<ResourceImpl>> host_resources_;
};

// A component whose imports are resolved (wasmtime's InstancePre): what each import is bound
// to is decided once, and every instantiate() only builds the instance: its core modules'
// memories mapped from their images, functions, tables, the lifted and lowered functions.
// The first instantiation records where each name it looks up was found, the next ones replay
// those positions. Thread-safe: several threads may instantiate from one InstancePre at once,
// each into its own Store; a Store keeps the InstancePre it used alive.
class InstancePre : public std::enable_shared_from_this<InstancePre> {
public:
    ~InstancePre();
    InstancePre(const InstancePre&) = delete;
    InstancePre& operator=(const InstancePre&) = delete;

    const std::shared_ptr<const Component>& component() const { return component_; }
    // Instantiates in `store` (start functions run); traps and failures are Errors.
    Result<Instance*> instantiate(Store& store) const;

private:
    friend class Linker;
    struct Imports;
    InstancePre();
    static Instance* empty_instance(Imports& imports, const InstanceType& type);
    std::shared_ptr<const Component> component_;
    std::unique_ptr<Imports> imports_;
    mutable std::mutex tape_mutex_;
    mutable std::unique_ptr<detail::LookupTape> tape_owner_;
    mutable std::atomic<const detail::LookupTape*> tape_{nullptr};
};

} // namespace cirrus::component
