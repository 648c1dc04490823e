// A wasi:cli/command guest in C (wasi-libc, jco's preview1 command adapter) over the data
// interfaces: wasi:blobstore, wasmcloud:messaging/consumer and wasmcloud:postgres, with the
// canonical ABI glue written by hand (no wit-bindgen). Each import is declared with its lowered
// core signature; results that do not fit one core value come back through a return area whose
// layout is given beside the declaration. argv[1] picks what it does; results go to stdout:
//   blob-put C NAME TEXT        creates container C if needed, writes TEXT through an
//                               outgoing-value's output-stream, write-data, finish
//   blob-fill C NAME N          blob-put of N bytes: "a", then "z"s, then "q"
//   blob-get C NAME [START END] get-data, read through the incoming-value's input-stream
//   blob-get-sync C NAME        get-data, incoming-value-consume-sync
//   blob-list C PAGE            list-objects, read-stream-object-names PAGE at a time
//   blob-info C NAME            object-info
//   blob-copy C A D B / blob-move C A D B   copy-object / move-object (C/A to D/B)
//   blob-delete C NAME          delete-object, then has-object
//   blob-drop C                 delete-container, then container-exists
//   pub SUBJECT BODY [REPLY]    consumer.publish
//   req SUBJECT BODY TIMEOUT    consumer.request
//   sql QUERY [PARAM...]        query; a PARAM is i:N (int8), t:TEXT (text), b:HEX (bytea),
//                               f:X (float8 as sign, mantissa, exponent), n (null), B:0/1 (bool)
//   sql-batch QUERY             query-batch
//   sql-prep QUERY [PARAM...]   prepare, then exec with the params; prints the rows affected
// An error value from the host prints as "error: ..." and exits 1.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                 size_t align, size_t new_size) {
    (void)old_size;
    (void)align;
    return realloc(ptr, new_size);
}

#define BLOBSTORE "wasi:blobstore/blobstore@0.2.0-draft"
#define CONTAINER "wasi:blobstore/container@0.2.0-draft"
#define TYPES "wasi:blobstore/types@0.2.0-draft"
#define STREAMS "wasi:io/streams@0.2.1"
#define CONSUMER "wasmcloud:messaging/consumer@0.2.0"
#define QUERY "wasmcloud:postgres/query@0.1.1-draft"
#define PREPARED "wasmcloud:postgres/prepared@0.1.1-draft"

typedef struct {
    _Alignas(8) uint8_t bytes[64];
} Ret;
static uint8_t u8_at(const Ret* r, int off) {
    return r->bytes[off];
}
static uint32_t u32_at(const Ret* r, int off) {
    uint32_t v;
    memcpy(&v, r->bytes + off, 4);
    return v;
}
static uint64_t u64_at(const Ret* r, int off) {
    uint64_t v;
    memcpy(&v, r->bytes + off, 8);
    return v;
}
static uint32_t load32(uint32_t addr) {
    uint32_t v;
    memcpy(&v, (const void*)addr, 4);
    return v;
}

// result<_, string> and friends: discriminant at 0, the error string at 4 (ptr) and 8 (len).
static int failed(const Ret* r, const char* what) {
    if (u8_at(r, 0) == 0) return 0;
    printf("error: %s: %.*s\n", what, (int)u32_at(r, 8), (const char*)u32_at(r, 4));
    return 1;
}

// ---------------------------------------------------------------- wasi:blobstore

// create-container / get-container: func(name) -> result<container, error>; ok handle at 4.
IMPORT(BLOBSTORE, "create-container") void bs_create(const char*, size_t, Ret*);
IMPORT(BLOBSTORE, "get-container") void bs_get(const char*, size_t, Ret*);
IMPORT(BLOBSTORE, "delete-container") void bs_delete(const char*, size_t, Ret*);
// container-exists: func(name) -> result<bool, error>; ok bool at 4.
IMPORT(BLOBSTORE, "container-exists") void bs_exists(const char*, size_t, Ret*);
// copy-object / move-object: func(src: object-id, dest: object-id) -> result<_, error>
IMPORT(BLOBSTORE, "copy-object")
void bs_copy(const char*, size_t, const char*, size_t, const char*, size_t, const char*, size_t,
             Ret*);
