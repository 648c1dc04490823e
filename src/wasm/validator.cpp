// Function-body validation and translation into the interpreter's code form.
//
// The validator follows the spec appendix's algorithm (an operand stack of types and a
// control stack of frames). Because it knows the operand stack height at every instruction,
// each operand position gets a fixed frame slot ("home": locals first, then the operand
// stack), and every emitted instruction names the slots it reads and writes. `local.get` emits
// nothing: the stack entry simply refers to the local's slot until something could change the
// local, at which point it is copied home ("materialized"). A value computed right before a
// `local.set` is written straight into the local by patching the producer's destination.
// This register-like form removes most of the pushes, pops and dispatches of a stack
// interpreter.
#include "validator.h"

#include "ops.h"

#include <array>
#include <fmt/format.h>

namespace cirrus::wasm::detail {

namespace {

constexpr ValType kUnknown = static_cast<ValType>(0);
constexpr uint32_t kNoPos = UINT32_MAX;
constexpr uint32_t kMaxLocals = 50000;

// An operand stack entry: its type and the slot holding its value. A constant is not
// written anywhere until something needs it in a slot ("lazy"), so that it can become an
// instruction's immediate instead.
struct Entry {
    ValType type;
    uint32_t slot;
    bool is_const = false;
    uint64_t value = 0; // the constant's bits
};

enum class FrameKind : uint8_t { Func, Block, Loop, If, Else };

struct Ctrl {
    FrameKind kind;
    std::vector<ValType> params;
    std::vector<ValType> results;
    uint32_t height;          // operand stack size below the frame's params
    bool unreachable = false; // the rest of this frame is dead code
    bool emit_before = true;  // whether code was being emitted when the frame was entered
    uint32_t start_pc = 0;    // loop: branch target
    uint32_t else_fixup = kNoPos;
    std::vector<uint32_t> fixups; // code words to patch with the frame's end pc

    const std::vector<ValType>& label_types() const {
        return kind == FrameKind::Loop ? params : results;
    }
};

class FunctionValidator {
public:
    FunctionValidator(const FunctionContext& ctx, uint32_t func_index, Reader& r)
        : ctx_(ctx), m_(ctx.module), r_(r) {
        code_.func_index = func_index;
        code_.type_index = m_.func_types[func_index];
        code_.body_offset = static_cast<uint32_t>(r.pos());
    }

    Result<FuncCode> run();

private:
    // ---- errors
    Error invalid(std::string what) const { return invalid_at(op_pos_, std::move(what)); }
    Error invalid_at(size_t pos, std::string what) const {
        return Error(ErrorKind::Invalid,
                     fmt::format("{} (at offset {}, in function {})", what, pos, code_.func_index));
    }
    Error type_mismatch(ValType expected, ValType found) const {
        return invalid(fmt::format("type mismatch: expected {}, found {}", type_name(expected),
                                   type_name(found)));
    }
    static const char* type_name(ValType t) { return t == kUnknown ? "any" : val_type_name(t); }

    // ---- slots and emission
    uint32_t home(size_t pos) const { return num_locals_ + static_cast<uint32_t>(pos); }
    bool emitting() const { return !ctrls_.back().unreachable && ctrls_.back().emit_before; }
    uint32_t pc() const { return static_cast<uint32_t>(code_.code.size()); }
    void emit(std::initializer_list<uint32_t> words) {
        last_dst_pos_ = kNoPos;
        instr_start_ = pc();
        code_.code.insert(code_.code.end(), words);
    }
    // Branch targets are stored relative to the start of the branching instruction. A forward
    // target's word holds that start until the target is known.
    void patch_jump(uint32_t pos, uint32_t target) { code_.code[pos] = target - code_.code[pos]; }
    // Emits an instruction whose second word is the destination slot of its one result, and
    // pushes that result.
    void emit_result(ValType type, std::initializer_list<uint32_t> words_after_op, uint32_t op) {
        uint32_t dst = home(stack_.size());
        last_dst_pos_ = kNoPos;
        instr_start_ = pc();
        code_.code.push_back(op);
        uint32_t dst_pos = pc();
        code_.code.push_back(dst);
        code_.code.insert(code_.code.end(), words_after_op);
        push(type);
        last_dst_pos_ = dst_pos;
        last_dst_height_ = stack_.size();
    }

