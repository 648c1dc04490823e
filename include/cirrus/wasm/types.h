// Types of the WebAssembly core language (value, function, table, memory, global and extern
// types) and the Value that carries one runtime value across the embedding API.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cirrus::wasm {

// Value types, numbered by their binary encoding.
enum class ValType : uint8_t {
    I32 = 0x7F,
    I64 = 0x7E,
    F32 = 0x7D,
    F64 = 0x7C,
    V128 = 0x7B,
    FuncRef = 0x70,
    ExternRef = 0x6F,
};

const char* val_type_name(ValType type);
inline bool is_ref_type(ValType type) {
    return type == ValType::FuncRef || type == ValType::ExternRef;
}
inline bool is_num_type(ValType type) {
    return !is_ref_type(type);
}

struct FuncType {
    std::vector<ValType> params;
    std::vector<ValType> results;

    bool operator==(const FuncType&) const = default;
    // "(param i32 i64) (result f32)" form.
    std::string to_string() const;
};

struct Limits {
    uint32_t min = 0;
    std::optional<uint32_t> max;
    bool operator==(const Limits&) const = default;
};

struct TableType {
    ValType element = ValType::FuncRef;
    Limits limits;
    bool operator==(const TableType&) const = default;
};

struct MemoryType {
    Limits limits; // in 64 KiB pages
    bool operator==(const MemoryType&) const = default;
};

struct GlobalType {
    ValType type = ValType::I32;
    bool mutable_ = false;
    bool operator==(const GlobalType&) const = default;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* extern_kind_name(ExternKind kind);

// The type of an import or export; only the member named by `kind` is meaningful.
struct ExternType {
    ExternKind kind = ExternKind::Func;
    FuncType func;
    TableType table;
    MemoryType memory;
    GlobalType global;
};

struct ImportDesc {
    std::string module;
    std::string name;
    ExternType type;
};

struct ExportDesc {
    std::string name;
    ExternKind kind = ExternKind::Func;
    uint32_t index = 0; // in the module's index space of that kind
    ExternType type;
};

class Func;

// One runtime value. Numbers are kept as their bit patterns so that NaN payloads survive;
// a funcref holds a Func* (null is nullptr); an externref holds an opaque host pointer
// (null is nullptr).
struct Value {
    ValType type = ValType::I32;
    uint64_t bits = 0;

    static Value i32(int32_t v) { return {ValType::I32, static_cast<uint32_t>(v)}; }
    static Value i64(int64_t v) { return {ValType::I64, static_cast<uint64_t>(v)}; }
    static Value f32(float v) { return {ValType::F32, std::bit_cast<uint32_t>(v)}; }
    static Value f64(double v) { return {ValType::F64, std::bit_cast<uint64_t>(v)}; }
    static Value f32_bits(uint32_t bits) { return {ValType::F32, bits}; }
    static Value f64_bits(uint64_t bits) { return {ValType::F64, bits}; }
    static Value funcref(Func* f) { return {ValType::FuncRef, reinterpret_cast<uintptr_t>(f)}; }
    static Value externref(void* p) { return {ValType::ExternRef, reinterpret_cast<uintptr_t>(p)}; }
    static Value null(ValType ref_type) { return {ref_type, 0}; }
    // The zero value of a type (0, +0.0 or null), as locals and tables start.
    static Value zero(ValType type) { return {type, 0}; }

    int32_t as_i32() const { return static_cast<int32_t>(static_cast<uint32_t>(bits)); }
    uint32_t as_u32() const { return static_cast<uint32_t>(bits); }
    int64_t as_i64() const { return static_cast<int64_t>(bits); }
    uint64_t as_u64() const { return bits; }
    float as_f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }
    double as_f64() const { return std::bit_cast<double>(bits); }
    uint32_t as_f32_bits() const { return static_cast<uint32_t>(bits); }
    uint64_t as_f64_bits() const { return bits; }
    Func* as_funcref() const { return reinterpret_cast<Func*>(static_cast<uintptr_t>(bits)); }
    void* as_externref() const { return reinterpret_cast<void*>(static_cast<uintptr_t>(bits)); }
    bool is_null() const { return bits == 0; }

    // "i32:42", "f64:1.5", "funcref:null" form, for messages and `cirrus invoke`.
    std::string to_string() const;
};

} // namespace cirrus::wasm
