// Exports `local:greeter-demo/greet`: greet(name) = "Hello, " + name + "!". The result lives
// in the bump heap until post-return resets it.
#include "guest.h"

static uint32_t ret_area[2];

EXPORT("local:greeter-demo/greet#greet")
uint32_t* greet(const char* name, size_t len) {
    static const char hello[] = "Hello, ";
    char* out = cabi_realloc(0, 0, 1, len + 8);
    memcpy(out, hello, 7);
    memcpy(out + 7, name, len);
    out[7 + len] = '!';
    ret_area[0] = (uint32_t)(size_t)out;
    ret_area[1] = len + 8;
    return ret_area;
}

EXPORT("cabi_post_local:greeter-demo/greet#greet")
void greet_post_return(uint32_t* ret) {
    (void)ret;
    heap_top = 8;
}
