// One table per fact: the numeric instructions of the core language, with their binary
// opcode, operand and result types, and (for the ones that cannot trap) their semantics as
// one expression over `a` and `b`. The validator reads the types from here and the
// interpreter the semantics, so each instruction is described exactly once.
#pragma once

#include "numeric.h"

// X(opcode, Name, operand type, result type, expression of a)
#define CIRRUS_UNARY_OPS(X)                                                                        \
    X(0x45, I32Eqz, I32, I32, uint32_t(a == 0))                                                    \
    X(0x50, I64Eqz, I64, I32, uint32_t(a == 0))                                                    \
    X(0x67, I32Clz, I32, I32, uint32_t(std::countl_zero(a)))                                       \
    X(0x68, I32Ctz, I32, I32, uint32_t(std::countr_zero(a)))                                       \
    X(0x69, I32Popcnt, I32, I32, uint32_t(std::popcount(a)))                                       \
    X(0x79, I64Clz, I64, I64, uint64_t(std::countl_zero(a)))                                       \
    X(0x7A, I64Ctz, I64, I64, uint64_t(std::countr_zero(a)))                                       \
    X(0x7B, I64Popcnt, I64, I64, uint64_t(std::popcount(a)))                                       \
    X(0x8B, F32Abs, F32, F32, fabs_bits(a))                                                        \
    X(0x8C, F32Neg, F32, F32, fneg_bits(a))                                                        \
    X(0x8D, F32Ceil, F32, F32, canon(std::ceil(a)))                                                \
    X(0x8E, F32Floor, F32, F32, canon(std::floor(a)))                                              \
    X(0x8F, F32Trunc, F32, F32, canon(std::trunc(a)))                                              \
    X(0x90, F32Nearest, F32, F32, canon(std::nearbyint(a)))                                        \
    X(0x91, F32Sqrt, F32, F32, canon(std::sqrt(a)))                                                \
    X(0x99, F64Abs, F64, F64, fabs_bits(a))                                                        \
    X(0x9A, F64Neg, F64, F64, fneg_bits(a))                                                        \
    X(0x9B, F64Ceil, F64, F64, canon(std::ceil(a)))                                                \
    X(0x9C, F64Floor, F64, F64, canon(std::floor(a)))                                              \
    X(0x9D, F64Trunc, F64, F64, canon(std::trunc(a)))                                              \
    X(0x9E, F64Nearest, F64, F64, canon(std::nearbyint(a)))                                        \
    X(0x9F, F64Sqrt, F64, F64, canon(std::sqrt(a)))                                                \
    X(0xA7, I32WrapI64, I64, I32, uint32_t(a))                                                     \
    X(0xAC, I64ExtendI32S, I32, I64, uint64_t(int64_t(int32_t(a))))                                \
    X(0xAD, I64ExtendI32U, I32, I64, uint64_t(a))                                                  \
    X(0xB2, F32ConvertI32S, I32, F32, float(int32_t(a)))                                           \
    X(0xB3, F32ConvertI32U, I32, F32, float(a))                                                    \
    X(0xB4, F32ConvertI64S, I64, F32, float(int64_t(a)))                                           \
    X(0xB5, F32ConvertI64U, I64, F32, float(a))                                                    \
    X(0xB6, F32DemoteF64, F64, F32, canon(float(a)))                                               \
    X(0xB7, F64ConvertI32S, I32, F64, double(int32_t(a)))                                          \
    X(0xB8, F64ConvertI32U, I32, F64, double(a))                                                   \
    X(0xB9, F64ConvertI64S, I64, F64, double(int64_t(a)))                                          \
    X(0xBA, F64ConvertI64U, I64, F64, double(a))                                                   \
    X(0xBB, F64PromoteF32, F32, F64, canon(double(a)))                                             \
    X(0xBC, I32ReinterpretF32, F32, I32, std::bit_cast<uint32_t>(a))                               \
    X(0xBD, I64ReinterpretF64, F64, I64, std::bit_cast<uint64_t>(a))                               \
    X(0xBE, F32ReinterpretI32, I32, F32, std::bit_cast<float>(a))                                  \
    X(0xBF, F64ReinterpretI64, I64, F64, std::bit_cast<double>(a))                                 \
    X(0xC0, I32Extend8S, I32, I32, uint32_t(int32_t(int8_t(a))))                                   \
    X(0xC1, I32Extend16S, I32, I32, uint32_t(int32_t(int16_t(a))))                                 \
    X(0xC2, I64Extend8S, I64, I64, uint64_t(int64_t(int8_t(a))))                                   \
    X(0xC3, I64Extend16S, I64, I64, uint64_t(int64_t(int16_t(a))))                                 \
    X(0xC4, I64Extend32S, I64, I64, uint64_t(int64_t(int32_t(a))))

