// The key-value backend API under wasi:keyvalue: buckets of byte values by string key. Each
// backend is shared by every instance of a component and safe to call from several threads.
// An Error from a backend (server down, I/O) becomes the interface's `error::other` for the
// guest; a backend that was down serves again once its server is back, without a restart.
//
// Counters (atomics.increment) are stored as the decimal text of the number, as Redis's INCRBY
// does, so every backend reads the same value back.
#pragma once

#include "cirrus/support/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cirrus::capabilities::kv {

// list-keys returns at most this many keys per page.
constexpr size_t page_size = 1000;

struct Page {
    std::vector<std::string> keys;
    std::optional<uint64_t> cursor; // none: no more keys
};

// A change to a key, as a backend's change feed reports it.
struct Change {
    std::string bucket;
    std::string key;
    std::optional<std::string> value; // none: deleted
};

// A running change feed (Backend::watch); destroying it stops it and waits for a report in
// progress.
class Watch {
public:
    virtual ~Watch() = default;
};

class Backend {
public:
    virtual ~Backend() = default;
    // True when bucket `name` can be used (backends that create buckets on demand say yes);
    // false: no such store.
    virtual Result<bool> open(const std::string& bucket) = 0;
    virtual Result<std::optional<std::string>> get(const std::string& bucket,
                                                   const std::string& key) = 0;
    virtual Result<void> set(const std::string& bucket, const std::string& key,
                             const std::string& value) = 0;
    virtual Result<void> remove(const std::string& bucket, const std::string& key) = 0;
    virtual Result<bool> exists(const std::string& bucket, const std::string& key);
    virtual Result<Page> list_keys(const std::string& bucket, std::optional<uint64_t> cursor) = 0;
    // Adds `delta` to the counter at `key` (absent: 0) and returns the new value; fails when
    // the value there is not a counter or would overflow u64.
    virtual Result<uint64_t> increment(const std::string& bucket, const std::string& key,
                                       uint64_t delta) = 0;
    // Batches: one round trip where the backend can, one operation a key otherwise.
    virtual Result<std::vector<std::optional<std::string>>>
    get_many(const std::string& bucket, const std::vector<std::string>& keys);
    virtual Result<void> set_many(const std::string& bucket,
                                  const std::vector<std::pair<std::string, std::string>>& kvs);
    virtual Result<void> delete_many(const std::string& bucket,
                                     const std::vector<std::string>& keys);

    // Reports every change to `buckets` made by any client of the server (this host's too),
    // on a thread of the feed's own, until the Watch is destroyed; the Backend must outlive
    // it. A server that is down or goes away is subscribed to again when it is back (changes
    // made while the feed was away are not reported); `trouble` is told, once per outage, why
    // the feed is not listening. Null: the backend has no feed of its own (memory, SQLite are
    // private to this host, which reports the changes it makes itself).
    virtual std::unique_ptr<Watch> watch(std::vector<std::string> buckets,
                                         std::function<void(Change)> report,
                                         std::function<void(const std::string&)> trouble);
};

// The counter in `text` plus `delta` (for backends without a native increment).
Result<uint64_t> add_to_counter(const std::optional<std::string>& text, uint64_t delta);

// At most `max_bytes` of keys and values held (a set past it fails).
std::unique_ptr<Backend> make_memory(size_t max_bytes);
// A SQLite database file (created when missing); ":memory:" for one in memory.
Result<std::unique_ptr<Backend>> make_sqlite(const std::string& path);
// redis://[user:password@]host[:port][/db]
Result<std::unique_ptr<Backend>> make_redis(const std::string& url);
// nats://host[:port]; buckets are JetStream KV buckets, made on first open unless `create` is
// false.
Result<std::unique_ptr<Backend>> make_nats(const std::string& url, bool create);

} // namespace cirrus::capabilities::kv
