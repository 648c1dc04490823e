// A wasi:cli/command guest in C (wasi-libc, through jco's preview1 command adapter) that uses
// the capability interfaces, with the canonical ABI glue written by hand (no wit-bindgen):
// each import is declared with its lowered core signature, and results that do not fit one
// core value come back through a return area whose layout is given beside it.
// argv[1] picks what it does; results go to stdout, one line each:
//   log LEVEL CONTEXT MESSAGE   wasi:logging log (LEVEL: 0 trace .. 5 critical)
//   config KEY...               wasi:config get for each key, then get-all
//   secret NAME...              wasmcloud:secrets get + reveal (prints the value's length only)
//   secret-show NAME            reveals and prints the value (to check what the guest sees)
//   kv BUCKET OP ARGS OP ARGS...  wasi:keyvalue: opens BUCKET, then runs each OP:
//       set K V | get K | del K | exists K | incr K DELTA | list | fill N | getmany N K... |
//       setmany N K V ... | delmany N K... | bigkey N | bigvalue N | bench N
//   The exported wasi:keyvalue/watcher prints what it is told.
// Built with -DCAPS_LEGACY against unversioned wasi:logging and wasi:config/runtime.
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#define KV_STORE "wasi:keyvalue/store@0.2.0-draft"
#define KV_ATOMICS "wasi:keyvalue/atomics@0.2.0-draft"
#define KV_BATCH "wasi:keyvalue/batch@0.2.0-draft"
#define KV_WATCHER "wasi:keyvalue/watcher@0.2.0-draft"
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
#ifdef KV_STORE
static uint64_t u64_at(const Ret* r, int off) {
    uint64_t v;
    memcpy(&v, r->bytes + off, 8);
    return v;
}
#endif

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

// ---------------------------------------------------------------- wasi:keyvalue

#ifdef KV_STORE
// Return areas of result<T, error>: 0 result (0 ok, 1 err), the payload at 4 (or 8 when T has
// 8-byte alignment); error: case (0 no-such-store, 1 access-denied, 2 other), message at +4.
// open: func(identifier: string) -> result<bucket, error>          ok: 4 handle
IMPORT(KV_STORE, "open") void kv_open(const char* id, size_t len, Ret* ret);
IMPORT(KV_STORE, "[resource-drop]bucket") void kv_drop(int32_t bucket);
// get: func(key: string) -> result<option<list<u8>>, error>        ok: 4 option, 8 ptr, 12 len
IMPORT(KV_STORE, "[method]bucket.get")
void kv_get(int32_t self, const char* key, size_t len, Ret* ret);
// set: func(key: string, value: list<u8>) -> result<_, error>
IMPORT(KV_STORE, "[method]bucket.set")
void kv_set(int32_t self, const char* key, size_t len, const void* value, size_t vlen, Ret* ret);
// delete: func(key: string) -> result<_, error>
IMPORT(KV_STORE, "[method]bucket.delete")
void kv_delete(int32_t self, const char* key, size_t len, Ret* ret);
// exists: func(key: string) -> result<bool, error>                 ok: 4 bool
IMPORT(KV_STORE, "[method]bucket.exists")
void kv_exists(int32_t self, const char* key, size_t len, Ret* ret);
// list-keys: func(cursor: option<u64>) -> result<key-response, error>
//   payload at 8: keys ptr 8, len 12, cursor option 16, value 24; error case 8, message 12
IMPORT(KV_STORE, "[method]bucket.list-keys")
void kv_list_keys(int32_t self, int32_t has_cursor, uint64_t cursor, Ret* ret);
// increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>
//   payload at 8: ok u64; error case 8, message 12
IMPORT(KV_ATOMICS, "increment")
void kv_increment(int32_t bucket, const char* key, size_t len, uint64_t delta, Ret* ret);
// get-many: func(bucket, keys: list<string>) -> result<list<option<tuple<string, list<u8>>>>,
//   error>: ok 4 ptr, 8 len; elements 20 bytes: option 0, key 4/8, value 12/16
IMPORT(KV_BATCH, "get-many")
void kv_get_many(int32_t bucket, const uint32_t* keys, size_t n, Ret* ret);
// set-many: func(bucket, key-values: list<tuple<string, list<u8>>>) -> result<_, error>
IMPORT(KV_BATCH, "set-many")
void kv_set_many(int32_t bucket, const uint32_t* pairs, size_t n, Ret* ret);
// delete-many: func(bucket, keys: list<string>) -> result<_, error>
IMPORT(KV_BATCH, "delete-many")
void kv_delete_many(int32_t bucket, const uint32_t* keys, size_t n, Ret* ret);

