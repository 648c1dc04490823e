// Canonical ABI lifting and lowering (design/mvp/CanonicalABI.md "Loading", "Storing",
// "Flat Lifting", "Flat Lowering"; definitions.py is the reference). Every value a guest hands
// over is checked: pointers for alignment and bounds, chars and strings for valid code points,
// discriminants for range, handles for type and ownership. A violation is a trap, never a
// crash.
#include "abi_types.h"
#include "cirrus/support/utf8.h"
#include "runtime.h"

#include <fmt/format.h>

#include <cstring>

namespace cirrus::component::detail {

using wasm::Value;
using WVT = wasm::ValType;

constexpr uint32_t utf16_tag = 1u << 31;
constexpr uint32_t max_string_byte_length = (1u << 31) - 1;
constexpr uint32_t canonical_nan32 = 0x7fc00000;
constexpr uint64_t canonical_nan64 = 0x7ff8000000000000;

Error trap(std::string message) {
    return Error(ErrorKind::Trap, std::move(message));
}

static uint32_t align_to(uint32_t ptr, uint32_t align) {
    return (ptr + align - 1) / align * align;
}

static uint32_t canon_f32(uint32_t bits) {
    return ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) ? canonical_nan32 : bits;
}
static uint64_t canon_f64(uint64_t bits) {
    return ((bits & 0x7ff0000000000000) == 0x7ff0000000000000 && (bits & 0xfffffffffffff) != 0)
               ? canonical_nan64
               : bits;
}

static Result<uint8_t*> mem_range(LiftLowerContext& cx, uint64_t ptr, uint64_t len) {
    if (!cx.memory) return trap("canonical ABI: no memory to access");
    if (ptr + len > cx.memory->size_bytes())
        return trap(fmt::format("canonical ABI: out of bounds memory access (pointer {} + {} bytes "
                                "exceeds memory size {})",
                                ptr, len, cx.memory->size_bytes()));
    return cx.memory->data() + ptr;
}

static uint64_t read_le(const uint8_t* p, uint32_t n) {
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
}
static void write_le(uint8_t* p, uint64_t v, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

static Result<Val> load_string_from_range(LiftLowerContext& cx, uint32_t ptr, uint32_t tagged_len) {
    uint32_t align = 1, byte_len = tagged_len, enc = cx.encoding;
    if (cx.encoding == 1) {
        align = 2;
        if (tagged_len > max_string_byte_length / 2) return trap("string length too large");
        byte_len = 2 * tagged_len;
    } else if (cx.encoding == 2) {
        align = 2;
        if (tagged_len & utf16_tag) {
            byte_len = 2 * (tagged_len ^ utf16_tag);
            enc = 1;
        } else {
            enc = 3; // latin1
        }
    }
    if (ptr != align_to(ptr, align))
        return trap(fmt::format("canonical ABI: misaligned string pointer {}", ptr));
    CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, byte_len));
    Val v(TypeKind::String, 0);
    if (enc == 0) {
        std::string_view s(reinterpret_cast<const char*>(p), byte_len);
        if (!decode_utf8(s, nullptr)) return trap("canonical ABI: invalid UTF-8 in string");
        v.str.assign(s);
    } else if (enc == 3) {
        for (uint32_t i = 0; i < byte_len; ++i) cirrus::append_utf8(v.str, p[i]);
    } else {
        uint32_t n = byte_len / 2;
        for (uint32_t i = 0; i < n; ++i) {
            uint32_t u = static_cast<uint32_t>(read_le(p + 2 * i, 2));
            if (u >= 0xd800 && u <= 0xdbff) {
                if (i + 1 >= n) return trap("canonical ABI: unpaired surrogate in UTF-16 string");
                uint32_t lo = static_cast<uint32_t>(read_le(p + 2 * (i + 1), 2));
                if (lo < 0xdc00 || lo > 0xdfff)
                    return trap("canonical ABI: unpaired surrogate in UTF-16 string");
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                ++i;
            } else if (u >= 0xdc00 && u <= 0xdfff) {
                return trap("canonical ABI: unpaired surrogate in UTF-16 string");
            }
            cirrus::append_utf8(v.str, u);
        }
    }
    return v;
}

