// Translation of one function's pre-decoded code into LLVM IR (see translate.cpp).
#pragma once

#include <string>
#include <vector>

namespace llvm {
class Function;
class Module;
} // namespace llvm

namespace cirrus::wasm::detail {

struct ModuleData;
struct FuncCode;

// Fills `fn` (declared as `i32 (ptr ctx, ptr env, ptr fp)`) with the body of `code`.
// `direct[i]` is the LLVM function of defined function i when it is compiled too (calls to it
// are then direct), else null (calls go through JitRuntime::call). On false, `why` says what
// the translator does not handle and `fn` must be deleted by the caller.
bool translate_function(const ModuleData& module, const FuncCode& code, llvm::Function* fn,
                        const std::vector<llvm::Function*>& direct, std::string& why);

} // namespace cirrus::wasm::detail
