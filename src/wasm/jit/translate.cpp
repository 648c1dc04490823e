// Pre-decoded code → LLVM IR, one function at a time.
//
// The input is the validator's slot-addressed form (validator.cpp): every instruction names
// the frame slots it reads and writes, branch targets are resolved, and block/loop structure
// is gone. That makes translation a straight walk: every slot becomes an i64 alloca (SROA and
// mem2reg turn them into SSA values), every branch target starts a basic block, and each
// instruction reads its slots at the type its opcode says. Slot bits follow the interpreter:
// i32 and f32 live in the low 32 bits, zero-extended.
//
// Semantics worth a sentence:
// - Bounds checks are explicit compares against the memory's current size, kept in an SSA
//   value reloaded after anything that may grow memory (a call, memory.grow).
// - Division, remainder and float-to-int truncation check their trap conditions first, so
//   LLVM never sees an operation with undefined behaviour.
// - LLVM folds x*1.0, x/1.0, x+(-0.0), x-0.0 to x and x*-1.0 to -x, which is wrong for a
//   signalling NaN (wasm wants it quieted). Constants read as floats therefore pass through
//   an empty inline-asm barrier LLVM cannot see through; it costs nothing at run time.
// - min/max are spelled out (NaN in → arithmetic NaN out, -0 < +0): LLVM's intrinsics may
//   return a signalling NaN operand unchanged.
#include "translate.h"

#include "../module_data.h"
#include "../ops.h"
#include "jit.h"

#include <array>
#include <cstddef>
#include <fmt/format.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <map>
#include <type_traits>

namespace cirrus::wasm::detail {

namespace {

using llvm::BasicBlock;
using llvm::Value;

enum class K : uint8_t { I32, I64, F32, F64 };

struct OpTypes {
    K in, out;
};
#define CIRRUS_T(code, name, in, out, ...) OpTypes{K::in, K::out},
constexpr OpTypes kUnaryTypes[] = {CIRRUS_UNARY_OPS(CIRRUS_T)};
constexpr OpTypes kBinaryTypes[] = {CIRRUS_BINARY_OPS(CIRRUS_T)};
#undef CIRRUS_T
#define CIRRUS_T(code, name, in, out, ctype) OpTypes{K::in, K::out},
constexpr OpTypes kTruncTypes[] = {CIRRUS_TRUNC_OPS(CIRRUS_T)};
constexpr OpTypes kTruncSatTypes[] = {CIRRUS_TRUNC_SAT_OPS(CIRRUS_T)};
#undef CIRRUS_T
#define CIRRUS_T(code, name, in, out, ctype) std::is_signed_v<ctype>,
constexpr bool kTruncSigned[] = {CIRRUS_TRUNC_OPS(CIRRUS_T)};
constexpr bool kTruncSatSigned[] = {CIRRUS_TRUNC_SAT_OPS(CIRRUS_T)};
#undef CIRRUS_T
#define CIRRUS_T(code, name, type, helper) K::type,
constexpr K kTrappingTypes[] = {CIRRUS_TRAPPING_BINARY_OPS(CIRRUS_T)};
#undef CIRRUS_T

struct MemAccess {
    K type;
    uint8_t bytes;
    bool is_signed;
};
#define CIRRUS_T(code, name, type, ctype, align)                                                   \
    MemAccess{K::type, sizeof(ctype), std::is_signed_v<ctype>},
constexpr MemAccess kLoads[] = {CIRRUS_LOAD_OPS(CIRRUS_T)};
constexpr MemAccess kStores[] = {CIRRUS_STORE_OPS(CIRRUS_T)};
#undef CIRRUS_T

// Words of the instruction at `pc` (0 when it runs past `end`: the caller gives up).
uint32_t instruction_length(const uint32_t* pc, const uint32_t* end) {
    uint32_t op = *pc;
    uint32_t n = 0;
    switch (op) {
    case op_Unreachable:
    case op_Return0:
    case op_LoopCheck:
    case op_End: n = 1; break;
    case op_Br:
    case op_Return1:
    case op_MemorySize:
    case op_DataDrop:
    case op_ElemDrop: n = 2; break;
    case op_BrIf:
    case op_BrUnless:
    case op_Copy:
    case op_Return:
    case op_Call:
    case op_Const32:
    case op_GlobalGet:
    case op_GlobalSet:
    case op_MemoryGrow:
    case op_TableSize:
    case op_RefIsNull:
    case op_RefFunc: n = 3; break;
    case op_CopyN:
    case op_Const64:
    case op_MemoryCopy:
    case op_MemoryFill:
    case op_TableGet:
    case op_TableSet: n = 4; break;
    case op_CallIndirect:
    case op_Select:
    case op_MemoryInit:
    case op_TableGrow:
    case op_TableFill: n = 5; break;
    case op_TableCopy:
    case op_TableInit: n = 6; break;
    case op_BrTable:
        if (end - pc < 5) return 0;
        n = 5 + 2 * (pc[4] + 1);
        break;
    default:
        if (op >= op_I32Eqz && op < kFirstBinaryOp)
            n = 3;
        else if (op >= kFirstBinaryOp && op < op_I32DivS)
            n = 4; // plain, imm, fused branches
        else if (op >= op_I32DivS && op < op_I32TruncF32S)
            n = 4;
        else if (op >= op_I32TruncF32S && op < op_I32Load)
            n = 3;
        else if (op >= op_I32Load && op < op_I32LoadAbs)
            n = 4;
        else if (op >= op_I32LoadAbs && op < op_count)
            n = 3;
        else
            return 0;
    }
    return static_cast<uint32_t>(end - pc) >= n ? n : 0;
}

bool is_branch(uint32_t op) {
    return op == op_Br || op == op_BrIf || op == op_BrUnless || op == op_BrTable ||
           (op >= kFirstBrIfOp && op < op_I32DivS);
}
bool ends_block(uint32_t op) {
    return op == op_Br || op == op_BrTable || op == op_Return || op == op_Return0 ||
           op == op_Return1 || op == op_End || op == op_Unreachable;
}

class Translator {
public:
    Translator(const ModuleData& m, const FuncCode& code, llvm::Function* fn,
               const std::vector<llvm::Function*>& direct)
        : m_(m), code_(code), fn_(fn), direct_(direct), C(fn->getContext()), B(C) {
        i1 = B.getInt1Ty();
        i8 = B.getInt8Ty();
        i32 = B.getInt32Ty();
        i64 = B.getInt64Ty();
        f32 = B.getFloatTy();
        f64 = B.getDoubleTy();
        ptr = B.getPtrTy();
        ctx_ = fn->getArg(0);
        env_ = fn->getArg(1);
        fp_ = fn->getArg(2);
        jit_fn_type_ = llvm::FunctionType::get(i32, {ptr, ptr, ptr}, false);
    }

