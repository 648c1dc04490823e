// A readable listing of a function's pre-decoded code, for debugging the validator's
// translation and for finding what the interpreter spends its time on.
#include "disasm.h"

#include "ops.h"

#include <fmt/format.h>

namespace cirrus::wasm::detail {

namespace {

// Words (opcode included) of each control instruction, from the operand lists in ops.h.
uint32_t control_length(uint32_t op, const uint32_t* pc) {
    switch (op) {
    case op_Unreachable:
    case op_Return0:
    case op_LoopCheck:
    case op_End: return 1;
    case op_Br:
    case op_Return1:
    case op_MemorySize:
    case op_DataDrop:
    case op_ElemDrop: return 2;
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
    case op_RefFunc: return 3;
    case op_CopyN:
    case op_Const64:
    case op_MemoryCopy:
    case op_MemoryFill:
    case op_TableGet:
    case op_TableSet: return 4;
    case op_CallIndirect:
    case op_Select:
    case op_MemoryInit:
    case op_TableGrow:
    case op_TableFill: return 5;
    case op_TableCopy:
    case op_TableInit: return 6;
    case op_BrTable: return 5 + 2 * (pc[4] + 1);
    default: return 0;
    }
}

} // namespace

const char* op_name(uint32_t op) {
#define CIRRUS_D_N(name) #name,
#define CIRRUS_D_X(code, name, ...) #name,
#define CIRRUS_D_IMM(code, name, ...) #name "Imm",
#define CIRRUS_D_BRIF(code, name, ...) "BrIf" #name,
#define CIRRUS_D_BRIF_IMM(code, name, ...) "BrIf" #name "Imm",
#define CIRRUS_D_BRUNLESS(code, name, ...) "BrUnless" #name,
#define CIRRUS_D_BRUNLESS_IMM(code, name, ...) "BrUnless" #name "Imm",
#define CIRRUS_D_ABS(code, name, ...) #name "Abs",
    static const char* const names[] = {
        CIRRUS_ALL_OPS(CIRRUS_D_N, CIRRUS_D_X, CIRRUS_D_IMM, CIRRUS_D_BRIF, CIRRUS_D_BRIF_IMM,
                       CIRRUS_D_BRUNLESS, CIRRUS_D_BRUNLESS_IMM, CIRRUS_D_ABS)};
    return op < op_count ? names[op] : "?";
}

uint32_t instruction_length(const uint32_t* pc) {
    uint32_t op = *pc;
    if (uint32_t n = control_length(op, pc)) return n;
    if (op >= op_I32Eqz && op < kFirstBinaryOp) return 3; // unary
    if (op >= op_I32TruncF32S && op <= op_I64TruncSatF64U) return 3;
    if (op >= op_I32LoadAbs) return 3; // loads and stores with a constant address
    return 4; // binary, immediate, fused branch, trapping binary, load, store
}

std::string disassemble(const FuncCode& code) {
    std::string out = fmt::format("func {} locals={} frame={}\n", code.func_index, code.num_locals,
                                  code.frame_slots);
    const uint32_t* begin = code.code.data();
    const uint32_t* end = begin + code.code.size();
    for (const uint32_t* pc = begin; pc < end;) {
        uint32_t len = instruction_length(pc);
        out += fmt::format("{:5}: {:<20}", pc - begin, op_name(*pc));
        for (uint32_t i = 1; i < len && pc + i < end; ++i)
            out += fmt::format(" {}", int32_t(pc[i]));
        out += '\n';
        pc += len;
    }
    return out;
}

} // namespace cirrus::wasm::detail
