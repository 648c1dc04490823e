// The `spectest` host module that spec test scripts import from, with the same objects and
// values as the reference interpreter's (spec repository, interpreter/host/spectest.ml).
#include "cirrus/wasm/wast.h"

#include <fmt/format.h>

#include <ostream>

namespace cirrus::wasm {

namespace {

// The reference interpreter prints each argument as "<value> : <type>", one a line.
std::string print_line(const Value& value) {
    switch (value.type) {
    case ValType::I32: return fmt::format("{} : i32", value.as_i32());
    case ValType::I64: return fmt::format("{} : i64", value.as_i64());
    case ValType::F32: return fmt::format("{} : f32", value.as_f32());
    case ValType::F64: return fmt::format("{} : f64", value.as_f64());
    default: return value.to_string();
    }
}

} // namespace

Result<void> define_spectest(Store& store, Linker& linker, std::ostream* print_to) {
    struct PrintFunc {
        const char* name;
        std::vector<ValType> params;
    };
    const PrintFunc print_funcs[] = {
        {"print", {}},
        {"print_i32", {ValType::I32}},
        {"print_i64", {ValType::I64}},
        {"print_f32", {ValType::F32}},
        {"print_f64", {ValType::F64}},
        {"print_i32_f32", {ValType::I32, ValType::F32}},
        {"print_f64_f64", {ValType::F64, ValType::F64}},
    };
    for (const PrintFunc& pf : print_funcs) {
        HostFunction fn = [print_to](Caller&, std::span<const Value> args,
                                     std::span<Value>) -> Result<void> {
            if (print_to)
                for (const Value& arg : args) *print_to << print_line(arg) << '\n';
            return {};
        };
        Func* func = store.create_host_func(FuncType{pf.params, {}}, std::move(fn));
        linker.define("spectest", pf.name, Extern::of(func));
    }

    struct GlobalDef {
        const char* name;
        Value value;
    };
    const GlobalDef globals[] = {
        {"global_i32", Value::i32(666)},
        {"global_i64", Value::i64(666)},
        {"global_f32", Value::f32(666.6f)},
        {"global_f64", Value::f64(666.6)},
    };
    for (const GlobalDef& g : globals) {
        CIRRUS_TRY_ASSIGN(Global * global,
                          store.create_global(GlobalType{g.value.type, false}, g.value));
        linker.define("spectest", g.name, Extern::of(global));
    }

    CIRRUS_TRY_ASSIGN(Table * table, store.create_table(TableType{ValType::FuncRef, Limits{10, 20}},
                                                        Value::null(ValType::FuncRef)));
    linker.define("spectest", "table", Extern::of(table));

    CIRRUS_TRY_ASSIGN(Memory * memory, store.create_memory(MemoryType{Limits{1, 2}}));
    linker.define("spectest", "memory", Extern::of(memory));
    return {};
}

} // namespace cirrus::wasm