    bool run(std::string& why);

private:
    // ---- types and values
    llvm::Type* ty(K k) const {
        switch (k) {
        case K::I32: return i32;
        case K::I64: return i64;
        case K::F32: return f32;
        case K::F64: return f64;
        }
        return i64;
    }
    Value* c32(uint64_t v) { return B.getInt32(static_cast<uint32_t>(v)); }
    Value* c64(uint64_t v) { return B.getInt64(v); }

    Value* ld(uint32_t slot) { return B.CreateLoad(i64, slots_[slot]); }
    void st(uint32_t slot, Value* v64) {
        B.CreateStore(v64, slots_[slot]);
        const_slot_[slot] = 0;
    }
    // An integer the optimiser must treat as unknown (see the file comment).
    Value* opaque(Value* v) {
        auto* ft = llvm::FunctionType::get(v->getType(), {v->getType()}, false);
        return B.CreateCall(llvm::InlineAsm::get(ft, "", "=r,0", false), {v});
    }
    Value* from_bits(Value* v64, K k) {
        switch (k) {
        case K::I32: return B.CreateTrunc(v64, i32);
        case K::I64: return v64;
        case K::F32: return B.CreateBitCast(B.CreateTrunc(v64, i32), f32);
        case K::F64: return B.CreateBitCast(v64, f64);
        }
        return v64;
    }
    Value* rd(uint32_t slot, K k) {
        Value* v = ld(slot);
        if ((k == K::F32 || k == K::F64) && const_slot_[slot]) v = opaque(v);
        return from_bits(v, k);
    }
    Value* to_bits(Value* v, K k) {
        switch (k) {
        case K::I32: return B.CreateZExt(v, i64);
        case K::I64: return v;
        case K::F32: return B.CreateZExt(B.CreateBitCast(v, i32), i64);
        case K::F64: return B.CreateBitCast(v, i64);
        }
        return v;
    }
    void wr(uint32_t slot, Value* v, K k) { st(slot, to_bits(v, k)); }
    // An immediate operand: i64 ones are sign-extended from their 32-bit word.
    Value* imm(uint32_t w, K k) {
        switch (k) {
        case K::I32: return c32(w);
        case K::I64: return c64(static_cast<uint64_t>(int64_t(int32_t(w))));
        case K::F32: return B.CreateBitCast(opaque(c32(w)), f32);
        case K::F64: return B.CreateBitCast(opaque(c64(w)), f64);
        }
        return c32(w);
    }
    Value* bool32(Value* i1v) { return B.CreateZExt(i1v, i32); }

    // ---- environment
    Value* load_invariant(llvm::Type* t, Value* p) {
        auto* l = B.CreateLoad(t, p);
        l->setMetadata(llvm::LLVMContext::MD_invariant_load, llvm::MDNode::get(C, {}));
        return l;
    }
    Value* field(Value* base, size_t offset) {
        return load_invariant(ptr, B.CreateConstInBoundsGEP1_64(i8, base, offset));
    }
    Value* fp_slot(uint32_t i) { return B.CreateConstInBoundsGEP1_64(i64, fp_, i); }
    Value* frame_top() { return fp_slot(code_.frame_slots); }
    void reload_memory() {
        Value* base_ptr = field(env_, offsetof(JitEnv, memory_base));
        Value* size_ptr = field(env_, offsetof(JitEnv, memory_size));
        B.CreateStore(B.CreateLoad(ptr, base_ptr), mem_base_);
        B.CreateStore(B.CreateLoad(i64, size_ptr), mem_size_);
    }
    template <typename Fn>
    Value* helper(Fn fn, llvm::Type* result, std::initializer_list<Value*> args) {
        std::vector<llvm::Type*> params;
        for (Value* a : args) params.push_back(a->getType());
        auto* ft = llvm::FunctionType::get(result, params, false);
        Value* callee = llvm::ConstantExpr::getIntToPtr(
            B.getInt64(reinterpret_cast<uintptr_t>(reinterpret_cast<void*>(fn))), ptr);
        return B.CreateCall(ft, callee, args);
    }