    // ---- operand stack
    void push(ValType type) {
        stack_.push_back({type, home(stack_.size())});
        max_height_ = std::max<size_t>(max_height_, stack_.size());
    }
    void push_local(ValType type, uint32_t local) {
        stack_.push_back({type, local});
        ++lazy_refs_[local];
        ++lazy_total_;
        max_height_ = std::max<size_t>(max_height_, stack_.size());
    }
    void push_const(ValType type, uint64_t value) {
        stack_.push_back({type, home(stack_.size()), true, value});
        ++lazy_total_;
        max_height_ = std::max<size_t>(max_height_, stack_.size());
    }
    void emit_const(uint32_t dst, ValType type, uint64_t value) {
        if (type == ValType::I32 || type == ValType::F32)
            emit({op_Const32, dst, static_cast<uint32_t>(value)});
        else
            emit({op_Const64, dst, static_cast<uint32_t>(value),
                  static_cast<uint32_t>(value >> 32)});
    }
    void drop_entry(const Entry& e, size_t pos) {
        if (e.is_const) {
            --lazy_total_;
            return;
        }
        if (e.type != kUnknown && e.slot != home(pos) && e.slot < num_locals_) {
            --lazy_refs_[e.slot];
            --lazy_total_;
        }
    }
    // Pops an entry; a constant is written to its home slot first, so the slot is valid.
    Result<Entry> pop() {
        CIRRUS_TRY_ASSIGN(Entry e, pop_lazy());
        if (e.is_const) {
            if (emitting()) emit_const(e.slot, e.type, e.value);
            e.is_const = false;
        }
        return e;
    }
    // Pops an entry and leaves a constant unwritten, for callers that handle constants.
    Result<Entry> pop_lazy() {
        const Ctrl& c = ctrls_.back();
        if (stack_.size() == c.height) {
            if (c.unreachable) return Entry{kUnknown, 0};
            return invalid("type mismatch: operand stack is empty");
        }
        Entry e = stack_.back();
        stack_.pop_back();
        drop_entry(e, stack_.size());
        return e;
    }
    Result<Entry> pop(ValType expected) {
        CIRRUS_TRY_ASSIGN(Entry e, pop_lazy(expected));
        if (e.is_const) {
            if (emitting()) emit_const(e.slot, e.type, e.value);
            e.is_const = false;
        }
        return e;
    }
    Result<Entry> pop_lazy(ValType expected) {
        CIRRUS_TRY_ASSIGN(Entry e, pop_lazy());
        if (e.type != expected && e.type != kUnknown && expected != kUnknown)
            return type_mismatch(expected, e.type);
        return e;
    }
    Result<std::vector<Entry>> pop_types(const std::vector<ValType>& types) {
        std::vector<Entry> out(types.size());
        for (size_t i = types.size(); i-- > 0;) {
            CIRRUS_TRY_ASSIGN(out[i], pop(types[i]));
        }
        return out;
    }
    // Pushes entries popped by pop_types back (their constants already written to their
    // slots); entries of unknown type (from unreachable code) become values of `types`.
    void restore_entries(const std::vector<Entry>& entries, const std::vector<ValType>& types) {
        for (size_t i = 0; i < entries.size(); ++i) {
            Entry e = entries[i];
            size_t pos = stack_.size();
            if (e.type == kUnknown) e = {types[i], home(pos)};
            if (e.slot < num_locals_ && e.slot != home(pos)) {
                ++lazy_refs_[e.slot];
                ++lazy_total_;
            }
            stack_.push_back(e);
            max_height_ = std::max<size_t>(max_height_, stack_.size());
        }
    }
    // Pops the (destination, source or value, length) operands of the bulk instructions.
    Result<std::array<Entry, 3>> pop_three_i32() {
        std::array<Entry, 3> out;
        for (size_t i = 3; i-- > 0;) {
            CIRRUS_TRY_ASSIGN(out[i], pop(ValType::I32));
        }
        return out;
    }
    void truncate_stack(size_t height) {
        while (stack_.size() > height) {
            Entry e = stack_.back();
            stack_.pop_back();
            drop_entry(e, stack_.size());
        }
    }
    // Copies the entry at `pos` into its home slot if it still refers to a local.
    void materialize(size_t pos) {
        Entry& e = stack_[pos];
        if (e.is_const) {
            if (emitting()) emit_const(e.slot, e.type, e.value);
            e.is_const = false;
            --lazy_total_;
            return;
        }
        if (e.type == kUnknown || e.slot == home(pos)) return;
        if (emitting()) emit({op_Copy, home(pos), e.slot});
        if (e.slot < num_locals_) {
            --lazy_refs_[e.slot];
            --lazy_total_;
        }
        e.slot = home(pos);
    }
    void materialize_all() {
        if (lazy_total_ == 0) return;
        for (size_t i = 0; i < stack_.size(); ++i) materialize(i);
    }
    void materialize_top(size_t n) {
        for (size_t i = stack_.size() - n; i < stack_.size(); ++i) materialize(i);
    }
    void materialize_local(uint32_t local) {
        if (lazy_refs_[local] == 0) return;
        for (size_t i = 0; i < stack_.size(); ++i) {
            if (stack_[i].type != kUnknown && stack_[i].slot == local) materialize(i);
        }
    }

    // ---- control
    void push_ctrl(FrameKind kind, std::vector<ValType> params, std::vector<ValType> results) {
        Ctrl c;
        c.kind = kind;
        c.height = static_cast<uint32_t>(stack_.size() - params.size());
        c.emit_before = ctrls_.empty() ? true : emitting();
        c.params = std::move(params);
        c.results = std::move(results);
        ctrls_.push_back(std::move(c));
    }
    void set_unreachable() {
        Ctrl& c = ctrls_.back();
        truncate_stack(c.height);
        c.unreachable = true;
    }
    // Checks that exactly the frame's results are left on its part of the stack, pops them,
    // and (when emitting) moves them into their home slots.
    Result<void> finish_frame_values(const Ctrl& c) {
        CIRRUS_TRY_ASSIGN(auto results, pop_types(c.results));
        if (stack_.size() != c.height)
            return invalid("type mismatch: values remaining on the stack at end of block");
        if (emitting()) {
            for (size_t i = 0; i < results.size(); ++i) {
                uint32_t dst = home(c.height + i);
                if (results[i].slot != dst) emit({op_Copy, dst, results[i].slot});
            }
        }
        return {};
    }

    // Moves the top `arity` values to the home slots of a label at height `target_height`.
    void emit_label_copies(size_t arity, uint32_t target_height) {
        size_t base = stack_.size() - arity;
        for (size_t i = 0; i < arity; ++i) {
            uint32_t dst = home(target_height + i);
            if (stack_[base + i].slot != dst) emit({op_Copy, dst, stack_[base + i].slot});
        }
    }
    bool label_needs_copies(size_t arity, uint32_t target_height) const {
        size_t base = stack_.size() - arity;
        for (size_t i = 0; i < arity; ++i) {
            if (stack_[base + i].slot != home(target_height + i)) return true;
        }
        return false;
    }
    // Emits a jump to label `depth`'s target (forward ones are patched at the frame's end).
    void emit_jump_word(Ctrl& target) {
        if (target.kind == FrameKind::Loop) {
            code_.code.push_back(target.start_pc - instr_start_);
        } else {
            target.fixups.push_back(pc());
            code_.code.push_back(instr_start_);
        }
    }

    Result<Ctrl*> label(uint32_t depth) {
        if (depth >= ctrls_.size()) return invalid(fmt::format("unknown label {}", depth));
        return &ctrls_[ctrls_.size() - 1 - depth];
    }

