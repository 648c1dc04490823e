// Key-value throughput from a guest against a native client, per backend, in one run.
//
// The guest is the C test component (tests/capabilities/guests/caps_guest.c, `kv BUCKET bench
// N`): N sets then N gets of 100-byte values over 1000 keys through wasi:keyvalue, each loop
// timed inside the guest (wasi:clocks), so instantiation is not in the figure. The native
// client does the same operations on the same server from C++: hiredis SET/GET on one
// connection, nats.c kvStore_Put/kvStore_Get, SQLite prepared statements, a mutex-guarded
// std::map for memory. Servers are started for the run (tests/support/servers.h). The guest
// runs on both tiers (the interpreter and the LLVM JIT). The table gives operations per second
// and guest time / native time per tier (target: at most 1.5).
//
//   kv_bench [N] [BACKEND...]      (default 20000; memory sqlite redis nats)
#include "cirrus/capabilities/capabilities.h"
#include "cirrus/host/imports.h"
#include "cirrus/wasm/engine.h"
#include "servers.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <nats/nats.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using cirrus::testing::Server;

struct Times {
    double set_ns = 0, get_ns = 0; // per operation
};

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string key_of(size_t j) {
    return std::string("b").append(std::to_string(j % 1000));
}

// The guest's loops, timed by the guest: parses "bench N: set X ns get Y ns". The guest runs
// on the tier `tier` (each run makes its own engine, from the default tier).
std::optional<Times> guest(const std::string& link, size_t n, cirrus::wasm::Tier tier) {
    cirrus::wasm::set_default_tier(tier);
    cirrus::host::ComponentOptions co;
    auto l = cirrus::capabilities::parse_link(link);
    if (!l.ok()) {
        fmt::print(stderr, "{}\n", l.error().message);
        return std::nullopt;
    }
    co.capabilities.links.push_back(*l);
    auto imports = cirrus::host::ComponentImports::create(std::move(co));
    if (!imports.ok()) {
        fmt::print(stderr, "{}\n", imports.error().message);
        return std::nullopt;
    }
    std::vector<uint8_t> wasm = read_file(std::string(CIRRUS_CAPS_COMPONENTS) + "/caps_guest.wasm");
    // One run (one instantiation, one JIT compile): a short loop to warm up (connections,
    // buckets, caches), then the measured loop twice; the faster pass counts.
    FILE* out = std::tmpfile();
    cirrus::wasi::Config config;
    config.args = {"caps_guest",      "kv",    "bench",          "bench", "1000", "bench",
                   std::to_string(n), "bench", std::to_string(n)};
    config.stdout_fd = fileno(out);
    auto status = (*imports)->run_command(wasm, std::move(config));
    std::rewind(out);
    std::optional<Times> best;
    int lines = 0;
    char line[256] = {0};
    while (std::fgets(line, sizeof line, out)) {
        unsigned long long count = 0, set_ns = 0, get_ns = 0;
        if (std::sscanf(line, "bench %llu: set %llu ns get %llu ns", &count, &set_ns, &get_ns) != 3)
            break;
        if (lines++ == 0) continue;
        Times t{double(set_ns) / double(n), double(get_ns) / double(n)};
        if (!best || t.set_ns + t.get_ns < best->set_ns + best->get_ns) best = t;
    }
    std::fclose(out);
    if (!status.ok() || lines != 3) {
        fmt::print(stderr, "guest run failed: {}{}\n", line,
                   status.ok() ? "" : status.error().to_string());
        return std::nullopt;
    }
    return best;
}

// Runs set(j) n times then get(j) n times, twice; the faster pass counts.
template <typename Set, typename Get>
Times native(size_t n, Set set, Get get) {
    Times best{1e300, 1e300};
    for (int rep = 0; rep < 2; ++rep) {
        auto t0 = Clock::now();
        for (size_t j = 0; j < n; ++j) set(j);
        auto t1 = Clock::now();
        for (size_t j = 0; j < n; ++j) get(j);
        auto t2 = Clock::now();
        Times t{std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n),
                std::chrono::duration<double, std::nano>(t2 - t1).count() / double(n)};
        if (t.set_ns + t.get_ns < best.set_ns + best.get_ns) best = t;
    }
    return best;
}

const std::string value(100, 'v');

Times native_memory(size_t n) {
    std::mutex m;
    std::map<std::string, std::map<std::string, std::string>> buckets;
    return native(
        n,
        [&](size_t j) {
            std::lock_guard lock(m);
            buckets["bench"][key_of(j)] = value;
        },
        [&](size_t j) {
            std::lock_guard lock(m);
            volatile size_t s = buckets["bench"].at(key_of(j)).size();
            (void)s;
        });
}