Result<uint32_t> call_realloc(LiftLowerContext& cx, uint32_t align, uint32_t size) {
    if (!cx.realloc) return trap("canonical ABI: no realloc to allocate with");
    Value args[4] = {Value::i32(0), Value::i32(0), Value::i32(static_cast<int32_t>(align)),
                     Value::i32(static_cast<int32_t>(size))};
    CIRRUS_TRY_ASSIGN(auto results, cx.store->core().call(cx.realloc, args));
    uint32_t ptr = results.at(0).as_u32();
    if (ptr != align_to(ptr, align))
        return trap(fmt::format("canonical ABI: realloc returned misaligned pointer {} "
                                "(alignment {})",
                                ptr, align));
    CIRRUS_TRY(mem_range(cx, ptr, size));
    return ptr;
}

// Stores a string in the context's encoding; returns (ptr, tagged length).
static Result<std::pair<uint32_t, uint32_t>> store_string(LiftLowerContext& cx,
                                                          const std::string& s) {
    if (cx.encoding == 0) {
        if (s.size() > max_string_byte_length) return trap("string too large");
        uint32_t len = static_cast<uint32_t>(s.size());
        CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, 1, len));
        CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, len));
        if (len) std::memcpy(p, s.data(), len);
        return std::pair{ptr, len};
    }
    std::vector<uint32_t> cps;
    if (!decode_utf8(s, &cps)) return trap("host string is not valid UTF-8");
    bool latin1 = cx.encoding == 2;
    for (uint32_t cp : cps) {
        if (cp > 0xff) latin1 = false;
    }
    if (latin1) {
        uint32_t len = static_cast<uint32_t>(cps.size());
        CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, 2, len));
        CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, len));
        for (uint32_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(cps[i]);
        return std::pair{ptr, len};
    }
    std::vector<uint16_t> units;
    for (uint32_t cp : cps) {
        if (cp >= 0x10000) {
            cp -= 0x10000;
            units.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
            units.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
        } else {
            units.push_back(static_cast<uint16_t>(cp));
        }
    }
    if (units.size() > max_string_byte_length / 2) return trap("string too large");
    uint32_t n = static_cast<uint32_t>(units.size());
    CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, 2, 2 * n));
    CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, 2 * n));
    for (uint32_t i = 0; i < n; ++i) write_le(p + 2 * i, units[i], 2);
    return std::pair{ptr, cx.encoding == 2 ? (n | utf16_tag) : n};
}

static Result<Val> load_list_from_range(LiftLowerContext& cx, const ValType* t, uint32_t ptr,
                                        uint32_t len) {
    uint32_t align = alignment(t->element), size = elem_size(t->element);
    if (ptr != align_to(ptr, align))
        return trap(
            fmt::format("canonical ABI: misaligned list pointer {} (alignment {})", ptr, align));
    uint64_t bytes = uint64_t{len} * size;
    CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, bytes));
    // A list of integers leaves memory as one copy of its bytes (the packed form, val.h).
    if (packed_elem_size(t->element->kind) != 0)
        return Val::packed_list(t->element->kind,
                                std::string(reinterpret_cast<const char*>(p), bytes));
    Val v(TypeKind::List, 0);
    v.elems.reserve(len);
    for (uint32_t i = 0; i < len; ++i) {
        CIRRUS_TRY_ASSIGN(Val e, load(cx, t->element, ptr + i * size));
        v.elems.push_back(std::move(e));
    }
    return v;
}