    // ---- control
    BasicBlock* new_block(const char* name) { return BasicBlock::Create(C, name, fn_); }
    BasicBlock* trap_block(JitTrap t) {
        auto& bb = traps_[static_cast<size_t>(t)];
        if (!bb) {
            llvm::IRBuilderBase::InsertPointGuard guard(B);
            bb = new_block("trap");
            B.SetInsertPoint(bb);
            helper(&JitRuntime::trap, B.getVoidTy(),
                   {ctx_, env_, c32(code_.func_index), c32(static_cast<uint32_t>(t))});
            B.CreateRet(c32(1));
        }
        return bb;
    }
    BasicBlock* unwind_block() {
        if (!unwind_) {
            llvm::IRBuilderBase::InsertPointGuard guard(B);
            unwind_ = new_block("unwind");
            B.SetInsertPoint(unwind_);
            helper(&JitRuntime::unwind, B.getVoidTy(), {ctx_, env_, c32(code_.func_index)});
            B.CreateRet(c32(1));
        }
        return unwind_;
    }
    // Continues in a new block when `bad` is false; traps when it is true.
    void check(Value* bad, JitTrap t) {
        BasicBlock* ok = new_block("ok");
        B.CreateCondBr(bad, trap_block(t), ok, llvm::MDBuilder(C).createUnlikelyBranchWeights());
        B.SetInsertPoint(ok);
    }
    void check_status(Value* status) {
        BasicBlock* ok = new_block("ok");
        B.CreateCondBr(B.CreateICmpNE(status, c32(0)), unwind_block(), ok,
                       llvm::MDBuilder(C).createUnlikelyBranchWeights());
        B.SetInsertPoint(ok);
    }
    BasicBlock* block_at(int64_t pc) { return blocks_.at(static_cast<uint32_t>(pc)); }
    void interrupt_check();

    // ---- instructions
    bool instruction(const uint32_t* pc, uint32_t pos);
    Value* unary(uint32_t op, Value* a);
    Value* binary(uint32_t op, Value* a, Value* b);
    Value* trapping(uint32_t op, Value* a, Value* b);
    Value* trunc_checked(K in, K out, bool is_signed, Value* x);
    Value* minmax(bool is_min, Value* a, Value* b, K k);
    Value* address(Value* ea, uint32_t bytes);
    void load(const MemAccess& a, uint32_t dst, Value* ea);
    void store(const MemAccess& a, Value* ea, uint32_t src);
    void call(uint32_t pos, const uint32_t* pc, bool indirect);
    void ret(uint32_t src, uint32_t n);

