// The embedding API of the core WebAssembly engine.
//
//   Engine   process-wide settings and the epoch counter used to interrupt guests.
//   Module   decoded and validated once; immutable, shared read-only across threads.
//   Store    owns the runtime objects (instances, functions, memories, tables, globals) of one
//            unit of work; used by one thread at a time.
//   Linker   names host objects and instances, resolves a module's imports, instantiates.
//   Instance an instantiated module; its exports are looked up by name.
//
// Everything a user or a guest can get wrong comes back as a cirrus::Error value; a guest
// trap is an Error of kind Trap (or Exhaustion) with a message and a wasm backtrace.
#pragma once

#include "cirrus/support/result.h"
#include "cirrus/wasm/types.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cirrus::wasm {

namespace detail {
struct ModuleData;
struct FuncCode;
class TypeRegistry;
class Interpreter;
class MemoryImage;
class MemoryPool;
struct JitRuntime;
struct JitEnv;
} // namespace detail

class Store;
class Instance;
class Memory;
class Table;
class Global;

// How a store runs wasm code. Interpreter: the pre-decoded code form (see interpreter.cpp),
// ready as soon as a module is validated. Jit: each module is also compiled to native code with
// LLVM when Module::compile runs (src/wasm/jit/); a function the compiler does not take runs in
// the interpreter, and calls between the two go both ways.
enum class Tier : uint8_t { Interpreter, Jit };

// The tier an EngineConfig starts with: Tier::Interpreter unless the environment variable
// CIRRUS_TIER says "jit" (read once per process; the one place the variable is read).
Tier default_tier();
// Overrides the environment for EngineConfigs made from now on (the CLI's --tier).
void set_default_tier(Tier tier);

struct EngineConfig {
    Tier tier = default_tier();
    // Maximum nesting of wasm calls before "call stack exhausted".
    uint32_t max_call_depth = 20000;
    // Slots (8 bytes each) in a store's value stack for locals and operands.
    uint32_t value_stack_slots = 1u << 20;
    // Tier::Jit: a function whose pre-decoded code is longer than this (in 32-bit words) is
    // left to the interpreter, bounding the time LLVM spends on any one function.
    uint32_t jit_max_function_words = 1u << 20;
};

// What the JIT tier made of a module.
struct JitStats {
    uint32_t compiled_functions = 0;
    uint32_t interpreted_functions = 0; // left to the interpreter (too large, or not taken)
    double translate_ms = 0;            // wasm code → optimised LLVM IR
    double codegen_ms = 0;              // LLVM IR → native code
    std::string fallback_reason;        // why the first function was left out, or ""
};

class Engine {
public:
    explicit Engine(EngineConfig config = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    const EngineConfig& config() const { return config_; }

    // Advances the epoch; a store whose deadline is at or before the new epoch traps
    // ("interrupted: deadline reached") at its next function entry or loop back-edge.
    // Safe to call from any thread (typically a timer thread).
    void increment_epoch() { epoch_.fetch_add(1, std::memory_order_relaxed); }
    uint64_t epoch() const { return epoch_.load(std::memory_order_relaxed); }

    detail::TypeRegistry& types() const { return *types_; }
    // The engine-wide id of a function type: structurally equal types have equal ids.
    uint32_t type_id(const FuncType& type) const;
    // Address-space reservations of freed memories, kept for the next ones.
    detail::MemoryPool& memory_pool() const { return *memory_pool_; }

private:
    friend class detail::Interpreter;
    EngineConfig config_;
    std::atomic<uint64_t> epoch_{0};
    std::unique_ptr<detail::TypeRegistry> types_;
    std::unique_ptr<detail::MemoryPool> memory_pool_;
};

struct CustomSection {
    std::string name;
    std::vector<uint8_t> bytes;
};

class Module {
public:
    // Decodes and validates a binary module. Errors are Malformed (bad encoding) or Invalid
    // (breaks a validation rule) and name the byte offset and the rule.
    static Result<std::shared_ptr<const Module>> compile(const Engine& engine,
                                                         std::span<const uint8_t> bytes);
    ~Module();

    const std::vector<ImportDesc>& imports() const;
    const std::vector<ExportDesc>& exports() const;
    const std::vector<CustomSection>& custom_sections() const;
    // Name of function `funcidx` from the name section, or "" when absent.
    std::string_view function_name(uint32_t funcidx) const;
    // With an engine of Tier::Jit: what was compiled. std::nullopt for the interpreter tier.
    std::optional<JitStats> jit_stats() const;

