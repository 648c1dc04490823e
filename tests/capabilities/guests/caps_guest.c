// A wasi:cli/command guest in C (wasi-libc, through jco's preview1 command adapter) that uses
// the capability interfaces, with the canonical ABI glue written by hand (no wit-bindgen):
// each import is declared with its lowered core signature, and results that do not fit one
// core value come back through a return area whose layout is given beside it.
// argv[1] picks what it does; results go to stdout, one line each:
//   log LEVEL CONTEXT MESSAGE   wasi:logging log (LEVEL: 0 trace .. 5 critical)
//   config KEY...               wasi:config get for each key, then get-all
//   secret NAME...              wasmcloud:secrets get + reveal (prints the value's length only)
//   secret-show NAME            reveals and prints the value (to check what the guest sees)
// Built with -DCAPS_LEGACY against unversioned wasi:logging and wasi:config/runtime.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

// The adapter allocates through the module's cabi_realloc; malloc's memory keeps them apart.
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                 size_t align, size_t new_size) {
    (void)old_size;
    (void)align;
    return realloc(ptr, new_size);
}

#ifdef CAPS_LEGACY
#define LOGGING "wasi:logging/logging"
#define CONFIG "wasi:config/runtime@0.2.0-draft"
#else
#define LOGGING "wasi:logging/logging@0.1.0-draft"
#define CONFIG "wasi:config/store@0.2.0-draft"
#define SECRETS "wasmcloud:secrets/store@0.1.0-draft"
#define REVEAL "wasmcloud:secrets/reveal@0.1.0-draft"
#endif

// A return area: 8-aligned, big enough for every result used here.
typedef struct {
    _Alignas(8) uint8_t bytes[40];
} Ret;
static uint8_t u8_at(const Ret* r, int off) {
    return r->bytes[off];
}
static uint32_t u32_at(const Ret* r, int off) {
    uint32_t v;
    memcpy(&v, r->bytes + off, 4);
    return v;
}

// ---------------------------------------------------------------- wasi:logging

// log: func(level: level, context: string, message: string)
IMPORT(LOGGING, "log")
void logging_log(int32_t level, const char* ctx, size_t ctx_len, const char* msg, size_t msg_len);

static int do_log(int argc, char** argv) {
    if (argc < 5) return 2;
    logging_log(atoi(argv[2]), argv[3], strlen(argv[3]), argv[4], strlen(argv[4]));
    printf("logged\n");
    return 0;
}

// ---------------------------------------------------------------- wasi:config

// get: func(key: string) -> result<option<string>, error>
//   0: result (0 ok, 1 err); ok: 4 option (0 none, 1 some), 8 ptr, 12 len;
//   err: 4 case (0 upstream, 1 io), 8 ptr, 12 len
IMPORT(CONFIG, "get") void config_get(const char* key, size_t len, Ret* ret);
// get-all: func() -> result<list<tuple<string, string>>, error>
//   0: result; ok: 4 ptr, 8 len (elements 16 bytes: key ptr, key len, value ptr, value len)
IMPORT(CONFIG, "get-all") void config_get_all(Ret* ret);

static int do_config(int argc, char** argv) {
    Ret r;
    for (int i = 2; i < argc; i++) {
        config_get(argv[i], strlen(argv[i]), &r);
        if (u8_at(&r, 0) != 0)
            printf("get %s: error %.*s\n", argv[i], (int)u32_at(&r, 12),
                   (const char*)u32_at(&r, 8));
        else if (u8_at(&r, 4) == 0)
            printf("get %s: none\n", argv[i]);
        else
            printf("get %s: %.*s\n", argv[i], (int)u32_at(&r, 12), (const char*)u32_at(&r, 8));
    }
    config_get_all(&r);
    if (u8_at(&r, 0) != 0) {
        printf("get-all: error\n");
        return 1;
    }
    const uint32_t* e = (const uint32_t*)u32_at(&r, 4);
    uint32_t n = u32_at(&r, 8);
    printf("get-all: %u\n", n);
    for (uint32_t i = 0; i < n; i++, e += 4)
        printf("  %.*s=%.*s\n", (int)e[1], (const char*)e[0], (int)e[3], (const char*)e[2]);
    return 0;
}

// ---------------------------------------------------------------- wasmcloud:secrets

#ifdef SECRETS
// get: func(key: string) -> result<secret, secrets-error>
//   0: result; ok: 4 handle; err: 4 case (0 upstream, 1 io, 2 not-found), 8 ptr, 12 len
IMPORT(SECRETS, "get") void secrets_get(const char* key, size_t len, Ret* ret);
IMPORT(SECRETS, "[resource-drop]secret") void secret_drop(int32_t handle);
// reveal: func(s: borrow<secret>) -> secret-value
//   0: case (0 string, 1 bytes), 4 ptr, 8 len
IMPORT(REVEAL, "reveal") void secrets_reveal(int32_t handle, Ret* ret);

static int do_secret(int argc, char** argv, int show) {
    for (int i = 2; i < argc; i++) {
        Ret r;
        secrets_get(argv[i], strlen(argv[i]), &r);
        if (u8_at(&r, 0) != 0) {
            static const char* cases[] = {"upstream", "io", "not-found"};
            uint8_t c = u8_at(&r, 4);
            printf("secret %s: %s\n", argv[i], c < 3 ? cases[c] : "?");
            continue;
        }
        int32_t h = (int32_t)u32_at(&r, 4);
        Ret v;
        secrets_reveal(h, &v);
        const char* kind = u8_at(&v, 0) == 0 ? "string" : "bytes";
        if (show)
            printf("secret %s: %s %.*s\n", argv[i], kind, (int)u32_at(&v, 8),
                   (const char*)u32_at(&v, 4));
        else
            printf("secret %s: %s of %u bytes\n", argv[i], kind, u32_at(&v, 8));
        secret_drop(h);
    }
    return 0;
}
#endif

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "log") == 0) return do_log(argc, argv);
    if (strcmp(mode, "config") == 0) return do_config(argc, argv);
#ifdef SECRETS
    if (strcmp(mode, "secret") == 0) return do_secret(argc, argv, 0);
    if (strcmp(mode, "secret-show") == 0) return do_secret(argc, argv, 1);
#endif
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
