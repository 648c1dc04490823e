// Values in wast2json's JSON: arguments of actions and the expected results of assert_return,
// which may be patterns (nan:canonical, nan:arithmetic) rather than one bit pattern.
#pragma once

#include "cirrus/support/result.h"
#include "cirrus/wasm/types.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace cirrus::wasm::wast {

// wast2json's type names ("i32", ..., "funcref", "externref"); v128 and unknown names are
// errors, since a Value cannot hold a v128.
Result<ValType> parse_val_type(std::string_view name);

// An argument: {"type": "i32", "value": "4294967295"}. Numbers are the unsigned decimal of the
// bit pattern; references are "null" or, for externref, a number N that becomes the host
// pointer N + 1 so that `ref.extern 0` is not null and each N is distinct.
Result<Value> parse_value(const nlohmann::json& value);

// One expected result of assert_return.
struct ExpectedValue {
    enum class Kind {
        Exact,         // this type and these bits
        CanonicalNan,  // a NaN with the canonical payload, either sign (spec 4.3.3)
        ArithmeticNan, // a NaN with the quiet bit set, any payload, either sign
        NonNullRef,    // any non-null reference of this type (a funcref other than null)
    };
    ValType type = ValType::I32;
    Kind kind = Kind::Exact;
    uint64_t bits = 0;

    bool matches(const Value& actual) const;
    std::string to_string() const;
};

Result<ExpectedValue> parse_expected(const nlohmann::json& value);

// "i32:42", "f32:1.5 (0x3fc00000)", "externref:0" (the script's numbering), for reports.
std::string describe(const Value& value);

// True when the JSON object mentions a v128 value anywhere among its arguments or expected
// results; such commands are skipped because Value cannot carry 128 bits.
bool mentions_v128(const nlohmann::json& command);

} // namespace cirrus::wasm::wast