IMPORT(BLOBSTORE, "move-object")
void bs_move(const char*, size_t, const char*, size_t, const char*, size_t, const char*, size_t,
             Ret*);

IMPORT(CONTAINER, "[method]container.get-data")
void c_get_data(uint32_t, const char*, size_t, uint64_t, uint64_t, Ret*);
IMPORT(CONTAINER, "[method]container.write-data")
void c_write_data(uint32_t, const char*, size_t, uint32_t, Ret*);
IMPORT(CONTAINER, "[method]container.list-objects") void c_list(uint32_t, Ret*);
// object-info -> result<object-metadata, error>: ok record at 8: name 8/12, container 16/20,
// created-at 24, size 32.
IMPORT(CONTAINER, "[method]container.object-info")
void c_object_info(uint32_t, const char*, size_t, Ret*);
IMPORT(CONTAINER, "[method]container.has-object")
void c_has_object(uint32_t, const char*, size_t, Ret*);
IMPORT(CONTAINER, "[method]container.delete-object")
void c_delete_object(uint32_t, const char*, size_t, Ret*);
// read-stream-object-names: func(len: u64) -> result<tuple<list<object-name>, bool>, error>;
// ok: list at 4/8, end-of-stream bool at 12.
IMPORT(CONTAINER, "[method]stream-object-names.read-stream-object-names")
void names_read(uint32_t, uint64_t, Ret*);
IMPORT(CONTAINER, "[resource-drop]container") void drop_container(uint32_t);
IMPORT(CONTAINER, "[resource-drop]stream-object-names") void drop_names(uint32_t);

IMPORT(TYPES, "[static]outgoing-value.new-outgoing-value") uint32_t ov_new(void);
// outgoing-value-write-body: func() -> result<output-stream>; ok handle at 4.
IMPORT(TYPES, "[method]outgoing-value.outgoing-value-write-body") void ov_body(uint32_t, Ret*);
IMPORT(TYPES, "[static]outgoing-value.finish") void ov_finish(uint32_t, Ret*);
IMPORT(TYPES, "[static]incoming-value.incoming-value-consume-async") void iv_async(uint32_t, Ret*);
// consume-sync -> result<list<u8>, error>; ok list at 4/8.
IMPORT(TYPES, "[static]incoming-value.incoming-value-consume-sync") void iv_sync(uint32_t, Ret*);
IMPORT(TYPES, "[method]incoming-value.size") uint64_t iv_size(uint32_t);

// blocking-write-and-flush -> result<_, stream-error>; blocking-read -> result<list<u8>,
// stream-error>: ok list at 4/8; err: stream-error case at 4 (0 last-operation-failed, 1 closed).
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush")
void os_write(uint32_t, const void*, size_t, Ret*);
IMPORT(STREAMS, "[method]input-stream.blocking-read") void is_read(uint32_t, uint64_t, Ret*);
IMPORT(STREAMS, "[resource-drop]output-stream") void drop_output(uint32_t);
IMPORT(STREAMS, "[resource-drop]input-stream") void drop_input(uint32_t);

static int open_container(const char* name, int create, uint32_t* out) {
    Ret r;
    bs_get(name, strlen(name), &r);
    if (u8_at(&r, 0) != 0 && create) bs_create(name, strlen(name), &r);
    if (failed(&r, "container")) return 1;
    *out = u32_at(&r, 4);
    return 0;
}