// Prints `what: error ...` and returns 1 when the result at `r` is an error with its payload
// at `at`.
static int kv_failed(const char* what, const Ret* r, int at) {
    if (u8_at(r, 0) == 0) return 0;
    static const char* cases[] = {"no-such-store", "access-denied", "other"};
    uint8_t c = u8_at(r, at);
    if (c == 2)
        printf("%s: error other: %.*s\n", what, (int)u32_at(r, at + 8),
               (const char*)u32_at(r, at + 4));
    else
        printf("%s: error %s\n", what, c < 2 ? cases[c] : "?");
    return 1;
}

static int cmp_str(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

static void kv_list(int32_t b) {
    size_t n = 0, cap = 64, pages = 0;
    char** keys = malloc(cap * sizeof *keys);
    int has = 0;
    uint64_t cursor = 0;
    do {
        Ret r;
        kv_list_keys(b, has, cursor, &r);
        if (kv_failed("list", &r, 8)) return;
        pages++;
        const uint32_t* ks = (const uint32_t*)u32_at(&r, 8);
        for (uint32_t i = 0; i < u32_at(&r, 12); i++) {
            if (n == cap) keys = realloc(keys, (cap *= 2) * sizeof *keys);
            keys[n] = strndup((const char*)ks[2 * i], ks[2 * i + 1]);
            n++;
        }
        has = u8_at(&r, 16);
        cursor = u64_at(&r, 24);
    } while (has);
    qsort(keys, n, sizeof *keys, cmp_str);
    // Keys listed twice (a cursor that revisits) would show here.
    printf("list: %zu keys in %zu pages:", n, pages);
    for (size_t i = 0; i < n && i < 8; i++) printf(" %s", keys[i]);
    printf(n > 8 ? " ...\n" : "\n");
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int do_kv(int argc, char** argv) {
    if (argc < 3) return 2;
    Ret r;
    kv_open(argv[2], strlen(argv[2]), &r);
    if (kv_failed("open", &r, 4)) return 0;
    int32_t b = (int32_t)u32_at(&r, 4);
    for (int i = 3; i < argc; i++) {
        const char* op = argv[i];
        const char* k = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(op, "set") == 0 && i + 2 < argc) {
            kv_set(b, k, strlen(k), argv[i + 2], strlen(argv[i + 2]), &r);
            if (!kv_failed("set", &r, 4)) printf("set %s: ok\n", k);
            i += 2;
        } else if (strcmp(op, "get") == 0) {
            kv_get(b, k, strlen(k), &r);
            if (!kv_failed("get", &r, 4)) {
                if (u8_at(&r, 4))
                    printf("get %s: %.*s\n", k, (int)u32_at(&r, 12), (const char*)u32_at(&r, 8));
                else
                    printf("get %s: none\n", k);
            }
            i++;
        } else if (strcmp(op, "del") == 0) {
            kv_delete(b, k, strlen(k), &r);
            if (!kv_failed("del", &r, 4)) printf("del %s: ok\n", k);
            i++;
        } else if (strcmp(op, "exists") == 0) {
            kv_exists(b, k, strlen(k), &r);
            if (!kv_failed("exists", &r, 4)) printf("exists %s: %s\n", k, u8_at(&r, 4) ? "yes" : "no");
            i++;
        } else if (strcmp(op, "incr") == 0 && i + 2 < argc) {
            kv_increment(b, k, strlen(k), strtoull(argv[i + 2], NULL, 10), &r);
            if (!kv_failed("incr", &r, 8)) printf("incr %s: %" PRIu64 "\n", k, u64_at(&r, 8));
            i += 2;
        } else if (strcmp(op, "list") == 0) {
            kv_list(b);
        } else if (strcmp(op, "fill") == 0) {
            // fill N: set-many of keys k00000.. with values v00000..
            size_t n = strtoul(k, NULL, 10);
            uint32_t* pairs = malloc(n * 16);
            char* text = malloc(n * 12);
            for (size_t j = 0; j < n; j++) {
                sprintf(text + j * 12, "k%05zu", j);
                sprintf(text + j * 12 + 6, "v%05zu", j);
                pairs[4 * j] = (uint32_t)(text + j * 12);
                pairs[4 * j + 1] = 6;
                pairs[4 * j + 2] = (uint32_t)(text + j * 12 + 6);
                pairs[4 * j + 3] = 6;
            }
            kv_set_many(b, pairs, n, &r);
            if (!kv_failed("fill", &r, 4)) printf("fill %zu: ok\n", n);
            i++;
        } else if ((strcmp(op, "getmany") == 0 || strcmp(op, "delmany") == 0) && i + 1 < argc) {
            size_t n = strtoul(k, NULL, 10);
            uint32_t* keys = malloc(n * 8 + 8);
            for (size_t j = 0; j < n && i + 2 + (int)j < argc; j++) {
                keys[2 * j] = (uint32_t)argv[i + 2 + j];
                keys[2 * j + 1] = strlen(argv[i + 2 + j]);
            }
            if (op[0] == 'g') {
                kv_get_many(b, keys, n, &r);
                if (!kv_failed("getmany", &r, 4)) {
                    const uint8_t* e = (const uint8_t*)u32_at(&r, 4);
                    printf("getmany:");
                    for (uint32_t j = 0; j < u32_at(&r, 8); j++, e += 20) {
                        const uint32_t* w = (const uint32_t*)(e + 4);
                        if (e[0])
                            printf(" %.*s=%.*s", (int)w[1], (const char*)w[0], (int)w[3],
                                   (const char*)w[2]);
                        else
                            printf(" none");
                    }
                    printf("\n");
                }
            } else {
                kv_delete_many(b, keys, n, &r);
                if (!kv_failed("delmany", &r, 4)) printf("delmany %zu: ok\n", n);
            }
            i += 1 + (int)n;
        } else if (strcmp(op, "setmany") == 0 && i + 1 < argc) {
            size_t n = strtoul(k, NULL, 10);
            uint32_t* pairs = malloc(n * 16 + 16);
            for (size_t j = 0; j < n && i + 3 + 2 * (int)j < argc; j++) {
                pairs[4 * j] = (uint32_t)argv[i + 2 + 2 * j];
                pairs[4 * j + 1] = strlen(argv[i + 2 + 2 * j]);
                pairs[4 * j + 2] = (uint32_t)argv[i + 3 + 2 * j];
                pairs[4 * j + 3] = strlen(argv[i + 3 + 2 * j]);
            }
            kv_set_many(b, pairs, n, &r);
            if (!kv_failed("setmany", &r, 4)) printf("setmany %zu: ok\n", n);
            i += 1 + 2 * (int)n;
        } else if (strcmp(op, "bigkey") == 0 || strcmp(op, "bigvalue") == 0) {
            size_t n = strtoul(k, NULL, 10);
            char* big = malloc(n + 1);
            memset(big, 'x', n);
            big[n] = 0;
            if (op[3] == 'k')
                kv_set(b, big, n, "v", 1, &r);
            else
                kv_set(b, "big", 3, big, n, &r);
            if (!kv_failed(op, &r, 4)) printf("%s %zu: ok\n", op, n);
            free(big);
            i++;
        } else if (strcmp(op, "bench") == 0) {
            // bench N: N sets then N gets of 100-byte values; prints the time of each loop.
            size_t n = strtoul(k, NULL, 10);
            char value[100], key[16];
            memset(value, 'v', sizeof value);
            uint64_t t0 = now_ns();
            for (size_t j = 0; j < n; j++) {
                int len = sprintf(key, "b%zu", j % 1000);
                kv_set(b, key, (size_t)len, value, sizeof value, &r);
                if (kv_failed("bench set", &r, 4)) return 1;
            }
            uint64_t t1 = now_ns();
            for (size_t j = 0; j < n; j++) {
                int len = sprintf(key, "b%zu", j % 1000);
                kv_get(b, key, (size_t)len, &r);
                if (kv_failed("bench get", &r, 4)) return 1;
                free((void*)u32_at(&r, 8));
            }
            uint64_t t2 = now_ns();
            printf("bench %zu: set %" PRIu64 " ns get %" PRIu64 " ns\n", n, t1 - t0, t2 - t1);
            i++;
        } else {
            printf("unknown op %s\n", op);
            return 2;
        }
    }
    kv_drop(b);
    return 0;
}

// The exported watcher: told of changes to watched buckets.
__attribute__((export_name(KV_WATCHER "#on-set"))) void on_set(int32_t bucket, char* key,
                                                               size_t klen, uint8_t* value,
                                                               size_t vlen) {
    printf("watch set %.*s=%.*s\n", (int)klen, key, (int)vlen, (const char*)value);
    free(key);
    free(value);
    kv_drop(bucket);
}
__attribute__((export_name(KV_WATCHER "#on-delete"))) void on_delete(int32_t bucket, char* key,
                                                                     size_t klen) {
    printf("watch delete %.*s\n", (int)klen, key);
    free(key);
    kv_drop(bucket);
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
#ifdef KV_STORE
    if (strcmp(mode, "kv") == 0) return do_kv(argc, argv);
#endif
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
