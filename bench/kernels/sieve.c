/* sieve: the sieve of Eratosthenes over a 1 MiB byte array, `n` passes; measures byte loads
 * and stores in tight loops with a data-dependent stride. */
#include "kernel.h"

#define SIEVE_LIMIT (1u << 20)

static uint8_t composite[SIEVE_LIMIT + 1];

static uint64_t sieve_once(uint32_t limit) {
    for (uint32_t i = 0; i <= limit; ++i) composite[i] = 0;
    for (uint32_t p = 2; p * p <= limit; ++p) {
        if (composite[p]) continue;
        for (uint32_t m = p * p; m <= limit; m += p) composite[m] = 1;
    }
    uint64_t count = 0, sum = 0;
    for (uint32_t i = 2; i <= limit; ++i) {
        if (!composite[i]) {
            ++count;
            sum += i;
        }
    }
    return count * 1000003u + sum;
}

int64_t run(int32_t n) {
    uint64_t h = 0;
    for (int32_t pass = 0; pass < n; ++pass) {
        /* A different limit each pass so no pass can be reused for the next. */
        h = checksum_mix(h, sieve_once(SIEVE_LIMIT - (uint32_t)(pass & 15)));
    }
    return checksum_finish(h);
}

KERNEL_SIZES(30, 1)