// X(opcode, Name, operand type, result type, expression of a and b)
#define CIRRUS_BINARY_OPS(X)                                                                       \
    X(0x46, I32Eq, I32, I32, uint32_t(a == b))                                                     \
    X(0x47, I32Ne, I32, I32, uint32_t(a != b))                                                     \
    X(0x48, I32LtS, I32, I32, uint32_t(int32_t(a) < int32_t(b)))                                   \
    X(0x49, I32LtU, I32, I32, uint32_t(a < b))                                                     \
    X(0x4A, I32GtS, I32, I32, uint32_t(int32_t(a) > int32_t(b)))                                   \
    X(0x4B, I32GtU, I32, I32, uint32_t(a > b))                                                     \
    X(0x4C, I32LeS, I32, I32, uint32_t(int32_t(a) <= int32_t(b)))                                  \
    X(0x4D, I32LeU, I32, I32, uint32_t(a <= b))                                                    \
    X(0x4E, I32GeS, I32, I32, uint32_t(int32_t(a) >= int32_t(b)))                                  \
    X(0x4F, I32GeU, I32, I32, uint32_t(a >= b))                                                    \
    X(0x51, I64Eq, I64, I32, uint32_t(a == b))                                                     \
    X(0x52, I64Ne, I64, I32, uint32_t(a != b))                                                     \
    X(0x53, I64LtS, I64, I32, uint32_t(int64_t(a) < int64_t(b)))                                   \
    X(0x54, I64LtU, I64, I32, uint32_t(a < b))                                                     \
    X(0x55, I64GtS, I64, I32, uint32_t(int64_t(a) > int64_t(b)))                                   \
    X(0x56, I64GtU, I64, I32, uint32_t(a > b))                                                     \
    X(0x57, I64LeS, I64, I32, uint32_t(int64_t(a) <= int64_t(b)))                                  \
    X(0x58, I64LeU, I64, I32, uint32_t(a <= b))                                                    \
    X(0x59, I64GeS, I64, I32, uint32_t(int64_t(a) >= int64_t(b)))                                  \
    X(0x5A, I64GeU, I64, I32, uint32_t(a >= b))                                                    \
    X(0x5B, F32Eq, F32, I32, uint32_t(a == b))                                                     \
    X(0x5C, F32Ne, F32, I32, uint32_t(a != b))                                                     \
    X(0x5D, F32Lt, F32, I32, uint32_t(a < b))                                                      \
    X(0x5E, F32Gt, F32, I32, uint32_t(a > b))                                                      \
    X(0x5F, F32Le, F32, I32, uint32_t(a <= b))                                                     \
    X(0x60, F32Ge, F32, I32, uint32_t(a >= b))                                                     \
    X(0x61, F64Eq, F64, I32, uint32_t(a == b))                                                     \
    X(0x62, F64Ne, F64, I32, uint32_t(a != b))                                                     \
    X(0x63, F64Lt, F64, I32, uint32_t(a < b))                                                      \
    X(0x64, F64Gt, F64, I32, uint32_t(a > b))                                                      \
    X(0x65, F64Le, F64, I32, uint32_t(a <= b))                                                     \
    X(0x66, F64Ge, F64, I32, uint32_t(a >= b))                                                     \
    X(0x6A, I32Add, I32, I32, a + b)                                                               \
    X(0x6B, I32Sub, I32, I32, a - b)                                                               \
    X(0x6C, I32Mul, I32, I32, a* b)                                                                \
    X(0x71, I32And, I32, I32, a& b)                                                                \
    X(0x72, I32Or, I32, I32, a | b)                                                                \
    X(0x73, I32Xor, I32, I32, a ^ b)                                                               \
    X(0x74, I32Shl, I32, I32, a << (b & 31))                                                       \
    X(0x75, I32ShrS, I32, I32, uint32_t(int32_t(a) >> (b & 31)))                                   \
    X(0x76, I32ShrU, I32, I32, a >> (b & 31))                                                      \
    X(0x77, I32Rotl, I32, I32, std::rotl(a, int(b & 31)))                                          \
    X(0x78, I32Rotr, I32, I32, std::rotr(a, int(b & 31)))                                          \
    X(0x7C, I64Add, I64, I64, a + b)                                                               \
    X(0x7D, I64Sub, I64, I64, a - b)                                                               \
    X(0x7E, I64Mul, I64, I64, a* b)                                                                \
    X(0x83, I64And, I64, I64, a& b)                                                                \
    X(0x84, I64Or, I64, I64, a | b)                                                                \
    X(0x85, I64Xor, I64, I64, a ^ b)                                                               \
    X(0x86, I64Shl, I64, I64, a << (b & 63))                                                       \
    X(0x87, I64ShrS, I64, I64, uint64_t(int64_t(a) >> (b & 63)))                                   \
    X(0x88, I64ShrU, I64, I64, a >> (b & 63))                                                      \
    X(0x89, I64Rotl, I64, I64, std::rotl(a, int(b & 63)))                                          \
    X(0x8A, I64Rotr, I64, I64, std::rotr(a, int(b & 63)))                                          \
    X(0x92, F32Add, F32, F32, a + b)                                                               \
    X(0x93, F32Sub, F32, F32, a - b)                                                               \
    X(0x94, F32Mul, F32, F32, a* b)                                                                \
    X(0x95, F32Div, F32, F32, a / b)                                                               \
    X(0x96, F32Min, F32, F32, fmin_wasm(a, b))                                                     \
    X(0x97, F32Max, F32, F32, fmax_wasm(a, b))                                                     \
    X(0x98, F32Copysign, F32, F32, copysign_bits(a, b))                                            \
    X(0xA0, F64Add, F64, F64, a + b)                                                               \
    X(0xA1, F64Sub, F64, F64, a - b)                                                               \
    X(0xA2, F64Mul, F64, F64, a* b)                                                                \
    X(0xA3, F64Div, F64, F64, a / b)                                                               \
    X(0xA4, F64Min, F64, F64, fmin_wasm(a, b))                                                     \
    X(0xA5, F64Max, F64, F64, fmax_wasm(a, b))                                                     \
    X(0xA6, F64Copysign, F64, F64, copysign_bits(a, b))