    const ModuleData& m_;
    const FuncCode& code_;
    llvm::Function* fn_;
    const std::vector<llvm::Function*>& direct_;
    llvm::LLVMContext& C;
    llvm::IRBuilder<> B;
    llvm::Type *i1, *i8, *i32, *i64, *f32, *f64, *ptr;
    llvm::FunctionType* jit_fn_type_;
    Value *ctx_, *env_, *fp_;
    std::vector<llvm::AllocaInst*> slots_;
    std::vector<uint8_t> const_slot_; // slot last written by a constant in this block
    llvm::AllocaInst* mem_base_ = nullptr;
    llvm::AllocaInst* mem_size_ = nullptr;
    llvm::AllocaInst* scratch_ = nullptr;
    std::map<uint32_t, BasicBlock*> blocks_;
    std::array<BasicBlock*, 12> traps_{};
    BasicBlock* unwind_ = nullptr;
};

void Translator::interrupt_check() {
    auto atomic_load = [&](size_t offset) {
        auto* l = B.CreateLoad(i64, field(ctx_, offset));
        l->setAtomic(llvm::AtomicOrdering::Monotonic);
        l->setAlignment(llvm::Align(8));
        return l;
    };
    Value* epoch = atomic_load(offsetof(JitContext, epoch));
    Value* deadline = atomic_load(offsetof(JitContext, deadline));
    check(B.CreateICmpUGE(epoch, deadline), JitTrap::Deadline);
    Value* enabled = B.CreateLoad(i8, field(ctx_, offsetof(JitContext, fuel_enabled)));
    BasicBlock* metered = new_block("fuel");
    BasicBlock* done = new_block("fuel.done");
    B.CreateCondBr(B.CreateICmpNE(enabled, B.getInt8(0)), metered, done,
                   llvm::MDBuilder(C).createUnlikelyBranchWeights());
    B.SetInsertPoint(metered);
    Value* out = helper(&JitRuntime::consume_fuel, i32, {ctx_});
    check(B.CreateICmpNE(out, c32(0)), JitTrap::FuelExhausted);
    B.CreateBr(done);
    B.SetInsertPoint(done);
}

Value* Translator::unary(uint32_t op, Value* a) {
    using llvm::Intrinsic::ID;
    auto intr = [&](ID id, Value* v) { return B.CreateUnaryIntrinsic(id, v); };
    switch (op) {
    case op_I32Eqz: return bool32(B.CreateICmpEQ(a, c32(0)));
    case op_I64Eqz: return bool32(B.CreateICmpEQ(a, c64(0)));
    case op_I32Clz:
    case op_I64Clz: return B.CreateBinaryIntrinsic(llvm::Intrinsic::ctlz, a, B.getFalse());
    case op_I32Ctz:
    case op_I64Ctz: return B.CreateBinaryIntrinsic(llvm::Intrinsic::cttz, a, B.getFalse());
    case op_I32Popcnt:
    case op_I64Popcnt: return intr(llvm::Intrinsic::ctpop, a);
    case op_F32Abs:
    case op_F64Abs: return intr(llvm::Intrinsic::fabs, a);
    case op_F32Neg:
    case op_F64Neg: return B.CreateFNeg(a);
    case op_F32Ceil:
    case op_F64Ceil: return intr(llvm::Intrinsic::ceil, a);
    case op_F32Floor:
    case op_F64Floor: return intr(llvm::Intrinsic::floor, a);
    case op_F32Trunc:
    case op_F64Trunc: return intr(llvm::Intrinsic::trunc, a);
    case op_F32Nearest:
    case op_F64Nearest: return intr(llvm::Intrinsic::roundeven, a);
    case op_F32Sqrt:
    case op_F64Sqrt: return intr(llvm::Intrinsic::sqrt, a);
    case op_I32WrapI64: return B.CreateTrunc(a, i32);
    case op_I64ExtendI32S: return B.CreateSExt(a, i64);
    case op_I64ExtendI32U: return B.CreateZExt(a, i64);
    case op_F32ConvertI32S:
    case op_F32ConvertI64S: return B.CreateSIToFP(a, f32);
    case op_F32ConvertI32U:
    case op_F32ConvertI64U: return B.CreateUIToFP(a, f32);
    case op_F64ConvertI32S:
    case op_F64ConvertI64S: return B.CreateSIToFP(a, f64);
    case op_F64ConvertI32U:
    case op_F64ConvertI64U: return B.CreateUIToFP(a, f64);
    case op_F32DemoteF64:
        // Opaque operand: LLVM folds demote(promote(x)) to x, which keeps a signalling NaN.
        return B.CreateFPTrunc(B.CreateBitCast(opaque(B.CreateBitCast(a, i64)), f64), f32);
    case op_F64PromoteF32: return B.CreateFPExt(a, f64);
    case op_I32ReinterpretF32: return B.CreateBitCast(a, i32);
    case op_I64ReinterpretF64: return B.CreateBitCast(a, i64);
    case op_F32ReinterpretI32: return B.CreateBitCast(a, f32);
    case op_F64ReinterpretI64: return B.CreateBitCast(a, f64);
    case op_I32Extend8S: return B.CreateSExt(B.CreateTrunc(a, i8), i32);
    case op_I32Extend16S: return B.CreateSExt(B.CreateTrunc(a, B.getInt16Ty()), i32);
    case op_I64Extend8S: return B.CreateSExt(B.CreateTrunc(a, i8), i64);
    case op_I64Extend16S: return B.CreateSExt(B.CreateTrunc(a, B.getInt16Ty()), i64);
    case op_I64Extend32S: return B.CreateSExt(B.CreateTrunc(a, i32), i64);
    default: return nullptr;
    }
}

Value* Translator::minmax(bool is_min, Value* a, Value* b, K k) {
    llvm::Type* it = k == K::F32 ? i32 : i64;
    Value* unordered = B.CreateFCmpUNO(a, b);
    Value* nan = B.CreateFAdd(a, b); // an arithmetic NaN when either is NaN
    Value* equal = B.CreateFCmpOEQ(a, b);
    Value* ai = B.CreateBitCast(a, it);
    Value* bi = B.CreateBitCast(b, it);
    // Equal operands differ at most in the sign of zero: min takes -0, max +0.
    Value* same = B.CreateBitCast(is_min ? B.CreateOr(ai, bi) : B.CreateAnd(ai, bi), ty(k));
    Value* first = is_min ? B.CreateFCmpOLT(a, b) : B.CreateFCmpOGT(a, b);
    Value* ordered = B.CreateSelect(first, a, b);
    return B.CreateSelect(unordered, nan, B.CreateSelect(equal, same, ordered));
}

Value* Translator::binary(uint32_t op, Value* a, Value* b) {
    auto shift_amount = [&](Value* v) {
        return B.CreateAnd(
            v, llvm::ConstantInt::get(v->getType(), v->getType()->getIntegerBitWidth() - 1));
    };
    switch (op) {
    case op_I32Eq:
    case op_I64Eq: return bool32(B.CreateICmpEQ(a, b));
    case op_I32Ne:
    case op_I64Ne: return bool32(B.CreateICmpNE(a, b));
    case op_I32LtS:
    case op_I64LtS: return bool32(B.CreateICmpSLT(a, b));
    case op_I32LtU:
    case op_I64LtU: return bool32(B.CreateICmpULT(a, b));
    case op_I32GtS:
    case op_I64GtS: return bool32(B.CreateICmpSGT(a, b));
    case op_I32GtU:
    case op_I64GtU: return bool32(B.CreateICmpUGT(a, b));
    case op_I32LeS:
    case op_I64LeS: return bool32(B.CreateICmpSLE(a, b));
    case op_I32LeU:
    case op_I64LeU: return bool32(B.CreateICmpULE(a, b));
    case op_I32GeS:
    case op_I64GeS: return bool32(B.CreateICmpSGE(a, b));
    case op_I32GeU:
    case op_I64GeU: return bool32(B.CreateICmpUGE(a, b));
    case op_F32Eq:
    case op_F64Eq: return bool32(B.CreateFCmpOEQ(a, b));
    case op_F32Ne:
    case op_F64Ne: return bool32(B.CreateFCmpUNE(a, b));
    case op_F32Lt:
    case op_F64Lt: return bool32(B.CreateFCmpOLT(a, b));
    case op_F32Gt:
    case op_F64Gt: return bool32(B.CreateFCmpOGT(a, b));
    case op_F32Le:
    case op_F64Le: return bool32(B.CreateFCmpOLE(a, b));
    case op_F32Ge:
    case op_F64Ge: return bool32(B.CreateFCmpOGE(a, b));
    case op_I32Add:
    case op_I64Add: return B.CreateAdd(a, b);
    case op_I32Sub:
    case op_I64Sub: return B.CreateSub(a, b);
    case op_I32Mul:
    case op_I64Mul: return B.CreateMul(a, b);
    case op_I32And:
    case op_I64And: return B.CreateAnd(a, b);
    case op_I32Or:
    case op_I64Or: return B.CreateOr(a, b);
    case op_I32Xor:
    case op_I64Xor: return B.CreateXor(a, b);
    case op_I32Shl:
    case op_I64Shl: return B.CreateShl(a, shift_amount(b));
    case op_I32ShrS:
    case op_I64ShrS: return B.CreateAShr(a, shift_amount(b));
    case op_I32ShrU:
    case op_I64ShrU: return B.CreateLShr(a, shift_amount(b));
    case op_I32Rotl:
    case op_I64Rotl: return B.CreateIntrinsic(llvm::Intrinsic::fshl, {a->getType()}, {a, a, b});
    case op_I32Rotr:
    case op_I64Rotr: return B.CreateIntrinsic(llvm::Intrinsic::fshr, {a->getType()}, {a, a, b});
    case op_F32Add:
    case op_F64Add: return B.CreateFAdd(a, b);
    case op_F32Sub:
    case op_F64Sub: return B.CreateFSub(a, b);
    case op_F32Mul:
    case op_F64Mul: return B.CreateFMul(a, b);
    case op_F32Div:
    case op_F64Div: return B.CreateFDiv(a, b);
    case op_F32Min: return minmax(true, a, b, K::F32);
    case op_F64Min: return minmax(true, a, b, K::F64);
    case op_F32Max: return minmax(false, a, b, K::F32);
    case op_F64Max: return minmax(false, a, b, K::F64);
    case op_F32Copysign:
    case op_F64Copysign: return B.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, a, b);
    default: return nullptr;
    }
}

Value* Translator::trapping(uint32_t op, Value* a, Value* b) {
    llvm::Type* t = a->getType();
    Value* zero = llvm::ConstantInt::get(t, 0);
    Value* minus_one = llvm::ConstantInt::getSigned(t, -1);
    Value* min = llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(t->getIntegerBitWidth()));
    check(B.CreateICmpEQ(b, zero), JitTrap::DivideByZero);
    switch (op) {
    case op_I32DivS:
    case op_I64DivS:
        check(B.CreateAnd(B.CreateICmpEQ(a, min), B.CreateICmpEQ(b, minus_one)),
              JitTrap::IntegerOverflow);
        return B.CreateSDiv(a, b);
    case op_I32DivU:
    case op_I64DivU: return B.CreateUDiv(a, b);
    case op_I32RemS:
    case op_I64RemS: {
        // x rem -1 is 0; dividing by 1 instead keeps INT_MIN rem -1 from faulting.
        Value* safe = B.CreateSelect(B.CreateICmpEQ(b, minus_one), llvm::ConstantInt::get(t, 1), b);
        return B.CreateSRem(a, safe);
    }
    case op_I32RemU:
    case op_I64RemU: return B.CreateURem(a, b);
    default: return nullptr;
    }
}

