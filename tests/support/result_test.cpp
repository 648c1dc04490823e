// Result<T> carries either a value or an Error, and CIRRUS_TRY passes errors upward.
#include "cirrus/support/result.h"

#include <gtest/gtest.h>

namespace cirrus {
namespace {

Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return make_error(ErrorKind::Malformed, std::string("not a digit: ") + c);
    return c - '0';
}

Result<int> sum_digits(std::string_view s) {
    int total = 0;
    for (char c : s) {
        CIRRUS_TRY_ASSIGN(int d, parse_digit(c));
        total += d;
    }
    return total;
}

TEST(Result, ValueAndErrorPropagate) {
    auto good = sum_digits("123");
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 6);
    auto bad = sum_digits("1x3");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::Malformed);
    EXPECT_EQ(bad.error().message, "not a digit: x");
}

TEST(Result, BacktraceRendering) {
    Error e(ErrorKind::Trap, "unreachable");
    e.backtrace = {"f", "main"};
    EXPECT_EQ(e.to_string(), "unreachable\nwasm backtrace:\n  0: f\n  1: main");
    EXPECT_TRUE(e.is_trap());
}

} // namespace
} // namespace cirrus