static int blob_put(int argc, char** argv) {
    if (argc < 5) return 2;
    // blob-fill: TEXT is a byte count; the value is 'a', then 'z's, then 'q'.
    if (!strcmp(argv[1], "blob-fill")) {
        size_t n = strtoul(argv[4], 0, 10);
        char* fill = malloc(n + 1);
        memset(fill, 'z', n);
        fill[0] = 'a';
        fill[n - 1] = 'q';
        fill[n] = 0;
        argv[4] = fill;
    }
    uint32_t c;
    if (open_container(argv[2], 1, &c)) return 1;
    Ret r;
    uint32_t value = ov_new();
    ov_body(value, &r);
    if (u8_at(&r, 0) != 0) {
        printf("error: no body stream\n");
        return 1;
    }
    uint32_t out = u32_at(&r, 4);
    // In pieces, as a streaming writer would.
    const char* text = argv[4];
    size_t len = strlen(text), done = 0;
    while (done < len) {
        size_t piece = len > 4096 ? 4096 : 4;
        size_t n = len - done < piece ? len - done : piece;
        os_write(out, text + done, n, &r);
        if (u8_at(&r, 0) != 0) {
            printf("error: write failed\n");
            return 1;
        }
        done += n;
    }
    drop_output(out);
    c_write_data(c, argv[3], strlen(argv[3]), value, &r);
    if (failed(&r, "write-data")) return 1;
    ov_finish(value, &r);
    if (failed(&r, "finish")) return 1;
    drop_container(c);
    printf("stored %zu\n", len);
    return 0;
}

static int blob_get(int argc, char** argv, int sync) {
    if (argc < 4) return 2;
    uint32_t c;
    if (open_container(argv[2], 0, &c)) return 1;
    uint64_t start = argc > 5 ? strtoull(argv[4], 0, 10) : 0;
    uint64_t end = argc > 5 ? strtoull(argv[5], 0, 10) : UINT64_MAX;
    Ret r;
    c_get_data(c, argv[3], strlen(argv[3]), start, end, &r);
    if (failed(&r, "get-data")) return 1;
    uint32_t value = u32_at(&r, 4);
    printf("size %llu\n", (unsigned long long)iv_size(value));
    if (sync) {
        iv_sync(value, &r);
        if (failed(&r, "consume-sync")) return 1;
        printf("data %.*s\n", (int)u32_at(&r, 8), (const char*)u32_at(&r, 4));
        return 0;
    }
    iv_async(value, &r);
    if (failed(&r, "consume-async")) return 1;
    uint32_t in = u32_at(&r, 4);
    printf("data ");
    for (;;) {
        is_read(in, 3, &r);
        if (u8_at(&r, 0) != 0) {
            if (u8_at(&r, 4) == 1) break; // closed: the end
            printf("\nerror: read failed\n");
            return 1;
        }
        printf("%.*s", (int)u32_at(&r, 8), (const char*)u32_at(&r, 4));
    }
    printf("\n");
    drop_input(in);
    drop_container(c);
    return 0;
}

static int blob_list(int argc, char** argv) {
    if (argc < 4) return 2;
    uint32_t c;
    if (open_container(argv[2], 0, &c)) return 1;
    Ret r;
    c_list(c, &r);
    if (failed(&r, "list-objects")) return 1;
    uint32_t names = u32_at(&r, 4);
    for (;;) {
        names_read(names, strtoull(argv[3], 0, 10), &r);
        if (failed(&r, "read-stream-object-names")) return 1;
        uint32_t list = u32_at(&r, 4), n = u32_at(&r, 8);
        printf("page");
        for (uint32_t i = 0; i < n; i++)
            printf(" %.*s", (int)load32(list + 8 * i + 4), (const char*)load32(list + 8 * i));
        printf("\n");
        if (u8_at(&r, 12)) break;
    }
    drop_names(names);
    drop_container(c);
    return 0;
}

static int blob_info(int argc, char** argv) {
    if (argc < 4) return 2;
    uint32_t c;
    if (open_container(argv[2], 0, &c)) return 1;
    Ret r;
    c_object_info(c, argv[3], strlen(argv[3]), &r);
    if (u8_at(&r, 0) != 0) {
        printf("error: object-info: %.*s\n", (int)u32_at(&r, 8), (const char*)u32_at(&r, 4));
        return 1;
    }
    printf("info %.*s in %.*s size %llu\n", (int)u32_at(&r, 12), (const char*)u32_at(&r, 8),
           (int)u32_at(&r, 20), (const char*)u32_at(&r, 16), (unsigned long long)u64_at(&r, 32));
    return 0;
}

static int blob_copy(int argc, char** argv, int move) {
    if (argc < 6) return 2;
    Ret r;
    (move ? bs_move : bs_copy)(argv[2], strlen(argv[2]), argv[3], strlen(argv[3]), argv[4],
                               strlen(argv[4]), argv[5], strlen(argv[5]), &r);
    if (failed(&r, move ? "move-object" : "copy-object")) return 1;
    printf("%s\n", move ? "moved" : "copied");
    return 0;
}

