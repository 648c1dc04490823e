// Small helpers for the numeric instructions whose semantics are not a plain C++ operator:
// bitwise float sign operations (which must keep NaN payloads), wasm's min/max (NaN- and
// signed-zero-aware), trapping integer division, and float-to-int truncation.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace cirrus::wasm::detail {

template <typename F>
using FloatBits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;

template <typename F>
constexpr FloatBits<F> sign_bit = FloatBits<F>(1) << (sizeof(F) * 8 - 1);

template <typename F>
inline F fabs_bits(F a) {
    return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) & ~sign_bit<F>);
}
template <typename F>
inline F fneg_bits(F a) {
    return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) ^ sign_bit<F>);
}
template <typename F>
inline F copysign_bits(F a, F b) {
    auto ab = std::bit_cast<FloatBits<F>>(a) & ~sign_bit<F>;
    auto bb = std::bit_cast<FloatBits<F>>(b) & sign_bit<F>;
    return std::bit_cast<F>(ab | bb);
}
// Rounding functions from libm may hand a signalling NaN back unchanged; the spec wants an
// arithmetic (quiet) NaN, so set the quiet bit of any NaN result.
template <typename F>
inline F canon(F a) {
    if (!std::isnan(a)) return a;
    constexpr FloatBits<F> quiet = FloatBits<F>(1) << (std::numeric_limits<F>::digits - 2);
    return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) | quiet);
}

// NaN if either operand is NaN; -0 is less than +0.
template <typename F>
inline F fmin_wasm(F a, F b) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<F>::quiet_NaN();
    if (a == b) return std::signbit(a) ? a : b;
    return a < b ? a : b;
}
template <typename F>
inline F fmax_wasm(F a, F b) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<F>::quiet_NaN();
    if (a == b) return std::signbit(a) ? b : a;
    return a > b ? a : b;
}

enum class NumTrap : uint8_t { None, DivByZero, Overflow, InvalidConversion };

template <typename S>
inline NumTrap div_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b,
                     std::make_unsigned_t<S>& out) {
    S sa = static_cast<S>(a), sb = static_cast<S>(b);
    if (sb == 0) return NumTrap::DivByZero;
    if (sa == std::numeric_limits<S>::min() && sb == -1) return NumTrap::Overflow;
    out = static_cast<std::make_unsigned_t<S>>(sa / sb);
    return NumTrap::None;
}
template <typename U>
inline NumTrap div_u(U a, U b, U& out) {
    if (b == 0) return NumTrap::DivByZero;
    out = a / b;
    return NumTrap::None;
}
template <typename S>
inline NumTrap rem_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b,
                     std::make_unsigned_t<S>& out) {
    S sa = static_cast<S>(a), sb = static_cast<S>(b);
    if (sb == 0) return NumTrap::DivByZero;
    if (sb == -1) {
        out = 0;
        return NumTrap::None;
    }
    out = static_cast<std::make_unsigned_t<S>>(sa % sb);
    return NumTrap::None;
}
template <typename U>
inline NumTrap rem_u(U a, U b, U& out) {
    if (b == 0) return NumTrap::DivByZero;
    out = a % b;
    return NumTrap::None;
}

template <typename I, typename F>
inline NumTrap trunc_checked(F f, I& out) {
    if (std::isnan(f)) return NumTrap::InvalidConversion;
    F t = std::trunc(f);
    constexpr int bits = sizeof(I) * 8;
    if constexpr (std::is_signed_v<I>) {
        const F lo = -std::ldexp(F(1), bits - 1);
        const F hi = std::ldexp(F(1), bits - 1);
        if (!(t >= lo && t < hi)) return NumTrap::Overflow;
    } else {
        const F hi = std::ldexp(F(1), bits);
        if (!(t > F(-1) && t < hi)) return NumTrap::Overflow;
    }
    out = static_cast<I>(t);
    return NumTrap::None;
}

template <typename I, typename F>
inline I trunc_saturating(F f) {
    if (std::isnan(f)) return 0;
    F t = std::trunc(f);
    constexpr int bits = sizeof(I) * 8;
    if constexpr (std::is_signed_v<I>) {
        const F lo = -std::ldexp(F(1), bits - 1);
        const F hi = std::ldexp(F(1), bits - 1);
        if (t < lo) return std::numeric_limits<I>::min();
        if (t >= hi) return std::numeric_limits<I>::max();
    } else {
        const F hi = std::ldexp(F(1), bits);
        if (t <= F(-1)) return 0;
        if (t >= hi) return std::numeric_limits<I>::max();
    }
    return static_cast<I>(t);
}

} // namespace cirrus::wasm::detail