// Integer division and remainder trap; X(opcode, Name, type, helper)
#define CIRRUS_TRAPPING_BINARY_OPS(X)                                                              \
    X(0x6D, I32DivS, I32, div_s<int32_t>)                                                          \
    X(0x6E, I32DivU, I32, div_u<uint32_t>)                                                         \
    X(0x6F, I32RemS, I32, rem_s<int32_t>)                                                          \
    X(0x70, I32RemU, I32, rem_u<uint32_t>)                                                         \
    X(0x7F, I64DivS, I64, div_s<int64_t>)                                                          \
    X(0x80, I64DivU, I64, div_u<uint64_t>)                                                         \
    X(0x81, I64RemS, I64, rem_s<int64_t>)                                                          \
    X(0x82, I64RemU, I64, rem_u<uint64_t>)

// Float-to-int truncation: trapping (plain opcodes) and saturating (0xFC prefix).
// X(opcode, Name, operand type, result type, integer C type)
#define CIRRUS_TRUNC_OPS(X)                                                                        \
    X(0xA8, I32TruncF32S, F32, I32, int32_t)                                                       \
    X(0xA9, I32TruncF32U, F32, I32, uint32_t)                                                      \
    X(0xAA, I32TruncF64S, F64, I32, int32_t)                                                       \
    X(0xAB, I32TruncF64U, F64, I32, uint32_t)                                                      \
    X(0xAE, I64TruncF32S, F32, I64, int64_t)                                                       \
    X(0xAF, I64TruncF32U, F32, I64, uint64_t)                                                      \
    X(0xB0, I64TruncF64S, F64, I64, int64_t)                                                       \
    X(0xB1, I64TruncF64U, F64, I64, uint64_t)
#define CIRRUS_TRUNC_SAT_OPS(X)                                                                    \
    X(0, I32TruncSatF32S, F32, I32, int32_t)                                                       \
    X(1, I32TruncSatF32U, F32, I32, uint32_t)                                                      \
    X(2, I32TruncSatF64S, F64, I32, int32_t)                                                       \
    X(3, I32TruncSatF64U, F64, I32, uint32_t)                                                      \
    X(4, I64TruncSatF32S, F32, I64, int64_t)                                                       \
    X(5, I64TruncSatF32U, F32, I64, uint64_t)                                                      \
    X(6, I64TruncSatF64S, F64, I64, int64_t)                                                       \
    X(7, I64TruncSatF64U, F64, I64, uint64_t)

