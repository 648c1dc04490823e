// The Redis key-value backend (hiredis). A bucket is a key prefix: key K of bucket B is the
// Redis key "B:K"; list-keys is SCAN with MATCH on the escaped prefix, its cursor Redis's own.
// Connections are pooled; one that failed is dropped and the next operation connects again,
// so operations work once the server is back. Idempotent operations are retried once on a
// fresh connection (a connection the server closed while it restarted); increment is not
// (it may have been applied), the guest gets the error.
#include "keyvalue.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>

#include <poll.h>

namespace cirrus::capabilities::kv {

namespace {

using namespace std::string_literals;

struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string user, password;
    int db = 0;
};

Result<Endpoint> parse_url(const std::string& url) {
    Endpoint e;
    std::string_view rest(url);
    if (!rest.starts_with("redis://"))
        return Error(ErrorKind::Usage, "url= must be redis://HOST[:PORT][/DB]");
    rest.remove_prefix(8);
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view cred = rest.substr(0, at);
        size_t colon = cred.find(':');
        e.user = std::string(cred.substr(0, colon));
        if (colon != std::string_view::npos) e.password = std::string(cred.substr(colon + 1));
        rest.remove_prefix(at + 1);
    }
    size_t slash = rest.find('/');
    std::string_view hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view db = rest.substr(slash + 1);
        auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), e.db);
        if (!db.empty() && (ec != std::errc() || end != db.data() + db.size() || e.db < 0))
            return Error(ErrorKind::Usage, "url=: the database number after / is not a number");
    }
    size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
        std::string_view p = hostport.substr(colon + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), e.port);
        if (ec != std::errc() || end != p.data() + p.size() || e.port <= 0 || e.port > 65535)
            return Error(ErrorKind::Usage, "url=: the port is not a number from 1 to 65535");
        hostport = hostport.substr(0, colon);
    }
    if (hostport.empty()) return Error(ErrorKind::Usage, "url=: no host");
    e.host = std::string(hostport);
    return e;
}

// SCAN's MATCH pattern for keys starting with `prefix`: glob characters escaped.
std::string match_prefix(const std::string& prefix) {
    std::string out;
    for (char c : prefix) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
    }
    return out + "*";
}

Error unexpected(const redisReply* r) {
    if (r->type == REDIS_REPLY_ERROR)
        return Error(ErrorKind::Io, "redis: " + std::string(r->str, r->len));
    return Error(ErrorKind::Io, fmt::format("redis: unexpected reply of type {}", r->type));
}

Result<Reply> send(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r) return Error(ErrorKind::Io, fmt::format("redis: {}", c->errstr));
    return r;
}

// A new connection, authenticated and on the endpoint's database.
Result<Context> connect(const Endpoint& endpoint) {
    timeval tv{2, 0};
    Context c(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv));
    if (!c) return Error(ErrorKind::Io, "redis: out of memory");
    if (c->err)
        return Error(ErrorKind::Io,
                     fmt::format("redis {}:{}: {}", endpoint.host, endpoint.port, c->errstr));
    redisSetTimeout(c.get(), tv);
    auto setup = [&](std::vector<std::string> args) -> Result<void> {
        CIRRUS_TRY_ASSIGN(Reply r, send(c.get(), args));
        if (r->type == REDIS_REPLY_ERROR) return unexpected(r.get());
        return {};
    };
    if (!endpoint.password.empty()) {
        if (endpoint.user.empty())
            CIRRUS_TRY(setup({"AUTH", endpoint.password}));
        else
            CIRRUS_TRY(setup({"AUTH", endpoint.user, endpoint.password}));
    }
    if (endpoint.db != 0) CIRRUS_TRY(setup({"SELECT", std::to_string(endpoint.db)}));
    return c;
}

class RedisBackend : public Backend {
public:
    explicit RedisBackend(Endpoint e) : endpoint_(std::move(e)) {}

    // "B:K" names key K of bucket B: a `:` in B would let bucket "a:b" reach keys of bucket "a".
    Result<bool> open(const std::string& bucket) override {
        if (bucket.find(':') != std::string::npos)
            return Error(ErrorKind::Usage, "Redis bucket names may not contain `:`");
        return true;
    }

