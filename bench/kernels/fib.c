/* fib: doubly recursive Fibonacci; measures calls and returns (frame set-up, argument
 * passing), the part of an interpreter that loops and arithmetic hide. */
#include "kernel.h"

static int32_t fib(int32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int64_t run(int32_t n) {
    return checksum_finish((uint64_t)fib(n));
}

KERNEL_SIZES(37, 20)
