// A wasi:http/proxy in C without libc, calling the canonical ABI of wasi:http@0.2.12 directly
// (the flattened signatures are written out below). Routes by path:
//   /hello        200 "hello from C\n", content-type text/plain
//   /echo-header  200, header x-echo with every value of the request's x-test
//   /echo         200, the request body streamed back (read 64 KiB, write 4 KiB at a time)
//   /fetch        GET http://<x-target header>/upstream (https:// when the request has an
//                 x-https header; first-byte-timeout from x-first-byte-ms); 200
//                 "upstream <status>: <body>", or 502 "error <error-code case>" when it fails
//   /trap         traps (unreachable)
//   /loop         spins forever
typedef __SIZE_TYPE__ size_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define TYPES "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"

static unsigned char heap[1 << 20];
static size_t heap_top = 16;

static void* memcpy(void* dst, const void* src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    while (n--) *d++ = *s++;
    return dst;
}

EXPORT("cabi_realloc")
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t new_size) {
    size_t p = (heap_top + align - 1) & ~(align - 1);
    if (p + new_size > sizeof heap) __builtin_trap();
    heap_top = p + new_size;
    if (old) memcpy(heap + p, old, old_size < new_size ? old_size : new_size);
    return heap + p;
}

static size_t str_len(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}
static int str_eq(const char* a, size_t alen, const char* b) {
    size_t blen = str_len(b);
    if (alen != blen) return 0;
    for (size_t i = 0; i < alen; ++i)
        if (a[i] != b[i]) return 0;
    return 1;
}

// wasi:http/types
IMPORT(TYPES, "[constructor]fields") uint32_t fields_new(void);
IMPORT(TYPES, "[method]fields.append")
void fields_append(uint32_t self, const char* name, size_t name_len, const void* value,
                   size_t value_len, void* ret);
IMPORT(TYPES, "[method]fields.get")
void fields_get(uint32_t self, const char* name, size_t name_len, void* ret);
IMPORT(TYPES, "[method]incoming-request.path-with-query")
void request_path(uint32_t self, void* ret);
IMPORT(TYPES, "[method]incoming-request.headers") uint32_t request_headers(uint32_t self);
IMPORT(TYPES, "[method]incoming-request.consume") void request_consume(uint32_t self, void* ret);
IMPORT(TYPES, "[method]incoming-body.stream") void incoming_body_stream(uint32_t self, void* ret);
IMPORT(TYPES, "[constructor]outgoing-response") uint32_t response_new(uint32_t headers);
IMPORT(TYPES, "[method]outgoing-response.set-status-code")
uint32_t response_set_status(uint32_t self, uint32_t status);
IMPORT(TYPES, "[method]outgoing-response.body") void response_body(uint32_t self, void* ret);
IMPORT(TYPES, "[method]outgoing-body.write") void outgoing_body_write(uint32_t self, void* ret);
IMPORT(TYPES, "[static]outgoing-body.finish")
void outgoing_body_finish(uint32_t self, uint32_t has_trailers, uint32_t trailers, void* ret);
IMPORT(TYPES, "[static]response-outparam.set")
void outparam_set(uint32_t param, uint32_t is_err, uint32_t a, uint32_t b, int64_t c, uint32_t d,
                  uint32_t e, uint32_t f, uint32_t g);
IMPORT(TYPES, "[constructor]outgoing-request") uint32_t outgoing_request_new(uint32_t headers);
IMPORT(TYPES, "[method]outgoing-request.set-scheme")
uint32_t request_set_scheme(uint32_t self, uint32_t is_some, uint32_t scheme, const char* other,
                            size_t other_len);
