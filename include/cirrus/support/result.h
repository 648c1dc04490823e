// Errors as values: every fallible operation in cirrus returns Result<T>, which holds either
// a T or an Error that says what went wrong and where (byte offset, function, file:line).
// Traps raised by a guest are Errors of kind Trap that also carry a wasm backtrace.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cirrus {

enum class ErrorKind {
    Malformed,  // the binary or text cannot be decoded
    Invalid,    // decoded, but breaks a typing or validation rule
    Unlinkable, // an import cannot be satisfied
    Trap,       // a guest trapped (at instantiation or in a call)
    Exhaustion, // call stack or other resource exhausted (a trap too)
    Io,         // file or network failure
    Usage,      // bad arguments from a user or host program
    Limit,      // a configured limit was hit (memory, table, deadline, fuel)
    Other,
};

const char* error_kind_name(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::Other;
    std::string message;
    // Wasm call frames, innermost first, for traps; empty otherwise.
    std::vector<std::string> backtrace;

    Error() = default;
    Error(ErrorKind k, std::string msg) : kind(k), message(std::move(msg)) {}

    // The message with the backtrace, one frame a line, as a user sees it.
    std::string to_string() const;
    bool is_trap() const { return kind == ErrorKind::Trap || kind == ErrorKind::Exhaustion; }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}
    template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error>) Result(U&& value)
        : data_(std::in_place_index<0>, T(std::forward<U>(value))) {}

    bool ok() const { return data_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(data_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(data_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(data_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(data_);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(data_));
    }

private:
    std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    void value() const { assert(ok_); }
    const Error& error() const& {
        assert(!ok_);
        return error_;
    }
    Error&& error() && {
        assert(!ok_);
        return std::move(error_);
    }

private:
    Error error_;
    bool ok_ = true;
};

// Builds an Error from a kind and a message.
inline Error make_error(ErrorKind kind, std::string message) {
    return Error(kind, std::move(message));
}

} // namespace cirrus

// Evaluates a Result expression and returns its error from the enclosing function on failure.
#define CIRRUS_TRY(expr)                                                                           \
    do {                                                                                           \
        auto&& cirrus_try_result_ = (expr);                                                        \
        if (!cirrus_try_result_.ok()) return std::move(cirrus_try_result_).error();                \
    } while (0)

#define CIRRUS_CONCAT_INNER_(a, b) a##b
#define CIRRUS_CONCAT_(a, b) CIRRUS_CONCAT_INNER_(a, b)
// Declares `decl` from the value of a Result, or returns its error.
#define CIRRUS_TRY_ASSIGN(decl, expr)                                                              \
    CIRRUS_TRY_ASSIGN_IMPL_(CIRRUS_CONCAT_(cirrus_try_tmp_, __COUNTER__), decl, expr)
#define CIRRUS_TRY_ASSIGN_IMPL_(tmp, decl, expr)                                                   \
    auto tmp = (expr);                                                                             \
    if (!tmp.ok()) return std::move(tmp).error();                                                  \
    decl = std::move(tmp).value()