static int blob_delete(int argc, char** argv) {
    if (argc < 4) return 2;
    uint32_t c;
    if (open_container(argv[2], 0, &c)) return 1;
    Ret r;
    c_delete_object(c, argv[3], strlen(argv[3]), &r);
    if (failed(&r, "delete-object")) return 1;
    c_has_object(c, argv[3], strlen(argv[3]), &r);
    if (failed(&r, "has-object")) return 1;
    printf("deleted, has-object %d\n", u8_at(&r, 4));
    return 0;
}

static int blob_drop(int argc, char** argv) {
    if (argc < 3) return 2;
    Ret r;
    bs_delete(argv[2], strlen(argv[2]), &r);
    if (failed(&r, "delete-container")) return 1;
    bs_exists(argv[2], strlen(argv[2]), &r);
    if (failed(&r, "container-exists")) return 1;
    printf("dropped, exists %d\n", u8_at(&r, 4));
    return 0;
}

// ---------------------------------------------------------------- wasmcloud:messaging

// publish: func(msg: broker-message) -> result<_, string>; broker-message flattened: subject
// (ptr, len), body (ptr, len), reply-to option (case, ptr, len).
IMPORT(CONSUMER, "publish")
void msg_publish(const char*, size_t, const char*, size_t, uint32_t, const char*, size_t, Ret*);
// request: func(subject, body, timeout-ms: u32) -> result<broker-message, string>; ok record
// at 4: subject 4/8, body 12/16, reply-to option 20 (case), 24/28.
IMPORT(CONSUMER, "request")
void msg_request(const char*, size_t, const char*, size_t, uint32_t, Ret*);

static int do_pub(int argc, char** argv) {
    if (argc < 4) return 2;
    Ret r;
    const char* reply = argc > 4 ? argv[4] : "";
    msg_publish(argv[2], strlen(argv[2]), argv[3], strlen(argv[3]), argc > 4, reply,
                strlen(reply), &r);
    if (failed(&r, "publish")) return 1;
    printf("published\n");
    return 0;
}

static int do_req(int argc, char** argv) {
    if (argc < 5) return 2;
    Ret r;
    msg_request(argv[2], strlen(argv[2]), argv[3], strlen(argv[3]), atoi(argv[4]), &r);
    if (failed(&r, "request")) return 1;
    printf("reply on %.*s: %.*s\n", (int)u32_at(&r, 8), (const char*)u32_at(&r, 4),
           (int)u32_at(&r, 16), (const char*)u32_at(&r, 12));
    return 0;
}

// ---------------------------------------------------------------- wasmcloud:postgres

// pg-value: 72 bytes, 8-aligned; case (u8) at 0, payload at 8. Cases used here (their index in
// the variant): null 0, int8 2, bool 6, float8 10 (hashable-f64: u64 mantissa at 8, s16
// exponent at 16, s8 sign at 18), int4 17, int2 25, bytea 36 (list at 8/12), text 88 (string at
// 8/12), and results print any other case by number.
enum { PG_NULL = 0, PG_INT8 = 2, PG_BOOL = 6, PG_FLOAT8 = 10, PG_INT4 = 17, PG_INT2 = 25,
       PG_BYTEA = 36, PG_TEXT = 88 };
typedef struct {
    _Alignas(8) uint8_t bytes[72];
} PgValue;

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
}

