// The dynamic component value: one Val holds any value of a component value type, as the host
// sees it after lifting and before lowering (Explainer "Value types"). A Val does not carry its
// type; the functions that read or print it take the ValType beside it.
//
// A list of integers (`list<u8>` above all: bodies, values, messages) has a second, packed
// form: its elements' bytes as the canonical ABI lays them out in linear memory (little-endian,
// no padding), in `str`. Lifting makes every list of integers packed (one memcpy out of linear
// memory) and lowering copies a packed list back with one memcpy; host code reads and writes
// the bytes without a Val per element. Both forms are the same value: equality, val_matches and
// WAVE treat them alike, and list_size / list_at / to_bytes read either.
#pragma once

#include "cirrus/component/types.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cirrus::component {

struct ResourceImpl;

class Val {
public:
    TypeKind kind = TypeKind::Bool;
    // bool, integers (s* sign-extended, u* zero-extended to 64 bits), char (code point), float
    // bit patterns (f32 in the low 32 bits), variant/enum case index, option/result
    // discriminant (0 none/ok, 1 some/err), handle rep; list: 0 for a list of Vals in `elems`,
    // else a packed list whose element kind is `bits - 1`.
    uint64_t bits = 0;
    // string: UTF-8; packed list: the elements' bytes.
    std::string str;
    // list elements, record fields, tuple members; the payload of variant/option/result
    // (empty when there is none).
    std::vector<Val> elems;
    // flags: bit i of word i/32 is label i.
    std::vector<uint32_t> flag_words;
    // own, borrow: the resource the handle designates.
    ResourceImpl* resource = nullptr;

    static Val boolean(bool b) { return Val(TypeKind::Bool, b ? 1 : 0); }
    static Val s8(int8_t v) { return Val(TypeKind::S8, static_cast<uint64_t>(int64_t{v})); }
    static Val u8(uint8_t v) { return Val(TypeKind::U8, v); }
    static Val s16(int16_t v) { return Val(TypeKind::S16, static_cast<uint64_t>(int64_t{v})); }
    static Val u16(uint16_t v) { return Val(TypeKind::U16, v); }
    static Val s32(int32_t v) { return Val(TypeKind::S32, static_cast<uint64_t>(int64_t{v})); }
    static Val u32(uint32_t v) { return Val(TypeKind::U32, v); }
    static Val s64(int64_t v) { return Val(TypeKind::S64, static_cast<uint64_t>(v)); }
    static Val u64(uint64_t v) { return Val(TypeKind::U64, v); }
    static Val f32(float v);
    static Val f64(double v);
    static Val character(char32_t c) { return Val(TypeKind::Char, c); }
    static Val string(std::string s);
    static Val list(std::vector<Val> elems);
    // A packed list<u8> holding `bytes`.
    static Val bytes(std::string bytes);
    static Val bytes(std::span<const uint8_t> bytes);
    // A packed list of integers of kind `element` (u8 ... s64): `raw` holds the elements
    // little-endian, `packed_elem_size(element)` bytes each.
    static Val packed_list(TypeKind element, std::string raw);
    static Val record(std::vector<Val> fields);
    static Val tuple(std::vector<Val> members);
    static Val variant(uint32_t case_index, std::optional<Val> payload);
    static Val enumeration(uint32_t case_index) { return Val(TypeKind::Enum, case_index); }
    static Val none();
    static Val some(Val v);
    static Val ok(std::optional<Val> v);
    static Val err(std::optional<Val> v);
    static Val flags(std::vector<uint32_t> words);
    static Val own(ResourceImpl* resource, uint32_t rep);
    static Val borrow(ResourceImpl* resource, uint32_t rep);

    bool as_bool() const { return bits != 0; }
    int64_t as_s64() const { return static_cast<int64_t>(bits); }
    uint64_t as_u64() const { return bits; }
    float as_f32() const;
    double as_f64() const;
    char32_t as_char() const { return static_cast<char32_t>(bits); }
    const std::string& as_string() const { return str; }
    uint32_t case_index() const { return static_cast<uint32_t>(bits); }
    const Val* payload() const { return elems.empty() ? nullptr : &elems[0]; }
    bool flag(uint32_t i) const {
        return i / 32 < flag_words.size() && (flag_words[i / 32] >> (i % 32) & 1) != 0;
    }
    uint32_t rep() const { return static_cast<uint32_t>(bits); }

    // Lists, in either form.
    bool is_packed() const { return kind == TypeKind::List && bits != 0; }
    TypeKind packed_kind() const { return static_cast<TypeKind>(bits - 1); }
    size_t list_size() const;
    Val list_at(size_t i) const; // an element as a Val (i < list_size())
    // The bytes of a list<u8>: a view of a packed one (valid while the Val lives), else null.
    const std::string* packed_bytes() const {
        return is_packed() && packed_kind() == TypeKind::U8 ? &str : nullptr;
    }
    // The bytes of a list<u8> in either form, copied.
    std::string to_bytes() const;

    // Structural equality; a packed list equals the list of Vals with the same elements.
    friend bool operator==(const Val& a, const Val& b);

    Val() = default;
    Val(TypeKind k, uint64_t b) : kind(k), bits(b) {}
};

// Element size of a packable list element kind (the integer kinds), else 0.
inline uint32_t packed_elem_size(TypeKind k) {
    switch (k) {
    case TypeKind::U8:
    case TypeKind::S8: return 1;
    case TypeKind::U16:
    case TypeKind::S16: return 2;
    case TypeKind::U32:
    case TypeKind::S32: return 4;
    case TypeKind::U64:
    case TypeKind::S64: return 8;
    default: return 0;
    }
}

// Checks that `v` is a value of `type` (kinds, arity, case indices, code points); a host
// passing values to a guest is checked with this before anything is lowered.
bool val_matches(const Val& v, const ValType* type, std::string* why);

// WAVE, the WebAssembly Value Encoding (as wasm-tools' `wasm-wave` and wasmtime's `--invoke`
// use): parse one value of a known type, print one value.
struct WaveError {
    size_t offset = 0;
    std::string message;
};
std::string wave_print(const Val& v, const ValType* type);
// Parses `text` as a value of `type`; on failure returns nullopt and fills `error`.
std::optional<Val> wave_parse(std::string_view text, const ValType* type, WaveError* error);
// Parses a call `name(arg, ...)`: `lookup` gives the function type for the name; returns the
// name and the arguments.
std::optional<std::pair<std::string, std::vector<Val>>>
wave_parse_call(std::string_view text,
                const std::function<const FuncType*(std::string_view)>& lookup, WaveError* error);

} // namespace cirrus::component
