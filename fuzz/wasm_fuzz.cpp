// libFuzzer target for the core engine: decode and validate any bytes, and when they form a
// valid module, instantiate it with a stub for every import and call each exported function
// with zero arguments under a fuel limit. The invariants checked are the engine's promises for
// untrusted input: no crash, no sanitizer report, no hang, and a refused binary is always a
// Malformed or Invalid error with a message.
#include "cirrus/wasm/engine.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using namespace cirrus;
using namespace cirrus::wasm;

// Enough for real work per call, few enough that each input runs in milliseconds.
constexpr uint64_t fuel_per_call = 20000;

const Engine& fuzz_engine() {
    static const Engine engine([] {
        EngineConfig config;
        config.max_call_depth = 500;
        config.value_stack_slots = 1u << 16;
        return config;
    }());
    return engine;
}

Result<Extern> stub_import(Store& store, const ImportDesc& import) {
    const ExternType& type = import.type;
    switch (type.kind) {
    case ExternKind::Func: {
        auto returns_zeros = [](Caller&, std::span<const Value>,
                                std::span<Value> results) -> Result<void> {
            for (Value& result : results) result = Value::zero(result.type);
            return {};
        };
        return Extern::of(store.create_host_func(type.func, returns_zeros));
    }
    case ExternKind::Table: {
        CIRRUS_TRY_ASSIGN(Table * table,
                          store.create_table(type.table, Value::null(type.table.element)));
        return Extern::of(table);
    }
    case ExternKind::Memory: {
        CIRRUS_TRY_ASSIGN(Memory * memory, store.create_memory(type.memory));
        return Extern::of(memory);
    }
    case ExternKind::Global: {
        CIRRUS_TRY_ASSIGN(Global * global,
                          store.create_global(type.global, Value::zero(type.global.type)));
        return Extern::of(global);
    }
    }
    return make_error(ErrorKind::Usage, "unknown import kind");
}

void run_module(const std::shared_ptr<const Module>& module) {
    StoreLimits limits;
    limits.max_memory_pages = 256; // 16 MiB
    limits.max_table_elements = 100000;
    Store store(fuzz_engine(), limits);
    Linker linker;
    for (const ImportDesc& import : module->imports()) {
        auto stub = stub_import(store, import);
        if (!stub.ok()) return; // e.g. a memory larger than the limit
        linker.define(import.module, import.name, *stub);
    }
    store.set_fuel(fuel_per_call); // the start function runs under fuel too
    auto instance = linker.instantiate(store, module);
    if (!instance.ok()) return;
    for (const auto& [name, value] : (*instance)->exports()) {
        Func* func = value.func();
        if (!func) continue;
        std::vector<Value> args;
        for (ValType type : func->type().params) args.push_back(Value::zero(type));
        store.set_fuel(fuel_per_call);
        (void)store.call(func, args);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto module = Module::compile(fuzz_engine(), std::span<const uint8_t>(data, size));
    if (!module.ok()) {
        const Error& error = module.error();
        bool expected_kind = error.kind == ErrorKind::Malformed || error.kind == ErrorKind::Invalid;
        if (!expected_kind || error.message.empty()) std::abort();
        return 0;
    }
    run_module(*module);
    return 0;
}