static Result<std::pair<uint32_t, uint32_t>> store_list(LiftLowerContext& cx, const Val& v,
                                                        const ValType* t) {
    uint32_t align = alignment(t->element), size = elem_size(t->element);
    if (v.is_packed()) {
        // val_matches has checked the kind against the type; a mismatch here is a host bug,
        // still refused rather than copied.
        if (v.packed_kind() != t->element->kind || v.str.size() % size != 0)
            return trap("canonical ABI: packed list does not match its element type");
        if (v.str.size() > max_string_byte_length) return trap("list too large");
        uint32_t bytes = static_cast<uint32_t>(v.str.size());
        CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, align, bytes));
        CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, bytes));
        if (bytes) std::memcpy(p, v.str.data(), bytes);
        return std::pair{ptr, bytes / size};
    }
    uint64_t bytes = uint64_t{size} * v.elems.size();
    if (bytes > max_string_byte_length) return trap("list too large");
    CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, align, static_cast<uint32_t>(bytes)));
    if (packed_elem_size(t->element->kind) != 0) {
        // Integers of a list of Vals: one bounds check, then plain stores.
        CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, bytes));
        for (size_t i = 0; i < v.elems.size(); ++i) write_le(p + i * size, v.elems[i].bits, size);
        return std::pair{ptr, static_cast<uint32_t>(v.elems.size())};
    }
    for (size_t i = 0; i < v.elems.size(); ++i)
        CIRRUS_TRY(store_val(cx, v.elems[i], t->element, ptr + static_cast<uint32_t>(i) * size));
    return std::pair{ptr, static_cast<uint32_t>(v.elems.size())};
}

static Result<Val> check_char(uint32_t cp) {
    if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff))
        return trap(fmt::format("canonical ABI: invalid `char` code point 0x{:x}", cp));
    return Val(TypeKind::Char, cp);
}

// Lifting handles out of `cx.inst`'s table (CanonicalABI.md "lift_own", "lift_borrow").
static Result<Val> lift_handle(LiftLowerContext& cx, const ValType* t, uint32_t index) {
    if (!cx.inst) return trap("canonical ABI: no handle table");
    ResourceImpl* rt = cx.inst->resource(t->resource);
    CIRRUS_TRY_ASSIGN(HandleElem * e, cx.inst->get(index));
    if (rt && e->resource != rt)
        return trap(fmt::format("canonical ABI: handle {} has the wrong resource type", index));
    if (t->kind == TypeKind::Own) {
        if (!e->own)
            return trap(fmt::format("canonical ABI: handle {} is a borrow, an own "
                                    "handle was expected",
                                    index));
        if (e->lend_count != 0)
            return trap(
                fmt::format("canonical ABI: cannot move own handle {} while it is lent", index));
        CIRRUS_TRY_ASSIGN(HandleElem removed, cx.inst->remove(index));
        return Val::own(removed.resource, removed.rep);
    }
    if (e->own) {
        ++e->lend_count;
        cx.lenders.push_back(index);
    }
    return Val::borrow(e->resource, e->rep);
}

static Result<uint32_t> lower_handle(LiftLowerContext& cx, const Val& v, const ValType* t) {
    if (!cx.inst) return trap("canonical ABI: no handle table");
    ResourceImpl* rt = cx.inst->resource(t->resource);
    if (rt && v.resource != rt) return trap("canonical ABI: handle of the wrong resource type");
    if (t->kind == TypeKind::Own) {
        HandleElem e;
        e.resource = v.resource;
        e.rep = v.rep();
        e.own = true;
        return cx.inst->add(e);
    }
    // A borrow of a resource the callee implements is passed as its representation.
    if (v.resource && v.resource->owner == cx.inst) return v.rep();
    HandleElem e;
    e.resource = v.resource;
    e.rep = v.rep();
    e.scope = cx.scope;
    if (cx.scope) ++cx.scope->num_borrows;
    return cx.inst->add(e);
}

