// A capability session serving one Store after another, as a `cirrus serve` worker's does: the
// wasi:keyvalue watcher hears changes made by other clients of Redis and NATS JetStream KV
// (hiredis and nats.c here), also after the server was away, and the host objects behind
// handles a guest never dropped go with its Store instead of piling up in the session.
#include "cirrus/capabilities/provider.h"
#include "guest_support.h"
#include "servers.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <nats/nats.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include <unistd.h>

namespace cirrus::testing {
namespace {

using namespace std::chrono_literals;

capabilities::Options linked(const std::string& link) {
    capabilities::Options o;
    auto l = capabilities::parse_link(link);
    EXPECT_TRUE(l.ok()) << l.error().message;
    if (l.ok()) o.links.push_back(*l);
    return o;
}

// The C guest linked once with the arguments `args`, instantiated in a fresh Store per run;
// after each run the pending watcher events are delivered (src/host/http_server.cpp does the
// same per request).
class Worker {
public:
    Worker(capabilities::Options o, std::vector<std::string> args) : out_(std::tmpfile()) {
        host::ComponentOptions co;
        co.capabilities = std::move(o);
        co.wasi.args = std::move(args);
        co.wasi.args.insert(co.wasi.args.begin(), "caps_guest");
        co.wasi.stdin_fd = -1;
        co.wasi.stdout_fd = fileno(out_);
        auto imports = host::ComponentImports::create(std::move(co));
        if (!imports.ok()) {
            ready_ = std::move(imports).error();
            return;
        }
        imports_ = std::move(*imports);
        std::ifstream in(caps_component("caps_guest"), std::ios::binary);
        std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
        auto comp = component::Component::compile(engine_, bytes);
        if (!comp.ok()) {
            ready_ = std::move(comp).error();
            return;
        }
        for (const auto& [name, ext] : (*comp)->type().exports) {
            if (name.starts_with("wasi:cli/run@")) run_name_ = name + "#run";
        }
        auto linked = imports_->link(linker_, **comp);
        if (!linked.ok()) {
            ready_ = std::move(linked).error();
            return;
        }
        instance_imports_ = std::move(*linked);
        auto pre = linker_.instantiate_pre(*comp);
        if (!pre.ok()) {
            ready_ = std::move(pre).error();
            return;
        }
        pre_ = std::move(*pre);
    }
    ~Worker() { std::fclose(out_); }

    const Result<void>& ready() const { return ready_; }

    // One run: what the guest printed, its watcher's lines included.
    std::string run() {
        long before = std::ftell(out_);
        {
            component::Store store(engine_);
            auto inst = pre_->instantiate(store);
            EXPECT_TRUE(inst.ok()) << inst.error().to_string();
            if (inst.ok() && instance_imports_->bind(store, **inst).ok()) {
                auto r = store.call((*inst)->get_func(run_name_), {});
                if (r.ok()) {
                    EXPECT_TRUE(instance_imports_->pump(store).ok());
                }
            }
            held_during_run = live_handles();
            instance_imports_->wasi->reset();
        }
        std::fflush(out_);
        std::fseek(out_, 0, SEEK_END);
        long after = std::ftell(out_);
        std::string text(static_cast<size_t>(after - before), '\0');
        if (::pread(fileno(out_), text.data(), text.size(), before) < 0) text.clear();
        return text;
    }

    // Runs until a run's output contains `want` (the feed's thread delivers a change a moment
    // after it was made); false after `limit`. `seen`: everything printed meanwhile.
    bool run_until(const std::string& want, std::string* seen = nullptr,
                   std::chrono::milliseconds limit = 10s) {
        auto end = std::chrono::steady_clock::now() + limit;
        std::string all;
        bool found = false;
        while (!found && std::chrono::steady_clock::now() < end) {
            std::string out = run();
            found = out.find(want) != std::string::npos;
            all += out;
            if (!found) std::this_thread::sleep_for(20ms);
        }
        if (seen) *seen = all;
        return found;
    }

