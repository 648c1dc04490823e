// The fused path of a component-to-component call (an "adapter" in wasmtime's words): when a
// component's lowered import is another component's lifted export and every parameter and the
// result are scalars, UTF-8 strings or lists of integers, the values go straight from the
// caller's linear memory into the callee's (and the result back) without becoming Vals: one
// realloc and one memcpy per string. Other shapes take the general path through Val in
// runtime.cpp. The checks are the ones lifting does (bounds, alignment, UTF-8, code points).
#include "cirrus/support/utf8.h"
#include "abi_types.h"
#include "runtime.h"

#include <fmt/format.h>

#include <cstring>

namespace cirrus::component::detail {

using wasm::Value;

namespace {

bool is_int_kind(TypeKind k) {
    switch (k) {
    case TypeKind::U8:
    case TypeKind::S8:
    case TypeKind::U16:
    case TypeKind::S16:
    case TypeKind::U32:
    case TypeKind::S32:
    case TypeKind::U64:
    case TypeKind::S64: return true;
    default: return false;
    }
}

// Scalars (one flat value), strings, and lists of integers.
bool fusable(const ValType* t) {
    if (!t) return true;
    if (t->kind == TypeKind::String) return true;
    if (t->kind == TypeKind::List) return is_int_kind(t->element->kind);
    return is_primitive(t->kind) && t->kind != TypeKind::ErrorContext;
}

uint32_t align_to(uint32_t ptr, uint32_t align) {
    return (ptr + align - 1) / align * align;
}


// Copies a string or list<int> at (ptr, len) in `from`'s memory into memory allocated with
// `to`'s realloc; returns the new pointer.
Result<uint32_t> copy_range(LiftLowerContext& from, LiftLowerContext& to, const ValType* t,
                            uint32_t ptr, uint32_t len) {
    uint32_t align = 1, size = 1;
    if (t->kind == TypeKind::List) {
        align = alignment(t->element);
        size = elem_size(t->element);
    }
    uint64_t bytes = uint64_t{len} * size;
    if (ptr != align_to(ptr, align))
        return trap(fmt::format("canonical ABI: misaligned {} pointer {}",
                                t->kind == TypeKind::String ? "string" : "list", ptr));
    if (!from.memory || ptr + bytes > from.memory->size_bytes())
        return trap(fmt::format("canonical ABI: out of bounds memory access (pointer {} + {} "
                                "bytes exceeds memory size {})",
                                ptr, bytes, from.memory ? from.memory->size_bytes() : 0));
    if (bytes > (1u << 31) - 1) return trap("string or list too large");
    if (t->kind == TypeKind::String && !cirrus::valid_utf8(std::string_view(reinterpret_cast<const char*>(from.memory->data() + ptr), bytes)))
        return trap("canonical ABI: invalid UTF-8 in string");
    CIRRUS_TRY_ASSIGN(uint32_t dst, call_realloc(to, align, static_cast<uint32_t>(bytes)));
    // Both bases are read after realloc ran: it may have grown either memory.
    if (bytes) std::memcpy(to.memory->data() + dst, from.memory->data() + ptr, bytes);
    return dst;
}

} // namespace

bool Runtime::can_fuse(const Func* callee, uint8_t caller_encoding) {
    if (callee->host_ || callee->params_in_memory_ || callee->encoding_ != 0 ||
        caller_encoding != 0)
        return false;
    for (const auto& [n, t] : callee->type_->params) {
        if (!fusable(t)) return false;
    }
    return fusable(callee->type_->result);
}

Result<void> Runtime::call_fused(Func* callee, LiftLowerContext& caller,
                                 std::span<const Value> args, std::span<Value> results,
                                 bool caller_results_in_memory) {
    InstanceState* st = callee->owner_;
    if (!st->may_enter) return trap(fmt::format("cannot enter component instance `{}`", st->name));
    const FuncType& ft = *callee->type_;
    LiftLowerContext cx;
    cx.store = store;
    cx.memory = callee->memory_;
    cx.realloc = callee->realloc_;
    cx.inst = st;
    Value flat[max_flat_params];
    size_t n = 0;
    FlatReader in{args, 0};
    st->may_enter = false;
    for (const auto& [name, t] : ft.params) {
        if (t->kind == TypeKind::String || t->kind == TypeKind::List) {
            uint32_t ptr = in.values[in.pos++].as_u32();
            uint32_t len = in.values[in.pos++].as_u32();
            CIRRUS_TRY_ASSIGN(uint32_t dst, copy_range(caller, cx, t, ptr, len));
            flat[n++] = Value::i32(static_cast<int32_t>(dst));
            flat[n++] = Value::i32(static_cast<int32_t>(len));
        } else {
            // Scalars: lifting checks and normalises (bool, char, narrow ints, NaNs).
            CIRRUS_TRY_ASSIGN(Val v, lift_flat(caller, in, t));
            std::vector<Value> one;
            CIRRUS_TRY(lower_flat(cx, v, t, one));
            flat[n++] = one[0];
        }
    }
    CIRRUS_TRY_ASSIGN(std::vector<Value> out,
                      store->core().call(callee->core_, std::span<const Value>(flat, n)));
    if (const ValType* rt = ft.result) {
        if (rt->kind == TypeKind::String || rt->kind == TypeKind::List) {
            uint32_t area = out.at(0).as_u32();
            if (area % 4 != 0 || !cx.memory || uint64_t{area} + 8 > cx.memory->size_bytes())
                return trap(fmt::format("canonical ABI: result pointer {} is out of bounds or "
                                        "misaligned",
                                        area));
            uint32_t ptr, len;
            std::memcpy(&ptr, cx.memory->data() + area, 4);
            std::memcpy(&len, cx.memory->data() + area + 4, 4);
            CIRRUS_TRY_ASSIGN(uint32_t dst, copy_range(cx, caller, rt, ptr, len));
            if (!caller_results_in_memory) return trap("internal: result layout mismatch");
            uint32_t ret = args.back().as_u32();
            if (ret % 4 != 0 || !caller.memory || uint64_t{ret} + 8 > caller.memory->size_bytes())
                return trap(fmt::format("canonical ABI: result pointer {} is out of bounds or "
                                        "misaligned",
                                        ret));
            std::memcpy(caller.memory->data() + ret, &dst, 4);
            std::memcpy(caller.memory->data() + ret + 4, &len, 4);
        } else {
            FlatReader rin{out, 0};
            CIRRUS_TRY_ASSIGN(Val v, lift_flat(cx, rin, rt));
            std::vector<Value> one;
            CIRRUS_TRY(lower_flat(caller, v, rt, one));
            results[0] = one[0];
        }
    }
    if (callee->post_return_) {
        st->may_leave = false;
        auto pr = store->core().call(callee->post_return_, out);
        st->may_leave = true;
        CIRRUS_TRY(pr);
    }
    st->may_enter = true;
    return {};
}

} // namespace cirrus::component::detail
