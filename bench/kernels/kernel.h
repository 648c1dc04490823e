/* What every CPU kernel shares: fixed-width types, the three entry points and a small PRNG.
 *
 * A kernel defines `int64_t run(int32_t n)`, which does the work for size `n` and returns a
 * checksum, and states its sizes with KERNEL_SIZES. The same source is built
 * twice: to wasm32 (clang, no libc) and natively (gcc) into the native driver, where
 * CMake renames the entry points (-Drun=fib_run ...) so that all kernels link together.
 * The checksum lets every runner check that it computed what native code computed, so it
 * must not depend on pointer or `long` size: kernels use fixed-width types only.
 *
 * `bench()` runs the default size and exists for `wasm-interp --run-all-exports`, which
 * can only call exports without parameters. */
#ifndef CIRRUS_BENCH_KERNEL_H
#define CIRRUS_BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* `noinline` keeps `bench` from being specialised for its constant: every runner must run
 * the same code for `run`. */
int64_t run(int32_t n) __attribute__((noinline));

/* `bench_n()` is the size run_kernels.sh times (native runs ~50-150 ms); `smoke_n()` is a
 * small one for the ctest smoke test, which checks cirrus against native in any build. */
#define KERNEL_SIZES(default_n, smoke_size)                                                        \
    int32_t bench_n(void);                                                                         \
    int32_t smoke_n(void);                                                                         \
    int64_t bench(void);                                                                           \
    int32_t bench_n(void) {                                                                        \
        return default_n;                                                                          \
    }                                                                                              \
    int32_t smoke_n(void) {                                                                        \
        return smoke_size;                                                                         \
    }                                                                                              \
    int64_t bench(void) {                                                                          \
        return run(default_n);                                                                     \
    }

/* Checksums are reported as non-negative so that every runner prints them the same way
 * (wasm-interp prints an i64 as unsigned, node as signed). */
static inline int64_t checksum_finish(uint64_t h) {
    return (int64_t)(h & 0x7fffffffffffffffull);
}

/* Folds one 64-bit word into a running hash (a multiply-xorshift mix). */
static inline uint64_t checksum_mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 29);
}

/* xorshift32: a deterministic pseudo-random stream, identical on every target. */
static inline uint32_t prng_next(uint32_t* state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* The bit pattern of a double, so float results are compared exactly. */
static inline uint64_t double_bits(double d) {
    union {
        double d;
        uint64_t u;
    } pun;
    pun.d = d;
    return pun.u;
}

#endif
