// wasi:keyvalue end to end: the C guest (caps_guest.c `kv`) against every backend, with real
// redis-server and nats-server -js started by the test fixture (tests/support/servers.h).
// The same component and the same script give the same output on each backend; only the link
// differs. Faults: servers stopped and restarted under a host that keeps running.
#include "cirrus/capabilities/provider.h"
#include "guest_support.h"
#include "servers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace cirrus::testing {
namespace {

using capabilities::Options;
using capabilities::parse_link;

bool Capabilities_create_ok(const std::string& link) {
    auto l = parse_link(link);
    return l.ok() &&
           capabilities::Capabilities::create(Options{"c", {*l}, {}, {}, {}, {}, {}}).ok();
}

Options linked(const std::string& link) {
    Options o;
    if (!link.empty()) {
        auto l = parse_link(link);
        EXPECT_TRUE(l.ok()) << l.error().message;
        if (l.ok()) o.links.push_back(*l);
    }
    return o;
}

// Every operation of store, atomics and batch, with the output the guest prints for it.
const std::vector<std::string> script = {"kv",     "b1",     "set",
                                         "a",      "1",      "get",
                                         "a",      "exists", "a",
                                         "exists", "zz",     "del",
                                         "a",      "get",    "a",
                                         "incr",   "n",      "5",
                                         "incr",   "n",      "7",
                                         "get",    "n",      "setmany",
                                         "2",      "x",      "X",
                                         "y",      "Y",      "getmany",
                                         "3",      "x",      "n",
                                         "nope",   "list",   "delmany",
                                         "2",      "x",      "y",
                                         "list",   "set",    "we ird.key=/ü",
                                         "odd",    "get",    "we ird.key=/ü",
                                         "fill",   "2500",   "list",
                                         "incr",   "x0",     "1"};
const std::string script_output = "set a: ok\n"
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
                                  "set we ird.key=/ü: ok\n"
                                  "get we ird.key=/ü: odd\n"
                                  "fill 2500: ok\n"
                                  "list: 2502 keys in 3 pages: k00000 k00001 k00002 k00003 "
                                  "k00004 k00005 k00006 k00007 ...\n"
                                  "incr x0: 1\n";

class Backends : public ::testing::TestWithParam<std::string> {
protected:
    // The link for the backend under test; servers are started here.
    std::string link() {
        const std::string& b = GetParam();
        if (b == "memory") return "wasi:keyvalue=memory";
        if (b == "sqlite") {
            db_ = ::testing::TempDir() + "/cirrus-kv-" + std::to_string(::getpid()) + ".db";
            std::filesystem::remove(db_);
            return "wasi:keyvalue=sqlite,path=" + db_;
        }
        auto s = b == "redis" ? start_redis() : start_nats();
        EXPECT_TRUE(s.ok()) << s.error().message;
        if (!s.ok()) return "";
        server_ = std::move(s).value();
        return "wasi:keyvalue=" + b + ",url=" + server_->url();
    }
    void TearDown() override {
        if (!db_.empty()) {
            std::filesystem::remove(db_);
            std::filesystem::remove(db_ + "-wal");
            std::filesystem::remove(db_ + "-shm");
        }
    }
    std::unique_ptr<Server> server_;
    std::string db_;
};

TEST_P(Backends, TheSameComponentGivesTheSameResults) {
    std::string l = link();
    ASSERT_FALSE(l.empty());
    GuestRun r = run_guest("caps_guest", script, linked(l));
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(*r.status, 0) << r.err;
    if (GetParam() == "redis")
        EXPECT_EQ(without_page_counts(r.out), without_page_counts(script_output));
    else
        EXPECT_EQ(r.out, script_output);
}

TEST_P(Backends, WhatWasWrittenIsThereForTheNextRun) {
    std::string l = link();
    ASSERT_FALSE(l.empty());
    if (GetParam() == "memory") {
        // Memory lives as long as the host: two runs of one host share it.
        GuestHost host(linked(l));
        host.run("caps_guest", {"kv", "b", "set", "k", "v"});
        EXPECT_EQ(host.run("caps_guest", {"kv", "b", "get", "k"}).out, "get k: v\n");
        EXPECT_EQ(run_guest("caps_guest", {"kv", "b", "get", "k"}, linked(l)).out, "get k: none\n");
        return;
    }
    EXPECT_EQ(run_guest("caps_guest", {"kv", "b", "set", "k", "v"}, linked(l)).out, "set k: ok\n");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "b", "get", "k"}, linked(l)).out, "get k: v\n");
    // Buckets are apart.
    EXPECT_EQ(run_guest("caps_guest", {"kv", "other", "get", "k", "list"}, linked(l)).out,
              "get k: none\nlist: 0 keys in 1 pages:\n");
}