    size_t live_handles() const { return instance_imports_->capabilities->live_handles(); }
    size_t held_during_run = 0;

private:
    FILE* out_;
    Result<void> ready_;
    wasm::Engine engine_;
    component::Linker linker_;
    std::unique_ptr<host::ComponentImports> imports_;
    std::unique_ptr<host::InstanceImports> instance_imports_;
    std::shared_ptr<const component::InstancePre> pre_;
    std::string run_name_;
};

TEST(KeyValueSessions, HandlesAGuestNeverDroppedDoNotPileUp) {
    // `kv b bogus`: the guest opens bucket b, stops at the unknown operation and exits without
    // dropping the bucket.
    Worker w(linked("wasi:keyvalue=memory"), {"kv", "b", "bogus"});
    ASSERT_TRUE(w.ready().ok()) << w.ready().error().to_string();
    for (int i = 0; i < 200; ++i) {
        ASSERT_EQ(w.run(), "unknown op bogus\n");
        ASSERT_EQ(w.held_during_run, 1u) << "run " << i;
        ASSERT_EQ(w.live_handles(), 0u) << "run " << i;
    }
}

// ---------------------------------------------------------------- native clients

struct RedisClient {
    redisContext* c;
    explicit RedisClient(uint16_t port) : c(redisConnect("127.0.0.1", port)) {}
    ~RedisClient() { redisFree(c); }
    bool command(std::vector<std::string> args) {
        if (!c || c->err) return false;
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r) freeReplyObject(r);
        return ok;
    }
};

struct NatsKvClient {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    kvStore* kv = nullptr;
    NatsKvClient(const std::string& url, const char* bucket) {
        if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) return;
        if (natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) return;
        if (js_KeyValue(&kv, js, bucket) != NATS_OK) kv = nullptr;
    }
    ~NatsKvClient() {
        if (kv) kvStore_Destroy(kv);
        if (js) jsCtx_Destroy(js);
        if (nc) natsConnection_Destroy(nc);
    }
    bool put(const char* key, const char* value) {
        uint64_t rev = 0;
        return kv && kvStore_PutString(&rev, kv, key, value) == NATS_OK;
    }
    bool remove(const char* key) { return kv && kvStore_Delete(kv, key) == NATS_OK; }
};

// `kv w set mine v` each run: a change made through this host, which the backend's feed
// reports like any other; once it is heard the feed is listening.
const std::vector<std::string> watching = {"kv", "w", "set", "mine", "v"};

TEST(KeyValueWatcher, HearsChangesOtherRedisClientsMake) {
    auto redis = start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    Worker w(linked("wasi:keyvalue=redis,watch=w,url=" + (*redis)->url()), watching);
    ASSERT_TRUE(w.ready().ok()) << w.ready().error().to_string();
    std::string seen;
    ASSERT_TRUE(w.run_until("watch set mine=v\n", &seen)) << seen;

    RedisClient other((*redis)->port());
    ASSERT_TRUE(other.command({"SET", "w:native", "hello"}));
    EXPECT_TRUE(w.run_until("watch set native=hello\n", &seen)) << seen;
    ASSERT_TRUE(other.command({"INCRBY", "w:n", "5"}));
    EXPECT_TRUE(w.run_until("watch set n=5\n", &seen)) << seen;
    ASSERT_TRUE(other.command({"DEL", "w:native"}));
    EXPECT_TRUE(w.run_until("watch delete native\n", &seen)) << seen;
    // Another bucket's keys and keys outside any bucket are not the watcher's.
    ASSERT_TRUE(other.command({"SET", "other:k", "x"}));
    ASSERT_TRUE(other.command({"SET", "plain", "x"}));
    ASSERT_TRUE(other.command({"SET", "w:last", "1"}));
    ASSERT_TRUE(w.run_until("watch set last=1\n", &seen)) << seen;
    EXPECT_EQ(seen.find("watch set k="), std::string::npos) << seen;
    EXPECT_EQ(seen.find("plain"), std::string::npos) << seen;

    // The server goes away and comes back (forgetting the notification setting): the feed
    // subscribes again by itself.
    ASSERT_TRUE((*redis)->stop().ok());
    w.run();
    ASSERT_TRUE((*redis)->start().ok()) << (*redis)->log();
    ASSERT_TRUE(w.run_until("watch set mine=v\n", &seen)) << seen;
    RedisClient again((*redis)->port());
    ASSERT_TRUE(again.command({"SET", "w:after", "restart"}));
    EXPECT_TRUE(w.run_until("watch set after=restart\n", &seen)) << seen;
}

TEST(KeyValueWatcher, HearsChangesOtherNatsClientsMake) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    Worker w(linked("wasi:keyvalue=nats,watch=w,url=" + (*nats)->url()), watching);
    ASSERT_TRUE(w.ready().ok()) << w.ready().error().to_string();
    std::string seen;
    ASSERT_TRUE(w.run_until("watch set mine=v\n", &seen)) << seen;

    {
        NatsKvClient other((*nats)->url(), "w");
        ASSERT_TRUE(other.put("native", "hello"));
        EXPECT_TRUE(w.run_until("watch set native=hello\n", &seen)) << seen;
        ASSERT_TRUE(other.remove("native"));
        EXPECT_TRUE(w.run_until("watch delete native\n", &seen)) << seen;
    }

    // The server goes away and comes back: the watchers are made again, and a change made
    // right after it is back is heard.
    ASSERT_TRUE((*nats)->stop().ok());
    w.run();
    ASSERT_TRUE((*nats)->start().ok()) << (*nats)->log();
    NatsKvClient again((*nats)->url(), "w");
    ASSERT_TRUE(again.put("after", "restart"));
    EXPECT_TRUE(w.run_until("watch set after=restart\n", &seen)) << seen;
    // Nothing from before the outage is told twice.
    EXPECT_EQ(seen.find("watch set native=hello"), std::string::npos) << seen;
}

} // namespace
} // namespace cirrus::testing
