/* matmul: C = A * B for n x n matrices of double (i-k-j order); measures f64 arithmetic and
 * strided loads and stores. The checksum hashes every element's bits, so native and wasm
 * must agree exactly (no FMA contraction on either side: x86-64 baseline and wasm lack it). */
#include "kernel.h"

#define MATMUL_MAX 512

static double a[MATMUL_MAX * MATMUL_MAX];
static double b[MATMUL_MAX * MATMUL_MAX];
static double c[MATMUL_MAX * MATMUL_MAX];

int64_t run(int32_t n) {
    if (n < 1 || n > MATMUL_MAX) return -1;
    uint32_t size = (uint32_t)n;
    uint32_t seed = 0x1234567u;
    for (uint32_t i = 0; i < size * size; ++i) {
        a[i] = (double)(prng_next(&seed) % 2001u) / 1000.0 - 1.0;
        b[i] = (double)(prng_next(&seed) % 2001u) / 1000.0 - 1.0;
        c[i] = 0.0;
    }
    for (uint32_t i = 0; i < size; ++i) {
        double* c_row = &c[i * size];
        for (uint32_t k = 0; k < size; ++k) {
            double a_ik = a[i * size + k];
            const double* b_row = &b[k * size];
            for (uint32_t j = 0; j < size; ++j) c_row[j] += a_ik * b_row[j];
        }
    }
    uint64_t h = 0;
    for (uint32_t i = 0; i < size * size; ++i) h = checksum_mix(h, double_bits(c[i]));
    return checksum_finish(h);
}

KERNEL_SIZES(500, 40)
