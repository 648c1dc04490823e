/* The few C library functions a wasm32 kernel may need without a libc: the compiler can
 * still emit calls to memcpy/memmove/memset/memcmp (for aggregate copies, say) even with
 * -ffreestanding. Linked into every kernel's wasm only; wasm-ld drops what is unused.
 * `no_builtin` keeps clang from turning these very loops back into calls to themselves. */
#include <stddef.h>
#include <stdint.h>

__attribute__((no_builtin)) void* memcpy(void* restrict dst, const void* restrict src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    while (n--) *d++ = *s++;
    return dst;
}

__attribute__((no_builtin)) void* memmove(void* dst, const void* src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

__attribute__((no_builtin)) void* memset(void* dst, int c, size_t n) {
    unsigned char* d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

__attribute__((no_builtin)) int memcmp(const void* a, const void* b, size_t n) {
    const unsigned char* x = a;
    const unsigned char* y = b;
    for (size_t i = 0; i < n; ++i) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}
