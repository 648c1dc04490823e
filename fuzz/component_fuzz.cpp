// libFuzzer target for the component layer: decode and validate any bytes; when they form a
// valid component, print its world as WIT, and when it has no imports, instantiate it and call
// every exported function with default arguments under a fuel limit. The invariants are the
// layer's promises for untrusted input: no crash, no sanitizer report, no hang, and a refused
// binary is always a Malformed or Invalid error with a message.
#include "cirrus/component/component.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using namespace cirrus;
using namespace cirrus::component;

constexpr uint64_t fuel_per_call = 20000;

const wasm::Engine& fuzz_engine() {
    static const wasm::Engine engine([] {
        wasm::EngineConfig config;
        config.max_call_depth = 500;
        config.value_stack_slots = 1u << 16;
        return config;
    }());
    return engine;
}

// The zero value of a type (false, 0, "", [], first case...), or nullopt for handles.
std::optional<Val> default_val(const ValType* t, int depth = 0) {
    if (depth > 20) return std::nullopt;
    switch (t->kind) {
    case TypeKind::String: return Val::string("");
    case TypeKind::List: return Val::list({});
    case TypeKind::Record:
    case TypeKind::Tuple: {
        std::vector<Val> fields;
        for (const auto& f : t->fields) {
            auto v = default_val(f.type, depth + 1);
            if (!v) return std::nullopt;
            fields.push_back(std::move(*v));
        }
        Val v = Val::record(std::move(fields));
        v.kind = t->kind;
        return v;
    }
    case TypeKind::Variant: {
        std::optional<Val> payload;
        if (t->cases[0].type) {
            payload = default_val(t->cases[0].type, depth + 1);
            if (!payload) return std::nullopt;
        }
        return Val::variant(0, std::move(payload));
    }
    case TypeKind::Option: return Val::none();
    case TypeKind::Result: {
        if (!t->element) return Val::ok(std::nullopt);
        auto v = default_val(t->element, depth + 1);
        if (!v) return std::nullopt;
        return Val::ok(std::move(*v));
    }
    case TypeKind::Flags: return Val::flags({});
    case TypeKind::Own:
    case TypeKind::Borrow:
    case TypeKind::ErrorContext: return std::nullopt;
    default: return Val(t->kind, 0);
    }
}

void call_exports(Store& store, const Instance& instance, int depth) {
    if (depth > 4) return;
    for (const auto& e : instance.exports()) {
        if (e.instance) call_exports(store, *e.instance, depth + 1);
        if (!e.func) continue;
        std::vector<Val> args;
        bool ok = true;
        for (const auto& [name, t] : e.func->type().params) {
            auto v = default_val(t);
            if (!v) {
                ok = false;
                break;
            }
            args.push_back(std::move(*v));
        }
        if (!ok) continue;
        store.core().set_fuel(fuel_per_call);
        (void)store.call(e.func, args);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto component = Component::compile(fuzz_engine(), std::span<const uint8_t>(data, size));
    if (!component.ok()) {
        const Error& e = component.error();
        if ((e.kind != ErrorKind::Malformed && e.kind != ErrorKind::Invalid) || e.message.empty())
            std::abort();
        return 0;
    }
    (void)(*component)->world_wit();
    if (!(*component)->type().imports.empty()) return 0;
    wasm::StoreLimits limits;
    limits.max_memory_pages = 64;
    limits.max_table_elements = 10000;
    Store store(fuzz_engine(), limits);
    store.core().set_fuel(fuel_per_call);
    auto instance = Linker().instantiate(store, *component);
    if (!instance.ok()) return 0;
    call_exports(store, **instance, 0);
    return 0;
}