// Loads and stores: X(opcode, Name, value type, memory C type, natural alignment log2)
#define CIRRUS_LOAD_OPS(X)                                                                         \
    X(0x28, I32Load, I32, uint32_t, 2)                                                             \
    X(0x29, I64Load, I64, uint64_t, 3)                                                             \
    X(0x2A, F32Load, F32, uint32_t, 2)                                                             \
    X(0x2B, F64Load, F64, uint64_t, 3)                                                             \
    X(0x2C, I32Load8S, I32, int8_t, 0)                                                             \
    X(0x2D, I32Load8U, I32, uint8_t, 0)                                                            \
    X(0x2E, I32Load16S, I32, int16_t, 1)                                                           \
    X(0x2F, I32Load16U, I32, uint16_t, 1)                                                          \
    X(0x30, I64Load8S, I64, int8_t, 0)                                                             \
    X(0x31, I64Load8U, I64, uint8_t, 0)                                                            \
    X(0x32, I64Load16S, I64, int16_t, 1)                                                           \
    X(0x33, I64Load16U, I64, uint16_t, 1)                                                          \
    X(0x34, I64Load32S, I64, int32_t, 2)                                                           \
    X(0x35, I64Load32U, I64, uint32_t, 2)
#define CIRRUS_STORE_OPS(X)                                                                        \
    X(0x36, I32Store, I32, uint32_t, 2)                                                            \
    X(0x37, I64Store, I64, uint64_t, 3)                                                            \
    X(0x38, F32Store, F32, uint32_t, 2)                                                            \
    X(0x39, F64Store, F64, uint64_t, 3)                                                            \
    X(0x3A, I32Store8, I32, uint8_t, 0)                                                            \
    X(0x3B, I32Store16, I32, uint16_t, 1)                                                          \
    X(0x3C, I64Store8, I64, uint8_t, 0)                                                            \
    X(0x3D, I64Store16, I64, uint16_t, 1)                                                          \
    X(0x3E, I64Store32, I64, uint32_t, 2)

// Internal instructions of the pre-decoded code form that are not numeric. Every operand is
// a 32-bit word following the opcode; `slot` operands index the frame (locals, then the
// operand stack), so values are read and written in place without a push/pop per value.
#define CIRRUS_CONTROL_OPS(X)                                                                      \
    X(Unreachable)  /* */                                                                          \
    X(Br)           /* target */                                                                   \
    X(BrIf)         /* cond, target */                                                             \
    X(BrUnless)     /* cond, target */                                                             \
    X(BrTable)      /* index, arity, src, count, (target, dst) * (count + 1) */                    \
    X(Copy)         /* dst, src */                                                                 \
    X(CopyN)        /* dst, src, n */                                                              \
    X(Return)       /* src, n */                                                                   \
    X(Return0)      /* */                                                                          \
    X(Return1)      /* src */                                                                      \
    X(Call)         /* funcidx, argbase */                                                         \
    X(CallIndirect) /* typeidx, table, index, argbase */                                           \
    X(LoopCheck)    /* */                                                                          \
    X(Select)       /* dst, a, b, cond */                                                          \
    X(Const32)      /* dst, value */                                                               \
    X(Const64)      /* dst, lo, hi */                                                              \
    X(GlobalGet)    /* dst, index */                                                               \
    X(GlobalSet)    /* index, src */                                                               \
    X(MemorySize)   /* dst */                                                                      \
    X(MemoryGrow)   /* dst, delta */                                                               \
    X(MemoryInit)   /* seg, d, s, n */                                                             \
    X(DataDrop)     /* seg */                                                                      \
    X(MemoryCopy)   /* d, s, n */                                                                  \
    X(MemoryFill)   /* d, v, n */                                                                  \
    X(TableGet)     /* dst, table, index */                                                        \
    X(TableSet)     /* table, index, value */                                                      \
    X(TableSize)    /* dst, table */                                                               \
    X(TableGrow)    /* dst, table, init, n */                                                      \
    X(TableFill)    /* table, i, value, n */                                                       \
    X(TableCopy)    /* dst table, src table, d, s, n */                                            \
    X(TableInit)    /* table, seg, d, s, n */                                                      \
    X(ElemDrop)     /* seg */                                                                      \
    X(RefIsNull)    /* dst, a */                                                                   \
    X(RefFunc)      /* dst, funcidx */                                                             \
    X(End)          /* returns to the host (sentinel frame) */

