// The runtime half of the JIT tier: entering compiled code from the host or the interpreter,
// and the helpers compiled code calls for what is not worth inlining (calls that leave the
// module's compiled code, tables, bulk memory, traps, fuel). Each helper does what the
// interpreter's handler of the same instruction does (interpreter.cpp), on the same objects.
#include "../interpreter.h"
#include "../module_data.h"
#include "jit.h"

#include <algorithm>
#include <cstring>
#include <pthread.h>

namespace cirrus::wasm::detail {

namespace {

// Compiled code may use the native stack down to this address; what lies below is kept for
// the host functions, helpers and interpreter frames it calls, and for reporting the trap.
// Computed once per thread (pthread_getattr_np reads /proc on the main thread).
uintptr_t native_stack_limit() {
    thread_local uintptr_t limit = [] {
        pthread_attr_t attr;
        void* low = nullptr;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            pthread_attr_getstack(&attr, &low, &size);
            pthread_attr_destroy(&attr);
        }
        if (!low || size == 0) {
            // Unknown: allow 256 KiB below here.
            char here;
            return reinterpret_cast<uintptr_t>(&here) - (256u << 10);
        }
        size_t reserve = std::min<size_t>(size / 4, 512u << 10);
        return reinterpret_cast<uintptr_t>(low) + reserve;
    }();
    return limit;
}

Interpreter& interp_of(JitContext* ctx) {
    return *ctx->interp;
}

} // namespace

const char* jit_trap_message(JitTrap reason) {
    switch (reason) {
    case JitTrap::Unreachable: return "unreachable";
    case JitTrap::MemoryOutOfBounds: return "out of bounds memory access";
    case JitTrap::DivideByZero: return "integer divide by zero";
    case JitTrap::IntegerOverflow: return "integer overflow";
    case JitTrap::InvalidConversion: return "invalid conversion to integer";
    case JitTrap::UndefinedElement: return "undefined element";
    case JitTrap::UninitializedElement: return "uninitialized element";
    case JitTrap::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case JitTrap::TableOutOfBounds: return "out of bounds table access";
    case JitTrap::StackExhausted: return "call stack exhausted";
    case JitTrap::Deadline: return "interrupted: the guest ran past its deadline";
    case JitTrap::FuelExhausted: return "all fuel consumed";
    }
    return "trap";
}

void JitRuntime::bind_instance(Store& store, Instance& inst) {
    const ModuleData& m = inst.module_->data();
    if (!m.jit) return;
    static uint8_t* const no_base = nullptr;
    static const uint64_t no_size = 0;
    auto data = std::make_unique<JitInstanceData>();
    JitEnv& env = data->env;
    env.instance = &inst;
    env.memory_base = inst.memory0_ ? &inst.memory0_->base_ : &no_base;
    env.memory_size = inst.memory0_ ? &inst.memory0_->size_ : &no_size;
    for (Global* g : inst.globals_) data->global_ptrs.push_back(&g->value_);
    env.globals = data->global_ptrs.data();
    env.funcs = inst.funcs_.data();
    inst.jit_env_ = &env;
    for (size_t i = 0; i < m.code.size(); ++i)
        inst.funcs_[m.num_imported_funcs + i]->jit_code_ = m.jit->entry(static_cast<uint32_t>(i));
    store.interp_->jit_instances_.push_back(std::move(data));
}

uint32_t JitRuntime::enter(Interpreter& interp, Func* func, uint64_t* fp) {
    JitContext& ctx = interp.jit_ctx_;
    ctx.native_stack_limit = native_stack_limit();
    uint64_t* saved = interp.stack_top_;
    uint32_t status =
        reinterpret_cast<JitFunction>(func->jit_code_)(&ctx, func->instance_->jit_env_, fp);
    interp.stack_top_ = saved;
    return status;
}

uint32_t JitRuntime::call(JitContext* ctx, JitEnv* caller, Func* callee, uint64_t* fp,
                          uint64_t* top) {
    if (callee->jit_code_)
        return reinterpret_cast<JitFunction>(callee->jit_code_)(ctx, callee->instance_->jit_env_,
                                                                fp);
    Interpreter& in = interp_of(ctx);
    // Anything that runs now (a host function calling back into the store, the interpreter)
    // allocates its frames above the caller's.
    uint64_t* saved = in.stack_top_;
    in.stack_top_ = top;
    Result<void> r = callee->host_ ? Interpreter::call_host(in.store_, caller->instance, callee, fp)
                                   : in.run(callee, fp);
    in.stack_top_ = saved;
    if (r.ok()) return 0;
    in.jit_error_ = std::move(r).error();
    return 1;
}

uint32_t JitRuntime::call_indirect(JitContext* ctx, JitEnv* caller, uint32_t table,
                                   uint32_t type_id, uint32_t index, uint64_t* fp, uint64_t* top) {
    const Table* t = caller->instance->tables_[table];
    JitTrap reason;
    if (index >= t->elements_.size()) {
        reason = JitTrap::UndefinedElement;
    } else if (Func* f = reinterpret_cast<Func*>(static_cast<uintptr_t>(t->elements_[index])); !f) {
        reason = JitTrap::UninitializedElement;
    } else if (f->type_id_ != type_id) {
        reason = JitTrap::IndirectCallTypeMismatch;
    } else {
        return call(ctx, caller, f, fp, top);
    }
    // The caller's unwind path adds its name to the backtrace.
    interp_of(ctx).jit_error_ = Error(ErrorKind::Trap, jit_trap_message(reason));
    return 1;
}

