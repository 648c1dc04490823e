// The interpreter loop. Dispatch is direct threading through a table of label addresses
// (GCC/Clang "labels as values"); each instruction reads its operands from frame slots named
// in the code, so there is no operand push/pop and no immediate decoding at run time.
// Calls between wasm functions push a Frame record instead of recursing natively, so deep
// guest recursion ends in a "call stack exhausted" trap, never a host crash.
#include "interpreter.h"

#include "ops.h"

#include <cstring>
#include <fmt/format.h>

namespace cirrus::wasm::detail {

namespace {

// Slot representation of each value type: i32 and f32 live in the low 32 bits.
inline uint32_t rd_I32(uint64_t s) {
    return static_cast<uint32_t>(s);
}
inline uint64_t rd_I64(uint64_t s) {
    return s;
}
inline float rd_F32(uint64_t s) {
    return std::bit_cast<float>(static_cast<uint32_t>(s));
}
inline double rd_F64(uint64_t s) {
    return std::bit_cast<double>(s);
}
inline uint64_t wr_I32(uint32_t v) {
    return v;
}
inline uint64_t wr_I64(uint64_t v) {
    return v;
}
inline uint64_t wr_F32(float v) {
    return std::bit_cast<uint32_t>(v);
}
inline uint64_t wr_F64(double v) {
    return std::bit_cast<uint64_t>(v);
}

// Immediate operands are one code word: i64 ones sign-extended from 32 bits, f32 ones their
// bit pattern. (The validator never gives an f64 operation an immediate.)
inline uint32_t imm_I32(uint32_t w) {
    return w;
}
inline uint64_t imm_I64(uint32_t w) {
    return static_cast<uint64_t>(int64_t(int32_t(w)));
}
inline float imm_F32(uint32_t w) {
    return std::bit_cast<float>(w);
}
inline double imm_F64(uint32_t w) {
    return std::bit_cast<double>(uint64_t(w));
}

template <typename C>
inline uint64_t load_ext_I32(C v) {
    return static_cast<uint32_t>(v);
}
template <typename C>
inline uint64_t load_ext_I64(C v) {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
}
template <>
inline uint64_t load_ext_I64<uint64_t>(uint64_t v) {
    return v;
}
template <>
inline uint64_t load_ext_I64<uint32_t>(uint32_t v) {
    return v;
}
template <>
inline uint64_t load_ext_I64<uint16_t>(uint16_t v) {
    return v;
}
template <>
inline uint64_t load_ext_I64<uint8_t>(uint8_t v) {
    return v;
}
template <typename C>
inline uint64_t load_ext_F32(C v) {
    return v;
}
template <typename C>
inline uint64_t load_ext_F64(C v) {
    return v;
}

// memory.grow and table.grow: the old size, or -1 when growing is refused. (Kept out of
// the interpreter loop so no Result is alive across a computed goto.)
uint32_t grow_memory(Memory& memory, uint32_t delta) {
    auto r = memory.grow(delta);
    return r.ok() ? *r : uint32_t(-1);
}
uint32_t grow_table(Table& table, uint32_t delta, Value init) {
    auto r = table.grow(delta, init);
    return r.ok() ? *r : uint32_t(-1);
}

const char* num_trap_message(NumTrap t) {
    switch (t) {
    case NumTrap::DivByZero: return "integer divide by zero";
    case NumTrap::Overflow: return "integer overflow";
    case NumTrap::InvalidConversion: return "invalid conversion to integer";
    case NumTrap::None: break;
    }
    return "trap";
}

} // namespace

std::string describe_function(const Instance* instance, uint32_t func_index) {
    if (!instance) return "<host>";
    const Module& m = instance->module();
    std::string_view module_name = m.data().module_name;
    std::string_view name = m.function_name(func_index);
    std::string mod = module_name.empty() ? "<module>" : std::string(module_name);
    if (name.empty()) return fmt::format("{}!func[{}]", mod, func_index);
    return fmt::format("{}!{}", mod, name);
}

Interpreter::Interpreter(Store& store, const EngineConfig& config)
    : store_(store), stack_(new uint64_t[config.value_stack_slots]),
      stack_slots_(config.value_stack_slots), stack_top_(stack_.get()),
      frames_(new Frame[size_t(config.max_call_depth) + 1]), frame_top_(frames_.get()),
      frame_end_(frames_.get() + config.max_call_depth) {
    jit_ctx_.epoch = &store.engine_->epoch_;
    jit_ctx_.deadline = &store.deadline_;
    jit_ctx_.fuel_enabled = &store.fuel_enabled_;
    jit_ctx_.stack_end = stack_end();
    jit_ctx_.interp = this;
}

// Runs a compiled callee for the interpreter loop; on a trap, its kind and message are copied
// out and its backtrace waits in carried_backtrace_ for make_trap. (Out of line, so no Error
// is alive in the loop across a computed goto.)
uint32_t Interpreter::call_jit(Func* callee, uint64_t* fp, ErrorKind& kind, std::string& message) {
    if (!JitRuntime::enter(*this, callee, fp)) return 0;
    kind = jit_error_->kind;
    message = std::move(jit_error_->message);
    carried_backtrace_ = std::move(jit_error_->backtrace);
    jit_error_.reset();
    return 1;
}

Error Interpreter::make_trap(ErrorKind kind, std::string message, const FuncCode* code,
                             Instance* inst, size_t entry_depth) {
    Error e(kind, std::move(message));
    e.backtrace = std::move(carried_backtrace_);
    carried_backtrace_.clear();
    if (code) e.backtrace.push_back(describe_function(inst, code->func_index));
    for (size_t i = depth(); i-- > entry_depth;) {
        const Frame& f = frames_[i];
        if (f.code && e.backtrace.size() < 64)
            e.backtrace.push_back(describe_function(f.instance, f.code->func_index));
    }
    frame_top_ = frames_.get() + entry_depth;
    return e;
}

Result<void> Interpreter::call_host(Store& store, Instance* caller, Func* func, uint64_t* slots) {
    const FuncType& ft = func->type();
    constexpr size_t kInline = 8;
    Value inline_args[kInline], inline_results[kInline];
    std::vector<Value> heap_args, heap_results;
    Value* args = inline_args;
    Value* results = inline_results;
    if (ft.params.size() > kInline) {
        heap_args.resize(ft.params.size());
        args = heap_args.data();
    }
    if (ft.results.size() > kInline) {
        heap_results.resize(ft.results.size());
        results = heap_results.data();
    }
    for (size_t i = 0; i < ft.params.size(); ++i) args[i] = Value{ft.params[i], slots[i]};
    for (size_t i = 0; i < ft.results.size(); ++i) results[i] = Value::zero(ft.results[i]);
    Caller c(&store, caller);
    Result<void> r = (*func->host_)(c, std::span<const Value>(args, ft.params.size()),
                                    std::span<Value>(results, ft.results.size()));
    if (!r.ok()) {
        Error e = std::move(r).error();
        if (!e.is_trap()) e.kind = ErrorKind::Trap;
        return e;
    }
    for (size_t i = 0; i < ft.results.size(); ++i) {
        if (results[i].type != ft.results[i])
            return make_error(ErrorKind::Trap, "host function returned a value of the wrong type");
        slots[i] = results[i].bits;
    }
    return {};
}

Result<void> Interpreter::call(Func* func, uint64_t* args_and_results) {
    if (func->is_host()) {
        uint64_t* saved = stack_top_;
        stack_top_ =
            args_and_results + std::max(func->type().params.size(), func->type().results.size());
        auto r = call_host(store_, nullptr, func, args_and_results);
        stack_top_ = saved;
        return r;
    }
    if (func->jit_code_) {
        if (!JitRuntime::enter(*this, func, args_and_results)) return {};
        Error e = std::move(*jit_error_);
        jit_error_.reset();
        return e;
    }
    return run(func, args_and_results);
}

Result<void> Interpreter::run(Func* entry, uint64_t* entry_fp) {
#define CIRRUS_L_N(name) &&L_##name,
#define CIRRUS_L_X(code, name, ...) &&L_##name,
#define CIRRUS_L_IMM(code, name, ...) &&L_##name##Imm,
#define CIRRUS_L_BRIF(code, name, ...) &&L_BrIf##name,
#define CIRRUS_L_BRIF_IMM(code, name, ...) &&L_BrIf##name##Imm,
#define CIRRUS_L_BRUNLESS(code, name, ...) &&L_BrUnless##name,
#define CIRRUS_L_BRUNLESS_IMM(code, name, ...) &&L_BrUnless##name##Imm,
#define CIRRUS_L_ABS(code, name, ...) &&L_##name##Abs,
    static void* const labels[] = {
        CIRRUS_ALL_OPS(CIRRUS_L_N, CIRRUS_L_X, CIRRUS_L_IMM, CIRRUS_L_BRIF, CIRRUS_L_BRIF_IMM,
                       CIRRUS_L_BRUNLESS, CIRRUS_L_BRUNLESS_IMM, CIRRUS_L_ABS)};
#undef CIRRUS_L_ABS
#undef CIRRUS_L_N
#undef CIRRUS_L_X
#undef CIRRUS_L_IMM
#undef CIRRUS_L_BRIF
#undef CIRRUS_L_BRIF_IMM
#undef CIRRUS_L_BRUNLESS
#undef CIRRUS_L_BRUNLESS_IMM
    static_assert(sizeof(labels) / sizeof(labels[0]) == op_count);

    const size_t entry_depth = depth();
    uint64_t* const saved_top = stack_top_;
    const std::atomic<uint64_t>& epoch = store_.engine_->epoch_;
    const std::atomic<uint64_t>& deadline = store_.deadline_;
    uint64_t* const stack_limit = stack_end();

    const FuncCode* code = entry->code_;
    Instance* inst = entry->instance_;
    uint64_t* fp = entry_fp;
    const uint32_t* pc = nullptr;
    uint8_t* mem = nullptr;
    uint64_t mem_size = 0;
    Func* callee = nullptr;
    uint64_t* callee_fp = nullptr;
    const uint32_t* ret_pc = nullptr;
    const char* trap_message = nullptr;
    ErrorKind trap_kind = ErrorKind::Trap;
    std::string host_message;

// Memory 0 of the current instance is cached in registers; reloaded after anything that may
// have grown it or switched instances. (A macro, not a lambda: capturing the registers by
// reference would force them into memory.)
#define LOAD_MEMORY()                                                                              \
    do {                                                                                           \
        if (Memory* memory0 = inst->memory0_) {                                                    \
            mem = memory0->base_;                                                                  \
            mem_size = memory0->size_;                                                             \
        } else {                                                                                   \
            mem = nullptr;                                                                         \
            mem_size = 0;                                                                          \
        }                                                                                          \
    } while (0)
#define NEXT() goto* labels[*pc]
#define SLOT(i) fp[pc[i]]
#define TRAP(msg)                                                                                  \
    do {                                                                                           \
        trap_message = (msg);                                                                      \
        goto trap;                                                                                 \
    } while (0)
#define CHECK_INTERRUPT()                                                                          \
    do {                                                                                           \
        if (epoch.load(std::memory_order_relaxed) >= deadline.load(std::memory_order_relaxed))     \
            TRAP("interrupted: the guest ran past its deadline");                                  \
        if (store_.fuel_enabled_) {                                                                \
            if (store_.fuel_ == 0) TRAP("all fuel consumed");                                      \
            --store_.fuel_;                                                                        \
        }                                                                                          \
    } while (0)

    // Enter the entry function as if called from the host.
    {
        if (fp + code->frame_slots > stack_limit || frame_top_ >= frame_end_) {
            trap_kind = ErrorKind::Exhaustion;
            TRAP("call stack exhausted");
        }
        *frame_top_++ = Frame{nullptr, nullptr, nullptr, nullptr};
        for (uint32_t i = code->num_params; i < code->num_locals; ++i) fp[i] = 0;
        stack_top_ = fp + code->frame_slots;
        pc = code->code.data();
        LOAD_MEMORY();
        CHECK_INTERRUPT();
        NEXT();
    }

do_call:
    // callee, callee_fp and ret_pc are set.
    if (callee->jit_code_) {
        if (call_jit(callee, callee_fp, trap_kind, host_message)) {
            trap_message = host_message.c_str();
            goto trap;
        }
        LOAD_MEMORY();
        pc = ret_pc;
        NEXT();
    }
    if (callee->host_) {
        // Computed gotos skip destructors, so no object with one may be alive at NEXT():
        // the host call's Result lives in this inner scope only.
        bool failed = false;
        {
            uint64_t* saved = stack_top_;
            stack_top_ = fp + code->frame_slots;
            auto r = call_host(store_, inst, callee, callee_fp);
            stack_top_ = saved;
            if (!r.ok()) {
                failed = true;
                host_message = r.error().message;
                trap_kind = r.error().kind;
            }
        }
        if (failed) {
            trap_message = host_message.c_str();
            goto trap;
        }
        LOAD_MEMORY();
        pc = ret_pc;
        NEXT();
    }
    {
        const FuncCode* target = callee->code_;
        if (callee_fp + target->frame_slots > stack_limit || frame_top_ >= frame_end_) {
            trap_kind = ErrorKind::Exhaustion;
            TRAP("call stack exhausted");
        }
        *frame_top_++ = Frame{ret_pc, fp, code, inst};
        fp = callee_fp;
        code = target;
        for (uint32_t i = code->num_params; i < code->num_locals; ++i) fp[i] = 0;
        stack_top_ = fp + code->frame_slots;
        if (callee->instance_ != inst) {
            inst = callee->instance_;
            LOAD_MEMORY();
        }
        pc = code->code.data();
        CHECK_INTERRUPT();
        NEXT();
    }

do_return : {
    Frame f = *--frame_top_;
    if (!f.code) {
        stack_top_ = saved_top;
        return {};
    }
    fp = f.fp;
    code = f.code;
    stack_top_ = fp + code->frame_slots;
    pc = f.ret_pc;
    if (f.instance != inst) {
        inst = f.instance;
    }
    LOAD_MEMORY();
    NEXT();
}

L_Unreachable:
    TRAP("unreachable");
L_Br:
    pc += static_cast<int32_t>(pc[1]);
    NEXT();
L_BrIf:
    if (rd_I32(SLOT(1)))
        pc += static_cast<int32_t>(pc[2]);
    else
        pc += 3;
    NEXT();
L_BrUnless:
    if (!rd_I32(SLOT(1)))
        pc += static_cast<int32_t>(pc[2]);
    else
        pc += 3;
    NEXT();
L_BrTable : {
    uint32_t index = rd_I32(SLOT(1));
    uint32_t arity = pc[2], src = pc[3], count = pc[4];
    const uint32_t* entry = pc + 5 + 2 * (index < count ? index : count);
    uint32_t dst = entry[1];
    if (arity && dst != src) std::memmove(fp + dst, fp + src, arity * sizeof(uint64_t));
    pc += static_cast<int32_t>(entry[0]);
    NEXT();
}
L_Copy:
    SLOT(1) = SLOT(2);
    pc += 3;
    NEXT();
L_CopyN:
    std::memmove(fp + pc[1], fp + pc[2], pc[3] * sizeof(uint64_t));
    pc += 4;
    NEXT();
L_Return:
    std::memmove(fp, fp + pc[1], pc[2] * sizeof(uint64_t));
    goto do_return;
L_Return0:
    goto do_return;
L_Return1:
    fp[0] = SLOT(1);
    goto do_return;
L_Call:
    callee = inst->funcs_[pc[1]];
    callee_fp = fp + pc[2];
    ret_pc = pc + 3;
    goto do_call;
L_CallIndirect : {
    Table* table = inst->tables_[pc[2]];
    uint32_t index = rd_I32(SLOT(3));
    if (index >= table->elements_.size()) TRAP("undefined element");
    Func* f = reinterpret_cast<Func*>(static_cast<uintptr_t>(table->elements_[index]));
    if (!f) TRAP("uninitialized element");
    if (f->type_id_ != pc[1]) TRAP("indirect call type mismatch");
    callee = f;
    callee_fp = fp + pc[4];
    ret_pc = pc + 5;
    goto do_call;
}
L_LoopCheck:
    CHECK_INTERRUPT();
    pc += 1;
    NEXT();
L_Select:
    SLOT(1) = rd_I32(SLOT(4)) ? SLOT(2) : SLOT(3);
    pc += 5;
    NEXT();
L_Const32:
    SLOT(1) = pc[2];
    pc += 3;
    NEXT();
L_Const64:
    SLOT(1) = uint64_t(pc[2]) | (uint64_t(pc[3]) << 32);
    pc += 4;
    NEXT();
L_GlobalGet:
    SLOT(1) = inst->globals_[pc[2]]->value_;
    pc += 3;
    NEXT();
L_GlobalSet:
    inst->globals_[pc[1]]->value_ = SLOT(2);
    pc += 3;
    NEXT();
L_MemorySize:
    SLOT(1) = mem_size / Memory::page_size;
    pc += 2;
    NEXT();
L_MemoryGrow : {
    SLOT(1) = grow_memory(*inst->memories_[0], rd_I32(SLOT(2)));
    LOAD_MEMORY();
    pc += 3;
    NEXT();
}
L_MemoryInit : {
    uint32_t seg = pc[1];
    uint64_t d = rd_I32(SLOT(2)), s = rd_I32(SLOT(3)), n = rd_I32(SLOT(4));
    const DataSegment& ds = inst->module_->data().datas[seg];
    uint64_t seg_size = inst->data_dropped_[seg] ? 0 : ds.size;
    if (s + n > seg_size || d + n > mem_size) TRAP("out of bounds memory access");
    if (n) std::memcpy(mem + d, inst->module_->data().bytes.data() + ds.begin + s, n);
    pc += 5;
    NEXT();
}
L_DataDrop:
    inst->data_dropped_[pc[1]] = true;
    pc += 2;
    NEXT();
L_MemoryCopy : {
    uint64_t d = rd_I32(SLOT(1)), s = rd_I32(SLOT(2)), n = rd_I32(SLOT(3));
    if (s + n > mem_size || d + n > mem_size) TRAP("out of bounds memory access");
    if (n) std::memmove(mem + d, mem + s, n);
    pc += 4;
    NEXT();
}
L_MemoryFill : {
    uint64_t d = rd_I32(SLOT(1)), n = rd_I32(SLOT(3));
    if (d + n > mem_size) TRAP("out of bounds memory access");
    if (n) std::memset(mem + d, static_cast<uint8_t>(SLOT(2)), n);
    pc += 4;
    NEXT();
}
L_TableGet : {
    Table* t = inst->tables_[pc[2]];
    uint32_t i = rd_I32(SLOT(3));
    if (i >= t->elements_.size()) TRAP("out of bounds table access");
    SLOT(1) = t->elements_[i];
    pc += 4;
    NEXT();
}
L_TableSet : {
    Table* t = inst->tables_[pc[1]];
    uint32_t i = rd_I32(SLOT(2));
    if (i >= t->elements_.size()) TRAP("out of bounds table access");
    t->elements_[i] = SLOT(3);
    pc += 4;
    NEXT();
}
L_TableSize:
    SLOT(1) = static_cast<uint32_t>(inst->tables_[pc[2]]->elements_.size());
    pc += 3;
    NEXT();
L_TableGrow : {
    Table* t = inst->tables_[pc[2]];
    SLOT(1) = grow_table(*t, rd_I32(SLOT(4)), Value{t->type_.element, SLOT(3)});
    pc += 5;
    NEXT();
}
L_TableFill : {
    Table* t = inst->tables_[pc[1]];
    uint64_t i = rd_I32(SLOT(2)), n = rd_I32(SLOT(4));
    uint64_t v = SLOT(3);
    if (i + n > t->elements_.size()) TRAP("out of bounds table access");
    std::fill_n(t->elements_.begin() + i, n, v);
    pc += 5;
    NEXT();
}
L_TableCopy : {
    Table* dt = inst->tables_[pc[1]];
    Table* st = inst->tables_[pc[2]];
    uint64_t d = rd_I32(SLOT(3)), s = rd_I32(SLOT(4)), n = rd_I32(SLOT(5));
    if (s + n > st->elements_.size() || d + n > dt->elements_.size())
        TRAP("out of bounds table access");
    if (n) std::memmove(dt->elements_.data() + d, st->elements_.data() + s, n * sizeof(uint64_t));
    pc += 6;
    NEXT();
}
L_TableInit : {
    Table* t = inst->tables_[pc[1]];
    const auto& seg = inst->elem_segments_[pc[2]];
    uint64_t d = rd_I32(SLOT(3)), s = rd_I32(SLOT(4)), n = rd_I32(SLOT(5));
    if (s + n > seg.size() || d + n > t->elements_.size()) TRAP("out of bounds table access");
    if (n) std::memcpy(t->elements_.data() + d, seg.data() + s, n * sizeof(uint64_t));
    pc += 6;
    NEXT();
}
L_ElemDrop:
    inst->elem_segments_[pc[1]].clear();
    inst->elem_segments_[pc[1]].shrink_to_fit();
    pc += 2;
    NEXT();
L_RefIsNull:
    SLOT(1) = SLOT(2) == 0;
    pc += 3;
    NEXT();
L_RefFunc:
    SLOT(1) = reinterpret_cast<uintptr_t>(inst->funcs_[pc[2]]);
    pc += 3;
    NEXT();
L_End:
    goto do_return;

#define CIRRUS_X(code, name, in, out, expr)                                                        \
    L_##name : {                                                                                   \
        auto a = rd_##in(SLOT(2));                                                                 \
        SLOT(1) = wr_##out(expr);                                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_UNARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, expr)                                                        \
    L_##name : {                                                                                   \
        auto a = rd_##in(SLOT(2));                                                                 \
        auto b = rd_##in(SLOT(3));                                                                 \
        SLOT(1) = wr_##out(expr);                                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_BINARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, expr)                                                        \
    L_##name##Imm : {                                                                              \
        auto a = rd_##in(SLOT(2));                                                                 \
        auto b = imm_##in(pc[3]);                                                                  \
        SLOT(1) = wr_##out(expr);                                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }                                                                                              \
    L_BrIf##name : {                                                                               \
        auto a = rd_##in(SLOT(1));                                                                 \
        auto b = rd_##in(SLOT(2));                                                                 \
        pc += ((expr) != 0) ? static_cast<int32_t>(pc[3]) : 4;                                     \
        NEXT();                                                                                    \
    }                                                                                              \
    L_BrIf##name##Imm : {                                                                          \
        auto a = rd_##in(SLOT(1));                                                                 \
        auto b = imm_##in(pc[2]);                                                                  \
        pc += ((expr) != 0) ? static_cast<int32_t>(pc[3]) : 4;                                     \
        NEXT();                                                                                    \
    }                                                                                              \
    L_BrUnless##name : {                                                                           \
        auto a = rd_##in(SLOT(1));                                                                 \
        auto b = rd_##in(SLOT(2));                                                                 \
        pc += ((expr) != 0) ? 4 : static_cast<int32_t>(pc[3]);                                     \
        NEXT();                                                                                    \
    }                                                                                              \
    L_BrUnless##name##Imm : {                                                                      \
        auto a = rd_##in(SLOT(1));                                                                 \
        auto b = imm_##in(pc[2]);                                                                  \
        pc += ((expr) != 0) ? 4 : static_cast<int32_t>(pc[3]);                                     \
        NEXT();                                                                                    \
    }
    CIRRUS_BINARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, helper)                                                         \
    L_##name : {                                                                                   \
        auto a = rd_##type(SLOT(2));                                                               \
        auto b = rd_##type(SLOT(3));                                                               \
        decltype(a) r{};                                                                           \
        NumTrap t = helper(a, b, r);                                                               \
        if (t != NumTrap::None) TRAP(num_trap_message(t));                                         \
        SLOT(1) = wr_##type(r);                                                                    \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_TRAPPING_BINARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, ctype)                                                       \
    L_##name : {                                                                                   \
        ctype r{};                                                                                 \
        NumTrap t = trunc_checked<ctype>(rd_##in(SLOT(2)), r);                                     \
        if (t != NumTrap::None) TRAP(num_trap_message(t));                                         \
        SLOT(1) = wr_##out(static_cast<std::make_unsigned_t<ctype>>(r));                           \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_TRUNC_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, ctype)                                                       \
    L_##name : {                                                                                   \
        ctype r = trunc_saturating<ctype>(rd_##in(SLOT(2)));                                       \
        SLOT(1) = wr_##out(static_cast<std::make_unsigned_t<ctype>>(r));                           \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_TRUNC_SAT_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    L_##name : {                                                                                   \
        uint64_t ea = uint64_t(rd_I32(SLOT(2))) + pc[3];                                           \
        if (ea + sizeof(ctype) > mem_size) TRAP("out of bounds memory access");                    \
        ctype v;                                                                                   \
        std::memcpy(&v, mem + ea, sizeof(ctype));                                                  \
        SLOT(1) = load_ext_##type<ctype>(v);                                                       \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_LOAD_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    L_##name : {                                                                                   \
        uint64_t ea = uint64_t(rd_I32(SLOT(1))) + pc[3];                                           \
        if (ea + sizeof(ctype) > mem_size) TRAP("out of bounds memory access");                    \
        ctype v = static_cast<ctype>(SLOT(2));                                                     \
        std::memcpy(mem + ea, &v, sizeof(ctype));                                                  \
        pc += 4;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_STORE_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    L_##name##Abs : {                                                                              \
        uint64_t ea = pc[2];                                                                       \
        if (ea + sizeof(ctype) > mem_size) TRAP("out of bounds memory access");                    \
        ctype v;                                                                                   \
        std::memcpy(&v, mem + ea, sizeof(ctype));                                                  \
        SLOT(1) = load_ext_##type<ctype>(v);                                                       \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_LOAD_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    L_##name##Abs : {                                                                              \
        uint64_t ea = pc[2];                                                                       \
        if (ea + sizeof(ctype) > mem_size) TRAP("out of bounds memory access");                    \
        ctype v = static_cast<ctype>(SLOT(1));                                                     \
        std::memcpy(mem + ea, &v, sizeof(ctype));                                                  \
        pc += 3;                                                                                   \
        NEXT();                                                                                    \
    }
    CIRRUS_STORE_OPS(CIRRUS_X)
#undef CIRRUS_X

trap : {
    stack_top_ = saved_top;
    return make_trap(trap_kind, trap_message ? trap_message : "trap", code, inst, entry_depth);
}
#undef NEXT
#undef LOAD_MEMORY
#undef SLOT
#undef TRAP
#undef CHECK_INTERRUPT
}

} // namespace cirrus::wasm::detail