Result<Val> load(LiftLowerContext& cx, const ValType* t, uint32_t ptr) {
    uint32_t size = elem_size(t);
    CIRRUS_TRY_ASSIGN(uint8_t * p, mem_range(cx, ptr, size));
    switch (t->kind) {
    case TypeKind::Bool: return Val::boolean(p[0] != 0);
    case TypeKind::U8: return Val::u8(p[0]);
    case TypeKind::S8: return Val::s8(static_cast<int8_t>(p[0]));
    case TypeKind::U16: return Val::u16(static_cast<uint16_t>(read_le(p, 2)));
    case TypeKind::S16: return Val::s16(static_cast<int16_t>(read_le(p, 2)));
    case TypeKind::U32: return Val::u32(static_cast<uint32_t>(read_le(p, 4)));
    case TypeKind::S32: return Val::s32(static_cast<int32_t>(read_le(p, 4)));
    case TypeKind::U64: return Val::u64(read_le(p, 8));
    case TypeKind::S64: return Val::s64(static_cast<int64_t>(read_le(p, 8)));
    case TypeKind::F32: return Val(TypeKind::F32, canon_f32(static_cast<uint32_t>(read_le(p, 4))));
    case TypeKind::F64: return Val(TypeKind::F64, canon_f64(read_le(p, 8)));
    case TypeKind::Char: return check_char(static_cast<uint32_t>(read_le(p, 4)));
    case TypeKind::String:
        return load_string_from_range(cx, static_cast<uint32_t>(read_le(p, 4)),
                                      static_cast<uint32_t>(read_le(p + 4, 4)));
    case TypeKind::ErrorContext: return trap("error-context values are not supported");
    case TypeKind::List:
        return load_list_from_range(cx, t, static_cast<uint32_t>(read_le(p, 4)),
                                    static_cast<uint32_t>(read_le(p + 4, 4)));
    case TypeKind::Record:
    case TypeKind::Tuple: {
        Val v(t->kind, 0);
        uint32_t off = ptr;
        for (const auto& f : t->fields) {
            off = align_to(off, alignment(f.type));
            CIRRUS_TRY_ASSIGN(Val fv, load(cx, f.type, off));
            v.elems.push_back(std::move(fv));
            off += elem_size(f.type);
        }
        return v;
    }
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: {
        uint32_t ds = discriminant_size(case_count(t));
        uint32_t index = static_cast<uint32_t>(read_le(p, ds));
        if (index >= case_count(t))
            return trap(fmt::format("canonical ABI: invalid {} discriminant {}",
                                    type_kind_name(t->kind), index));
        Val v(t->kind, index);
        if (const ValType* ct = case_type(t, index)) {
            CIRRUS_TRY_ASSIGN(Val pv, load(cx, ct, ptr + align_to(ds, max_case_alignment(t))));
            v.elems.push_back(std::move(pv));
        }
        return v;
    }
    case TypeKind::Enum: {
        uint32_t index = static_cast<uint32_t>(read_le(p, discriminant_size(t->labels.size())));
        if (index >= t->labels.size())
            return trap(fmt::format("canonical ABI: invalid enum discriminant {}", index));
        return Val::enumeration(index);
    }
    case TypeKind::Flags: {
        size_t n = t->labels.size();
        std::vector<uint32_t> words(flag_words(n));
        if (n <= 16) {
            words[0] = static_cast<uint32_t>(read_le(p, size));
        } else {
            for (size_t i = 0; i < words.size(); ++i)
                words[i] = static_cast<uint32_t>(read_le(p + 4 * i, 4));
        }
        if (n % 32) words.back() &= (1u << (n % 32)) - 1; // bits past the last label are ignored
        return Val::flags(std::move(words));
    }
    case TypeKind::Own:
    case TypeKind::Borrow: return lift_handle(cx, t, static_cast<uint32_t>(read_le(p, 4)));
    }
    return trap("unknown type");
}