Value* Translator::trunc_checked(K in, K out, bool is_signed, Value* x) {
    llvm::Type* ft = ty(in);
    unsigned bits = out == K::I32 ? 32 : 64;
    auto fc = [&](double v) { return llvm::ConstantFP::get(ft, v); };
    check(B.CreateFCmpUNO(x, x), JitTrap::InvalidConversion);
    // In range when the value truncated toward zero fits. The bounds are powers of two (exact
    // in both float types), except -2^31 - 1, which only f64 can hold.
    Value* low_ok;
    Value* high_ok;
    if (is_signed) {
        double lo = -std::ldexp(1.0, bits - 1);
        if (in == K::F64 && bits == 32)
            low_ok = B.CreateFCmpOGT(x, fc(lo - 1));
        else
            low_ok = B.CreateFCmpOGE(x, fc(lo));
        high_ok = B.CreateFCmpOLT(x, fc(std::ldexp(1.0, bits - 1)));
    } else {
        low_ok = B.CreateFCmpOGT(x, fc(-1.0));
        high_ok = B.CreateFCmpOLT(x, fc(std::ldexp(1.0, bits)));
    }
    check(B.CreateNot(B.CreateAnd(low_ok, high_ok)), JitTrap::IntegerOverflow);
    return is_signed ? B.CreateFPToSI(x, ty(out)) : B.CreateFPToUI(x, ty(out));
}

// The host address of [ea, ea + bytes) in memory 0, after the bounds check.
Value* Translator::address(Value* ea, uint32_t bytes) {
    Value* end = B.CreateAdd(ea, c64(bytes));
    check(B.CreateICmpUGT(end, B.CreateLoad(i64, mem_size_)), JitTrap::MemoryOutOfBounds);
    return B.CreateInBoundsGEP(i8, B.CreateLoad(ptr, mem_base_), ea);
}

void Translator::load(const MemAccess& a, uint32_t dst, Value* ea) {
    Value* p = address(ea, a.bytes);
    llvm::Type* mt = B.getIntNTy(a.bytes * 8);
    auto* l = B.CreateLoad(mt, p);
    l->setAlignment(llvm::Align(1));
    llvm::Type* wide = (a.type == K::I32 || a.type == K::F32) ? i32 : i64;
    Value* v = l;
    if (mt != wide) v = a.is_signed ? B.CreateSExt(v, wide) : B.CreateZExt(v, wide);
    st(dst, B.CreateZExt(v, i64));
}

void Translator::store(const MemAccess& a, Value* ea, uint32_t src) {
    Value* v = B.CreateTrunc(ld(src), B.getIntNTy(a.bytes * 8));
    Value* p = address(ea, a.bytes);
    B.CreateStore(v, p)->setAlignment(llvm::Align(1));
}

void Translator::ret(uint32_t src, uint32_t n) {
    std::vector<Value*> values;
    for (uint32_t i = 0; i < n; ++i) values.push_back(ld(src + i));
    for (uint32_t i = 0; i < n; ++i) B.CreateStore(values[i], fp_slot(i));
    B.CreateRet(c32(0));
}