IMPORT(TYPES, "[method]outgoing-request.set-authority")
uint32_t request_set_authority(uint32_t self, uint32_t is_some, const char* s, size_t len);
IMPORT(TYPES, "[method]outgoing-request.set-path-with-query")
uint32_t request_set_path(uint32_t self, uint32_t is_some, const char* s, size_t len);
IMPORT(TYPES, "[method]future-incoming-response.subscribe")
uint32_t future_response_subscribe(uint32_t self);
IMPORT(TYPES, "[method]future-incoming-response.get")
void future_response_get(uint32_t self, void* ret);
IMPORT(TYPES, "[method]incoming-response.status") uint32_t incoming_response_status(uint32_t self);
IMPORT(TYPES, "[method]incoming-response.consume")
void incoming_response_consume(uint32_t self, void* ret);
IMPORT(TYPES, "[constructor]request-options") uint32_t request_options_new(void);
IMPORT(TYPES, "[method]request-options.set-first-byte-timeout")
uint32_t options_set_first_byte_timeout(uint32_t self, uint32_t is_some, uint64_t ns);
IMPORT("wasi:http/outgoing-handler@0.2.12", "handle")
void outgoing_handle(uint32_t request, uint32_t has_options, uint32_t options, void* ret);
IMPORT("wasi:io/poll@0.2.12", "[method]pollable.block") void pollable_block(uint32_t self);
IMPORT(STREAMS, "[method]input-stream.blocking-read")
void input_blocking_read(uint32_t self, uint64_t len, void* ret);
IMPORT(STREAMS, "[method]output-stream.check-write") void output_check_write(uint32_t self, void* ret);
IMPORT(STREAMS, "[method]output-stream.write")
void output_write(uint32_t self, const void* data, size_t len, void* ret);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush")
void output_write_flush(uint32_t self, const void* data, size_t len, void* ret);
IMPORT(STREAMS, "[resource-drop]output-stream") void drop_output_stream(uint32_t self);
IMPORT(STREAMS, "[resource-drop]input-stream") void drop_input_stream(uint32_t self);

static uint64_t ret[8];
#define RET8(off) (((uint8_t*)ret)[off])
#define RET32(off) (*(uint32_t*)((uint8_t*)ret + (off)))

static void append(uint32_t fields, const char* name, const void* value, size_t len) {
    fields_append(fields, name, str_len(name), value, len, ret);
    if (RET8(0) != 0) __builtin_trap();
}

// Sets the response and returns its body's output stream (the body handle in *body).
static uint32_t respond(uint32_t outparam, uint32_t status, uint32_t headers, uint32_t* body) {
    uint32_t resp = response_new(headers);
    if (response_set_status(resp, status) != 0) __builtin_trap();
    response_body(resp, ret);
    if (RET8(0) != 0) __builtin_trap();
    *body = RET32(4);
    outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
    outgoing_body_write(*body, ret);
    if (RET8(0) != 0) __builtin_trap();
    return RET32(4);
}

static void write_all(uint32_t stream, const uint8_t* data, size_t len) {
    while (len > 0) {
        size_t n = len > 4096 ? 4096 : len;
        output_write_flush(stream, data, n, ret);
        if (RET8(0) != 0) __builtin_trap();
        data += n;
        len -= n;
    }
}

// Writes without flushing, as check-write permits: the whole body can then go out with its
// length once finished.
static void write_unflushed(uint32_t stream, const uint8_t* data, size_t len) {
    while (len > 0) {
        output_check_write(stream, ret);
        if (RET8(0) != 0) __builtin_trap();
        uint64_t room = *(uint64_t*)((uint8_t*)ret + 8);
        size_t n = len < room ? len : (size_t)room;
        if (n == 0) __builtin_trap();
        output_write(stream, data, n, ret);
        if (RET8(0) != 0) __builtin_trap();
        data += n;
        len -= n;
    }
}

static void finish(uint32_t stream, uint32_t body) {
    drop_output_stream(stream);
    outgoing_body_finish(body, 0, 0, ret);
    if (RET8(0) != 0) __builtin_trap();
}

static void answer_text(uint32_t outparam, uint32_t status, const char* text) {
    uint32_t headers = fields_new();
    append(headers, "content-type", "text/plain", 10);
    uint32_t body;
    uint32_t out = respond(outparam, status, headers, &body);
    write_unflushed(out, (const uint8_t*)text, str_len(text));
    finish(out, body);
}

