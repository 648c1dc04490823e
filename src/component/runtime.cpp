// Calls across the component boundary (CanonicalABI.md "canon lift", "canon lower",
// "canon resource.new/drop/rep") and the Store that holds component run-time state.
#include "runtime.h"
#include "abi_types.h"

#include <fmt/format.h>

namespace cirrus::component {

using detail::CallScope;
using detail::FlatReader;
using detail::InstanceState;
using detail::LiftLowerContext;
using detail::trap;
using wasm::Value;

namespace detail {

static uint32_t align_to(uint32_t ptr, uint32_t align) {
    return (ptr + align - 1) / align * align;
}

// Offsets of the parameters when they are passed in memory as a tuple.
static std::pair<std::vector<uint32_t>, std::pair<uint32_t, uint32_t>>
param_layout(const FuncType& ft) {
    std::vector<uint32_t> offsets;
    uint32_t off = 0, align = 1;
    for (const auto& [n, t] : ft.params) {
        off = align_to(off, alignment(t));
        offsets.push_back(off);
        off += elem_size(t);
        align = std::max(align, alignment(t));
    }
    return {offsets, {align, align_to(off, align)}};
}

static Result<void> check_pointer(LiftLowerContext& cx, uint32_t ptr, uint32_t align, uint32_t size,
                                  const char* what) {
    if (ptr != align_to(ptr, align))
        return trap(fmt::format("canonical ABI: misaligned {} pointer {} (alignment {})", what, ptr,
                                align));
    if (!cx.memory || uint64_t{ptr} + size > cx.memory->size_bytes())
        return trap(fmt::format("canonical ABI: {} pointer {} is out of bounds", what, ptr));
    return {};
}

Result<std::optional<Val>> Runtime::call(Func* f, std::span<const Val> args) {
    if (f->host_) {
        CallContext cx(store);
        CIRRUS_TRY_ASSIGN(std::optional<Val> r, f->host_(cx, args));
        std::string why;
        if (f->type_->result && (!r || !val_matches(*r, f->type_->result, &why)))
            return trap(fmt::format("host function returned a value of the wrong type: {}",
                                    r ? why : "no value"));
        if (!f->type_->result && r) return trap("host function returned a value but has no result");
        return r;
    }
    return call_lifted(f, args);
}

Result<std::optional<Val>> Runtime::call_lifted(Func* f, std::span<const Val> args) {
    InstanceState* st = f->owner_;
    const FuncType& ft = *f->type_;
    if (!st->may_enter) return trap(fmt::format("cannot enter component instance `{}`", st->name));
    CallScope scope;
    LiftLowerContext cx;
    cx.store = store;
    cx.memory = f->memory_;
    cx.realloc = f->realloc_;
    cx.encoding = f->encoding_;
    cx.inst = st;
    cx.scope = &scope;
    std::vector<Value> flat;
    flat.reserve(max_flat_params);
    st->may_enter = false;
    if (f->params_in_memory_) {
        auto [offsets, layout] = param_layout(ft);
        CIRRUS_TRY_ASSIGN(uint32_t ptr, call_realloc(cx, layout.first, layout.second));
        for (size_t i = 0; i < ft.params.size(); ++i)
            CIRRUS_TRY(store_val(cx, args[i], ft.params[i].second, ptr + offsets[i]));
        flat.push_back(Value::i32(static_cast<int32_t>(ptr)));
    } else {
        for (size_t i = 0; i < ft.params.size(); ++i)
            CIRRUS_TRY(lower_flat(cx, args[i], ft.params[i].second, flat));
    }
    // A trap leaves may_enter clear: the instance cannot be entered again.
    CIRRUS_TRY_ASSIGN(std::vector<Value> results, store->core().call(f->core_, flat));
    std::optional<Val> out;
    if (ft.result) {
        if (f->results_in_memory_) {
            uint32_t ptr = results.at(0).as_u32();
            CIRRUS_TRY(
                check_pointer(cx, ptr, alignment(ft.result), elem_size(ft.result), "result"));
            CIRRUS_TRY_ASSIGN(Val v, load(cx, ft.result, ptr));
            out = std::move(v);
        } else {
            FlatReader in{results, 0};
            CIRRUS_TRY_ASSIGN(Val v, lift_flat(cx, in, ft.result));
            out = std::move(v);
        }
    }
    if (f->post_return_) {
        st->may_leave = false;
        auto pr = store->core().call(f->post_return_, results);
        st->may_leave = true;
        CIRRUS_TRY(pr);
    }
    if (scope.num_borrows != 0) return trap("borrow handles still remain at the end of the call");
    st->may_enter = true;
    return out;
}

Result<void> Runtime::destroy(ResourceImpl* rt, uint32_t rep) {
    if (rt->host_dtor) {
        rt->host_dtor(rep);
        return {};
    }
    if (rt->dtor) {
        Value arg = Value::i32(static_cast<int32_t>(rep));
        CIRRUS_TRY(store->core().call(rt->dtor, std::span<const Value>(&arg, 1)));
    }
    return {};
}

Result<void> Runtime::drop_handle(InstanceState* inst, ResourceImpl* expected, uint32_t index) {
    CIRRUS_TRY_ASSIGN(HandleElem * e, inst->get(index));
    if (expected && e->resource != expected)
        return trap(fmt::format("handle index {} used with the wrong resource type", index));
    if (e->own && e->lend_count != 0)
        return trap(fmt::format("cannot drop handle {}: it is still lent out", index));
    CIRRUS_TRY_ASSIGN(HandleElem h, inst->remove(index));
    if (!h.own) {
        if (h.scope) --h.scope->num_borrows;
        return {};
    }
    ResourceImpl* rt = h.resource;
    if (rt->owner && rt->owner != inst && !rt->owner->may_enter)
        return trap(fmt::format("cannot enter component instance `{}` to run a destructor",
                                rt->owner->name));
    return destroy(rt, h.rep);
}

// The core function a component instance calls for `canon lower` of `callee`.
wasm::Func* Runtime::lower(Func* callee, InstanceState* caller, wasm::Memory* memory,
                           wasm::Func* realloc, const Def& def) {
    Runtime& rt = *this;
    const FuncType* ft = callee->type_;
    uint8_t encoding = def.opts.encoding;
    struct {
        bool params_in_memory, results_in_memory;
    } sig{def.params_in_memory, def.results_in_memory};
    bool fuse = can_fuse(callee, encoding);
    // The layouts are fixed by the type: worked out once here, not on every call.
    auto params = param_layout(*ft);
    uint32_t result_align = ft->result ? alignment(ft->result) : 1;
    uint32_t result_size = ft->result ? elem_size(ft->result) : 0;
    auto fn = [&rt, callee, caller, memory, realloc, encoding, ft, sig, fuse,
               params = std::move(params), result_align,
               result_size](wasm::Caller&, std::span<const Value> args,
                            std::span<Value> results) -> Result<void> {
        if (!caller->may_leave) return trap("cannot leave component instance");
        LiftLowerContext cx;
        cx.store = rt.store;
        cx.memory = memory;
        cx.realloc = realloc;
        cx.encoding = encoding;
        cx.inst = caller;
        if (fuse) return rt.call_fused(callee, cx, args, results, sig.results_in_memory);
        // Host functions take a few parameters: inline, no allocation per call.
        boost::container::small_vector<Val, 4> vals;
        Result<void> lifted = [&]() -> Result<void> {
            if (sig.params_in_memory) {
                const auto& [offsets, layout] = params;
                uint32_t ptr = args[0].as_u32();
                CIRRUS_TRY(check_pointer(cx, ptr, layout.first, layout.second, "parameter"));
                for (size_t i = 0; i < ft->params.size(); ++i) {
                    CIRRUS_TRY_ASSIGN(Val v, load(cx, ft->params[i].second, ptr + offsets[i]));
                    vals.push_back(std::move(v));
                }
            } else {
                FlatReader in{args, 0};
                for (const auto& [n, t] : ft->params) {
                    CIRRUS_TRY_ASSIGN(Val v, lift_flat(cx, in, t));
                    vals.push_back(std::move(v));
                }
            }
            return {};
        }();
        auto release = [&] {
            for (uint32_t index : cx.lenders) {
                if (index < caller->handles.size() && caller->handles[index].lend_count > 0)
                    --caller->handles[index].lend_count;
            }
            cx.lenders.clear();
        };
        if (!lifted.ok()) {
            release();
            return std::move(lifted).error();
        }
        auto result = rt.call(callee, std::span<const Val>(vals.data(), vals.size()));
        release();
        CIRRUS_TRY(result);
        if (!ft->result) return {};
        const Val& v = **result;
        if (sig.results_in_memory) {
            uint32_t ptr = args.back().as_u32();
            CIRRUS_TRY(check_pointer(cx, ptr, result_align, result_size, "result"));
            return store_val(cx, v, ft->result, ptr);
        }
        std::vector<Value> flat;
        CIRRUS_TRY(lower_flat(cx, v, ft->result, flat));
        for (size_t i = 0; i < flat.size() && i < results.size(); ++i) results[i] = flat[i];
        return {};
    };
    // The type lives in the component's definitions, which the Runtime keeps alive.
    return rt.store->core().create_host_func(&def.core_type, def.core_type_id, std::move(fn));
}

} // namespace detail
} // namespace cirrus::component