void Translator::call(uint32_t pos, const uint32_t* pc, bool indirect) {
    (void)pos;
    const FuncType* ft = nullptr;
    uint32_t base;
    if (indirect) {
        for (size_t t = 0; t < m_.type_ids.size() && !ft; ++t)
            if (m_.type_ids[t] == pc[1]) ft = &m_.types[t];
        base = pc[4];
    } else {
        ft = &m_.types[m_.func_types[pc[1]]];
        base = pc[2];
    }
    uint32_t np = static_cast<uint32_t>(ft->params.size());
    uint32_t nr = static_cast<uint32_t>(ft->results.size());
    for (uint32_t i = 0; i < np; ++i) B.CreateStore(ld(base + i), fp_slot(base + i));
    Value* callee_fp = fp_slot(base);
    Value* status;
    if (indirect) {
        status =
            helper(&JitRuntime::call_indirect, i32,
                   {ctx_, env_, c32(pc[2]), c32(pc[1]), rd(pc[3], K::I32), callee_fp, frame_top()});
    } else {
        uint32_t index = pc[1];
        llvm::Function* target =
            index >= m_.num_imported_funcs ? direct_[index - m_.num_imported_funcs] : nullptr;
        if (target) {
            status = B.CreateCall(jit_fn_type_, target, {ctx_, env_, callee_fp});
        } else {
            Value* funcs = field(env_, offsetof(JitEnv, funcs));
            Value* func = load_invariant(ptr, B.CreateConstInBoundsGEP1_64(ptr, funcs, index));
            status = helper(&JitRuntime::call, i32, {ctx_, env_, func, callee_fp, frame_top()});
        }
    }
    check_status(status);
    for (uint32_t i = 0; i < nr; ++i) st(base + i, B.CreateLoad(i64, fp_slot(base + i)));
    reload_memory();
}

