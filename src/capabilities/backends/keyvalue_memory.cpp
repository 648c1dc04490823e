// The embedded key-value backend: ordered maps in the host's memory (gone when it stops), and
// the defaults of the Backend API that loop over single operations.
#include "keyvalue.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <mutex>

namespace cirrus::capabilities::kv {

Result<bool> Backend::exists(const std::string& bucket, const std::string& key) {
    CIRRUS_TRY_ASSIGN(auto v, get(bucket, key));
    return v.has_value();
}

Result<std::vector<std::optional<std::string>>>
Backend::get_many(const std::string& bucket, const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) {
        CIRRUS_TRY_ASSIGN(auto v, get(bucket, k));
        out.push_back(std::move(v));
    }
    return out;
}

Result<void> Backend::set_many(const std::string& bucket,
                               const std::vector<std::pair<std::string, std::string>>& kvs) {
    for (const auto& [k, v] : kvs) CIRRUS_TRY(set(bucket, k, v));
    return {};
}

Result<void> Backend::delete_many(const std::string& bucket, const std::vector<std::string>& keys) {
    for (const auto& k : keys) CIRRUS_TRY(remove(bucket, k));
    return {};
}

std::unique_ptr<Watch> Backend::watch(std::vector<std::string>, std::function<void(Change)>,
                                      std::function<void(const std::string&)>) {
    return nullptr;
}

Result<uint64_t> add_to_counter(const std::optional<std::string>& text, uint64_t delta) {
    uint64_t value = 0;
    if (text) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec != std::errc() || end != text->data() + text->size() || text->empty())
            return Error(ErrorKind::Usage,
                         "the value is not a counter (an unsigned decimal number)");
    }
    if (value > UINT64_MAX - delta)
        return Error(ErrorKind::Usage, fmt::format("{} + {} overflows u64", value, delta));
    return value + delta;
}

namespace {

class MemoryBackend : public Backend {
public:
    explicit MemoryBackend(size_t max_bytes) : max_bytes_(max_bytes) {}
    Result<bool> open(const std::string&) override { return true; }

    Result<std::optional<std::string>> get(const std::string& bucket,
                                           const std::string& key) override {
        std::lock_guard lock(mutex_);
        auto b = buckets_.find(bucket);
        if (b == buckets_.end()) return std::optional<std::string>();
        auto it = b->second.find(key);
        if (it == b->second.end()) return std::optional<std::string>();
        return std::optional(it->second);
    }

    Result<void> set(const std::string& bucket, const std::string& key,
                     const std::string& value) override {
        std::lock_guard lock(mutex_);
        return put(bucket, key, value);
    }

    Result<void> remove(const std::string& bucket, const std::string& key) override {
        std::lock_guard lock(mutex_);
        auto b = buckets_.find(bucket);
        if (b == buckets_.end()) return {};
        auto it = b->second.find(key);
        if (it == b->second.end()) return {};
        bytes_ -= it->first.size() + it->second.size();
        b->second.erase(it);
        return {};
    }

    // The cursor is an offset into the ordered keys: a key added or removed before it meanwhile
    // shifts the next page by one (list-keys "MAY show an out-of-date list").
    Result<Page> list_keys(const std::string& bucket, std::optional<uint64_t> cursor) override {
        std::lock_guard lock(mutex_);
        Page page;
        auto b = buckets_.find(bucket);
        if (b == buckets_.end()) return page;
        uint64_t start = cursor.value_or(0);
        if (start >= b->second.size()) return page;
        auto it = b->second.begin();
        std::advance(it, static_cast<ptrdiff_t>(start));
        for (; it != b->second.end() && page.keys.size() < page_size; ++it)
            page.keys.push_back(it->first);
        if (it != b->second.end()) page.cursor = start + page.keys.size();
        return page;
    }

    Result<uint64_t> increment(const std::string& bucket, const std::string& key,
                               uint64_t delta) override {
        std::lock_guard lock(mutex_);
        auto& b = buckets_[bucket];
        auto it = b.find(key);
        std::optional<std::string> old;
        if (it != b.end()) old = it->second;
        CIRRUS_TRY_ASSIGN(uint64_t v, add_to_counter(old, delta));
        CIRRUS_TRY(put(bucket, key, std::to_string(v)));
        return v;
    }

private:
    // Stores the pair unless the keys and values held would pass the limit: the guests of one
    // host cannot take its memory.
    Result<void> put(const std::string& bucket, const std::string& key, const std::string& value) {
        auto& b = buckets_[bucket];
        auto it = b.find(key);
        size_t old = it == b.end() ? 0 : key.size() + it->second.size();
        size_t now = bytes_ - old + key.size() + value.size();
        if (now > max_bytes_)
            return Error(ErrorKind::Limit,
                         fmt::format("the memory store is full ({} bytes at most)", max_bytes_));
        b[key] = value;
        bytes_ = now;
        return {};
    }

    size_t max_bytes_;
    size_t bytes_ = 0;
    std::mutex mutex_;
    std::map<std::string, std::map<std::string, std::string>> buckets_;
};

} // namespace

std::unique_ptr<Backend> make_memory(size_t max_bytes) {
    return std::make_unique<MemoryBackend>(max_bytes);
}

} // namespace cirrus::capabilities::kv