    Result<std::optional<std::string>> get(const std::string& bucket,
                                           const std::string& key) override {
        CIRRUS_TRY_ASSIGN(Reply r, command({"GET", name(bucket, key)}, true));
        if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
        if (r->type != REDIS_REPLY_STRING) return unexpected(r.get());
        return std::optional(std::string(r->str, r->len));
    }

    Result<void> set(const std::string& bucket, const std::string& key,
                     const std::string& value) override {
        CIRRUS_TRY_ASSIGN(Reply r, command({"SET", name(bucket, key), value}, true));
        if (r->type != REDIS_REPLY_STATUS) return unexpected(r.get());
        return {};
    }

    Result<void> remove(const std::string& bucket, const std::string& key) override {
        CIRRUS_TRY_ASSIGN(Reply r, command({"DEL", name(bucket, key)}, true));
        if (r->type != REDIS_REPLY_INTEGER) return unexpected(r.get());
        return {};
    }

    Result<bool> exists(const std::string& bucket, const std::string& key) override {
        CIRRUS_TRY_ASSIGN(Reply r, command({"EXISTS", name(bucket, key)}, true));
        if (r->type != REDIS_REPLY_INTEGER) return unexpected(r.get());
        return r->integer != 0;
    }

    Result<Page> list_keys(const std::string& bucket, std::optional<uint64_t> cursor) override {
        std::string prefix = bucket + ":";
        CIRRUS_TRY_ASSIGN(Reply r,
                          command({"SCAN", std::to_string(cursor.value_or(0)), "MATCH",
                                   match_prefix(prefix), "COUNT", std::to_string(page_size)},
                                  true));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
            return unexpected(r.get());
        Page page;
        uint64_t next = 0;
        std::string_view c(r->element[0]->str, r->element[0]->len);
        std::from_chars(c.data(), c.data() + c.size(), next);
        if (next != 0) page.cursor = next;
        const redisReply* keys = r->element[1];
        for (size_t i = 0; i < keys->elements; ++i) {
            std::string k(keys->element[i]->str, keys->element[i]->len);
            page.keys.push_back(k.substr(prefix.size()));
        }
        return page;
    }

    Result<uint64_t> increment(const std::string& bucket, const std::string& key,
                               uint64_t delta) override {
        // INCRBY is signed 64-bit: a larger delta cannot be expressed.
        if (delta > static_cast<uint64_t>(INT64_MAX))
            return Error(ErrorKind::Usage, "Redis counters are signed 64-bit: delta too large");
        CIRRUS_TRY_ASSIGN(Reply r,
                          command({"INCRBY", name(bucket, key), std::to_string(delta)}, false));
        if (r->type == REDIS_REPLY_ERROR)
            return Error(ErrorKind::Usage, "the value is not a counter (an unsigned decimal "
                                           "number) or the counter would overflow");
        if (r->type != REDIS_REPLY_INTEGER) return unexpected(r.get());
        if (r->integer < 0) return Error(ErrorKind::Usage, "the counter is negative");
        return static_cast<uint64_t>(r->integer);
    }

    Result<std::vector<std::optional<std::string>>>
    get_many(const std::string& bucket, const std::vector<std::string>& keys) override {
        std::vector<std::optional<std::string>> out;
        if (keys.empty()) return out;
        std::vector<std::string> args = {"MGET"};
        for (const auto& k : keys) args.push_back(name(bucket, k));
        CIRRUS_TRY_ASSIGN(Reply r, command(args, true));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != keys.size()) return unexpected(r.get());
        for (size_t i = 0; i < r->elements; ++i) {
            const redisReply* e = r->element[i];
            if (e->type == REDIS_REPLY_STRING)
                out.emplace_back(std::string(e->str, e->len));
            else
                out.emplace_back();
        }
        return out;
    }

    Result<void> set_many(const std::string& bucket,
                          const std::vector<std::pair<std::string, std::string>>& kvs) override {
        if (kvs.empty()) return {};
        std::vector<std::string> args = {"MSET"};
        for (const auto& [k, v] : kvs) {
            args.push_back(name(bucket, k));
            args.push_back(v);
        }
        CIRRUS_TRY_ASSIGN(Reply r, command(args, true));
        if (r->type != REDIS_REPLY_STATUS) return unexpected(r.get());
        return {};
    }

    Result<void> delete_many(const std::string& bucket,
                             const std::vector<std::string>& keys) override {
        if (keys.empty()) return {};
        std::vector<std::string> args = {"DEL"};
        for (const auto& k : keys) args.push_back(name(bucket, k));
        CIRRUS_TRY_ASSIGN(Reply r, command(args, true));
        if (r->type != REDIS_REPLY_INTEGER) return unexpected(r.get());
        return {};
    }

    std::unique_ptr<Watch> watch(std::vector<std::string> buckets,
                                 std::function<void(Change)> report,
                                 std::function<void(const std::string&)> trouble) override;

    const Endpoint& endpoint() const { return endpoint_; }

