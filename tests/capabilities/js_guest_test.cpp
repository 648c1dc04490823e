// The JavaScript guest (guests/js/caps_guest.js, componentize-js) against the capability
// interfaces: the same command lines as the C guest give the same output, on the embedded
// backend and on Redis and NATS. (The other interfaces, wasmcloud:secrets included, are the
// JavaScript data guest's: js_data_test.cpp.)
#include "guest_support.h"
#include "servers.h"

#include <gtest/gtest.h>

namespace cirrus::testing {
namespace {

using capabilities::Options;

Options with_link(const std::string& link) {
    Options o;
    auto l = capabilities::parse_link(link);
    EXPECT_TRUE(l.ok()) << l.error().message;
    if (l.ok()) o.links.push_back(*l);
    return o;
}

// The key-value script of keyvalue_test.cpp (with 1001 keys filled: two pages, and less time
// in the JavaScript engine).
const std::vector<std::string> kv_script = {
    "kv",   "b1",      "set",     "a", "1",    "get", "a",    "exists",  "a",    "exists", "zz",
    "del",  "a",       "get",     "a", "incr", "n",   "5",    "incr",    "n",    "7",      "get",
    "n",    "setmany", "2",       "x", "X",    "y",   "Y",    "getmany", "3",    "x",      "n",
    "nope", "list",    "delmany", "2", "x",    "y",   "list", "fill",    "1001", "list"};

TEST(JsGuest, KeyValueOnEveryBackendAsTheCGuest) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    for (const std::string& link :
         {std::string("wasi:keyvalue=memory"), "wasi:keyvalue=redis,url=" + (*redis)->url(),
          "wasi:keyvalue=nats,url=" + (*nats)->url()}) {
        GuestHost js(with_link(link));
        GuestRun r = js.run_js("caps_guest_js", kv_script);
        ASSERT_TRUE(r.status.ok()) << link << ": " << r.status.error().to_string();
        EXPECT_EQ(*r.status, 0) << r.err;
        // The C guest, in a bucket of its own on the same server: the same lines.
        std::vector<std::string> c_script = kv_script;
        c_script[1] = "c1";
        EXPECT_EQ(without_page_counts(r.out),
                  without_page_counts(run_guest("caps_guest", c_script, with_link(link)).out))
            << link;
        EXPECT_EQ(without_page_counts(r.out),
                  without_page_counts(
                      "set a: ok\n"
                      "get a: 1\n"
                      "exists a: yes\n"
                      "exists zz: no\n"
                      "del a: ok\n"
                      "get a: none\n"
                      "incr n: 5\n"
                      "incr n: 12\n"
                      "get n: 12\n"
                      "setmany 2: ok\n"
                      "getmany: x=X n=12 none\n"
                      "list: 3 keys in 1 pages: n x y\n"
                      "delmany 2: ok\n"
                      "list: 1 keys in 1 pages: n\n"
                      "fill 1001: ok\n"
                      "list: 1002 keys in 2 pages: k00000 k00001 k00002 k00003 k00004 k00005 "
                      "k00006 k00007 ...\n"))
            << link;
    }
}

TEST(JsGuest, ErrorsReachJavaScriptAsValues) {
    GuestHost js(with_link("wasi:keyvalue=memory,bucket=only"));
    EXPECT_EQ(js.run_js("caps_guest_js", {"kv", "other", "get", "a"}).out,
              "open: error no-such-store\n");
    // Nothing listens there: error::other with the reason, the guest goes on.
    GuestHost down(
        with_link("wasi:keyvalue=redis,url=redis://127.0.0.1:" + std::to_string(free_port())));
    GuestRun r = down.run_js("caps_guest_js", {"kv", "b", "get", "a", "set", "b", "2"});
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.out.rfind("get: error other: redis 127.0.0.1:", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("\nset: error other: redis 127.0.0.1:"), std::string::npos) << r.out;
}

TEST(JsGuest, LoggingAndConfig) {
    Options o;
    o.component = "js";
    o.configs = {{"a", {{"k", "1"}}}, {"b", {{"k", "2"}, {"j", "x"}}}};
    GuestHost js(o);
    GuestRun log = js.run_js("caps_guest_js", {"log", "4", "ctx", "from js"});
    ASSERT_TRUE(log.status.ok()) << log.status.error().to_string();
    EXPECT_EQ(log.out, "logged\n");
    EXPECT_EQ(log.log, "error component=\"js\" context=\"ctx\" message=\"from js\"\n") << log.err;
    EXPECT_EQ(js.run_js("caps_guest_js", {"config", "k", "nope"}).out,
              "get k: 2\nget nope: none\nget-all: 2\n  k=2\n  j=x\n");
}

} // namespace
} // namespace cirrus::testing
