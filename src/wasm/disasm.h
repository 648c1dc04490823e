// Listing of pre-decoded code (see disasm.cpp).
#pragma once

#include "module_data.h"

#include <string>

namespace cirrus::wasm::detail {

const char* op_name(uint32_t op);
uint32_t instruction_length(const uint32_t* pc);
std::string disassemble(const FuncCode& code);

} // namespace cirrus::wasm::detail