Result<void> store_val(LiftLowerContext& cx, const Val& v, const ValType* t, uint32_t ptr) {
    uint32_t size = elem_size(t);
    // Bounds are checked before each write, after anything that may grow memory.
    auto at = [&](uint32_t off, uint32_t n) { return mem_range(cx, uint64_t{ptr} + off, n); };
    switch (t->kind) {
    case TypeKind::Bool:
    case TypeKind::U8:
    case TypeKind::S8:
    case TypeKind::U16:
    case TypeKind::S16:
    case TypeKind::U32:
    case TypeKind::S32:
    case TypeKind::U64:
    case TypeKind::S64:
    case TypeKind::Char: {
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, size));
        write_le(p, v.bits, size);
        return {};
    }
    case TypeKind::F32: {
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, 4));
        write_le(p, canon_f32(static_cast<uint32_t>(v.bits)), 4);
        return {};
    }
    case TypeKind::F64: {
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, 8));
        write_le(p, canon_f64(v.bits), 8);
        return {};
    }
    case TypeKind::String:
    case TypeKind::List: {
        std::pair<uint32_t, uint32_t> pl;
        if (t->kind == TypeKind::String) {
            CIRRUS_TRY_ASSIGN(pl, store_string(cx, v.str));
        } else {
            CIRRUS_TRY_ASSIGN(pl, store_list(cx, v, t));
        }
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, 8));
        write_le(p, pl.first, 4);
        write_le(p + 4, pl.second, 4);
        return {};
    }
    case TypeKind::ErrorContext: return trap("error-context values are not supported");
    case TypeKind::Record:
    case TypeKind::Tuple: {
        uint32_t off = ptr;
        for (size_t i = 0; i < t->fields.size(); ++i) {
            off = align_to(off, alignment(t->fields[i].type));
            CIRRUS_TRY(store_val(cx, v.elems[i], t->fields[i].type, off));
            off += elem_size(t->fields[i].type);
        }
        return {};
    }
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: {
        uint32_t ds = discriminant_size(case_count(t));
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, ds));
        write_le(p, v.bits, ds);
        const ValType* ct = case_type(t, v.case_index());
        if (ct)
            CIRRUS_TRY(store_val(cx, v.elems.at(0), ct, ptr + align_to(ds, max_case_alignment(t))));
        return {};
    }
    case TypeKind::Enum: {
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, size));
        write_le(p, v.bits, size);
        return {};
    }
    case TypeKind::Flags: {
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, size));
        if (t->labels.size() <= 16) {
            write_le(p, v.flag_words.empty() ? 0 : v.flag_words[0], size);
        } else {
            for (size_t i = 0; i < flag_words(t->labels.size()); ++i)
                write_le(p + 4 * i, i < v.flag_words.size() ? v.flag_words[i] : 0, 4);
        }
        return {};
    }
    case TypeKind::Own:
    case TypeKind::Borrow: {
        CIRRUS_TRY_ASSIGN(uint32_t h, lower_handle(cx, v, t));
        CIRRUS_TRY_ASSIGN(uint8_t * p, at(0, 4));
        write_le(p, h, 4);
        return {};
    }
    }
    return {};
}

// Reads the next flat value as core type `want`, converting from the joined type a variant
// shares across its cases (CanonicalABI.md "lift_flat_variant").
static Result<Value> next_flat(FlatReader& in, WVT want) {
    if (in.pos >= in.values.size()) return trap("canonical ABI: too few flat values");
    Value v = in.values[in.pos++];
    if (v.type == want) return v;
    switch (want) {
    case WVT::I32: return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(v.bits)));
    case WVT::F32: return Value::f32_bits(static_cast<uint32_t>(v.bits));
    case WVT::F64: return Value::f64_bits(v.bits);
    default: return Value{want, v.bits};
    }
}