    Result<std::pair<std::vector<ValType>, std::vector<ValType>>> block_type();
    Result<uint32_t> memarg(uint32_t natural_align);
    // For a load or store whose address is a constant, the effective address (constant plus
    // offset) when it fits the immediate; otherwise the constant is written to its slot.
    std::optional<uint32_t> constant_address(const Entry& addr, uint32_t offset) {
        if (!addr.is_const) return std::nullopt;
        uint64_t ea = uint64_t(uint32_t(addr.value)) + offset;
        if (ea <= UINT32_MAX) return static_cast<uint32_t>(ea);
        emit_const(addr.slot, ValType::I32, addr.value);
        return std::nullopt;
    }
    Result<void> check_memory() {
        if (m_.memories.empty()) return invalid("unknown memory 0");
        return {};
    }
    Result<uint32_t> table_index() {
        CIRRUS_TRY_ASSIGN(uint32_t t, r_.u32());
        if (t >= m_.tables.size()) return invalid(fmt::format("unknown table {}", t));
        return t;
    }
    Result<uint32_t> elem_index() {
        CIRRUS_TRY_ASSIGN(uint32_t e, r_.u32());
        if (e >= m_.elems.size()) return invalid(fmt::format("unknown elem segment {}", e));
        return e;
    }
    Result<uint32_t> data_index() {
        CIRRUS_TRY_ASSIGN(uint32_t d, r_.u32());
        if (!m_.data_count) return invalid("data count section required");
        if (d >= *m_.data_count) return invalid(fmt::format("unknown data segment {}", d));
        return d;
    }
    Result<void> zero_byte() {
        size_t at = r_.pos();
        CIRRUS_TRY_ASSIGN(uint8_t b, r_.u8());
        if (b != 0) return Reader::error_at(at, "zero byte expected");
        return {};
    }

    Result<void> read_locals();
    Result<void> instruction(uint8_t op);
    Result<void> prefixed_instruction();
    Result<void> op_end();
    Result<void> op_else();
    Result<void> op_br(uint32_t depth);
    Result<void> op_br_if(uint32_t depth);
    Result<void> op_br_table();
    Result<void> op_return();
    Result<void> op_call(uint32_t func);
    Result<void> op_call_indirect();
    Result<void> op_local_set(uint32_t local, bool tee);
    Result<void> op_select(std::optional<ValType> typed);
    Result<void> unary(uint32_t op, ValType in, ValType out) {
        CIRRUS_TRY_ASSIGN(Entry a, pop(in));
        if (emitting())
            emit_result(out, {a.slot}, op);
        else
            push(out);
        return {};
    }
    static bool fits_immediate(ValType type, uint64_t value) {
        if (type == ValType::I32 || type == ValType::F32) return true;
        if (type == ValType::I64) return int64_t(int32_t(uint32_t(value))) == int64_t(value);
        return false;
    }
    Result<void> binary(uint32_t op, ValType in, ValType out) {
        CIRRUS_TRY_ASSIGN(Entry b, pop_lazy(in));
        if (b.is_const && emitting() && op >= kFirstBinaryOp &&
            op < kFirstBinaryOp + kNumBinaryOps && fits_immediate(in, b.value)) {
            CIRRUS_TRY_ASSIGN(Entry a, pop(in));
            emit_result(out, {a.slot, static_cast<uint32_t>(b.value)},
                        op - kFirstBinaryOp + kFirstBinaryImmOp);
            return {};
        }
        if (b.is_const && emitting()) emit_const(b.slot, b.type, b.value);
        CIRRUS_TRY_ASSIGN(Entry a, pop(in));
        if (emitting())
            emit_result(out, {a.slot, b.slot}, op);
        else
            push(out);
        return {};
    }
    // When the condition on top of the stack was computed by the instruction just emitted,
    // and that was a binary operation, replaces it by a fused compare-and-branch. Returns
    // false when it cannot (then the caller emits a plain branch on `cond`).
    struct Fusable {
        bool ok = false;
        uint32_t start = 0, op = 0, a = 0, b = 0;
    };
    Fusable fusable_condition() const {
        Fusable f;
        if (last_dst_pos_ == kNoPos || stack_.size() != last_dst_height_) return f;
        uint32_t op = code_.code[instr_start_];
        bool reg = op >= kFirstBinaryOp && op < kFirstBinaryOp + kNumBinaryOps;
        bool imm = op >= kFirstBinaryImmOp && op < kFirstBinaryImmOp + kNumBinaryOps;
        if (!reg && !imm) return f;
        f = {true, instr_start_, op, code_.code[instr_start_ + 2], code_.code[instr_start_ + 3]};
        return f;
    }
    // Emits the fused branch for `f` (which must still be the last instruction) with the
    // first word of its target left for the caller: branch when the condition is nonzero
    // (`when_true`) or zero.
    void emit_fused_branch(const Fusable& f, bool when_true) {
        code_.code.resize(f.start);
        bool imm = f.op >= kFirstBinaryImmOp;
        uint32_t index = f.op - (imm ? kFirstBinaryImmOp : kFirstBinaryOp);
        uint32_t base = when_true ? (imm ? kFirstBrIfImmOp : kFirstBrIfOp)
                                  : (imm ? kFirstBrUnlessImmOp : kFirstBrUnlessOp);
        emit({base + index, f.a, f.b});
    }

