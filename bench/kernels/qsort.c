/* qsort: quicksort of `n` pseudo-random int32 (median-of-three Hoare partition, insertion
 * sort for short ranges, recursion on the smaller side); measures compares, unpredictable
 * branches, swaps and recursion. */
#include "kernel.h"

#define QSORT_MAX (1 << 21)

static int32_t values[QSORT_MAX];

static void insertion_sort(int32_t* v, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i <= hi; ++i) {
        int32_t x = v[i];
        int32_t j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            --j;
        }
        v[j + 1] = x;
    }
}

static inline void swap(int32_t* v, int32_t i, int32_t j) {
    int32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(int32_t* v, int32_t lo, int32_t hi) {
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(v, mid, lo);
        if (v[hi] < v[lo]) swap(v, hi, lo);
        if (v[hi] < v[mid]) swap(v, hi, mid);
        int32_t pivot = v[mid];
        int32_t i = lo - 1, j = hi + 1;
        for (;;) {
            do ++i;
            while (v[i] < pivot);
            do --j;
            while (v[j] > pivot);
            if (i >= j) break;
            swap(v, i, j);
        }
        /* [lo, j] and [j + 1, hi]; recurse into the smaller so the depth stays logarithmic. */
        if (j - lo < hi - j) {
            quicksort(v, lo, j);
            lo = j + 1;
        } else {
            quicksort(v, j + 1, hi);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

int64_t run(int32_t n) {
    if (n < 1 || n > QSORT_MAX) return -1;
    uint32_t seed = 0x2545f491u;
    for (int32_t i = 0; i < n; ++i) values[i] = (int32_t)prng_next(&seed);
    quicksort(values, 0, n - 1);
    uint64_t h = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (i > 0 && values[i - 1] > values[i]) return -2; /* not sorted */
        h = h * 31u + (uint32_t)values[i];
    }
    return checksum_finish(h);
}

KERNEL_SIZES(1000000, 10000)
