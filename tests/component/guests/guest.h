// What the C test guests share: no libc, a bump allocator exported as `cabi_realloc`, and the
// attributes that name wasm imports and exports as the canonical ABI expects them.
#pragma once

typedef __SIZE_TYPE__ size_t;
typedef unsigned int uint32_t;

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

static unsigned char heap[1 << 16];
static size_t heap_top = 8;

void* memcpy(void* dst, const void* src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    while (n--) *d++ = *s++;
    return dst;
}

EXPORT("cabi_realloc")
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t new_size) {
    size_t p = (heap_top + align - 1) & ~(align - 1);
    heap_top = p + new_size;
    if (old) memcpy(heap + p, old, old_size < new_size ? old_size : new_size);
    return heap + p;
}