    const FunctionContext& ctx_;
    const ModuleData& m_;
    Reader& r_;
    FuncCode code_;
    std::vector<ValType> locals_;
    uint32_t num_locals_ = 0;
    std::vector<Entry> stack_;
    std::vector<Ctrl> ctrls_;
    std::vector<uint32_t> lazy_refs_;
    size_t lazy_total_ = 0;
    size_t max_height_ = 0;
    uint32_t last_dst_pos_ = kNoPos;
    uint32_t instr_start_ = 0;
    size_t last_dst_height_ = 0;
    size_t op_pos_ = 0;
};

Result<void> FunctionValidator::read_locals() {
    const FuncType& ft = m_.types[code_.type_index];
    locals_ = ft.params;
    CIRRUS_TRY_ASSIGN(uint32_t groups, r_.u32());
    uint64_t total = ft.params.size();
    for (uint32_t i = 0; i < groups; ++i) {
        size_t at = r_.pos();
        CIRRUS_TRY_ASSIGN(uint32_t count, r_.u32());
        total += count;
        if (total > kMaxLocals) return Reader::error_at(at, "too many locals");
        op_pos_ = r_.pos();
        uint8_t b = 0;
        {
            size_t t_at = r_.pos();
            CIRRUS_TRY_ASSIGN(b, r_.u8());
            ValType t;
            switch (b) {
            case 0x7F: t = ValType::I32; break;
            case 0x7E: t = ValType::I64; break;
            case 0x7D: t = ValType::F32; break;
            case 0x7C: t = ValType::F64; break;
            case 0x70: t = ValType::FuncRef; break;
            case 0x6F: t = ValType::ExternRef; break;
            case 0x7B: return invalid_at(t_at, "v128 (SIMD) is not supported");
            default: return Reader::error_at(t_at, fmt::format("malformed value type 0x{:02x}", b));
            }
            locals_.insert(locals_.end(), count, t);
        }
    }
    num_locals_ = static_cast<uint32_t>(locals_.size());
    lazy_refs_.assign(num_locals_, 0);
    code_.num_params = static_cast<uint32_t>(ft.params.size());
    code_.num_results = static_cast<uint32_t>(ft.results.size());
    code_.num_locals = num_locals_;
    return {};
}

Result<std::pair<std::vector<ValType>, std::vector<ValType>>> FunctionValidator::block_type() {
    size_t at = r_.pos();
    CIRRUS_TRY_ASSIGN(uint8_t b, r_.u8());
    switch (b) {
    case 0x40: return std::pair<std::vector<ValType>, std::vector<ValType>>{};
    case 0x7F: return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::I32}};
    case 0x7E: return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::I64}};
    case 0x7D: return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::F32}};
    case 0x7C: return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::F64}};
    case 0x70: return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::FuncRef}};
    case 0x6F:
        return std::pair<std::vector<ValType>, std::vector<ValType>>{{}, {ValType::ExternRef}};
    default: break;
    }
    Reader again(r_.bytes(), at, r_.end());
    CIRRUS_TRY_ASSIGN(int64_t idx, again.s33());
    r_ = again;
    if (idx < 0 || static_cast<uint64_t>(idx) >= m_.types.size())
        return invalid_at(at, fmt::format("unknown type {}", idx));
    const FuncType& ft = m_.types[static_cast<size_t>(idx)];
    return std::pair{ft.params, ft.results};
}

Result<uint32_t> FunctionValidator::memarg(uint32_t natural_align) {
    size_t at = r_.pos();
    CIRRUS_TRY_ASSIGN(uint32_t align, r_.u32());
    CIRRUS_TRY_ASSIGN(uint32_t offset, r_.u32());
    CIRRUS_TRY(check_memory());
    if (align > natural_align) return invalid_at(at, "alignment must not be larger than natural");
    return offset;
}

Result<void> FunctionValidator::op_end() {
    Ctrl& c = ctrls_.back();
    if (c.kind == FrameKind::Func) {
        bool emit_return = emitting();
        size_t n = c.results.size();
        Entry single{kUnknown, 0};
        if (emit_return && n == 1) {
            // A single result can be returned from wherever it lives.
            CIRRUS_TRY_ASSIGN(single, pop(c.results[0]));
            if (stack_.size() != c.height)
                return invalid("type mismatch: values remaining on the stack at end of function");
        } else {
            CIRRUS_TRY(finish_frame_values(c));
        }
        if (emit_return) {
            if (n == 0)
                emit({op_Return0});
            else if (n == 1)
                emit({op_Return1, single.slot});
            else
                emit({op_Return, home(0), static_cast<uint32_t>(n)});
        }
        if (!c.fixups.empty()) {
            // Branches to the function's label left its results in the home slots.
            uint32_t target = pc();
            if (n == 0)
                emit({op_Return0});
            else if (n == 1)
                emit({op_Return1, home(0)});
            else
                emit({op_Return, home(0), static_cast<uint32_t>(n)});
            for (uint32_t pos : c.fixups) patch_jump(pos, target);
        }
        ctrls_.pop_back();
        return {};
    }
    if (c.kind == FrameKind::If && c.params != c.results)
        return invalid(
            "type mismatch: if without else must have matching parameter and result types");
    CIRRUS_TRY(finish_frame_values(c));
    uint32_t end_pc = pc();
    for (uint32_t pos : c.fixups) patch_jump(pos, end_pc);
    if (c.else_fixup != kNoPos) patch_jump(c.else_fixup, end_pc);
    std::vector<ValType> results = std::move(c.results);
    ctrls_.pop_back();
    for (ValType t : results) push(t);
    last_dst_pos_ = kNoPos; // a label lies between here and any earlier producer
    return {};
}

Result<void> FunctionValidator::op_else() {
    Ctrl& c = ctrls_.back();
    if (c.kind != FrameKind::If) return invalid("else without matching if");
    CIRRUS_TRY(finish_frame_values(c));
    if (emitting()) {
        emit({op_Br});
        c.fixups.push_back(pc());
        code_.code.push_back(instr_start_);
    }
    if (c.else_fixup != kNoPos) patch_jump(c.else_fixup, pc());
    c.else_fixup = kNoPos;
    c.kind = FrameKind::Else;
    c.unreachable = false;
    for (ValType t : c.params) push(t);
    last_dst_pos_ = kNoPos;
    return {};
}

Result<void> FunctionValidator::op_br(uint32_t depth) {
    CIRRUS_TRY_ASSIGN(Ctrl * target, label(depth));
    const auto& types = target->label_types();
    // Check the label's values without consuming them, then branch.
    CIRRUS_TRY_ASSIGN(auto values, pop_types(types));
    if (emitting()) {
        for (size_t i = 0; i < values.size(); ++i) {
            uint32_t dst = home(target->height + i);
            if (values[i].slot != dst) emit({op_Copy, dst, values[i].slot});
        }
        emit({op_Br});
        emit_jump_word(*target);
    }
    set_unreachable();
    return {};
}