static void make_param(PgValue* v, const char* spec) {
    memset(v, 0, sizeof *v);
    if (spec[0] == 'i') {
        v->bytes[0] = PG_INT8;
        int64_t x = strtoll(spec + 2, 0, 10);
        memcpy(v->bytes + 8, &x, 8);
    } else if (spec[0] == 't') {
        v->bytes[0] = PG_TEXT;
        uint32_t p = (uint32_t)(spec + 2), n = strlen(spec + 2);
        memcpy(v->bytes + 8, &p, 4);
        memcpy(v->bytes + 12, &n, 4);
    } else if (spec[0] == 'b') {
        v->bytes[0] = PG_BYTEA;
        size_t n = strlen(spec + 2) / 2;
        uint8_t* buf = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) buf[i] = hexval(spec[2 + 2 * i]) * 16 + hexval(spec[3 + 2 * i]);
        uint32_t p = (uint32_t)buf, len = n;
        memcpy(v->bytes + 8, &p, 4);
        memcpy(v->bytes + 12, &len, 4);
    } else if (spec[0] == 'f') {
        // f:SIGN,MANTISSA,EXPONENT
        v->bytes[0] = PG_FLOAT8;
        char* end;
        int8_t sign = (int8_t)strtol(spec + 2, &end, 10);
        uint64_t m = strtoull(end + 1, &end, 10);
        int16_t e = (int16_t)strtol(end + 1, 0, 10);
        memcpy(v->bytes + 8, &m, 8);
        memcpy(v->bytes + 16, &e, 2);
        memcpy(v->bytes + 18, &sign, 1);
    } else if (spec[0] == 'B') {
        v->bytes[0] = PG_BOOL;
        v->bytes[8] = spec[2] == '1';
    } else {
        v->bytes[0] = PG_NULL;
    }
}

static void print_value(const uint8_t* v) {
    uint32_t p, n;
    switch (v[0]) {
    case PG_NULL: printf("null"); break;
    case PG_INT8: {
        int64_t x;
        memcpy(&x, v + 8, 8);
        printf("int8:%lld", (long long)x);
        break;
    }
    case PG_INT4: {
        int32_t x;
        memcpy(&x, v + 8, 4);
        printf("int4:%d", x);
        break;
    }
    case PG_BOOL: printf("bool:%d", v[8]); break;
    case PG_FLOAT8: {
        uint64_t m;
        int16_t e;
        int8_t s;
        memcpy(&m, v + 8, 8);
        memcpy(&e, v + 16, 2);
        memcpy(&s, v + 18, 1);
        printf("float8:%d,%llu,%d", s, (unsigned long long)m, e);
        break;
    }
    case PG_BYTEA:
        memcpy(&p, v + 8, 4);
        memcpy(&n, v + 12, 4);
        printf("bytea:");
        for (uint32_t i = 0; i < n; i++) printf("%02x", ((const uint8_t*)p)[i]);
        break;
    default:
        // Every other case with a string payload at 8/12 (text, json, uuid, ...) or not: the
        // case number, and the string when the case is one of the string-carrying ones.
        memcpy(&p, v + 8, 4);
        memcpy(&n, v + 12, 4);
        if (v[0] == PG_TEXT || v[0] == 76 || v[0] == 78 || v[0] == 94 || v[0] == 19 ||
            v[0] == 86 || v[0] == 44)
            printf("case%d:%.*s", v[0], (int)n, (const char*)p);
        else
            printf("case%d", v[0]);
    }
}

// query: func(query: string, params: list<pg-value>) -> result<list<result-row>, query-error>
//   ok: list at 4/8 of rows; a row is list<result-row-entry> (8 bytes: ptr, len); an entry is
//   80 bytes: column-name 0/4, pg-value at 8.  err: query-error case at 4, string at 8/12.
IMPORT(QUERY, "query") void pg_query(const char*, size_t, const PgValue*, size_t, Ret*);
// query-batch: func(query: string) -> result<_, query-error>
IMPORT(QUERY, "query-batch") void pg_batch(const char*, size_t, Ret*);
// prepare: func(statement: string) -> result<string, statement-prepare-error>
//   ok string 4/8; err: case at 4, string at 8/12
IMPORT(PREPARED, "prepare") void pg_prepare(const char*, size_t, Ret*);
// exec: func(stmt-token: string, params: list<pg-value>) -> result<u64,
//   prepared-statement-exec-error>: ok u64 at 8; err: case at 8 (0 unknown, 1 query-error with
//   its own case at 12 and string 16/20, 2 unexpected with string 12/16)
IMPORT(PREPARED, "exec") void pg_exec(const char*, size_t, const PgValue*, size_t, Ret*);

static int query_failed(const Ret* r, const char* what) {
    if (u8_at(r, 0) == 0) return 0;
    static const char* kinds[] = {"invalid-params", "invalid-query", "unexpected"};
    uint8_t k = u8_at(r, 4);
    printf("error: %s: %s: %.*s\n", what, k < 3 ? kinds[k] : "?", (int)u32_at(r, 12),
           (const char*)u32_at(r, 8));
    return 1;
}