void JitRuntime::trap(JitContext* ctx, JitEnv* env, uint32_t func_index, uint32_t reason) {
    auto r = static_cast<JitTrap>(reason);
    Error e(r == JitTrap::StackExhausted ? ErrorKind::Exhaustion : ErrorKind::Trap,
            jit_trap_message(r));
    e.backtrace.push_back(describe_function(env->instance, func_index));
    interp_of(ctx).jit_error_ = std::move(e);
}

void JitRuntime::unwind(JitContext* ctx, JitEnv* env, uint32_t func_index) {
    auto& err = interp_of(ctx).jit_error_;
    if (err && err->backtrace.size() < 64)
        err->backtrace.push_back(describe_function(env->instance, func_index));
}

uint32_t JitRuntime::consume_fuel(JitContext* ctx) {
    Store& s = interp_of(ctx).store_;
    if (s.fuel_ == 0) return 1;
    --s.fuel_;
    return 0;
}

uint32_t JitRuntime::memory_grow(JitEnv* env, uint32_t delta) {
    auto r = env->instance->memories_[0]->grow(delta);
    return r.ok() ? *r : uint32_t(-1);
}

uint32_t JitRuntime::memory_init(JitEnv* env, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
    Instance& inst = *env->instance;
    const ModuleData& m = inst.module_->data();
    const DataSegment& ds = m.datas[seg];
    uint64_t seg_size = inst.data_dropped_[seg] ? 0 : ds.size;
    Memory* mem = inst.memory0_;
    if (uint64_t(s) + n > seg_size || uint64_t(d) + n > mem->size_) return 1;
    if (n) std::memcpy(mem->base_ + d, m.bytes.data() + ds.begin + s, n);
    return 0;
}

void JitRuntime::data_drop(JitEnv* env, uint32_t seg) {
    env->instance->data_dropped_[seg] = true;
}

uint32_t JitRuntime::memory_copy(JitEnv* env, uint32_t d, uint32_t s, uint32_t n) {
    Memory* mem = env->instance->memory0_;
    if (uint64_t(s) + n > mem->size_ || uint64_t(d) + n > mem->size_) return 1;
    if (n) std::memmove(mem->base_ + d, mem->base_ + s, n);
    return 0;
}

uint32_t JitRuntime::memory_fill(JitEnv* env, uint32_t d, uint32_t v, uint32_t n) {
    Memory* mem = env->instance->memory0_;
    if (uint64_t(d) + n > mem->size_) return 1;
    if (n) std::memset(mem->base_ + d, static_cast<uint8_t>(v), n);
    return 0;
}

uint32_t JitRuntime::table_get(JitEnv* env, uint32_t table, uint32_t i, uint64_t* out) {
    const Table* t = env->instance->tables_[table];
    if (i >= t->elements_.size()) return 1;
    *out = t->elements_[i];
    return 0;
}

uint32_t JitRuntime::table_set(JitEnv* env, uint32_t table, uint32_t i, uint64_t v) {
    Table* t = env->instance->tables_[table];
    if (i >= t->elements_.size()) return 1;
    t->elements_[i] = v;
    return 0;
}

uint32_t JitRuntime::table_size(JitEnv* env, uint32_t table) {
    return static_cast<uint32_t>(env->instance->tables_[table]->elements_.size());
}

uint32_t JitRuntime::table_grow(JitEnv* env, uint32_t table, uint64_t init, uint32_t n) {
    Table* t = env->instance->tables_[table];
    auto r = t->grow(n, Value{t->type_.element, init});
    return r.ok() ? *r : uint32_t(-1);
}

uint32_t JitRuntime::table_fill(JitEnv* env, uint32_t table, uint32_t i, uint64_t v, uint32_t n) {
    Table* t = env->instance->tables_[table];
    if (uint64_t(i) + n > t->elements_.size()) return 1;
    std::fill_n(t->elements_.begin() + i, n, v);
    return 0;
}

uint32_t JitRuntime::table_copy(JitEnv* env, uint32_t dst, uint32_t src, uint32_t d, uint32_t s,
                                uint32_t n) {
    Table* dt = env->instance->tables_[dst];
    Table* st = env->instance->tables_[src];
    if (uint64_t(s) + n > st->elements_.size() || uint64_t(d) + n > dt->elements_.size()) return 1;
    if (n) std::memmove(dt->elements_.data() + d, st->elements_.data() + s, n * sizeof(uint64_t));
    return 0;
}

uint32_t JitRuntime::table_init(JitEnv* env, uint32_t table, uint32_t seg, uint32_t d, uint32_t s,
                                uint32_t n) {
    Table* t = env->instance->tables_[table];
    const auto& items = env->instance->elem_segments_[seg];
    if (uint64_t(s) + n > items.size() || uint64_t(d) + n > t->elements_.size()) return 1;
    if (n) std::memcpy(t->elements_.data() + d, items.data() + s, n * sizeof(uint64_t));
    return 0;
}

void JitRuntime::elem_drop(JitEnv* env, uint32_t seg) {
    auto& items = env->instance->elem_segments_[seg];
    items.clear();
    items.shrink_to_fit();
}

} // namespace cirrus::wasm::detail