private:
    static std::string name(const std::string& bucket, const std::string& key) {
        return bucket + ":" + key;
    }
    // Runs one command on a pooled connection; a connection that failed is not returned to
    // the pool. `retry`: once more on a fresh connection after an I/O failure.
    Result<Reply> command(const std::vector<std::string>& args, bool retry) {
        for (int attempt = 0;; ++attempt) {
            Context c;
            {
                std::lock_guard lock(mutex_);
                if (!pool_.empty()) {
                    c = std::move(pool_.back());
                    pool_.pop_back();
                }
            }
            bool pooled = c != nullptr;
            if (!c) {
                CIRRUS_TRY_ASSIGN(c, connect(endpoint_));
            }
            auto r = send(c.get(), args);
            if (r.ok()) {
                std::lock_guard lock(mutex_);
                if (pool_.size() < 16) pool_.push_back(std::move(c));
                return r;
            }
            // The server went away: the other idle connections are as dead as this one.
            {
                std::lock_guard lock(mutex_);
                pool_.clear();
            }
            // Only a connection that was idle in the pool may have been closed under us.
            if (!retry || !pooled || attempt > 0) return r;
        }
    }

    Endpoint endpoint_;
    std::mutex mutex_;
    std::vector<Context> pool_;
};

// The change feed: keyspace notifications (https://redis.io/docs/latest/develop/use/keyspace-
// notifications/) on a connection of its own, in subscribe mode. The server is asked to send
// the classes needed (K keyspace, $ strings, g generic: del, rename, x expired, e evicted),
// added to what it sends already; a server that refuses CONFIG SET must have them configured.
// A set's value is read back with GET on the backend's pool, so on-set gets the value at the
// time it is read. After the server was away the connection is made again and the
// notifications asked for again (CONFIG SET does not survive a restart).
class RedisWatch : public Watch {
public:
    RedisWatch(RedisBackend& backend, std::vector<std::string> buckets,
               std::function<void(Change)> report, std::function<void(const std::string&)> trouble)
        : backend_(backend), buckets_(std::move(buckets)), report_(std::move(report)),
          trouble_(std::move(trouble)), thread_([this] { run(); }) {}
    ~RedisWatch() override {
        stop_ = true;
        thread_.join();
    }

private:
    void run() {
        bool told = false; // the current outage was reported
        while (!stop_) {
            auto c = subscribe();
            if (!c.ok()) {
                if (!told) trouble_(c.error().message + " (trying again)");
                told = true;
                pause(std::chrono::milliseconds(100));
                continue;
            }
            told = false;
            listen(c->get());
        }
    }