Result<Val> lift_flat(LiftLowerContext& cx, FlatReader& in, const ValType* t) {
    auto i32 = [&]() -> Result<uint32_t> {
        CIRRUS_TRY_ASSIGN(Value v, next_flat(in, WVT::I32));
        return v.as_u32();
    };
    switch (t->kind) {
    case TypeKind::Bool: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::boolean(x != 0);
    }
    case TypeKind::U8: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::u8(static_cast<uint8_t>(x));
    }
    case TypeKind::S8: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::s8(static_cast<int8_t>(x));
    }
    case TypeKind::U16: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::u16(static_cast<uint16_t>(x));
    }
    case TypeKind::S16: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::s16(static_cast<int16_t>(x));
    }
    case TypeKind::U32: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::u32(x);
    }
    case TypeKind::S32: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return Val::s32(static_cast<int32_t>(x));
    }
    case TypeKind::U64:
    case TypeKind::S64: {
        CIRRUS_TRY_ASSIGN(Value v, next_flat(in, WVT::I64));
        return Val(t->kind, v.bits);
    }
    case TypeKind::F32: {
        CIRRUS_TRY_ASSIGN(Value v, next_flat(in, WVT::F32));
        return Val(TypeKind::F32, canon_f32(v.as_f32_bits()));
    }
    case TypeKind::F64: {
        CIRRUS_TRY_ASSIGN(Value v, next_flat(in, WVT::F64));
        return Val(TypeKind::F64, canon_f64(v.bits));
    }
    case TypeKind::Char: {
        CIRRUS_TRY_ASSIGN(uint32_t x, i32());
        return check_char(x);
    }
    case TypeKind::String:
    case TypeKind::List: {
        CIRRUS_TRY_ASSIGN(uint32_t ptr, i32());
        CIRRUS_TRY_ASSIGN(uint32_t len, i32());
        if (t->kind == TypeKind::String) return load_string_from_range(cx, ptr, len);
        return load_list_from_range(cx, t, ptr, len);
    }
    case TypeKind::ErrorContext: return trap("error-context values are not supported");
    case TypeKind::Record:
    case TypeKind::Tuple: {
        Val v(t->kind, 0);
        for (const auto& f : t->fields) {
            CIRRUS_TRY_ASSIGN(Val fv, lift_flat(cx, in, f.type));
            v.elems.push_back(std::move(fv));
        }
        return v;
    }
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: {
        std::vector<WVT> flat;
        flatten_type(t, flat);
        CIRRUS_TRY_ASSIGN(uint32_t index, i32());
        if (index >= case_count(t))
            return trap(fmt::format("canonical ABI: invalid {} discriminant {}",
                                    type_kind_name(t->kind), index));
        size_t payload_start = in.pos;
        Val v(t->kind, index);
        if (const ValType* ct = case_type(t, index)) {
            CIRRUS_TRY_ASSIGN(Val pv, lift_flat(cx, in, ct));
            v.elems.push_back(std::move(pv));
        }
        in.pos = payload_start + (flat.size() - 1); // skip the padding of shorter cases
        if (in.pos > in.values.size()) return trap("canonical ABI: too few flat values");
        return v;
    }
    case TypeKind::Enum: {
        CIRRUS_TRY_ASSIGN(uint32_t index, i32());
        if (index >= t->labels.size())
            return trap(fmt::format("canonical ABI: invalid enum discriminant {}", index));
        return Val::enumeration(index);
    }
    case TypeKind::Flags: {
        std::vector<uint32_t> words;
        for (uint32_t i = 0; i < flag_words(t->labels.size()); ++i) {
            CIRRUS_TRY_ASSIGN(uint32_t w, i32());
            words.push_back(w);
        }
        size_t n = t->labels.size();
        if (n % 32) words.back() &= (1u << (n % 32)) - 1;
        return Val::flags(std::move(words));
    }
    case TypeKind::Own:
    case TypeKind::Borrow: {
        CIRRUS_TRY_ASSIGN(uint32_t h, i32());
        return lift_handle(cx, t, h);
    }
    }
    return trap("unknown type");
}

// Converts a flat value to the joined type of its position (CanonicalABI.md
// "lower_flat_variant").
static Value coerce_to(Value v, WVT want) {
    if (v.type == want) return v;
    switch (want) {
    case WVT::I32: return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(v.bits)));
    case WVT::I64:
        if (v.type == WVT::I32 || v.type == WVT::F32)
            return Value::i64(static_cast<int64_t>(static_cast<uint32_t>(v.bits)));
        return Value{WVT::I64, v.bits};
    default: return Value{want, v.bits};
    }
}