// Every internal instruction in one order, shared by the Op enum and the interpreter's
// dispatch table. N names a control instruction, X a numeric one; the five superinstruction
// blocks repeat CIRRUS_BINARY_OPS: the operation with an immediate second operand, and a
// conditional branch fused with the operation that computes its condition (branch if
// nonzero / if zero; register and immediate forms). The Abs blocks are loads and stores
// whose address is a constant, folded with the offset into one immediate.
// clang-format off
#define CIRRUS_ALL_OPS(N, X, IMM, BRIF, BRIF_IMM, BRUNLESS, BRUNLESS_IMM, ABS) \
    CIRRUS_CONTROL_OPS(N)                                                 \
    CIRRUS_UNARY_OPS(X)                                                   \
    CIRRUS_BINARY_OPS(X)                                                  \
    CIRRUS_BINARY_OPS(IMM)                                                \
    CIRRUS_BINARY_OPS(BRIF)                                               \
    CIRRUS_BINARY_OPS(BRIF_IMM)                                           \
    CIRRUS_BINARY_OPS(BRUNLESS)                                           \
    CIRRUS_BINARY_OPS(BRUNLESS_IMM)                                       \
    CIRRUS_TRAPPING_BINARY_OPS(X)                                         \
    CIRRUS_TRUNC_OPS(X)                                                   \
    CIRRUS_TRUNC_SAT_OPS(X)                                               \
    CIRRUS_LOAD_OPS(X)                                                    \
    CIRRUS_STORE_OPS(X)                                                   \
    CIRRUS_LOAD_OPS(ABS)                                                  \
    CIRRUS_STORE_OPS(ABS)
// clang-format on

namespace cirrus::wasm::detail {

#define CIRRUS_OP_N(name) op_##name,
#define CIRRUS_OP_X(code, name, ...) op_##name,
#define CIRRUS_OP_IMM(code, name, ...) op_##name##Imm,
#define CIRRUS_OP_BRIF(code, name, ...) op_BrIf##name,
#define CIRRUS_OP_BRIF_IMM(code, name, ...) op_BrIf##name##Imm,
#define CIRRUS_OP_BRUNLESS(code, name, ...) op_BrUnless##name,
#define CIRRUS_OP_BRUNLESS_IMM(code, name, ...) op_BrUnless##name##Imm,
#define CIRRUS_OP_ABS(code, name, ...) op_##name##Abs,
enum Op : uint32_t {
    CIRRUS_ALL_OPS(CIRRUS_OP_N, CIRRUS_OP_X, CIRRUS_OP_IMM, CIRRUS_OP_BRIF, CIRRUS_OP_BRIF_IMM,
                   CIRRUS_OP_BRUNLESS, CIRRUS_OP_BRUNLESS_IMM, CIRRUS_OP_ABS) op_count
};
#undef CIRRUS_OP_ABS
#undef CIRRUS_OP_N
#undef CIRRUS_OP_X
#undef CIRRUS_OP_IMM
#undef CIRRUS_OP_BRIF
#undef CIRRUS_OP_BRIF_IMM
#undef CIRRUS_OP_BRUNLESS
#undef CIRRUS_OP_BRUNLESS_IMM

// Where the superinstruction blocks start; each holds kNumBinaryOps entries in order.
#define CIRRUS_OP_COUNT(...) +1
constexpr uint32_t kNumBinaryOps = 0 CIRRUS_BINARY_OPS(CIRRUS_OP_COUNT);
#undef CIRRUS_OP_COUNT
constexpr uint32_t kFirstBinaryOp = op_I32Eq;
constexpr uint32_t kFirstBinaryImmOp = op_I32EqImm;
constexpr uint32_t kFirstBrIfOp = op_BrIfI32Eq;
constexpr uint32_t kFirstBrIfImmOp = op_BrIfI32EqImm;
constexpr uint32_t kFirstBrUnlessOp = op_BrUnlessI32Eq;
constexpr uint32_t kFirstBrUnlessImmOp = op_BrUnlessI32EqImm;

} // namespace cirrus::wasm::detail
