// The NATS JetStream key-value backend (libnats / nats.c). A wasi:keyvalue bucket is a
// JetStream KV bucket of the same name (file storage, history 1), made on first open unless
// create=false. NATS KV keys allow only [-/_=.a-zA-Z0-9] with no empty `.` tokens, so any other
// byte (and `.` and `=`) is stored escaped as `=XX`; list-keys gives back the original keys.
//
// The connection is made on first use and, once up, reconnects by itself; a server that is
// down makes operations fail after a short wait (the guest gets error::other) and they work
// again when it is back. Publishes are not buffered while disconnected: what the guest was
// told succeeded was acknowledged by JetStream.
#include "keyvalue.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <thread>

namespace cirrus::capabilities::kv {

namespace {

constexpr int64_t wait_ms = 1000;

std::string encode_key(const std::string& key) {
    std::string out;
    for (unsigned char c : key) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '/')
            out += static_cast<char>(c);
        else
            out += fmt::format("={:02X}", c);
    }
    return out;
}

std::string decode_key(std::string_view key) {
    std::string out;
    for (size_t i = 0; i < key.size(); ++i) {
        unsigned byte = 0;
        if (key[i] == '=' && i + 2 < key.size() &&
            std::from_chars(key.data() + i + 1, key.data() + i + 3, byte, 16).ptr ==
                key.data() + i + 3) {
            out += static_cast<char>(byte);
            i += 2;
        } else {
            out += key[i];
        }
    }
    return out;
}