static PgValue* params_of(int argc, char** argv, int first, size_t* n) {
    *n = argc > first ? (size_t)(argc - first) : 0;
    PgValue* ps = calloc(*n ? *n : 1, sizeof(PgValue));
    for (size_t i = 0; i < *n; i++) make_param(&ps[i], argv[first + i]);
    return ps;
}

static int do_sql(int argc, char** argv) {
    if (argc < 3) return 2;
    size_t n;
    PgValue* ps = params_of(argc, argv, 3, &n);
    Ret r;
    pg_query(argv[2], strlen(argv[2]), ps, n, &r);
    if (query_failed(&r, "query")) return 1;
    uint32_t rows = u32_at(&r, 4), nrows = u32_at(&r, 8);
    printf("rows %u\n", nrows);
    for (uint32_t i = 0; i < nrows; i++) {
        uint32_t row = load32(rows + 8 * i), ncols = load32(rows + 8 * i + 4);
        for (uint32_t j = 0; j < ncols; j++) {
            uint32_t e = row + 80 * j;
            printf("%s%.*s=", j ? " " : "", (int)load32(e + 4), (const char*)load32(e));
            print_value((const uint8_t*)(e + 8));
        }
        printf("\n");
    }
    return 0;
}

static int do_sql_batch(int argc, char** argv) {
    if (argc < 3) return 2;
    Ret r;
    pg_batch(argv[2], strlen(argv[2]), &r);
    if (query_failed(&r, "query-batch")) return 1;
    printf("batch ok\n");
    return 0;
}

static int do_sql_prep(int argc, char** argv) {
    if (argc < 3) return 2;
    Ret r;
    pg_prepare(argv[2], strlen(argv[2]), &r);
    if (u8_at(&r, 0) != 0) {
        printf("error: prepare: %.*s\n", (int)u32_at(&r, 12), (const char*)u32_at(&r, 8));
        return 1;
    }
    const char* tok = (const char*)u32_at(&r, 4);
    size_t tok_len = u32_at(&r, 8);
    size_t n;
    PgValue* ps = params_of(argc, argv, 3, &n);
    pg_exec(tok, tok_len, ps, n, &r);
    if (u8_at(&r, 0) != 0) {
        uint8_t k = u8_at(&r, 8);
        if (k == 0)
            printf("error: exec: unknown-prepared-query\n");
        else if (k == 1)
            printf("error: exec: query-error %d: %.*s\n", u8_at(&r, 12), (int)u32_at(&r, 20),
                   (const char*)u32_at(&r, 16));
        else
            printf("error: exec: unexpected: %.*s\n", (int)u32_at(&r, 16),
                   (const char*)u32_at(&r, 12));
        return 1;
    }
    printf("affected %llu\n", (unsigned long long)u64_at(&r, 8));
    return 0;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "blob-put") || !strcmp(mode, "blob-fill")) return blob_put(argc, argv);
    if (!strcmp(mode, "blob-get")) return blob_get(argc, argv, 0);
    if (!strcmp(mode, "blob-get-sync")) return blob_get(argc, argv, 1);
    if (!strcmp(mode, "blob-list")) return blob_list(argc, argv);
    if (!strcmp(mode, "blob-info")) return blob_info(argc, argv);
    if (!strcmp(mode, "blob-copy")) return blob_copy(argc, argv, 0);
    if (!strcmp(mode, "blob-move")) return blob_copy(argc, argv, 1);
    if (!strcmp(mode, "blob-delete")) return blob_delete(argc, argv);
    if (!strcmp(mode, "blob-drop")) return blob_drop(argc, argv);
    if (!strcmp(mode, "pub")) return do_pub(argc, argv);
    if (!strcmp(mode, "req")) return do_req(argc, argv);
    if (!strcmp(mode, "sql")) return do_sql(argc, argv);
    if (!strcmp(mode, "sql-batch")) return do_sql_batch(argc, argv);
    if (!strcmp(mode, "sql-prep")) return do_sql_prep(argc, argv);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
