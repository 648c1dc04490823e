// Imports `local:greeter-demo/greet` and exports run(name) = "[" + greet(name) + "]".
#include "guest.h"

IMPORT("local:greeter-demo/greet", "greet")
void greet_import(const char* name, size_t len, uint32_t* ret);

static uint32_t ret_area[2];
static uint32_t post_returns;

static uint32_t* bracket(const char* name, size_t len) {
    uint32_t r[2];
    greet_import(name, len, r);
    char* out = cabi_realloc(0, 0, 1, r[1] + 2);
    out[0] = '[';
    memcpy(out + 1, (const char*)(size_t)r[0], r[1]);
    out[r[1] + 1] = ']';
    ret_area[0] = (uint32_t)(size_t)out;
    ret_area[1] = r[1] + 2;
    return ret_area;
}

EXPORT("run") uint32_t* run(const char* name, size_t len) {
    return bracket(name, len);
}

// An empty string may come with any pointer; 1 was never allocated.
EXPORT("run-empty") uint32_t* run_empty(void) {
    return bracket((const char*)1, 0);
}

EXPORT("post-returns") uint32_t get_post_returns(void) {
    return post_returns;
}

EXPORT("cabi_post_run") void run_post_return(uint32_t* ret) {
    (void)ret;
    heap_top = 8;
    ++post_returns;
}