TEST_P(Backends, OversizedKeysAndValuesAreRefusedWithAClearError) {
    std::string l = link();
    ASSERT_FALSE(l.empty());
    GuestRun r = run_guest("caps_guest",
                           {"kv", "b", "bigkey", "1025", "bigkey", "1024", "bigvalue", "1048577",
                            "bigvalue", "1048576", "set", "", "x"},
                           linked(l));
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    std::string want =
        "bigkey: error other: the key is 1025 bytes, at most 1024 are allowed\n"
        "bigkey 1024: ok\n"
        "bigvalue: error other: the value is 1048577 bytes, at most 1048576 are allowed\n"
        "bigvalue 1048576: ok\n"
        "set: error other: the key is empty\n";
    EXPECT_EQ(r.out, want);
}

INSTANTIATE_TEST_SUITE_P(KeyValue, Backends,
                         ::testing::Values("memory", "sqlite", "redis", "nats"));

TEST(KeyValue, BucketsOutsideTheAllowListAreNoSuchStore) {
    Options o = linked("wasi:keyvalue=memory,bucket=cache,bucket=sessions");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "cache", "set", "a", "1"}, o).out, "set a: ok\n");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "sessions", "get", "a"}, o).out, "get a: none\n");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "secret-stuff", "get", "a"}, o).out,
              "open: error no-such-store\n");
}

TEST(KeyValue, TheMemoryStoreHasALimit) {
    // 20 bytes: "a"+"123456789" and "b"+"123456789" fit, "c"+"1" does not; replacing a's value
    // by a shorter one frees one byte only, not enough; deleting b frees its ten.
    Options o = linked("wasi:keyvalue=memory,max_bytes=20");
    GuestRun r = run_guest("caps_guest", {"kv", "m",         "set", "a",         "123456789", "set",
                                          "b",  "123456789", "set", "c",         "1",         "set",
                                          "a",  "12345678",  "set", "c",         "1",         "del",
                                          "b",  "set",       "c",   "123456789", "get",       "c"},
                           o);
    EXPECT_EQ(r.out, "set a: ok\nset b: ok\n"
                     "set: error other: the memory store is full (20 bytes at most)\n"
                     "set a: ok\n"
                     "set: error other: the memory store is full (20 bytes at most)\n"
                     "del b: ok\nset c: ok\nget c: 123456789\n");
    EXPECT_FALSE(Capabilities_create_ok("wasi:keyvalue=memory,max_bytes=lots"));
}

TEST(KeyValue, RedisBucketNamesCannotReachIntoOtherBuckets) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    Options o = linked("wasi:keyvalue=redis,url=" + (*redis)->url());
    EXPECT_EQ(run_guest("caps_guest", {"kv", "a", "set", "b:c", "secret"}, o).out, "set b:c: ok\n");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "a:b", "get", "c"}, o).out,
              "open: error other: Redis bucket names may not contain `:`\n");
}