bool Translator::instruction(const uint32_t* pc, uint32_t pos) {
    const uint32_t op = pc[0];
    auto target = [&](uint32_t word) { return block_at(int64_t(pos) + int32_t(word)); };
    auto cond_branch = [&](Value* cond, uint32_t word) {
        BasicBlock* next = blocks_.at(pos + instruction_length(pc, pc + 16));
        B.CreateCondBr(cond, target(word), next);
    };
    switch (op) {
    case op_Unreachable: B.CreateBr(trap_block(JitTrap::Unreachable)); return true;
    case op_Br: B.CreateBr(target(pc[1])); return true;
    case op_BrIf: cond_branch(B.CreateICmpNE(rd(pc[1], K::I32), c32(0)), pc[2]); return true;
    case op_BrUnless: cond_branch(B.CreateICmpEQ(rd(pc[1], K::I32), c32(0)), pc[2]); return true;
    case op_BrTable: {
        Value* index = rd(pc[1], K::I32);
        uint32_t arity = pc[2], src = pc[3], count = pc[4];
        // One edge block per distinct (target, destination) that has values to move.
        std::map<std::pair<int64_t, uint32_t>, BasicBlock*> edges;
        auto edge = [&](uint32_t k) {
            const uint32_t* e = pc + 5 + 2 * k;
            BasicBlock* to = target(e[0]);
            uint32_t dst = e[1];
            if (arity == 0 || dst == src) return to;
            auto key = std::make_pair(int64_t(pos) + int32_t(e[0]), dst);
            auto it = edges.find(key);
            if (it != edges.end()) return it->second;
            llvm::IRBuilderBase::InsertPointGuard guard(B);
            BasicBlock* bb = new_block("br_table.move");
            B.SetInsertPoint(bb);
            std::vector<Value*> values;
            for (uint32_t i = 0; i < arity; ++i) values.push_back(ld(src + i));
            for (uint32_t i = 0; i < arity; ++i) B.CreateStore(values[i], slots_[dst + i]);
            B.CreateBr(to);
            edges.emplace(key, bb);
            return bb;
        };
        auto* sw = B.CreateSwitch(index, edge(count), count);
        for (uint32_t k = 0; k < count; ++k) sw->addCase(B.getInt32(k), edge(k));
        return true;
    }
    case op_Copy: {
        uint8_t c = const_slot_[pc[2]];
        st(pc[1], ld(pc[2]));
        const_slot_[pc[1]] = c;
        return true;
    }
    case op_CopyN: {
        std::vector<Value*> values;
        for (uint32_t i = 0; i < pc[3]; ++i) values.push_back(ld(pc[2] + i));
        for (uint32_t i = 0; i < pc[3]; ++i) st(pc[1] + i, values[i]);
        return true;
    }
    case op_Return: ret(pc[1], pc[2]); return true;
    case op_Return0:
    case op_End: B.CreateRet(c32(0)); return true;
    case op_Return1: ret(pc[1], 1); return true;
    case op_Call: call(pos, pc, false); return true;
    case op_CallIndirect: call(pos, pc, true); return true;
    case op_LoopCheck: interrupt_check(); return true;
    case op_Select:
        st(pc[1], B.CreateSelect(B.CreateICmpNE(rd(pc[4], K::I32), c32(0)), ld(pc[2]), ld(pc[3])));
        return true;
    case op_Const32:
        st(pc[1], c64(pc[2]));
        const_slot_[pc[1]] = 1;
        return true;
    case op_Const64:
        st(pc[1], c64(uint64_t(pc[2]) | (uint64_t(pc[3]) << 32)));
        const_slot_[pc[1]] = 1;
        return true;
    case op_GlobalGet:
    case op_GlobalSet: {
        uint32_t index = op == op_GlobalGet ? pc[2] : pc[1];
        Value* globals = field(env_, offsetof(JitEnv, globals));
        Value* g = load_invariant(ptr, B.CreateConstInBoundsGEP1_64(ptr, globals, index));
        if (op == op_GlobalGet)
            st(pc[1], B.CreateLoad(i64, g));
        else
            B.CreateStore(ld(pc[2]), g);
        return true;
    }
    case op_MemorySize: st(pc[1], B.CreateLShr(B.CreateLoad(i64, mem_size_), c64(16))); return true;
    case op_MemoryGrow:
        wr(pc[1], helper(&JitRuntime::memory_grow, i32, {env_, rd(pc[2], K::I32)}), K::I32);
        reload_memory();
        return true;
    case op_MemoryInit:
        check(B.CreateICmpNE(helper(&JitRuntime::memory_init, i32,
                                    {env_, c32(pc[1]), rd(pc[2], K::I32), rd(pc[3], K::I32),
                                     rd(pc[4], K::I32)}),
                             c32(0)),
              JitTrap::MemoryOutOfBounds);
        return true;
    case op_DataDrop:
        helper(&JitRuntime::data_drop, B.getVoidTy(), {env_, c32(pc[1])});
        return true;
    case op_MemoryCopy:
    case op_MemoryFill:
        check(B.CreateICmpNE(
                  op == op_MemoryCopy
                      ? helper(&JitRuntime::memory_copy, i32,
                               {env_, rd(pc[1], K::I32), rd(pc[2], K::I32), rd(pc[3], K::I32)})
                      : helper(&JitRuntime::memory_fill, i32,
                               {env_, rd(pc[1], K::I32), rd(pc[2], K::I32), rd(pc[3], K::I32)}),
                  c32(0)),
              JitTrap::MemoryOutOfBounds);
        return true;
    case op_TableGet:
        check(B.CreateICmpNE(helper(&JitRuntime::table_get, i32,
                                    {env_, c32(pc[2]), rd(pc[3], K::I32), scratch_}),
                             c32(0)),
              JitTrap::TableOutOfBounds);
        st(pc[1], B.CreateLoad(i64, scratch_));
        return true;
    case op_TableSet:
        check(B.CreateICmpNE(helper(&JitRuntime::table_set, i32,
                                    {env_, c32(pc[1]), rd(pc[2], K::I32), ld(pc[3])}),
                             c32(0)),
              JitTrap::TableOutOfBounds);
        return true;
    case op_TableSize:
        wr(pc[1], helper(&JitRuntime::table_size, i32, {env_, c32(pc[2])}), K::I32);
        return true;
    case op_TableGrow:
        wr(pc[1],
           helper(&JitRuntime::table_grow, i32, {env_, c32(pc[2]), ld(pc[3]), rd(pc[4], K::I32)}),
           K::I32);
        return true;
    case op_TableFill:
        check(B.CreateICmpNE(
                  helper(&JitRuntime::table_fill, i32,
                         {env_, c32(pc[1]), rd(pc[2], K::I32), ld(pc[3]), rd(pc[4], K::I32)}),
                  c32(0)),
              JitTrap::TableOutOfBounds);
        return true;
    case op_TableCopy:
    case op_TableInit:
        check(
            B.CreateICmpNE(
                helper(op == op_TableCopy ? &JitRuntime::table_copy : &JitRuntime::table_init, i32,
                       {env_, c32(pc[1]), c32(pc[2]), rd(pc[3], K::I32), rd(pc[4], K::I32),
                        rd(pc[5], K::I32)}),
                c32(0)),
            JitTrap::TableOutOfBounds);
        return true;
    case op_ElemDrop:
        helper(&JitRuntime::elem_drop, B.getVoidTy(), {env_, c32(pc[1])});
        return true;
    case op_RefIsNull: wr(pc[1], bool32(B.CreateICmpEQ(ld(pc[2]), c64(0))), K::I32); return true;
    case op_RefFunc: {
        Value* funcs = field(env_, offsetof(JitEnv, funcs));
        Value* f = load_invariant(ptr, B.CreateConstInBoundsGEP1_64(ptr, funcs, pc[2]));
        st(pc[1], B.CreatePtrToInt(f, i64));
        return true;
    }
    default: break;
    }

    if (op >= op_I32Eqz && op < kFirstBinaryOp) {
        OpTypes t = kUnaryTypes[op - op_I32Eqz];
        Value* r = unary(op, rd(pc[2], t.in));
        if (!r) return false;
        wr(pc[1], r, t.out);
        return true;
    }
    if (op >= kFirstBinaryOp && op < op_I32DivS) {
        uint32_t index = (op - kFirstBinaryOp) % kNumBinaryOps;
        uint32_t base = kFirstBinaryOp + index;
        OpTypes t = kBinaryTypes[index];
        if (op < kFirstBinaryImmOp || op < kFirstBrIfOp) {
            bool with_imm = op >= kFirstBinaryImmOp;
            Value* a = rd(pc[2], t.in);
            Value* b = with_imm ? imm(pc[3], t.in) : rd(pc[3], t.in);
            Value* r = binary(base, a, b);
            if (!r) return false;
            wr(pc[1], r, t.out);
            return true;
        }
        // A conditional branch fused with the operation computing its condition.
        bool with_imm =
            (op >= kFirstBrIfImmOp && op < kFirstBrUnlessOp) || op >= kFirstBrUnlessImmOp;
        bool unless = op >= kFirstBrUnlessOp;
        Value* a = rd(pc[1], t.in);
        Value* b = with_imm ? imm(pc[2], t.in) : rd(pc[2], t.in);
        Value* r = binary(base, a, b);
        if (!r) return false;
        Value* zero = llvm::ConstantInt::get(r->getType(), 0);
        cond_branch(unless ? B.CreateICmpEQ(r, zero) : B.CreateICmpNE(r, zero), pc[3]);
        return true;
    }
    if (op >= op_I32DivS && op < op_I32TruncF32S) {
        K k = kTrappingTypes[op - op_I32DivS];
        Value* r = trapping(op, rd(pc[2], k), rd(pc[3], k));
        if (!r) return false;
        wr(pc[1], r, k);
        return true;
    }
    if (op >= op_I32TruncF32S && op < op_I32TruncSatF32S) {
        uint32_t i = op - op_I32TruncF32S;
        OpTypes t = kTruncTypes[i];
        wr(pc[1], trunc_checked(t.in, t.out, kTruncSigned[i], rd(pc[2], t.in)), t.out);
        return true;
    }
    if (op >= op_I32TruncSatF32S && op < op_I32Load) {
        uint32_t i = op - op_I32TruncSatF32S;
        OpTypes t = kTruncSatTypes[i];
        auto id = kTruncSatSigned[i] ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
        Value* r = B.CreateIntrinsic(id, {ty(t.out), ty(t.in)}, {rd(pc[2], t.in)});
        wr(pc[1], r, t.out);
        return true;
    }
    if (op >= op_I32Load && op < op_I32Store) {
        Value* ea = B.CreateAdd(B.CreateZExt(rd(pc[2], K::I32), i64), c64(pc[3]));
        load(kLoads[op - op_I32Load], pc[1], ea);
        return true;
    }
    if (op >= op_I32Store && op < op_I32LoadAbs) {
        Value* ea = B.CreateAdd(B.CreateZExt(rd(pc[1], K::I32), i64), c64(pc[3]));
        store(kStores[op - op_I32Store], ea, pc[2]);
        return true;
    }
    if (op >= op_I32LoadAbs && op < op_I32StoreAbs) {
        load(kLoads[op - op_I32LoadAbs], pc[1], c64(pc[2]));
        return true;
    }
    if (op >= op_I32StoreAbs && op < op_count) {
        store(kStores[op - op_I32StoreAbs], c64(pc[2]), pc[1]);
        return true;
    }
    return false;
}