Times native_sqlite(const std::string& path, size_t n) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    sqlite3_exec(db,
                 "CREATE TABLE IF NOT EXISTS native_kv (bucket TEXT, key TEXT, value BLOB, "
                 "PRIMARY KEY (bucket, key))",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt *set = nullptr, *get = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO native_kv VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET "
                       "value=excluded.value",
                       -1, &set, nullptr);
    sqlite3_prepare_v2(db, "SELECT value FROM native_kv WHERE bucket=?1 AND key=?2", -1, &get,
                       nullptr);
    Times t = native(
        n,
        [&](size_t j) {
            std::string k = key_of(j);
            sqlite3_bind_text(set, 1, "bench", 5, SQLITE_STATIC);
            sqlite3_bind_text(set, 2, k.data(), int(k.size()), SQLITE_TRANSIENT);
            sqlite3_bind_blob(set, 3, value.data(), int(value.size()), SQLITE_STATIC);
            sqlite3_step(set);
            sqlite3_reset(set);
        },
        [&](size_t j) {
            std::string k = key_of(j);
            sqlite3_bind_text(get, 1, "bench", 5, SQLITE_STATIC);
            sqlite3_bind_text(get, 2, k.data(), int(k.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(get) == SQLITE_ROW) {
                std::string v(static_cast<const char*>(sqlite3_column_blob(get, 0)),
                              size_t(sqlite3_column_bytes(get, 0)));
            }
            sqlite3_reset(get);
        });
    sqlite3_finalize(set);
    sqlite3_finalize(get);
    sqlite3_close(db);
    return t;
}

Times native_redis(const Server& s, size_t n) {
    redisContext* c = redisConnect("127.0.0.1", s.port());
    Times t = native(
        n,
        [&](size_t j) {
            std::string k = "bench:" + key_of(j);
            freeReplyObject(
                redisCommand(c, "SET %b %b", k.data(), k.size(), value.data(), value.size()));
        },
        [&](size_t j) {
            std::string k = "bench:" + key_of(j);
            auto* r = static_cast<redisReply*>(redisCommand(c, "GET %b", k.data(), k.size()));
            std::string v(r->str, r->len);
            freeReplyObject(r);
        });
    redisFree(c);
    return t;
}

Times native_nats(const Server& s, size_t n) {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    kvStore* kv = nullptr;
    natsConnection_ConnectTo(&nc, s.url().c_str());
    natsConnection_JetStream(&js, nc, nullptr);
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = "native";
    cfg.History = 1;
    js_CreateKeyValue(&kv, js, &cfg);
    Times t = native(
        n,
        [&](size_t j) {
            uint64_t rev = 0;
            kvStore_Put(&rev, kv, key_of(j).c_str(), value.data(), int(value.size()));
        },
        [&](size_t j) {
            kvEntry* e = nullptr;
            if (kvStore_Get(&e, kv, key_of(j).c_str()) == NATS_OK) {
                std::string v(static_cast<const char*>(kvEntry_Value(e)),
                              size_t(kvEntry_ValueLen(e)));
                kvEntry_Destroy(e);
            }
        });
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return t;
}

struct GuestTimes {
    std::optional<Times> interp, jit;
};

void row(const std::string& backend, const GuestTimes& g, const Times& n) {
    auto ops = [](double ns) { return 1e9 / ns; };
    auto cell = [&](const std::optional<Times>& t, bool set) {
        if (!t) return fmt::format("{:>10} {:>6}", "failed", "");
        double ns = set ? t->set_ns : t->get_ns;
        return fmt::format("{:>10.0f} {:>5.2f}x", ops(ns), ns / (set ? n.set_ns : n.get_ns));
    };
    fmt::print("{:<7} {:>10.0f} {} {}   {:>10.0f} {} {}\n", backend, ops(n.set_ns),
               cell(g.interp, true), cell(g.jit, true), ops(n.get_ns), cell(g.interp, false),
               cell(g.jit, false));
}

} // namespace

int main(int argc, char** argv) {
    size_t n = argc > 1 ? std::stoul(argv[1]) : 20000;
    std::set<std::string> only(argv + std::min(argc, 2), argv + argc);
    auto wanted = [&](const char* b) { return only.empty() || only.count(b) != 0; };
    fmt::print("key-value: {} sets then {} gets of 100-byte values over 1000 keys; ops/s, and "
               "guest time / native time, guest on the interpreter and on the JIT\n",
               n, n);
    fmt::print("{:<7} {:>10} {:>17} {:>17}   {:>10} {:>17} {:>17}\n", "backend", "native set",
               "interp set", "jit set", "native get", "interp get", "jit get");
    int status = 0;
    auto report = [&](const std::string& name, const std::string& link, auto native_run) {
        GuestTimes g{guest(link, n, cirrus::wasm::Tier::Interpreter),
                     guest(link, n, cirrus::wasm::Tier::Jit)};
        if (!g.interp || !g.jit) status = 1;
        row(name, g, native_run());
    };

    if (wanted("memory"))
        report("memory", "wasi:keyvalue=memory", [&] { return native_memory(n); });

    if (wanted("sqlite")) {
        std::string dir =
            std::filesystem::temp_directory_path() / fmt::format("cirrus-kv-bench-{}", ::getpid());
        std::filesystem::create_directories(dir);
        report("sqlite", "wasi:keyvalue=sqlite,path=" + dir + "/guest.db",
               [&] { return native_sqlite(dir + "/native.db", n); });
        std::filesystem::remove_all(dir);
    }

    if (wanted("redis")) {
        auto redis = cirrus::testing::start_redis(/*durable=*/false);
        if (!redis.ok()) {
            fmt::print(stderr, "{}\n", redis.error().message);
            return 1;
        }
        report("redis", "wasi:keyvalue=redis,url=" + (*redis)->url(),
               [&] { return native_redis(**redis, n); });
    }

    if (wanted("nats")) {
        auto nats = cirrus::testing::start_nats();
        if (!nats.ok()) {
            fmt::print(stderr, "{}\n", nats.error().message);
            return 1;
        }
        report("nats", "wasi:keyvalue=nats,url=" + (*nats)->url(),
               [&] { return native_nats(**nats, n); });
    }
    return status;
}