    const detail::ModuleData& data() const { return *data_; }

private:
    explicit Module(std::unique_ptr<detail::ModuleData> data);
    std::unique_ptr<detail::ModuleData> data_;
};

// A reference to a runtime object owned by a Store.
struct Extern {
    ExternKind kind = ExternKind::Func;
    void* object = nullptr;

    static Extern of(Func* f) { return {ExternKind::Func, f}; }
    static Extern of(Table* t) { return {ExternKind::Table, t}; }
    static Extern of(Memory* m) { return {ExternKind::Memory, m}; }
    static Extern of(Global* g) { return {ExternKind::Global, g}; }
    Func* func() const { return kind == ExternKind::Func ? static_cast<Func*>(object) : nullptr; }
    Table* table() const {
        return kind == ExternKind::Table ? static_cast<Table*>(object) : nullptr;
    }
    Memory* memory() const {
        return kind == ExternKind::Memory ? static_cast<Memory*>(object) : nullptr;
    }
    Global* global() const {
        return kind == ExternKind::Global ? static_cast<Global*>(object) : nullptr;
    }
};

// What a host function sees of its caller.
class Caller {
public:
    Store& store() const { return *store_; }
    // The calling instance, or null when the host function was called from the host.
    Instance* instance() const { return instance_; }
    // Memory 0 of the calling instance, or null.
    Memory* memory() const;

private:
    friend class detail::Interpreter;
    friend class Store;
    Caller(Store* store, Instance* instance) : store_(store), instance_(instance) {}
    Store* store_;
    Instance* instance_;
};

// A host function gets its arguments and writes its results (already sized and typed);
// returning an Error makes the calling guest trap with that message. It must not throw: the
// interpreter loop is built without exception support, so an exception would end the process.
using HostFunction = std::function<Result<void>(Caller& caller, std::span<const Value> args,
                                                std::span<Value> results)>;

class Func {
public:
    Func() = default;
    const FuncType& type() const { return *type_; }
    bool is_host() const { return host_ != nullptr; }
    // The instance that defines this function (null for host functions).
    Instance* instance() const { return instance_; }

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Store;
    friend class Linker;
    // A function defined by a module instance.
    Func(const FuncType* type, uint32_t type_id, Instance* instance, uint32_t func_index,
         const detail::FuncCode* code)
        : type_(type), instance_(instance), code_(code), type_id_(type_id),
          func_index_(func_index) {}
    const FuncType* type_ = nullptr;
    Instance* instance_ = nullptr; // defining instance for wasm functions
    const detail::FuncCode* code_ = nullptr;
    void* jit_code_ = nullptr; // native entry when the JIT tier compiled this function
    std::unique_ptr<HostFunction> host_;
    std::unique_ptr<FuncType> owned_type_; // host functions own their type
    uint32_t type_id_ = 0;                 // canonical id from the engine's type registry
    uint32_t func_index_ = 0;              // index in the defining module
};

class Memory {
public:
    static constexpr uint64_t page_size = 65536;
    ~Memory();
    const MemoryType& type() const { return type_; }
    uint8_t* data() const { return base_; }
    uint64_t size_bytes() const { return size_; }
    uint32_t pages() const { return static_cast<uint32_t>(size_ / page_size); }
    // Grows by `delta` pages; returns the old size in pages, or an Error when the type's
    // maximum, the store's limit or the host's memory says no.
    Result<uint32_t> grow(uint32_t delta);

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Store;
    friend class Linker;
    MemoryType type_;
    uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    uint64_t reserved_ = 0;              // bytes of address space reserved at base_
    uint32_t limit_pages_ = 0;           // min(type max, store limit)
    detail::MemoryPool* pool_ = nullptr; // where the reservation goes back to
    uint64_t image_id_ = 0;              // the memory image mapped at base_, 0: none
};

class Table {
public:
    const TableType& type() const { return type_; }
    uint32_t size() const { return static_cast<uint32_t>(elements_.size()); }
    Result<Value> get(uint32_t index) const;
    Result<void> set(uint32_t index, Value value);
    // Grows by `delta` elements set to `init`; returns the old size or an Error.
    Result<uint32_t> grow(uint32_t delta, Value init);

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Store;
    friend class Linker;
    TableType type_;
    std::vector<uint64_t> elements_; // ref bits: Func* or host pointer, 0 = null
    uint32_t limit_ = 0;             // min(type max, store limit)
};

class Global {
public:
    const GlobalType& type() const { return type_; }
    Value get() const { return Value{type_.type, value_}; }
    // Fails for an immutable global or a value of the wrong type.
    Result<void> set(Value value);

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Store;
    friend class Linker;
    GlobalType type_;
    uint64_t value_ = 0;
};

class Instance {
public:
    const Module& module() const { return *module_; }
    std::optional<Extern> get_export(std::string_view name) const;
    Func* get_func(std::string_view name) const;
    Memory* get_memory(std::string_view name) const;
    Table* get_table(std::string_view name) const;
    Global* get_global(std::string_view name) const;
    // Exports in module order.
    const std::vector<std::pair<std::string, Extern>>& exports() const { return exports_; }

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Store;
    friend class Linker;
    friend class Caller;
    std::shared_ptr<const Module> module_;
    std::vector<Func*> funcs_;
    std::vector<Table*> tables_;
    std::vector<Memory*> memories_;
    Memory* memory0_ = nullptr;         // memories_[0], or null: read on every call and return
    detail::JitEnv* jit_env_ = nullptr; // what compiled code reads of it (owned by the store)
    std::vector<Global*> globals_;
    std::vector<std::vector<uint64_t>> elem_segments_; // dropped segments are empty
    std::vector<bool> data_dropped_;
    std::vector<std::pair<std::string, Extern>> exports_;
};

struct StoreLimits {
    uint32_t max_memory_pages = 65536;      // per memory
    uint32_t max_table_elements = 10000000; // per table
};

class Store {
public:
    explicit Store(const Engine& engine, StoreLimits limits = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const Engine& engine() const { return *engine_; }
    const StoreLimits& limits() const { return limits_; }

    Func* create_host_func(FuncType type, HostFunction fn);
    // The same with a type that outlives the store and its Engine::type_id: nothing to copy
    // or intern per function.
    Func* create_host_func(const FuncType* type, uint32_t type_id, HostFunction fn);
    Result<Table*> create_table(TableType type, Value init);
    Result<Memory*> create_memory(MemoryType type);
    Result<Global*> create_global(GlobalType type, Value init);

    // Calls a function with arguments of its parameter types; returns its results, or the
    // trap (kind Trap or Exhaustion) with a backtrace, or a Usage error for wrong arguments.
    Result<std::vector<Value>> call(Func* func, std::span<const Value> args);

    // Interruption. The guest traps at its next function entry or loop back-edge once the
    // engine's epoch reaches the deadline, or right away after interrupt().
    void set_epoch_deadline(uint64_t ticks_from_now);
    void clear_epoch_deadline();
    void interrupt(); // thread-safe
    // Fuel: each function entry and loop iteration costs one unit; at zero the guest traps
    // ("all fuel consumed"). std::nullopt turns metering off (the default).
    void set_fuel(std::optional<uint64_t> fuel);
    std::optional<uint64_t> fuel() const;

private:
    friend class detail::Interpreter;
    friend struct detail::JitRuntime;
    friend class Linker;
    // A memory whose initial contents are `image` (or zeros when null).
    Result<Memory*> create_memory(MemoryType type, const detail::MemoryImage* image);
    const Engine* engine_;
    StoreLimits limits_;
    std::vector<std::unique_ptr<Func>> funcs_;
    std::vector<std::vector<Func>> func_blocks_; // the functions of module instances
    std::vector<std::unique_ptr<Table>> tables_;
    std::vector<std::unique_ptr<Memory>> memories_;
    std::vector<std::unique_ptr<Global>> globals_;
    std::vector<std::unique_ptr<Instance>> instances_;
    std::atomic<uint64_t> deadline_{UINT64_MAX};
    bool fuel_enabled_ = false;
    uint64_t fuel_ = 0;
    std::unique_ptr<detail::Interpreter> interp_;
};

class Linker {
public:
    // Names one object as import `module`.`name`; a later definition replaces an earlier one.
    void define(std::string_view module, std::string_view name, Extern value);
    // Names every export of `instance` under `module` (like the spec's `register`).
    void define_instance(std::string_view module, const Instance& instance);
    // Resolves the imports (kind and type checked: Unlinkable error naming the import),
    // allocates the module's objects in `store`, runs element and data initialisation and the
    // start function (a trap there is an Error of kind Trap; objects already written stay).
    Result<Instance*> instantiate(Store& store, const std::shared_ptr<const Module>& module) const;
    // The same with the imports given in the module's import order, as resolved once by an
    // embedder that instantiates the module many times (no lookups by name).
    static Result<Instance*> instantiate(Store& store, const std::shared_ptr<const Module>& module,
                                         std::span<const Extern> imports);

private:
    static void unmap_image(Memory& mem);
    std::unordered_map<std::string, Extern> defs_; // key: module + '\0' + name
};

} // namespace cirrus::wasm
