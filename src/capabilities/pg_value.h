// wasmcloud:postgres's pg-value variant: its WIT type (every case, in the order the WIT gives)
// and the conversions between it and the SQL backends' SqlValue (backends/sql.h): to a bound
// parameter (PostgreSQL: the value in PostgreSQL's text format with the case's type OID;
// SQLite: the cases it can hold, others a clear error) and from a result column (by the
// column's PostgreSQL type, or SQLite's storage class).
#pragma once

#include "cirrus/component/types.h"
#include "cirrus/component/val.h"
#include "sql.h"

namespace cirrus::capabilities {

struct PgTypes {
    const component::ValType* pg_value = nullptr;
    const component::ValType* result_row = nullptr; // list<result-row-entry>
    const component::ValType* query_error = nullptr;
    const component::ValType* prepare_error = nullptr;
    const component::ValType* exec_error = nullptr;
};
PgTypes make_pg_types(component::TypeArena& arena);

// A pg-value as a parameter; an error (invalid params) names the case when the backend cannot
// take it.
Result<SqlValue> pg_param(const component::Val& value, bool postgres);
// A result column as a pg-value.
component::Val pg_result(const SqlValue& value);

// hashable-f64 (Rust's integer_decode: mantissa, exponent, sign) to and from a double.
double hashable_to_double(uint64_t mantissa, int16_t exponent, int8_t sign);
component::Val double_to_hashable(double v);

} // namespace cirrus::capabilities