TEST(KeyValue, NatsBucketNamesAndMissingBuckets) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    std::string url = (*nats)->url();
    EXPECT_EQ(
        run_guest("caps_guest", {"kv", "no.dots", "list"}, linked("wasi:keyvalue=nats,url=" + url))
            .out,
        "open: error other: NATS key-value bucket names are letters, digits, `-` and `_`\n");
    EXPECT_EQ(run_guest("caps_guest", {"kv", "absent", "list"},
                        linked("wasi:keyvalue=nats,create=false,url=" + url))
                  .out,
              "open: error no-such-store\n");
}

TEST(KeyValue, BadLinksAreRefusedBeforeTheComponentRuns) {
    for (const char* bad :
         {"wasi:keyvalue=redis,url=http://x", "wasi:keyvalue=redis,url=redis://h:0",
          "wasi:keyvalue=nats,url=localhost", "wasi:keyvalue=sqlite",
          "wasi:keyvalue=nats,create=maybe"}) {
        GuestRun r = run_guest("caps_guest", {"kv", "b", "list"}, linked(bad));
        ASSERT_FALSE(r.status.ok()) << bad;
        EXPECT_EQ(r.status.error().kind, ErrorKind::Usage) << bad;
        EXPECT_EQ(r.status.error().message.rfind("wasi:keyvalue on ", 0), 0u)
            << r.status.error().message;
    }
}

TEST(KeyValue, TheWatcherIsToldOfChangesToWatchedBuckets) {
    Options o = linked("wasi:keyvalue=memory,watch=w");
    GuestRun r = run_guest("caps_guest",
                           {"kv", "w", "set", "a", "1", "del", "a", "setmany", "1", "b", "2"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.out, "set a: ok\ndel a: ok\nsetmany 1: ok\n"
                     "watch set a=1\nwatch delete a\nwatch set b=2\n");
    // An unwatched bucket: nothing.
    GuestRun quiet = run_guest("caps_guest", {"kv", "other", "set", "a", "1"}, o);
    EXPECT_EQ(quiet.out, "set a: ok\n");
}

// A server that is down gives the guest error::other, not a trap; once it is back the same
// host (its connection pool) works again and nothing it acknowledged is lost.
void survives_restart(Server& server, const std::string& link, bool kill) {
    GuestHost host(linked(link));
    ASSERT_TRUE(host.created().ok());
    GuestRun w = host.run("caps_guest", {"kv", "f", "set", "kept", "yes", "incr", "c", "3"});
    ASSERT_EQ(w.out, "set kept: ok\nincr c: 3\n");

    ASSERT_TRUE(server.stop(kill).ok());
    GuestRun down = host.run("caps_guest", {"kv", "f", "get", "kept", "set", "lost", "x"});
    ASSERT_TRUE(down.status.ok()) << down.status.error().to_string();
    EXPECT_EQ(*down.status, 0);
    EXPECT_NE(down.out.find("error other: "), std::string::npos) << down.out;
    EXPECT_EQ(down.out.find("get kept: yes"), std::string::npos) << down.out;
    EXPECT_EQ(down.out.find("set lost: ok"), std::string::npos) << down.out;

    ASSERT_TRUE(server.start().ok()) << server.log();
    // A client reconnecting by itself (NATS) may need a moment after the server is up: wait
    // until a read works (reading is idempotent; retrying the increment would count twice
    // whenever an attempt failed after the server had stored it).
    GuestRun probe;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
        probe = host.run("caps_guest", {"kv", "f", "get", "kept"});
        if (probe.out == "get kept: yes\n") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < end);
    ASSERT_EQ(probe.out, "get kept: yes\n");
    GuestRun up = host.run("caps_guest", {"kv", "f", "incr", "c", "1", "get", "lost"});
    EXPECT_EQ(up.out, "incr c: 4\nget lost: none\n");
}

TEST(KeyValueFaults, RedisDownThenBack) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    survives_restart(**redis, "wasi:keyvalue=redis,url=" + (*redis)->url(), false);
}

TEST(KeyValueFaults, RedisKilledThenBack) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    survives_restart(**redis, "wasi:keyvalue=redis,url=" + (*redis)->url(), true);
}

