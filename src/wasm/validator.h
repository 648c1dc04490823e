// Validation of function bodies (spec 3.3, with the algorithm of the spec's appendix), done
// in the same pass that translates the body into the interpreter's pre-decoded code form.
#pragma once

#include "module_data.h"
#include "reader.h"

#include <unordered_set>

namespace cirrus::wasm::detail {

struct FunctionContext {
    const ModuleData& module;
    const std::unordered_set<uint32_t>& declared_refs; // functions `ref.func` may name
};

Result<FuncCode> validate_function(const FunctionContext& ctx, uint32_t func_index, Reader& body);

} // namespace cirrus::wasm::detail