    void pause(std::chrono::milliseconds d) {
        auto end = std::chrono::steady_clock::now() + d;
        while (!stop_ && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }

    Result<Context> subscribe() {
        CIRRUS_TRY_ASSIGN(Context c, connect(backend_.endpoint()));
        CIRRUS_TRY(enable_notifications(c.get()));
        std::vector<std::string> args = {"PSUBSCRIBE"};
        for (const auto& b : buckets_) args.push_back(prefix() + match_prefix(b + ":"));
        CIRRUS_TRY_ASSIGN(Reply r, send(c.get(), args));
        // One confirmation a pattern; the first came as the reply.
        for (size_t i = 1; i < buckets_.size(); ++i) {
            void* more = nullptr;
            if (redisGetReply(c.get(), &more) != REDIS_OK)
                return Error(ErrorKind::Io, fmt::format("redis: {}", c->errstr));
            freeReplyObject(more);
        }
        return c;
    }

    std::string prefix() const { return fmt::format("__keyspace@{}__:", backend_.endpoint().db); }

    Result<void> enable_notifications(redisContext* c) {
        CIRRUS_TRY_ASSIGN(Reply got, send(c, {"CONFIG", "GET", "notify-keyspace-events"}));
        std::string flags;
        if (got->type == REDIS_REPLY_ARRAY && got->elements == 2 &&
            got->element[1]->type == REDIS_REPLY_STRING)
            flags.assign(got->element[1]->str, got->element[1]->len);
        std::string want = flags;
        bool all = flags.find('A') != std::string::npos;
        for (char f : std::string("K$gxe")) {
            if (want.find(f) == std::string::npos && !(all && f != 'K')) want += f;
        }
        if (want == flags) return {};
        CIRRUS_TRY_ASSIGN(Reply set, send(c, {"CONFIG", "SET", "notify-keyspace-events", want}));
        if (set->type == REDIS_REPLY_ERROR)
            trouble_(fmt::format("the server refused to turn keyspace notifications on ({}): "
                                 "changes are not heard unless notify-keyspace-events has K$gxe",
                                 std::string(set->str, set->len)));
        return {};
    }

    // Reads notifications until the connection fails or the feed stops.
    void listen(redisContext* c) {
        while (!stop_) {
            void* raw = nullptr;
            if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return;
            if (raw) {
                Reply r(static_cast<redisReply*>(raw));
                notified(r.get());
                continue;
            }
            pollfd p{c->fd, POLLIN, 0};
            int n = ::poll(&p, 1, 50);
            if (n == 0 || (n < 0 && errno == EINTR)) continue;
            if (n < 0 || redisBufferRead(c) != REDIS_OK) {
                if (!stop_)
                    trouble_("redis: the server closed the notification connection "
                             "(subscribing again)");
                return;
            }
        }
    }

    // ["pmessage", pattern, "__keyspace@DB__:BUCKET:KEY", event]
    void notified(const redisReply* r) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) return;
        for (size_t i = 0; i < 4; ++i) {
            if (r->element[i]->type != REDIS_REPLY_STRING) return;
        }
        std::string_view channel(r->element[2]->str, r->element[2]->len);
        std::string_view event(r->element[3]->str, r->element[3]->len);
        std::string pre = prefix();
        if (!channel.starts_with(pre)) return;
        channel.remove_prefix(pre.size());
        size_t colon = channel.find(':');
        if (colon == std::string_view::npos) return;
        Change change{std::string(channel.substr(0, colon)), std::string(channel.substr(colon + 1)),
                      std::nullopt};
        static constexpr std::string_view removed[] = {"del", "expired", "evicted", "rename_from",
                                                       "move_from"};
        static constexpr std::string_view written[] = {"set",         "setrange", "incrby",
                                                       "incrbyfloat", "append",   "rename_to",
                                                       "copy_to",     "restore",  "move_to"};
        if (std::find(std::begin(removed), std::end(removed), event) != std::end(removed)) {
            report_(std::move(change));
            return;
        }
        if (std::find(std::begin(written), std::end(written), event) == std::end(written)) return;
        // Gone again already (a delete follows) or not a string (another client's list): no
        // value to give.
        auto v = backend_.get(change.bucket, change.key);
        if (!v.ok() || !*v) return;
        change.value = std::move(**v);
        report_(std::move(change));
    }

    RedisBackend& backend_;
    std::vector<std::string> buckets_;
    std::function<void(Change)> report_;
    std::function<void(const std::string&)> trouble_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::unique_ptr<Watch> RedisBackend::watch(std::vector<std::string> buckets,
                                           std::function<void(Change)> report,
                                           std::function<void(const std::string&)> trouble) {
    // Names with `:` cannot be buckets here (open refuses them).
    std::erase_if(buckets, [](const std::string& b) { return b.find(':') != std::string::npos; });
    if (buckets.empty()) return std::make_unique<Watch>();
    return std::make_unique<RedisWatch>(*this, std::move(buckets), std::move(report),
                                        std::move(trouble));
}

} // namespace

Result<std::unique_ptr<Backend>> make_redis(const std::string& url) {
    CIRRUS_TRY_ASSIGN(Endpoint e, parse_url(url));
    return std::unique_ptr<Backend>(std::make_unique<RedisBackend>(std::move(e)));
}

} // namespace cirrus::capabilities::kv
