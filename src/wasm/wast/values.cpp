// Parsing and matching of wast2json values; float comparisons are on bit patterns so that NaN
// payloads and the sign of zero are checked exactly.
#include "values.h"

#include <fmt/format.h>

#include <charconv>

namespace cirrus::wasm::wast {

namespace {

constexpr uint32_t f32_sign_mask = 0x8000'0000u;
constexpr uint32_t f32_canonical_nan = 0x7fc0'0000u;
constexpr uint64_t f64_sign_mask = 0x8000'0000'0000'0000ull;
constexpr uint64_t f64_canonical_nan = 0x7ff8'0000'0000'0000ull;

std::string string_field(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

Result<uint64_t> parse_unsigned(std::string_view text, uint64_t max) {
    uint64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || number > max)
        return make_error(ErrorKind::Malformed, fmt::format("bad number \"{}\"", text));
    return number;
}

// The numeric bits of `text` for a value of `type`; references other than "null" are N.
Result<uint64_t> parse_bits(ValType type, std::string_view text) {
    switch (type) {
    case ValType::I32:
    case ValType::F32: return parse_unsigned(text, UINT32_MAX);
    case ValType::I64:
    case ValType::F64: return parse_unsigned(text, UINT64_MAX);
    case ValType::FuncRef:
    case ValType::ExternRef:
        if (text == "null") return uint64_t{0};
        return parse_unsigned(text, UINT64_MAX - 1);
    case ValType::V128: break;
    }
    return make_error(ErrorKind::Malformed, "v128 values are not supported");
}

} // namespace

Result<ValType> parse_val_type(std::string_view name) {
    if (name == "i32") return ValType::I32;
    if (name == "i64") return ValType::I64;
    if (name == "f32") return ValType::F32;
    if (name == "f64") return ValType::F64;
    if (name == "funcref") return ValType::FuncRef;
    if (name == "externref") return ValType::ExternRef;
    return make_error(ErrorKind::Malformed, fmt::format("unsupported value type \"{}\"", name));
}

Result<Value> parse_value(const nlohmann::json& value) {
    CIRRUS_TRY_ASSIGN(ValType type, parse_val_type(string_field(value, "type")));
    std::string text = string_field(value, "value");
    CIRRUS_TRY_ASSIGN(uint64_t bits, parse_bits(type, text));
    if (type == ValType::FuncRef && bits != 0)
        return make_error(ErrorKind::Malformed, "a funcref argument must be null");
    if (type == ValType::ExternRef && text != "null") bits += 1;
    return Value{type, bits};
}

Result<ExpectedValue> parse_expected(const nlohmann::json& value) {
    ExpectedValue expected;
    CIRRUS_TRY_ASSIGN(expected.type, parse_val_type(string_field(value, "type")));
    bool is_float = expected.type == ValType::F32 || expected.type == ValType::F64;
    auto it = value.find("value");
    if (it == value.end() || !it->is_string()) {
        // `(ref.func)` / `(ref.extern)` without an index: any non-null reference.
        if (!is_ref_type(expected.type))
            return make_error(ErrorKind::Malformed, "expected value without \"value\"");
        expected.kind = ExpectedValue::Kind::NonNullRef;
        return expected;
    }
    std::string text = it->get<std::string>();
    if (is_float && text == "nan:canonical") {
        expected.kind = ExpectedValue::Kind::CanonicalNan;
        return expected;
    }
    if (is_float && text == "nan:arithmetic") {
        expected.kind = ExpectedValue::Kind::ArithmeticNan;
        return expected;
    }
    CIRRUS_TRY_ASSIGN(expected.bits, parse_bits(expected.type, text));
    if (expected.type == ValType::ExternRef && text != "null") expected.bits += 1;
    // A numbered funcref cannot be mapped to a Func*; all the script can mean is "not null".
    if (expected.type == ValType::FuncRef && text != "null")
        expected.kind = ExpectedValue::Kind::NonNullRef;
    return expected;
}

bool ExpectedValue::matches(const Value& actual) const {
    if (actual.type != type) return false;
    switch (kind) {
    case Kind::Exact:
        if (type == ValType::I32 || type == ValType::F32) return actual.as_u32() == bits;
        return actual.bits == bits;
    case Kind::CanonicalNan:
        if (type == ValType::F32) return (actual.as_u32() & ~f32_sign_mask) == f32_canonical_nan;
        return (actual.bits & ~f64_sign_mask) == f64_canonical_nan;
    case Kind::ArithmeticNan:
        if (type == ValType::F32) return (actual.as_u32() & f32_canonical_nan) == f32_canonical_nan;
        return (actual.bits & f64_canonical_nan) == f64_canonical_nan;
    case Kind::NonNullRef: return !actual.is_null();
    }
    return false;
}

std::string ExpectedValue::to_string() const {
    switch (kind) {
    case Kind::Exact: return describe(Value{type, bits});
    case Kind::CanonicalNan: return fmt::format("{}:nan:canonical", val_type_name(type));
    case Kind::ArithmeticNan: return fmt::format("{}:nan:arithmetic", val_type_name(type));
    case Kind::NonNullRef: return fmt::format("{}:non-null", val_type_name(type));
    }
    return "?";
}

std::string describe(const Value& value) {
    switch (value.type) {
    case ValType::I32: return fmt::format("i32:{}", value.as_i32());
    case ValType::I64: return fmt::format("i64:{}", value.as_i64());
    case ValType::F32: return fmt::format("f32:{} ({:#010x})", value.as_f32(), value.as_f32_bits());
    case ValType::F64: return fmt::format("f64:{} ({:#018x})", value.as_f64(), value.as_f64_bits());
    case ValType::ExternRef:
        // Host pointers N + 1 stand for the script's `ref.extern N`.
        if (value.is_null()) return "externref:null";
        return fmt::format("externref:{}", value.bits - 1);
    case ValType::FuncRef:
        if (value.is_null()) return "funcref:null";
        return fmt::format("funcref:{:#x}", value.bits);
    case ValType::V128: return "v128";
    }
    return "?";
}

bool mentions_v128(const nlohmann::json& command) {
    auto has_v128 = [](const nlohmann::json& list) {
        if (!list.is_array()) return false;
        for (const auto& v : list)
            if (string_field(v, "type") == "v128") return true;
        return false;
    };
    if (auto it = command.find("expected"); it != command.end() && has_v128(*it)) return true;
    if (auto action = command.find("action"); action != command.end() && action->is_object())
        if (auto args = action->find("args"); args != action->end() && has_v128(*args)) return true;
    return false;
}

} // namespace cirrus::wasm::wast
