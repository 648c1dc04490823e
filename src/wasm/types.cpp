// Names and text forms of core types and values.
#include "cirrus/wasm/types.h"

#include <fmt/format.h>

namespace cirrus::wasm {

const char* val_type_name(ValType type) {
    switch (type) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
    }
    return "?";
}

const char* extern_kind_name(ExternKind kind) {
    switch (kind) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    }
    return "?";
}

std::string FuncType::to_string() const {
    std::string out;
    auto list = [&](const char* word, const std::vector<ValType>& types) {
        if (types.empty()) return;
        if (!out.empty()) out += ' ';
        out += '(';
        out += word;
        for (ValType t : types) {
            out += ' ';
            out += val_type_name(t);
        }
        out += ')';
    };
    list("param", params);
    list("result", results);
    return out.empty() ? "()" : out;
}

std::string Value::to_string() const {
    switch (type) {
    case ValType::I32: return fmt::format("i32:{}", as_i32());
    case ValType::I64: return fmt::format("i64:{}", as_i64());
    case ValType::F32: return fmt::format("f32:{}", as_f32());
    case ValType::F64: return fmt::format("f64:{}", as_f64());
    case ValType::V128: return "v128";
    case ValType::FuncRef:
    case ValType::ExternRef:
        if (is_null()) return fmt::format("{}:null", val_type_name(type));
        return fmt::format("{}:{:#x}", val_type_name(type), bits);
    }
    return "?";
}

} // namespace cirrus::wasm