static char* fmt_u32(char* p, uint32_t v) {
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static void fetch(uint32_t request, uint32_t outparam) {
    uint32_t in_headers = request_headers(request);
    fields_get(in_headers, "x-target", 8, ret);
    uint32_t count = RET32(4);
    if (count == 0) {
        answer_text(outparam, 400, "no x-target\n");
        return;
    }
    uint32_t* values = (uint32_t*)(size_t)RET32(0);
    const char* target = (const char*)(size_t)values[0];
    size_t target_len = values[1];

    fields_get(in_headers, "x-https", 7, ret);
    uint32_t https = RET32(4) != 0;
    fields_get(in_headers, "x-first-byte-ms", 15, ret);
    uint32_t options = 0;
    if (RET32(4) != 0) {
        uint32_t* v = (uint32_t*)(size_t)RET32(0);
        const char* digits = (const char*)(size_t)v[0];
        uint64_t ms = 0;
        for (uint32_t i = 0; i < v[1]; ++i) ms = ms * 10 + (uint64_t)(digits[i] - '0');
        options = request_options_new();
        if (options_set_first_byte_timeout(options, 1, ms * 1000000) != 0) __builtin_trap();
    }

    uint32_t req = outgoing_request_new(fields_new());
    if (request_set_scheme(req, 1, https, 0, 0) != 0) __builtin_trap();
    if (request_set_authority(req, 1, target, target_len) != 0) __builtin_trap();
    if (request_set_path(req, 1, "/upstream", 9) != 0) __builtin_trap();
    outgoing_handle(req, options != 0, options, ret);
    char text[256];
    char* p = text;
    if (RET8(0) != 0) {
        memcpy(p, "error ", 6);
        p = fmt_u32(p + 6, RET8(8));
        *p++ = '\n';
        *p = 0;
        answer_text(outparam, 502, text);
        return;
    }
    uint32_t future = RET32(8);
    pollable_block(future_response_subscribe(future));
    future_response_get(future, ret);
    // option<result<result<own<incoming-response>, error-code>>>: 0, 8, 16, 24
    if (RET8(0) != 1 || RET8(8) != 0) __builtin_trap();
    if (RET8(16) != 0) {
        memcpy(p, "error ", 6);
        p = fmt_u32(p + 6, RET8(24));
        *p++ = '\n';
        *p = 0;
        answer_text(outparam, 502, text);
        return;
    }
    uint32_t resp = RET32(24);
    uint32_t status = incoming_response_status(resp);
    incoming_response_consume(resp, ret);
    if (RET8(0) != 0) __builtin_trap();
    uint32_t in_body = RET32(4);
    incoming_body_stream(in_body, ret);
    if (RET8(0) != 0) __builtin_trap();
    uint32_t in = RET32(4);
    memcpy(p, "upstream ", 9);
    p = fmt_u32(p + 9, status);
    *p++ = ':';
    *p++ = ' ';
    for (;;) {
        input_blocking_read(in, sizeof text - (size_t)(p - text) - 1, ret);
        if (RET8(0) != 0) break; // closed
        uint32_t ptr = RET32(4), len = RET32(8);
        if (len == 0) break;
        memcpy(p, (const void*)(size_t)ptr, len);
        p += len;
        if ((size_t)(p - text) >= sizeof text - 1) break;
    }
    *p = 0;
    answer_text(outparam, 200, text);
}

static void echo(uint32_t request, uint32_t outparam) {
    request_consume(request, ret);
    if (RET8(0) != 0) __builtin_trap();
    uint32_t in_body = RET32(4);
    incoming_body_stream(in_body, ret);
    if (RET8(0) != 0) __builtin_trap();
    uint32_t in = RET32(4);
    uint32_t body;
    uint32_t out = respond(outparam, 200, fields_new(), &body);
    for (;;) {
        size_t mark = heap_top;
        input_blocking_read(in, 65536, ret);
        if (RET8(0) != 0) break; // closed: the body is complete
        write_all(out, (const uint8_t*)(size_t)RET32(4), RET32(8));
        heap_top = mark;
    }
    drop_input_stream(in);
    finish(out, body);
}

EXPORT("wasi:http/incoming-handler@0.2.12#handle")
void handle(uint32_t request, uint32_t outparam) {
    request_path(request, ret);
    const char* path = RET8(0) ? (const char*)(size_t)RET32(4) : "";
    size_t len = RET8(0) ? RET32(8) : 0;
    size_t q = 0;
    while (q < len && path[q] != '?') ++q;
    if (str_eq(path, q, "/hello")) {
        answer_text(outparam, 200, "hello from C\n");
    } else if (str_eq(path, q, "/echo-header")) {
        uint32_t in_headers = request_headers(request);
        fields_get(in_headers, "x-test", 6, ret);
        uint32_t* values = (uint32_t*)(size_t)RET32(0);
        uint32_t count = RET32(4);
        uint32_t headers = fields_new();
        for (uint32_t i = 0; i < count; ++i)
            append(headers, "x-echo", (const void*)(size_t)values[2 * i], values[2 * i + 1]);
        uint32_t body;
        uint32_t out = respond(outparam, 200, headers, &body);
        finish(out, body);
    } else if (str_eq(path, q, "/echo")) {
        echo(request, outparam);
    } else if (str_eq(path, q, "/fetch")) {
        fetch(request, outparam);
    } else if (str_eq(path, q, "/trap")) {
        __builtin_trap();
    } else if (str_eq(path, q, "/loop")) {
        volatile uint32_t spin = 0;
        for (;;) spin = spin + 1;
    } else {
        answer_text(outparam, 404, "not found\n");
    }
}