Result<void> FunctionValidator::op_br_if(uint32_t depth) {
    Fusable fused = fusable_condition();
    uint32_t code_end = pc();
    CIRRUS_TRY_ASSIGN(Entry cond, pop(ValType::I32));
    CIRRUS_TRY_ASSIGN(Ctrl * target, label(depth));
    const auto types = target->label_types();
    size_t arity = types.size();
    CIRRUS_TRY_ASSIGN(auto values, pop_types(types));
    // The values stay on the stack for the fall-through path.
    restore_entries(values, types);
    if (!emitting()) return {};
    if (!label_needs_copies(arity, target->height)) {
        if (fused.ok && pc() == code_end)
            emit_fused_branch(fused, true);
        else
            emit({op_BrIf, cond.slot});
        emit_jump_word(*target);
        return {};
    }
    emit({op_BrUnless, cond.slot, 0});
    uint32_t skip_pos = pc() - 1;
    code_.code[skip_pos] = instr_start_;
    emit_label_copies(arity, target->height);
    emit({op_Br});
    emit_jump_word(*target);
    patch_jump(skip_pos, pc());
    last_dst_pos_ = kNoPos;
    return {};
}

Result<void> FunctionValidator::op_br_table() {
    CIRRUS_TRY_ASSIGN(uint32_t count, r_.u32());
    if (count > r_.remaining()) return r_.error("unexpected end: br_table target count");
    std::vector<uint32_t> depths(count + 1);
    for (uint32_t i = 0; i <= count; ++i) {
        CIRRUS_TRY_ASSIGN(depths[i], r_.u32());
    }
    CIRRUS_TRY_ASSIGN(Entry index, pop(ValType::I32));
    CIRRUS_TRY_ASSIGN(Ctrl * def, label(depths[count]));
    size_t arity = def->label_types().size();
    for (uint32_t d : depths) {
        CIRRUS_TRY_ASSIGN(Ctrl * t, label(d));
        if (t->label_types().size() != arity)
            return invalid("type mismatch: br_table targets have different arities");
        // Each label's types must accept the values (checked without consuming them).
        const auto& types = t->label_types();
        const Ctrl& cur = ctrls_.back();
        for (size_t i = 0; i < arity; ++i) {
            size_t from_top = arity - i;
            if (stack_.size() < cur.height + from_top) {
                if (!cur.unreachable)
                    return invalid("type mismatch: operand stack is too short for br_table");
                continue;
            }
            ValType have = stack_[stack_.size() - from_top].type;
            if (have != kUnknown && have != types[i]) return type_mismatch(types[i], have);
        }
    }
    if (emitting()) {
        materialize_top(arity);
        uint32_t src = home(stack_.size() - arity);
        emit({op_BrTable, index.slot, static_cast<uint32_t>(arity), src, count});
        for (uint32_t d : depths) {
            Ctrl* t = &ctrls_[ctrls_.size() - 1 - d];
            emit_jump_word(*t);
            code_.code.push_back(home(t->height));
        }
    }
    set_unreachable();
    return {};
}

Result<void> FunctionValidator::op_return() {
    Ctrl& f = ctrls_.front();
    size_t n = f.results.size();
    if (n == 1 && emitting()) {
        CIRRUS_TRY_ASSIGN(Entry v, pop(f.results[0]));
        emit({op_Return1, v.slot});
    } else {
        bool em = emitting();
        CIRRUS_TRY_ASSIGN(auto values, pop_types(f.results));
        if (em) {
            if (n == 0) {
                emit({op_Return0});
            } else {
                uint32_t base = home(stack_.size());
                for (size_t i = 0; i < n; ++i) {
                    if (values[i].slot != base + i)
                        emit({op_Copy, static_cast<uint32_t>(base + i), values[i].slot});
                }
                emit({op_Return, base, static_cast<uint32_t>(n)});
            }
        }
    }
    set_unreachable();
    return {};
}

Result<void> FunctionValidator::op_call(uint32_t func) {
    if (func >= m_.func_types.size()) return invalid(fmt::format("unknown function {}", func));
    const FuncType& ft = m_.types[m_.func_types[func]];
    CIRRUS_TRY_ASSIGN(auto args, pop_types(ft.params));
    uint32_t base = home(stack_.size());
    if (emitting()) {
        for (size_t i = 0; i < args.size(); ++i) {
            if (args[i].slot != base + i)
                emit({op_Copy, static_cast<uint32_t>(base + i), args[i].slot});
        }
        emit({op_Call, func, base});
    }
    for (ValType t : ft.results) push(t);
    return {};
}

Result<void> FunctionValidator::op_call_indirect() {
    CIRRUS_TRY_ASSIGN(uint32_t type_idx, r_.u32());
    CIRRUS_TRY_ASSIGN(uint32_t table, r_.u32());
    if (table >= m_.tables.size()) return invalid(fmt::format("unknown table {}", table));
    if (type_idx >= m_.types.size()) return invalid(fmt::format("unknown type {}", type_idx));
    if (m_.tables[table].element != ValType::FuncRef)
        return invalid("type mismatch: call_indirect needs a funcref table");
    CIRRUS_TRY_ASSIGN(Entry index, pop(ValType::I32));
    const FuncType& ft = m_.types[type_idx];
    CIRRUS_TRY_ASSIGN(auto args, pop_types(ft.params));
    uint32_t base = home(stack_.size());
    if (emitting()) {
        uint32_t index_slot = index.slot;
        for (size_t i = 0; i < args.size(); ++i) {
            if (args[i].slot != base + i)
                emit({op_Copy, static_cast<uint32_t>(base + i), args[i].slot});
        }
        // The argument copies may overwrite the index's home slot only if it was below them,
        // which it is not: it was above the arguments. It is read before the call frame forms.
        emit({op_CallIndirect, m_.type_ids[type_idx], table, index_slot, base});
    }
    for (ValType t : ft.results) push(t);
    return {};
}

