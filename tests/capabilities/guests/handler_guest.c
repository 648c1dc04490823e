// A wasmcloud:messaging handler in C without libc (a reactor: no wasi:cli/run), canonical ABI
// glue by hand. For each message: a body "fail" returns an error; a body "trap" traps; otherwise,
// when the message has a reply-to subject, it publishes "echo: BODY" there, and it publishes a
// copy to "seen.SUBJECT" (so a test can see that messages without a reply-to arrived).
#include "../../component/guests/guest.h"

#define CONSUMER "wasmcloud:messaging/consumer@0.2.0"

// publish: func(msg: broker-message) -> result<_, string>; flattened broker-message is subject
// (ptr, len), body (ptr, len), reply-to (case, ptr, len); the result comes back through a
// return area: case at 0, error string at 4/8.
IMPORT(CONSUMER, "publish")
void publish(const char*, size_t, const char*, size_t, uint32_t, const char*, size_t, uint32_t*);

static uint32_t ret_area[3];
static const char fail_msg[] = "the handler refused the message";

static int equals(const char* p, size_t n, const char* lit) {
    size_t i = 0;
    for (; lit[i]; ++i) {
        if (i >= n || p[i] != lit[i]) return 0;
    }
    return i == n;
}

// handle-message: func(msg: broker-message) -> result<_, string>
EXPORT("wasmcloud:messaging/handler@0.2.0#handle-message")
uint32_t* handle_message(const char* subject, size_t subject_len, const char* body,
                         size_t body_len, uint32_t has_reply, const char* reply,
                         size_t reply_len) {
    if (equals(body, body_len, "trap")) __builtin_trap();
    if (equals(body, body_len, "fail")) {
        ret_area[0] = 1;
        ret_area[1] = (uint32_t)(size_t)fail_msg;
        ret_area[2] = sizeof fail_msg - 1;
        return ret_area;
    }
    uint32_t r[3];
    if (has_reply) {
        char* out = cabi_realloc(0, 0, 1, body_len + 6);
        memcpy(out, "echo: ", 6);
        memcpy(out + 6, body, body_len);
        publish(reply, reply_len, out, body_len + 6, 0, 0, 0, r);
    }
    // "seen." + subject, with dots kept: a subject of its own per source subject.
    char* seen = cabi_realloc(0, 0, 1, subject_len + 5);
    memcpy(seen, "seen.", 5);
    memcpy(seen + 5, subject, subject_len);
    publish(seen, subject_len + 5, body, body_len, 0, 0, 0, r);
    ret_area[0] = r[0] == 0 ? 0 : 1;
    ret_area[1] = r[1];
    ret_area[2] = r[2];
    return ret_area;
}

EXPORT("cabi_post_wasmcloud:messaging/handler@0.2.0#handle-message")
void handle_message_post_return(uint32_t* ret) {
    (void)ret;
    heap_top = 8;
}