Result<void> lower_flat(LiftLowerContext& cx, const Val& v, const ValType* t,
                        std::vector<Value>& out) {
    switch (t->kind) {
    case TypeKind::Bool:
    case TypeKind::U8:
    case TypeKind::S8:
    case TypeKind::U16:
    case TypeKind::S16:
    case TypeKind::U32:
    case TypeKind::S32:
    case TypeKind::Char:
    case TypeKind::Enum:
        out.push_back(Value::i32(static_cast<int32_t>(static_cast<uint32_t>(v.bits))));
        return {};
    case TypeKind::U64:
    case TypeKind::S64: out.push_back(Value::i64(static_cast<int64_t>(v.bits))); return {};
    case TypeKind::F32:
        out.push_back(Value::f32_bits(canon_f32(static_cast<uint32_t>(v.bits))));
        return {};
    case TypeKind::F64: out.push_back(Value::f64_bits(canon_f64(v.bits))); return {};
    case TypeKind::String:
    case TypeKind::List: {
        std::pair<uint32_t, uint32_t> pl;
        if (t->kind == TypeKind::String) {
            CIRRUS_TRY_ASSIGN(pl, store_string(cx, v.str));
        } else {
            CIRRUS_TRY_ASSIGN(pl, store_list(cx, v, t));
        }
        out.push_back(Value::i32(static_cast<int32_t>(pl.first)));
        out.push_back(Value::i32(static_cast<int32_t>(pl.second)));
        return {};
    }
    case TypeKind::ErrorContext: return trap("error-context values are not supported");
    case TypeKind::Record:
    case TypeKind::Tuple:
        for (size_t i = 0; i < t->fields.size(); ++i)
            CIRRUS_TRY(lower_flat(cx, v.elems[i], t->fields[i].type, out));
        return {};
    case TypeKind::Variant:
    case TypeKind::Option:
    case TypeKind::Result: {
        std::vector<WVT> flat;
        flatten_type(t, flat);
        out.push_back(Value::i32(static_cast<int32_t>(v.case_index())));
        std::vector<Value> payload;
        if (const ValType* ct = case_type(t, v.case_index()))
            CIRRUS_TRY(lower_flat(cx, v.elems.at(0), ct, payload));
        for (size_t i = 1; i < flat.size(); ++i) {
            if (i - 1 < payload.size())
                out.push_back(coerce_to(payload[i - 1], flat[i]));
            else
                out.push_back(Value::zero(flat[i]));
        }
        return {};
    }
    case TypeKind::Flags:
        for (uint32_t i = 0; i < flag_words(t->labels.size()); ++i) {
            uint32_t w = i < v.flag_words.size() ? v.flag_words[i] : 0;
            out.push_back(Value::i32(static_cast<int32_t>(w)));
        }
        return {};
    case TypeKind::Own:
    case TypeKind::Borrow: {
        CIRRUS_TRY_ASSIGN(uint32_t h, lower_handle(cx, v, t));
        out.push_back(Value::i32(static_cast<int32_t>(h)));
        return {};
    }
    }
    return {};
}

uint32_t InstanceState::add(HandleElem e) {
    e.used = true;
    if (!free.empty()) {
        uint32_t i = free.back();
        free.pop_back();
        handles[i] = e;
        return i;
    }
    handles.push_back(e);
    return static_cast<uint32_t>(handles.size() - 1);
}

Result<HandleElem*> InstanceState::get(uint32_t index) {
    if (index == 0 || index >= handles.size() || !handles[index].used)
        return trap(fmt::format("unknown handle index {}", index));
    return &handles[index];
}

Result<HandleElem> InstanceState::remove(uint32_t index) {
    CIRRUS_TRY_ASSIGN(HandleElem * e, get(index));
    HandleElem out = *e;
    *e = HandleElem{};
    free.push_back(index);
    return out;
}

} // namespace cirrus::component::detail