bool valid_bucket(const std::string& b) {
    return !b.empty() && b.size() <= 255 && std::all_of(b.begin(), b.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

Error nats_error(std::string_view what, natsStatus s) {
    const char* last = nats_GetLastError(nullptr);
    return Error(ErrorKind::Io, fmt::format("nats {}: {}{}{}", what, natsStatus_GetText(s),
                                            last && *last ? ": " : "", last ? last : ""));
}

struct EntryDeleter {
    void operator()(kvEntry* e) const { kvEntry_Destroy(e); }
};
using Entry = std::unique_ptr<kvEntry, EntryDeleter>;

class NatsBackend : public Backend {
public:
    NatsBackend(std::string url, bool create) : url_(std::move(url)), create_(create) {}
    ~NatsBackend() override {
        for (auto& [name, kv] : stores_) kvStore_Destroy(kv);
        if (js_) jsCtx_Destroy(js_);
        if (nc_) natsConnection_Destroy(nc_);
    }

    Result<bool> open(const std::string& bucket) override {
        if (!valid_bucket(bucket))
            return Error(ErrorKind::Usage,
                         "NATS key-value bucket names are letters, digits, `-` and `_`");
        auto kv = store(bucket);
        if (!kv.ok() && kv.error().kind == ErrorKind::Unlinkable) return false;
        if (!kv.ok()) return std::move(kv).error();
        return true;
    }

    Result<std::optional<std::string>> get(const std::string& bucket,
                                           const std::string& key) override {
        CIRRUS_TRY_ASSIGN(kvStore * kv, store(bucket));
        return get_entry(kv, key, nullptr);
    }

    Result<void> set(const std::string& bucket, const std::string& key,
                     const std::string& value) override {
        CIRRUS_TRY_ASSIGN(kvStore * kv, store(bucket));
        uint64_t rev = 0;
        natsStatus s = kvStore_Put(&rev, kv, encode_key(key).c_str(), value.data(),
                                   static_cast<int>(value.size()));
        if (s != NATS_OK) return nats_error("put", s);
        return {};
    }

    Result<void> remove(const std::string& bucket, const std::string& key) override {
        CIRRUS_TRY_ASSIGN(kvStore * kv, store(bucket));
        natsStatus s = kvStore_Delete(kv, encode_key(key).c_str());
        if (s != NATS_OK) return nats_error("delete", s);
        return {};
    }

    // kvStore_Keys gathers every key; the cursor is an offset into them, sorted.
    Result<Page> list_keys(const std::string& bucket, std::optional<uint64_t> cursor) override {
        CIRRUS_TRY_ASSIGN(kvStore * kv, store(bucket));
        kvKeysList list{};
        natsStatus s = kvStore_Keys(&list, kv, nullptr);
        Page page;
        if (s == NATS_NOT_FOUND) return page;
        if (s != NATS_OK) return nats_error("keys", s);
        std::vector<std::string> keys;
        for (int i = 0; i < list.Count; ++i) keys.push_back(decode_key(list.Keys[i]));
        kvKeysList_Destroy(&list);
        std::sort(keys.begin(), keys.end());
        uint64_t start = cursor.value_or(0);
        for (uint64_t i = start; i < keys.size() && page.keys.size() < page_size; ++i)
            page.keys.push_back(std::move(keys[i]));
        if (start + page.keys.size() < keys.size()) page.cursor = start + page.keys.size();
        return page;
    }

    // Compare-and-set on the entry's revision until no other writer came in between. Only a
    // write the server refused (NATS_ERR: the revision moved) is tried again: one that timed
    // out may have been stored, and trying again would count twice (the guest gets the error,
    // as from Redis).
    Result<uint64_t> increment(const std::string& bucket, const std::string& key,
                               uint64_t delta) override {
        CIRRUS_TRY_ASSIGN(kvStore * kv, store(bucket));
        std::string k = encode_key(key);
        for (int attempt = 0; attempt < 50; ++attempt) {
            uint64_t rev = 0;
            CIRRUS_TRY_ASSIGN(auto old, get_entry(kv, key, &rev));
            CIRRUS_TRY_ASSIGN(uint64_t v, add_to_counter(old, delta));
            std::string text = std::to_string(v);
            uint64_t new_rev = 0;
            natsStatus s = rev == 0 ? kvStore_Create(&new_rev, kv, k.c_str(), text.data(),
                                                     static_cast<int>(text.size()))
                                    : kvStore_Update(&new_rev, kv, k.c_str(), text.data(),
                                                     static_cast<int>(text.size()), rev);
            if (s == NATS_OK) return v;
            if (s != NATS_ERR) return nats_error("update", s);
            // Lost the race (the revision moved): read again. Anything else is a failure.
            uint64_t now = 0;
            CIRRUS_TRY(get_entry(kv, key, &now));
            if (now == rev) return nats_error("update", s);
        }
        return Error(ErrorKind::Io, "nats: increment: too many concurrent writers");
    }

    std::unique_ptr<Watch> watch(std::vector<std::string> buckets,
                                 std::function<void(Change)> report,
                                 std::function<void(const std::string&)> trouble) override;

    // How often the connection was made again after the server went away.
    uint64_t reconnects() const { return reconnects_; }

private:
    friend class NatsWatch;

    // The entry's value (none when absent or deleted), and its revision in `*rev` (0: absent).
    Result<std::optional<std::string>> get_entry(kvStore* kv, const std::string& key,
                                                 uint64_t* rev) {
        kvEntry* raw = nullptr;
        natsStatus s = kvStore_Get(&raw, kv, encode_key(key).c_str());
        if (rev) *rev = 0;
        if (s == NATS_NOT_FOUND) return std::optional<std::string>();
        if (s != NATS_OK) return nats_error("get", s);
        Entry e(raw);
        if (kvEntry_Operation(e.get()) != kvOp_Put) return std::optional<std::string>();
        if (rev) *rev = kvEntry_Revision(e.get());
        const void* data = kvEntry_Value(e.get());
        int n = kvEntry_ValueLen(e.get());
        return std::optional(
            n > 0 ? std::string(static_cast<const char*>(data), static_cast<size_t>(n))
                  : std::string());
    }

    // The connection, made on first use: a server down at start-up is an error for this call,
    // the next one tries again.
    Result<jsCtx*> jetstream() {
        if (js_) return js_;
        natsOptions* opts = nullptr;
        natsStatus s = natsOptions_Create(&opts);
        if (s == NATS_OK) s = natsOptions_SetURL(opts, url_.c_str());
        if (s == NATS_OK) s = natsOptions_SetTimeout(opts, wait_ms);
        if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
        if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
        // No publish is held back while reconnecting (it would be sent later, after the guest
        // was told it failed).
        if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 1);
        if (s == NATS_OK)
            s = natsOptions_SetReconnectedCB(
                opts,
                [](natsConnection*, void* self) { ++static_cast<NatsBackend*>(self)->reconnects_; },
                this);
        if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
        natsOptions_Destroy(opts);
        if (s != NATS_OK) {
            if (nc_) natsConnection_Destroy(nc_);
            nc_ = nullptr;
            return nats_error(fmt::format("connect {}", url_), s);
        }
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = wait_ms;
        s = natsConnection_JetStream(&js_, nc_, &jo);
        if (s != NATS_OK) {
            js_ = nullptr;
            return nats_error("jetstream", s);
        }
        return js_;
    }

    // The KV store of `bucket`; an Unlinkable error when it does not exist and may not be made.
    Result<kvStore*> store(const std::string& bucket) {
        std::lock_guard lock(mutex_);
        auto it = stores_.find(bucket);
        if (it != stores_.end()) return it->second;
        if (!valid_bucket(bucket))
            return Error(ErrorKind::Usage,
                         "NATS key-value bucket names are letters, digits, `-` and `_`");
        CIRRUS_TRY_ASSIGN(jsCtx * js, jetstream());
        kvStore* kv = nullptr;
        natsStatus s = js_KeyValue(&kv, js, bucket.c_str());
        if (s == NATS_NOT_FOUND) {
            if (!create_) return Error(ErrorKind::Unlinkable, "no such bucket");
            kvConfig cfg;
            kvConfig_Init(&cfg);
            cfg.Bucket = bucket.c_str();
            cfg.History = 1;
            s = js_CreateKeyValue(&kv, js, &cfg);
        }
        if (s != NATS_OK) return nats_error(fmt::format("bucket {}", bucket), s);
        stores_.emplace(bucket, kv);
        return kv;
    }

    std::string url_;
    bool create_;
    std::mutex mutex_;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    std::map<std::string, kvStore*> stores_;
    std::atomic<uint64_t> reconnects_{0};
};

// The change feed: a kvWatcher (an ordered JetStream consumer) per bucket, read in turn on the
// feed's thread. A new watcher first replays the last entry of every key and then marks the
// end of that with a null entry; the first time those are what was there before, not changes.
// After the connection was made again the watchers are made again too, and from their replay
// only entries newer than the last revision seen are reported (what changed meanwhile).
class NatsWatch : public Watch {
public:
    NatsWatch(NatsBackend& backend, std::vector<std::string> buckets,
              std::function<void(Change)> report, std::function<void(const std::string&)> trouble)
        : backend_(backend), report_(std::move(report)), trouble_(std::move(trouble)) {
        for (auto& b : buckets) buckets_.push_back(Bucket{std::move(b)});
        thread_ = std::thread([this] { run(); });
    }
    ~NatsWatch() override {
        stop_ = true;
        thread_.join();
        for (auto& b : buckets_) forget(b);
    }

private:
    struct Bucket {
        std::string name;
        kvWatcher* watcher = nullptr;
        bool replaying = false; // before the null entry that ends the replay
        bool primed = false;    // a replay was seen to its end once
        uint64_t last_revision = 0;
    };

    static void forget(Bucket& b) {
        if (b.watcher) kvWatcher_Destroy(b.watcher);
        b.watcher = nullptr;
    }

    bool start(Bucket& b) {
        auto kv = backend_.store(b.name);
        natsStatus s = NATS_OK;
        if (kv.ok()) s = kvStore_WatchAll(&b.watcher, *kv, nullptr);
        if (!kv.ok() || s != NATS_OK) {
            b.watcher = nullptr;
            if (!told_)
                trouble_(
                    fmt::format("bucket {}: {} (trying again)", b.name,
                                kv.ok() ? nats_error("watch", s).message : kv.error().message));
            told_ = true;
            return false;
        }
        told_ = false;
        b.replaying = true;
        return true;
    }

    void run() {
        uint64_t reconnects = backend_.reconnects();
        int64_t slice = std::max<int64_t>(10, 50 / static_cast<int64_t>(buckets_.size()));
        while (!stop_) {
            if (uint64_t now = backend_.reconnects(); now != reconnects) {
                reconnects = now;
                for (auto& b : buckets_) forget(b);
            }
            bool listening = false;
            for (auto& b : buckets_) {
                if (stop_) return;
                if (!b.watcher && !start(b)) continue;
                listening = true;
                kvEntry* raw = nullptr;
                natsStatus s = kvWatcher_Next(&raw, b.watcher, slice);
                if (s == NATS_TIMEOUT) continue;
                if (s != NATS_OK) {
                    forget(b);
                    continue;
                }
                if (!raw) {
                    b.replaying = false;
                    b.primed = true;
                    continue;
                }
                Entry e(raw);
                uint64_t rev = kvEntry_Revision(e.get());
                bool fresh = rev > b.last_revision;
                b.last_revision = std::max(b.last_revision, rev);
                if (b.replaying && !(b.primed && fresh)) continue;
                report(b.name, e.get());
            }
            if (!listening) {
                for (int i = 0; i < 10 && !stop_; ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
    }

    void report(const std::string& bucket, kvEntry* e) {
        Change c{bucket, decode_key(kvEntry_Key(e)), std::nullopt};
        if (kvEntry_Operation(e) == kvOp_Put) {
            const void* data = kvEntry_Value(e);
            int n = kvEntry_ValueLen(e);
            c.value = n > 0 ? std::string(static_cast<const char*>(data), static_cast<size_t>(n))
                            : std::string();
        }
        report_(std::move(c));
    }

    NatsBackend& backend_;
    std::vector<Bucket> buckets_;
    std::function<void(Change)> report_;
    std::function<void(const std::string&)> trouble_;
    bool told_ = false; // the current outage was reported
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

std::unique_ptr<Watch> NatsBackend::watch(std::vector<std::string> buckets,
                                          std::function<void(Change)> report,
                                          std::function<void(const std::string&)> trouble) {
    std::erase_if(buckets, [](const std::string& b) { return !valid_bucket(b); });
    if (buckets.empty()) return std::make_unique<Watch>();
    return std::make_unique<NatsWatch>(*this, std::move(buckets), std::move(report),
                                       std::move(trouble));
}

} // namespace

Result<std::unique_ptr<Backend>> make_nats(const std::string& url, bool create) {
    if (!url.starts_with("nats://") && !url.starts_with("tls://"))
        return Error(ErrorKind::Usage, "url= must be nats://HOST[:PORT]");
    return std::unique_ptr<Backend>(std::make_unique<NatsBackend>(url, create));
}

} // namespace cirrus::capabilities::kv
