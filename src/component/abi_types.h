// Canonical ABI facts about types (design/mvp/CanonicalABI.md "Alignment", "Element Size",
// "Flattening"): how a component value type sits in linear memory and in core parameters.
#pragma once

#include "cirrus/component/types.h"
#include "cirrus/wasm/types.h"

#include <cstdint>
#include <vector>

namespace cirrus::component::detail {

constexpr size_t max_flat_params = 16;
constexpr size_t max_flat_results = 1;

uint32_t alignment(const ValType* t);
uint32_t elem_size(const ValType* t);
// Byte size of the discriminant of a variant with `n` cases (1, 2 or 4).
uint32_t discriminant_size(size_t n);
// Number of 32-bit words a flags type with `n` labels occupies when flattened.
inline uint32_t flag_words(size_t n) {
    return static_cast<uint32_t>((n + 31) / 32);
}
void flatten_type(const ValType* t, std::vector<wasm::ValType>& out);
// The cases of a variant, option (none, some) or result (ok, error): how many, the payload type
// of case `i` (null: none), and the largest payload alignment (at least 1).
size_t case_count(const ValType* t);
const ValType* case_type(const ValType* t, size_t i);
uint32_t max_case_alignment(const ValType* t);

struct FlatSignature {
    std::vector<wasm::ValType> params;
    std::vector<wasm::ValType> results;
    bool params_in_memory = false;  // more than 16 flat params: one i32 pointer instead
    bool results_in_memory = false; // more than 1 flat result: a pointer (lift: returned;
                                    // lower: an extra parameter)
};
// flatten_functype(ft, 'lift' or 'lower').
FlatSignature flatten_functype(const FuncType& ft, bool lift);

// Does the type contain a string or list (needs memory and realloc)?
bool contains_memory_type(const ValType* t);
bool contains_borrow(const ValType* t);

} // namespace cirrus::component::detail