TEST(KeyValueFaults, NatsDownThenBack) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    survives_restart(**nats, "wasi:keyvalue=nats,url=" + (*nats)->url(), false);
}

// Two hosts (two connections) incrementing one counter at once: NATS's compare-and-set loses
// races, and each lost one is read again and tried again; no increment is lost or doubled.
TEST(KeyValueFaults, ConcurrentIncrementsOnNatsAllCount) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    std::string link = "wasi:keyvalue=nats,url=" + (*nats)->url();
    std::vector<std::string> args = {"kv", "race"};
    for (int i = 0; i < 25; ++i) args.insert(args.end(), {"incr", "n", "1"});
    std::string outs[2];
    std::thread other([&] { outs[1] = run_guest("caps_guest", args, linked(link)).out; });
    outs[0] = run_guest("caps_guest", args, linked(link)).out;
    other.join();
    for (const auto& out : outs) EXPECT_EQ(out.find("error"), std::string::npos) << out;
    EXPECT_EQ(run_guest("caps_guest", {"kv", "race", "get", "n"}, linked(link)).out, "get n: 50\n");
}

TEST(KeyValueFaults, ServersDownFromTheStart) {
    // Nothing listens on these ports: every operation fails, the host and the guest go on.
    for (std::string backend : {"redis", "nats"}) {
        std::string url = backend + "://127.0.0.1:" + std::to_string(free_port());
        GuestRun r = run_guest("caps_guest", {"kv", "b", "get", "k"},
                               linked("wasi:keyvalue=" + backend + ",url=" + url));
        ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
        EXPECT_EQ(*r.status, 0);
        if (backend == "nats")
            EXPECT_EQ(r.out.rfind("open: error other: nats connect", 0), 0u) << r.out;
        else
            EXPECT_EQ(r.out.rfind("get: error other: redis 127.0.0.1:", 0), 0u) << r.out;
    }
}

} // namespace
} // namespace cirrus::testing

namespace cirrus::testing {
namespace {

TEST(KeyValueCli, OnlyTheLinkDiffersBetweenEmbeddedAndRedis) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    std::string wasm = caps_component("caps_guest");
    std::vector<std::string> args = {"kv", "b",       "set", "k", "v", "incr", "n",
                                     "2",  "getmany", "2",   "k", "n", "list"};
    std::vector<std::string> embedded = {"run", wasm};
    std::vector<std::string> real = {"run", "--link", "wasi:keyvalue=redis,url=" + (*redis)->url(),
                                     wasm};
    embedded.insert(embedded.end(), args.begin(), args.end());
    real.insert(real.end(), args.begin(), args.end());
    CliRun a = run_cli(embedded);
    CliRun b = run_cli(real);
    EXPECT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(b.status, 0) << b.err;
    const std::string want =
        "set k: ok\nincr n: 2\ngetmany: k=v n=2\nlist: 2 keys in 1 pages: k n\n";
    EXPECT_EQ(a.out, want);
    EXPECT_EQ(without_page_counts(b.out), without_page_counts(want));
    // The Redis run left its data on the server: a second run sees it, an embedded one not.
    std::vector<std::string> get = {"kv", "b", "get", "k"};
    real.resize(4);
    real.insert(real.end(), get.begin(), get.end());
    embedded.resize(2);
    embedded.insert(embedded.end(), get.begin(), get.end());
    EXPECT_EQ(run_cli(real).out, "get k: v\n");
    EXPECT_EQ(run_cli(embedded).out, "get k: none\n");
}

TEST(KeyValueCli, BadLinkIsAStartUpError) {
    CliRun r = run_cli({"run", "--link", "wasi:keyvalue=postgres", caps_component("caps_guest"),
                        "kv", "b", "list"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: --link wasi:keyvalue: unknown backend `postgres` (known: memory, "
                     "sqlite, redis, nats)\n");
}

} // namespace
} // namespace cirrus::testing
