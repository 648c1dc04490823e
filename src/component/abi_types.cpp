// Alignment, size and flattening of component value types, following the functions of the
// same names in design/mvp/CanonicalABI.md.
#include "abi_types.h"

namespace cirrus::component::detail {

using wasm::ValType;
using CVT = cirrus::component::ValType;

uint32_t discriminant_size(size_t n) {
    if (n <= 256) return 1;
    if (n <= 65536) return 2;
    return 4;
}

static uint32_t align_to(uint32_t ptr, uint32_t align) {
    return (ptr + align - 1) / align * align;
}

size_t case_count(const CVT* t) {
    return t->kind == TypeKind::Variant ? t->cases.size() : 2;
}

const CVT* case_type(const CVT* t, size_t i) {
    switch (t->kind) {
    case TypeKind::Variant: return t->cases[i].type;
    case TypeKind::Option: return i == 0 ? nullptr : t->element;
    default: return i == 0 ? t->element : t->error; // result
    }
}

uint32_t max_case_alignment(const CVT* t) {
    uint32_t a = 1;
    for (size_t i = 0, n = case_count(t); i < n; ++i) {
        if (const CVT* c = case_type(t, i)) a = std::max(a, alignment(c));
    }
    return a;
}

uint32_t alignment(const CVT* t) {
    switch (t->kind) {
    case TypeKind::Bool:
    case TypeKind::S8:
    case TypeKind::U8: return 1;
    case TypeKind::S16:
    case TypeKind::U16: return 2;
    case TypeKind::S32:
    case TypeKind::U32:
    case TypeKind::F32:
    case TypeKind::Char:
    case TypeKind::ErrorContext:
    case TypeKind::Own:
    case TypeKind::Borrow:
    case TypeKind::String:
    case TypeKind::List: return 4;
    case TypeKind::S64:
    case TypeKind::U64:
    case TypeKind::F64: return 8;
    case TypeKind::Record:
    case TypeKind::Tuple: {
        uint32_t a = 1;
        for (const auto& f : t->fields) a = std::max(a, alignment(f.type));
        return a;
    }
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: return std::max(discriminant_size(case_count(t)), max_case_alignment(t));
    case TypeKind::Enum: return discriminant_size(t->labels.size());
    case TypeKind::Flags: {
        size_t n = t->labels.size();
        if (n <= 8) return 1;
        if (n <= 16) return 2;
        return 4;
    }
    }
    return 1;
}

static uint32_t variant_size(const CVT* t) {
    uint32_t case_align = max_case_alignment(t);
    uint32_t s = align_to(discriminant_size(case_count(t)), case_align);
    uint32_t cs = 0;
    for (size_t i = 0, n = case_count(t); i < n; ++i) {
        if (const CVT* c = case_type(t, i)) cs = std::max(cs, elem_size(c));
    }
    return align_to(s + cs, std::max(discriminant_size(case_count(t)), case_align));
}

uint32_t elem_size(const CVT* t) {
    switch (t->kind) {
    case TypeKind::Bool:
    case TypeKind::S8:
    case TypeKind::U8: return 1;
    case TypeKind::S16:
    case TypeKind::U16: return 2;
    case TypeKind::S32:
    case TypeKind::U32:
    case TypeKind::F32:
    case TypeKind::Char:
    case TypeKind::ErrorContext:
    case TypeKind::Own:
    case TypeKind::Borrow: return 4;
    case TypeKind::S64:
    case TypeKind::U64:
    case TypeKind::F64:
    case TypeKind::String:
    case TypeKind::List: return 8;
    case TypeKind::Record:
    case TypeKind::Tuple: {
        uint32_t s = 0;
        for (const auto& f : t->fields) {
            s = align_to(s, alignment(f.type));
            s += elem_size(f.type);
        }
        return align_to(s, alignment(t));
    }
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: return variant_size(t);
    case TypeKind::Enum: return discriminant_size(t->labels.size());
    case TypeKind::Flags: {
        size_t n = t->labels.size();
        if (n <= 8) return 1;
        if (n <= 16) return 2;
        return 4 * flag_words(n);
    }
    }
    return 1;
}

// join() of the Canonical ABI: the core type two variant cases share at one flat position.
static ValType join(ValType a, ValType b) {
    if (a == b) return a;
    if ((a == ValType::I32 && b == ValType::F32) || (a == ValType::F32 && b == ValType::I32))
        return ValType::I32;
    return ValType::I64;
}

static void flatten_variant(const CVT* t, std::vector<ValType>& out) {
    std::vector<ValType> flat;
    for (size_t i = 0, n = case_count(t); i < n; ++i) {
        const CVT* c = case_type(t, i);
        if (!c) continue;
        std::vector<ValType> f;
        flatten_type(c, f);
        for (size_t i = 0; i < f.size(); ++i) {
            if (i < flat.size())
                flat[i] = join(flat[i], f[i]);
            else
                flat.push_back(f[i]);
        }
    }
    out.push_back(ValType::I32); // the discriminant
    out.insert(out.end(), flat.begin(), flat.end());
}

void flatten_type(const CVT* t, std::vector<ValType>& out) {
    switch (t->kind) {
    case TypeKind::Bool:
    case TypeKind::S8:
    case TypeKind::U8:
    case TypeKind::S16:
    case TypeKind::U16:
    case TypeKind::S32:
    case TypeKind::U32:
    case TypeKind::Char:
    case TypeKind::ErrorContext:
    case TypeKind::Own:
    case TypeKind::Borrow:
    case TypeKind::Enum: out.push_back(ValType::I32); return;
    case TypeKind::S64:
    case TypeKind::U64: out.push_back(ValType::I64); return;
    case TypeKind::F32: out.push_back(ValType::F32); return;
    case TypeKind::F64: out.push_back(ValType::F64); return;
    case TypeKind::String:
    case TypeKind::List:
        out.push_back(ValType::I32);
        out.push_back(ValType::I32);
        return;
    case TypeKind::Record:
    case TypeKind::Tuple:
        for (const auto& f : t->fields) flatten_type(f.type, out);
        return;
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: flatten_variant(t, out); return;
    case TypeKind::Flags:
        for (uint32_t i = 0; i < flag_words(t->labels.size()); ++i) out.push_back(ValType::I32);
        return;
    }
}

FlatSignature flatten_functype(const FuncType& ft, bool lift) {
    FlatSignature sig;
    for (const auto& [name, t] : ft.params) flatten_type(t, sig.params);
    if (sig.params.size() > max_flat_params) {
        sig.params = {ValType::I32};
        sig.params_in_memory = true;
    }
    if (ft.result) flatten_type(ft.result, sig.results);
    if (sig.results.size() > max_flat_results) {
        sig.results_in_memory = true;
        if (lift) {
            sig.results = {ValType::I32};
        } else {
            sig.params.push_back(ValType::I32);
            sig.results.clear();
        }
    }
    return sig;
}

bool contains_memory_type(const CVT* t) {
    if (!t) return false;
    switch (t->kind) {
    case TypeKind::String:
    case TypeKind::List: return true;
    case TypeKind::Record:
    case TypeKind::Tuple:
        for (const auto& f : t->fields) {
            if (contains_memory_type(f.type)) return true;
        }
        return false;
    case TypeKind::Variant:
        for (const auto& c : t->cases) {
            if (contains_memory_type(c.type)) return true;
        }
        return false;
    case TypeKind::Option: return contains_memory_type(t->element);
    case TypeKind::Result:
        return contains_memory_type(t->element) || contains_memory_type(t->error);
    default: return false;
    }
}

bool contains_borrow(const CVT* t) {
    if (!t) return false;
    switch (t->kind) {
    case TypeKind::Borrow: return true;
    case TypeKind::List:
    case TypeKind::Option: return contains_borrow(t->element);
    case TypeKind::Result: return contains_borrow(t->element) || contains_borrow(t->error);
    case TypeKind::Record:
    case TypeKind::Tuple:
        for (const auto& f : t->fields) {
            if (contains_borrow(f.type)) return true;
        }
        return false;
    case TypeKind::Variant:
        for (const auto& c : t->cases) {
            if (contains_borrow(c.type)) return true;
        }
        return false;
    default: return false;
    }
}

} // namespace cirrus::component::detail