bool Translator::run(std::string& why) {
    const std::vector<uint32_t>& code = code_.code;
    const uint32_t* begin = code.data();
    const uint32_t* end = begin + code.size();

    // Pass 1: instruction boundaries and block leaders (branch targets, fall-through after a
    // branch). A target that is not an instruction start means the translator and validator
    // disagree: leave the function to the interpreter.
    std::vector<uint32_t> starts;
    std::vector<uint32_t> leaders{0};
    for (uint32_t pos = 0; pos < code.size();) {
        const uint32_t* pc = begin + pos;
        uint32_t len = instruction_length(pc, end);
        if (!len) {
            why = fmt::format("unknown instruction {} at {}", *pc, pos);
            return false;
        }
        starts.push_back(pos);
        uint32_t op = *pc;
        auto add_target = [&](uint32_t word) {
            leaders.push_back(uint32_t(int64_t(pos) + int32_t(word)));
        };
        if (op == op_Br)
            add_target(pc[1]);
        else if (op == op_BrIf || op == op_BrUnless)
            add_target(pc[2]);
        else if (op == op_BrTable)
            for (uint32_t k = 0; k <= pc[4]; ++k) add_target(pc[5 + 2 * k]);
        else if (op >= kFirstBrIfOp && op < op_I32DivS)
            add_target(pc[3]);
        if (is_branch(op) || ends_block(op)) leaders.push_back(pos + len);
        pos += len;
    }
    starts.push_back(static_cast<uint32_t>(code.size()));

    BasicBlock* entry = new_block("entry");
    for (uint32_t l : leaders) {
        if (!std::binary_search(starts.begin(), starts.end(), l)) {
            why = fmt::format("branch target {} is not an instruction", l);
            return false;
        }
        if (!blocks_.count(l)) blocks_[l] = nullptr;
    }
    for (auto& [pos, bb] : blocks_) bb = new_block("b");

    // Entry: slots, parameters, the stack and interrupt checks, memory 0.
    B.SetInsertPoint(entry);
    slots_.resize(code_.frame_slots);
    const_slot_.assign(code_.frame_slots, 0);
    for (uint32_t i = 0; i < code_.frame_slots; ++i) slots_[i] = B.CreateAlloca(i64);
    mem_base_ = B.CreateAlloca(ptr);
    mem_size_ = B.CreateAlloca(i64);
    scratch_ = B.CreateAlloca(i64);
    for (uint32_t i = 0; i < code_.num_params; ++i) st(i, B.CreateLoad(i64, fp_slot(i)));
    for (uint32_t i = code_.num_params; i < code_.num_locals; ++i) st(i, c64(0));
    // Native stack: compiled calls recurse on it, so each entry checks the stack pointer
    // against a limit set below the thread's stack end (see JitRuntime::enter).
    Value* sp = B.CreatePtrToInt(B.CreateStackSave(), i64);
    Value* limit = B.CreateLoad(
        i64, B.CreateConstInBoundsGEP1_64(i8, ctx_, offsetof(JitContext, native_stack_limit)));
    check(B.CreateICmpULT(sp, limit), JitTrap::StackExhausted);
    check(B.CreateICmpUGT(frame_top(), field(ctx_, offsetof(JitContext, stack_end))),
          JitTrap::StackExhausted);
    interrupt_check();
    reload_memory();
    B.CreateBr(blocks_.at(0));

    // Pass 2: the instructions.
    BasicBlock* current = nullptr;
    for (size_t i = 0; i + 1 < starts.size(); ++i) {
        uint32_t pos = starts[i];
        auto it = blocks_.find(pos);
        if (it != blocks_.end()) {
            if (current && !current->getTerminator()) B.CreateBr(it->second);
            current = it->second;
            B.SetInsertPoint(current);
            std::fill(const_slot_.begin(), const_slot_.end(), 0);
        } else if (B.GetInsertBlock()->getTerminator()) {
            current = new_block("dead");
            B.SetInsertPoint(current);
        }
        if (!instruction(begin + pos, pos)) {
            why = fmt::format("instruction {} at {} not translated", begin[pos], pos);
            return false;
        }
        current = B.GetInsertBlock();
    }
    // Blocks nothing falls into or out of (the leader after the last instruction) end here.
    for (auto& [pos, bb] : blocks_) {
        if (bb->getTerminator()) continue;
        B.SetInsertPoint(bb);
        B.CreateBr(trap_block(JitTrap::Unreachable));
    }
    if (current && !current->getTerminator()) {
        B.SetInsertPoint(current);
        B.CreateBr(trap_block(JitTrap::Unreachable));
    }
    return true;
}

} // namespace

bool translate_function(const ModuleData& module, const FuncCode& code, llvm::Function* fn,
                        const std::vector<llvm::Function*>& direct, std::string& why) {
    Translator t(module, code, fn, direct);
    return t.run(why);
}

} // namespace cirrus::wasm::detail
