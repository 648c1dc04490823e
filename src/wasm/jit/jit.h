// The JIT tier: each validated function's pre-decoded code (the slot-addressed form the
// validator emits, see validator.cpp) is translated to LLVM IR, optimised and compiled to
// native code with LLVM ORC (LLJIT). Private to the wasm layer.
//
// The calling convention of compiled code mirrors the interpreter's frames, so the two tiers
// call each other freely: a compiled function is
//
//     uint32_t f(JitContext* ctx, JitEnv* env, uint64_t* fp)
//
// reading its parameters from fp[0..params) and writing its results to fp[0..results), on the
// store's value stack exactly where the interpreter would have put its frame. Its locals and
// operands live in LLVM values (registers), not in the frame; only a call's arguments and
// results pass through the value stack. The return value is 0, or 1 when the function trapped:
// the trap (an Error with its backtrace) then waits in the Interpreter, and each compiled
// caller adds its own name to the backtrace on the way out. No longjmp, no unwinding tables.
#pragma once

#include "cirrus/wasm/engine.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::wasm::detail {

struct ModuleData;
class Interpreter;

// What compiled code reads of its store (one per Store, in the Interpreter). Plain data at
// fixed offsets: the translator names the fields with offsetof.
struct JitContext {
    const std::atomic<uint64_t>* epoch;    // the engine's epoch
    const std::atomic<uint64_t>* deadline; // the store's deadline
    const bool* fuel_enabled;              // the store's fuel switch
    const uint64_t* stack_end;             // end of the value stack
    uintptr_t native_stack_limit;          // lowest native stack address compiled code may use
    Interpreter* interp;
};

// What compiled code reads of one instance, built once when the instance is created.
struct JitEnv {
    Instance* instance;
    uint8_t* const* memory_base; // &memory0->base_, or a null base when there is no memory
    const uint64_t* memory_size; // &memory0->size_, or a zero
    uint64_t* const* globals;    // &globals_[i]->value_ per global
    Func* const* funcs;          // instance->funcs_
};

// A JitEnv with the storage its arrays point into; the store owns one per instance.
struct JitInstanceData {
    JitEnv env;
    std::vector<uint64_t*> global_ptrs;
};

// Why compiled code trapped; the messages are the interpreter's.
enum class JitTrap : uint32_t {
    Unreachable,
    MemoryOutOfBounds,
    DivideByZero,
    IntegerOverflow,
    InvalidConversion,
    UndefinedElement,
    UninitializedElement,
    IndirectCallTypeMismatch,
    TableOutOfBounds,
    StackExhausted,
    Deadline,
    FuelExhausted,
};

using JitFunction = uint32_t (*)(JitContext* ctx, JitEnv* env, uint64_t* fp);

// The native code of one module: an entry per defined function, null for the ones left to
// the interpreter. Shared by every instance of the module; frees its code when destroyed.
class JitModule {
public:
    // Translates and compiles every function of `module`. Never fails as a whole: what LLVM
    // does not take runs in the interpreter (the counts say how much).
    // Functions longer than `max_words` code words are left to the interpreter.
    static std::shared_ptr<const JitModule> compile(const ModuleData& module, uint32_t max_words);
    ~JitModule();

    void* entry(uint32_t defined_index) const {
        return defined_index < entries_.size() ? entries_[defined_index] : nullptr;
    }
    uint32_t compiled_functions() const { return compiled_; }
    uint32_t interpreted_functions() const { return interpreted_; }
    double translate_ms() const { return translate_ms_; }
    double codegen_ms() const { return codegen_ms_; }
    // Why the module (or the first function) was left to the interpreter, or "".
    const std::string& fallback_reason() const { return fallback_reason_; }

private:
    std::vector<void*> entries_;
    uint32_t compiled_ = 0;
    uint32_t interpreted_ = 0;
    double translate_ms_ = 0;
    double codegen_ms_ = 0;
    std::string fallback_reason_;
    void* dylib_ = nullptr; // llvm::orc::JITDylib*
};

// The runtime half: entry from the host or the interpreter, and the helpers compiled code
// calls. A friend of the runtime objects, so it reads their fields directly.
struct JitRuntime {
    // Called by Linker::instantiate once the instance's objects exist: builds its JitEnv and
    // points each compiled function's Func at its native code.
    static void bind_instance(Store& store, Instance& instance);

    // Runs compiled `func` with its frame at `fp` (the interpreter's frame layout). Returns 0
    // or 1 (trapped; the Error is in interp.jit_error_).
    static uint32_t enter(Interpreter& interp, Func* func, uint64_t* fp);

    // ---- called from compiled code
    static uint32_t call(JitContext* ctx, JitEnv* caller, Func* callee, uint64_t* fp,
                         uint64_t* top);
    static uint32_t call_indirect(JitContext* ctx, JitEnv* caller, uint32_t table, uint32_t type_id,
                                  uint32_t index, uint64_t* fp, uint64_t* top);
    static void trap(JitContext* ctx, JitEnv* env, uint32_t func_index, uint32_t reason);
    static void unwind(JitContext* ctx, JitEnv* env, uint32_t func_index);
    static uint32_t consume_fuel(JitContext* ctx);
    static uint32_t memory_grow(JitEnv* env, uint32_t delta);
    static uint32_t memory_init(JitEnv* env, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
    static void data_drop(JitEnv* env, uint32_t seg);
    static uint32_t memory_copy(JitEnv* env, uint32_t d, uint32_t s, uint32_t n);
    static uint32_t memory_fill(JitEnv* env, uint32_t d, uint32_t v, uint32_t n);
    static uint32_t table_get(JitEnv* env, uint32_t table, uint32_t i, uint64_t* out);
    static uint32_t table_set(JitEnv* env, uint32_t table, uint32_t i, uint64_t v);
    static uint32_t table_size(JitEnv* env, uint32_t table);
    static uint32_t table_grow(JitEnv* env, uint32_t table, uint64_t init, uint32_t n);
    static uint32_t table_fill(JitEnv* env, uint32_t table, uint32_t i, uint64_t v, uint32_t n);
    static uint32_t table_copy(JitEnv* env, uint32_t dst, uint32_t src, uint32_t d, uint32_t s,
                               uint32_t n);
    static uint32_t table_init(JitEnv* env, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                               uint32_t n);
    static void elem_drop(JitEnv* env, uint32_t seg);
};

const char* jit_trap_message(JitTrap reason);

} // namespace cirrus::wasm::detail