Result<void> FunctionValidator::op_local_set(uint32_t local, bool tee) {
    if (local >= num_locals_) return invalid(fmt::format("unknown local {}", local));
    ValType type = locals_[local];
    bool producer_on_top = last_dst_pos_ != kNoPos && stack_.size() == last_dst_height_;
    CIRRUS_TRY_ASSIGN(Entry v, pop_lazy(type));
    if (emitting()) {
        if (v.is_const) {
            materialize_local(local);
            emit_const(local, type, v.value);
            v = {type, local};
        } else if (v.slot == local) {
            // Writing a local its own value: nothing to do.
        } else if (producer_on_top && lazy_refs_[local] == 0 && v.slot == home(stack_.size())) {
            code_.code[last_dst_pos_] = local;
            v.slot = local;
        } else {
            materialize_local(local);
            emit({op_Copy, local, v.slot});
            if (!tee) v.slot = local;
        }
    }
    last_dst_pos_ = kNoPos;
    if (tee) {
        if (emitting() && v.slot == local)
            push_local(type, local);
        else if (emitting() && v.slot < num_locals_)
            push_local(type, v.slot);
        else
            push(type);
    }
    return {};
}

Result<void> FunctionValidator::op_select(std::optional<ValType> typed) {
    CIRRUS_TRY_ASSIGN(Entry cond, pop(ValType::I32));
    Entry b, a;
    ValType result;
    if (typed) {
        CIRRUS_TRY_ASSIGN(b, pop(*typed));
        CIRRUS_TRY_ASSIGN(a, pop(*typed));
        result = *typed;
    } else {
        CIRRUS_TRY_ASSIGN(b, pop());
        CIRRUS_TRY_ASSIGN(a, pop());
        if ((a.type != kUnknown && is_ref_type(a.type)) ||
            (b.type != kUnknown && is_ref_type(b.type)))
            return invalid("type mismatch: select without a type needs numeric operands");
        if (a.type != kUnknown && b.type != kUnknown && a.type != b.type)
            return type_mismatch(a.type, b.type);
        result = a.type != kUnknown ? a.type : b.type;
    }
    if (emitting())
        emit_result(result, {a.slot, b.slot, cond.slot}, op_Select);
    else
        push(result);
    return {};
}

Result<void> FunctionValidator::prefixed_instruction() {
    CIRRUS_TRY_ASSIGN(uint32_t sub, r_.u32());
    switch (sub) {
#define CIRRUS_X(code, name, in, out, ctype)                                                       \
    case code: return unary(op_##name, ValType::in, ValType::out);
        CIRRUS_TRUNC_SAT_OPS(CIRRUS_X)
#undef CIRRUS_X
    case 8: { // memory.init
        CIRRUS_TRY_ASSIGN(uint32_t seg, data_index());
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(check_memory());
        CIRRUS_TRY_ASSIGN(auto operands, pop_three_i32());
        auto [d, s, n] = operands;
        if (emitting()) emit({op_MemoryInit, seg, d.slot, s.slot, n.slot});
        return {};
    }
    case 9: { // data.drop
        CIRRUS_TRY_ASSIGN(uint32_t seg, data_index());
        if (emitting()) emit({op_DataDrop, seg});
        return {};
    }
    case 10: { // memory.copy
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(check_memory());
        CIRRUS_TRY_ASSIGN(auto operands, pop_three_i32());
        auto [d, s, n] = operands;
        if (emitting()) emit({op_MemoryCopy, d.slot, s.slot, n.slot});
        return {};
    }
    case 11: { // memory.fill
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(check_memory());
        CIRRUS_TRY_ASSIGN(auto operands, pop_three_i32());
        auto [d, v, n] = operands;
        if (emitting()) emit({op_MemoryFill, d.slot, v.slot, n.slot});
        return {};
    }
    case 12: { // table.init
        CIRRUS_TRY_ASSIGN(uint32_t seg, elem_index());
        CIRRUS_TRY_ASSIGN(uint32_t table, table_index());
        if (m_.tables[table].element != m_.elems[seg].type)
            return invalid("type mismatch: element segment and table types differ");
        CIRRUS_TRY_ASSIGN(auto operands, pop_three_i32());
        auto [d, s, n] = operands;
        if (emitting()) emit({op_TableInit, table, seg, d.slot, s.slot, n.slot});
        return {};
    }
    case 13: { // elem.drop
        CIRRUS_TRY_ASSIGN(uint32_t seg, elem_index());
        if (emitting()) emit({op_ElemDrop, seg});
        return {};
    }
    case 14: { // table.copy
        CIRRUS_TRY_ASSIGN(uint32_t dst_table, table_index());
        CIRRUS_TRY_ASSIGN(uint32_t src_table, table_index());
        if (m_.tables[dst_table].element != m_.tables[src_table].element)
            return invalid("type mismatch: table.copy between tables of different types");
        CIRRUS_TRY_ASSIGN(auto operands, pop_three_i32());
        auto [d, s, n] = operands;
        if (emitting()) emit({op_TableCopy, dst_table, src_table, d.slot, s.slot, n.slot});
        return {};
    }
    case 15: { // table.grow
        CIRRUS_TRY_ASSIGN(uint32_t table, table_index());
        CIRRUS_TRY_ASSIGN(Entry n, pop(ValType::I32));
        CIRRUS_TRY_ASSIGN(Entry init, pop(m_.tables[table].element));
        if (emitting())
            emit_result(ValType::I32, {table, init.slot, n.slot}, op_TableGrow);
        else
            push(ValType::I32);
        return {};
    }
    case 16: { // table.size
        CIRRUS_TRY_ASSIGN(uint32_t table, table_index());
        if (emitting())
            emit_result(ValType::I32, {table}, op_TableSize);
        else
            push(ValType::I32);
        return {};
    }
    case 17: { // table.fill
        CIRRUS_TRY_ASSIGN(uint32_t table, table_index());
        CIRRUS_TRY_ASSIGN(Entry n, pop(ValType::I32));
        CIRRUS_TRY_ASSIGN(Entry v, pop(m_.tables[table].element));
        CIRRUS_TRY_ASSIGN(Entry i, pop(ValType::I32));
        if (emitting()) emit({op_TableFill, table, i.slot, v.slot, n.slot});
        return {};
    }
    default: return Reader::error_at(op_pos_, fmt::format("illegal opcode 0xfc {}", sub));
    }
}

Result<void> FunctionValidator::instruction(uint8_t op) {
    switch (op) {
    case 0x00: // unreachable
        if (emitting()) emit({op_Unreachable});
        set_unreachable();
        return {};
    case 0x01: return {}; // nop
    case 0x02:            // block
    case 0x03: {          // loop
        CIRRUS_TRY_ASSIGN(auto bt, block_type());
        CIRRUS_TRY_ASSIGN(auto params, pop_types(bt.first));
        for (size_t i = 0; i < params.size(); ++i) {
            stack_.push_back(params[i]);
            if (params[i].type != kUnknown && params[i].slot < num_locals_ &&
                params[i].slot != home(stack_.size() - 1)) {
                ++lazy_refs_[params[i].slot];
                ++lazy_total_;
            }
            if (params[i].type == kUnknown) stack_.back() = {bt.first[i], home(stack_.size() - 1)};
        }
        // Values below and inside the new frame must not depend on locals the frame may change.
        materialize_all();
        push_ctrl(op == 0x02 ? FrameKind::Block : FrameKind::Loop, bt.first, bt.second);
        last_dst_pos_ = kNoPos;
        if (op == 0x03) {
            ctrls_.back().start_pc = pc();
            if (emitting()) emit({op_LoopCheck});
        }
        return {};
    }
    case 0x04: { // if
        CIRRUS_TRY_ASSIGN(auto bt, block_type());
        Fusable fused = fusable_condition();
        uint32_t code_end = pc();
        CIRRUS_TRY_ASSIGN(Entry cond, pop(ValType::I32));
        CIRRUS_TRY_ASSIGN(auto params, pop_types(bt.first));
        for (size_t i = 0; i < params.size(); ++i) {
            stack_.push_back(params[i]);
            if (params[i].type != kUnknown && params[i].slot < num_locals_ &&
                params[i].slot != home(stack_.size() - 1)) {
                ++lazy_refs_[params[i].slot];
                ++lazy_total_;
            }
            if (params[i].type == kUnknown) stack_.back() = {bt.first[i], home(stack_.size() - 1)};
        }
        materialize_all();
        push_ctrl(FrameKind::If, bt.first, bt.second);
        if (emitting()) {
            if (fused.ok && pc() == code_end)
                emit_fused_branch(fused, false);
            else
                emit({op_BrUnless, cond.slot});
            code_.code.push_back(instr_start_);
            ctrls_.back().else_fixup = pc() - 1;
        }
        return {};
    }
    case 0x05: return op_else();
    case 0x0B: return op_end();
    case 0x0C: {
        CIRRUS_TRY_ASSIGN(uint32_t depth, r_.u32());
        return op_br(depth);
    }
    case 0x0D: {
        CIRRUS_TRY_ASSIGN(uint32_t depth, r_.u32());
        return op_br_if(depth);
    }
    case 0x0E: return op_br_table();
    case 0x0F: return op_return();
    case 0x10: {
        CIRRUS_TRY_ASSIGN(uint32_t f, r_.u32());
        return op_call(f);
    }
    case 0x11: return op_call_indirect();
    case 0x1A: { // drop
        CIRRUS_TRY(pop_lazy());
        return {};
    }
    case 0x1B: return op_select(std::nullopt);
    case 0x1C: {
        CIRRUS_TRY_ASSIGN(uint32_t n, r_.u32());
        if (n != 1) return invalid("invalid result arity for typed select");
        size_t at = r_.pos();
        CIRRUS_TRY_ASSIGN(uint8_t b, r_.u8());
        ValType t;
        switch (b) {
        case 0x7F: t = ValType::I32; break;
        case 0x7E: t = ValType::I64; break;
        case 0x7D: t = ValType::F32; break;
        case 0x7C: t = ValType::F64; break;
        case 0x70: t = ValType::FuncRef; break;
        case 0x6F: t = ValType::ExternRef; break;
        default: return Reader::error_at(at, "malformed value type");
        }
        return op_select(t);
    }
    case 0x20: { // local.get
        CIRRUS_TRY_ASSIGN(uint32_t i, r_.u32());
        if (i >= num_locals_) return invalid(fmt::format("unknown local {}", i));
        if (emitting())
            push_local(locals_[i], i);
        else
            push(locals_[i]);
        return {};
    }
    case 0x21:
    case 0x22: {
        CIRRUS_TRY_ASSIGN(uint32_t i, r_.u32());
        return op_local_set(i, op == 0x22);
    }
    case 0x23: { // global.get
        CIRRUS_TRY_ASSIGN(uint32_t g, r_.u32());
        if (g >= m_.globals.size()) return invalid(fmt::format("unknown global {}", g));
        if (emitting())
            emit_result(m_.globals[g].type.type, {g}, op_GlobalGet);
        else
            push(m_.globals[g].type.type);
        return {};
    }
    case 0x24: { // global.set
        CIRRUS_TRY_ASSIGN(uint32_t g, r_.u32());
        if (g >= m_.globals.size()) return invalid(fmt::format("unknown global {}", g));
        if (!m_.globals[g].type.mutable_) return invalid("global is immutable");
        CIRRUS_TRY_ASSIGN(Entry v, pop(m_.globals[g].type.type));
        if (emitting()) emit({op_GlobalSet, g, v.slot});
        return {};
    }
    case 0x25: { // table.get
        CIRRUS_TRY_ASSIGN(uint32_t t, table_index());
        CIRRUS_TRY_ASSIGN(Entry i, pop(ValType::I32));
        if (emitting())
            emit_result(m_.tables[t].element, {t, i.slot}, op_TableGet);
        else
            push(m_.tables[t].element);
        return {};
    }
    case 0x26: { // table.set
        CIRRUS_TRY_ASSIGN(uint32_t t, table_index());
        CIRRUS_TRY_ASSIGN(Entry v, pop(m_.tables[t].element));
        CIRRUS_TRY_ASSIGN(Entry i, pop(ValType::I32));
        if (emitting()) emit({op_TableSet, t, i.slot, v.slot});
        return {};
    }
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    case code: {                                                                                   \
        CIRRUS_TRY_ASSIGN(uint32_t offset, memarg(align));                                         \
        CIRRUS_TRY_ASSIGN(Entry addr, pop_lazy(ValType::I32));                                     \
        if (!emitting()) {                                                                         \
            push(ValType::type);                                                                   \
        } else if (auto ea = constant_address(addr, offset)) {                                     \
            emit_result(ValType::type, {*ea}, op_##name##Abs);                                     \
        } else {                                                                                   \
            emit_result(ValType::type, {addr.slot, offset}, op_##name);                            \
        }                                                                                          \
        return {};                                                                                 \
    }
        CIRRUS_LOAD_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, ctype, align)                                                   \
    case code: {                                                                                   \
        CIRRUS_TRY_ASSIGN(uint32_t offset, memarg(align));                                         \
        CIRRUS_TRY_ASSIGN(Entry value, pop(ValType::type));                                        \
        CIRRUS_TRY_ASSIGN(Entry addr, pop_lazy(ValType::I32));                                     \
        if (!emitting()) return {};                                                                \
        if (auto ea = constant_address(addr, offset))                                              \
            emit({op_##name##Abs, value.slot, *ea});                                               \
        else                                                                                       \
            emit({op_##name, addr.slot, value.slot, offset});                                      \
        return {};                                                                                 \
    }
        CIRRUS_STORE_OPS(CIRRUS_X)
#undef CIRRUS_X
    case 0x3F: { // memory.size
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(check_memory());
        if (emitting())
            emit_result(ValType::I32, {}, op_MemorySize);
        else
            push(ValType::I32);
        return {};
    }
    case 0x40: { // memory.grow
        CIRRUS_TRY(zero_byte());
        CIRRUS_TRY(check_memory());
        CIRRUS_TRY_ASSIGN(Entry delta, pop(ValType::I32));
        if (emitting())
            emit_result(ValType::I32, {delta.slot}, op_MemoryGrow);
        else
            push(ValType::I32);
        return {};
    }
    case 0x41: {
        CIRRUS_TRY_ASSIGN(int32_t v, r_.s32());
        push_const(ValType::I32, static_cast<uint32_t>(v));
        return {};
    }
    case 0x42: {
        CIRRUS_TRY_ASSIGN(int64_t v, r_.s64());
        push_const(ValType::I64, static_cast<uint64_t>(v));
        return {};
    }
    case 0x43: {
        CIRRUS_TRY_ASSIGN(uint32_t v, r_.fixed_u32());
        push_const(ValType::F32, v);
        return {};
    }
    case 0x44: {
        CIRRUS_TRY_ASSIGN(uint64_t v, r_.fixed_u64());
        push_const(ValType::F64, v);
        return {};
    }
#define CIRRUS_X(code, name, in, out, expr)                                                        \
    case code: return unary(op_##name, ValType::in, ValType::out);
        CIRRUS_UNARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, expr)                                                        \
    case code: return binary(op_##name, ValType::in, ValType::out);
        CIRRUS_BINARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, type, helper)                                                         \
    case code: return binary(op_##name, ValType::type, ValType::type);
        CIRRUS_TRAPPING_BINARY_OPS(CIRRUS_X)
#undef CIRRUS_X
#define CIRRUS_X(code, name, in, out, ctype)                                                       \
    case code: return unary(op_##name, ValType::in, ValType::out);
        CIRRUS_TRUNC_OPS(CIRRUS_X)
#undef CIRRUS_X
    case 0xD0: { // ref.null
        size_t at = r_.pos();
        CIRRUS_TRY_ASSIGN(uint8_t b, r_.u8());
        ValType t;
        if (b == 0x70)
            t = ValType::FuncRef;
        else if (b == 0x6F)
            t = ValType::ExternRef;
        else
            return Reader::error_at(at, "malformed reference type");
        if (emitting())
            emit_result(t, {0, 0}, op_Const64);
        else
            push(t);
        return {};
    }
    case 0xD1: { // ref.is_null
        CIRRUS_TRY_ASSIGN(Entry v, pop());
        if (v.type != kUnknown && !is_ref_type(v.type))
            return invalid(fmt::format("type mismatch: ref.is_null on {}", val_type_name(v.type)));
        if (emitting())
            emit_result(ValType::I32, {v.slot}, op_RefIsNull);
        else
            push(ValType::I32);
        return {};
    }
    case 0xD2: { // ref.func
        CIRRUS_TRY_ASSIGN(uint32_t f, r_.u32());
        if (f >= m_.func_types.size()) return invalid(fmt::format("unknown function {}", f));
        if (!ctx_.declared_refs.count(f)) return invalid("undeclared function reference");
        if (emitting())
            emit_result(ValType::FuncRef, {f}, op_RefFunc);
        else
            push(ValType::FuncRef);
        return {};
    }
    case 0xFC: return prefixed_instruction();
    default: return Reader::error_at(op_pos_, fmt::format("illegal opcode 0x{:02x}", op));
    }
}

Result<FuncCode> FunctionValidator::run() {
    CIRRUS_TRY(read_locals());
    const FuncType& ft = m_.types[code_.type_index];
    push_ctrl(FrameKind::Func, {}, ft.results);
    while (!ctrls_.empty()) {
        op_pos_ = r_.pos();
        if (r_.at_end())
            return Reader::error_at(op_pos_,
                                    "unexpected end of section or function: END opcode expected");
        CIRRUS_TRY_ASSIGN(uint8_t op, r_.u8());
        CIRRUS_TRY(instruction(op));
    }
    if (!r_.at_end())
        return Reader::error_at(r_.pos(),
                                "section size mismatch: operators remaining after end of function");
    code_.frame_slots = num_locals_ + static_cast<uint32_t>(max_height_) + 1;
    return std::move(code_);
}

} // namespace

Result<FuncCode> validate_function(const FunctionContext& ctx, uint32_t func_index, Reader& body) {
    FunctionValidator v(ctx, func_index, body);
    return v.run();
}

} // namespace cirrus::wasm::detail
