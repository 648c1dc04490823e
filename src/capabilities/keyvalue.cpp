// wasi:keyvalue@0.2.0-draft: `store` (buckets: get, set, delete, exists, list-keys), `atomics`
// (increment), `batch` (get-many, set-many, delete-many) over a kv::Backend (memory, SQLite,
// Redis, NATS JetStream KV), and the exported `watcher`: when a bucket named in the link's
// `watch=` settings changes, every instance that exports the watcher has its on-set /
// on-delete called (on its own thread, between calls: Session::pump). On Redis and NATS the
// backend's change feed (kv::Backend::watch) reports changes made by any client of the
// server, this host's included; memory and SQLite are private to this host, which reports
// the changes its instances make.
//
// Backend failures reach the guest as `error::other` with the reason, never as a trap; keys
// and values over the limits and buckets outside the link's `bucket=` allow-list are refused
// with a clear error before any backend sees them.
#include "backends/keyvalue.h"
#include "families.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <mutex>
#include <set>

namespace cirrus::capabilities {

using component::Case;
using component::Field;
using component::TypeKind;
using component::Val;

namespace {

constexpr size_t max_key_bytes = 1024;
constexpr size_t max_value_bytes = 1 << 20;
constexpr size_t max_batch = 10000;
constexpr size_t max_pending = 10000;
constexpr const char* store_iface = "wasi:keyvalue/store";

std::optional<Val> some(Val v) {
    return std::optional<Val>(std::move(v));
}
// error: variant { no-such-store, access-denied, other(string) }
Val err_other(std::string message) {
    return Val::err(Val::variant(2, Val::string(sanitize_text(message))));
}
Val err_case(uint32_t c) {
    return Val::err(Val::variant(c, std::nullopt));
}

Val bytes_val(std::string s) {
    return Val::bytes(std::move(s));
}
std::string val_bytes(const Val& list) {
    return list.to_bytes();
}

std::optional<std::string> check_key(const std::string& key) {
    if (key.empty()) return "the key is empty";
    if (key.size() > max_key_bytes)
        return fmt::format("the key is {} bytes, at most {} are allowed", key.size(),
                           max_key_bytes);
    return std::nullopt;
}
std::optional<std::string> check_value(size_t size) {
    if (size > max_value_bytes)
        return fmt::format("the value is {} bytes, at most {} are allowed", size, max_value_bytes);
    return std::nullopt;
}

struct Event {
    std::string bucket;
    std::string key;
    std::optional<std::string> value; // none: deleted
};

class KeyValueSession;

class KeyValueProvider : public Provider {
public:
    KeyValueProvider(std::unique_ptr<kv::Backend> backend, const Link& link, const Options& o)
        : backend_(std::move(backend)), component_(o.component),
          logger_(o.logger ? o.logger : spdlog::default_logger()) {
        for (const auto& [k, v] : link.settings) {
            if (k == "bucket") allowed_.insert(v);
            if (k == "watch") watched_.insert(v);
        }
        if (!watched_.empty()) {
            feed_ = backend_->watch(
                {watched_.begin(), watched_.end()},
                [this](kv::Change c) {
                    queue_for_watchers({std::move(c.bucket), std::move(c.key), std::move(c.value)});
                },
                [this](const std::string& why) {
                    logger_->warn("component={} wasi:keyvalue watcher: {}", component_,
                                  sanitize_text(why));
                });
        }
    }
    ~KeyValueProvider() override {
        feed_.reset(); // its thread reports into what follows
    }

    std::unique_ptr<ProviderSession> session() override;

    kv::Backend& backend() { return *backend_; }
    bool allowed(const std::string& bucket) const {
        return allowed_.empty() || allowed_.count(bucket) != 0;
    }
    spdlog::logger& logger() { return *logger_; }
    const std::string& component() const { return component_; }

    void add_watcher(KeyValueSession* s) {
        std::lock_guard lock(mutex_);
        watchers_.push_back(s);
    }
    void remove_watcher(KeyValueSession* s) {
        std::lock_guard lock(mutex_);
        std::erase(watchers_, s);
    }
    // A change made through this host: queued for every instance that watches, unless the
    // backend's feed reports it.
    void changed(const Event& e) {
        if (!feed_) queue_for_watchers(e);
    }

private:
    std::unique_ptr<kv::Backend> backend_;
    std::string component_;
    std::shared_ptr<spdlog::logger> logger_;
    std::set<std::string> allowed_;
    std::set<std::string> watched_;
    std::mutex mutex_;
    std::vector<KeyValueSession*> watchers_;
    std::unique_ptr<kv::Watch> feed_;

    void queue_for_watchers(const Event& e);
};

class KeyValueSession : public ProviderSession {
public:
    explicit KeyValueSession(KeyValueProvider& p) : p_(p) {}
    ~KeyValueSession() override {
        if (watching_) p_.remove_watcher(this);
    }

    void define(component::Linker& linker, const std::string& import_name) override;
    Result<void> bind(component::Store& store, component::Instance& instance) override;
    Result<void> pump(component::Store& store) override;
    size_t live_handles() const override { return buckets_.size(); }

    // Events wait for the next pump; past max_pending the newest are dropped (an instance that
    // is never pumped must not grow the host without bound).
    void queue(const Event& e) {
        std::lock_guard lock(events_mutex_);
        if (events_.size() < max_pending) events_.push_back(e);
    }

private:
    using Impl = std::function<Result<std::optional<Val>>(std::span<const Val> args)>;
    struct Types {
        const component::ValType* error;
        const component::ValType* key_response;
    };

    // The bucket behind a borrowed handle: a trap for a handle that is not a live bucket (the
    // guest broke the canonical ABI's rules, not a backend failure).
    Result<const std::string*> bucket(const Val& handle) {
        const std::string* b = buckets_.get(handle.rep());
        if (!b) return Error(ErrorKind::Trap, "wasi:keyvalue: handle is not a live `bucket`");
        return b;
    }
    void def(component::Linker& linker, const std::string& instance, const std::string& name,
             const component::FuncType* type, Impl impl) {
        linker.define_func(
            instance, name, type,
            [impl = std::move(impl)](component::CallContext&, std::span<const Val> args) {
                return impl(args);
            });
    }
    Types types(component::TypeArena& a) {
        TypeBuilder t(a);
        if (!types_)
            types_ = Types{a.variant({Case{"no-such-store", nullptr},
                                      Case{"access-denied", nullptr}, Case{"other", t.string()}}),
                           a.record({Field{"keys", a.list(t.string())},
                                     Field{"cursor", a.option(TypeBuilder::prim(TypeKind::U64))}})};
        return *types_;
    }
    void define_store(component::Linker& linker, const std::string& name);
    void define_atomics(component::Linker& linker, const std::string& name);
    void define_batch(component::Linker& linker, const std::string& name);

    KeyValueProvider& p_;
    std::optional<HostResource> bucket_;
    std::optional<Types> types_;
    HandleTable<std::string> buckets_;
    component::Func* on_set_ = nullptr;
    component::Func* on_delete_ = nullptr;
    bool watching_ = false;
    std::mutex events_mutex_;
    std::deque<Event> events_;
};

std::unique_ptr<ProviderSession> KeyValueProvider::session() {
    return std::make_unique<KeyValueSession>(*this);
}

void KeyValueProvider::queue_for_watchers(const Event& e) {
    if (!watched_.count(e.bucket)) return;
    std::lock_guard lock(mutex_);
    for (KeyValueSession* s : watchers_) s->queue(e);
}

void KeyValueSession::define(component::Linker& linker, const std::string& import_name) {
    if (!bucket_) bucket_.emplace(linker.types(), "bucket", store_iface);
    bucket_->define(linker, import_name, [this](uint32_t rep) { buckets_.erase(rep); });
    std::string_view iface = unversioned(import_name);
    if (iface == store_iface) define_store(linker, import_name);
    if (iface == "wasi:keyvalue/atomics") define_atomics(linker, import_name);
    if (iface == "wasi:keyvalue/batch") define_batch(linker, import_name);
}

void KeyValueSession::define_store(component::Linker& linker, const std::string& name) {
    TypeBuilder t(linker.types());
    component::TypeArena& a = linker.types();
    Types ty = types(a);
    const component::ValType* self = bucket_->borrow_type();
    const component::ValType* key = t.string();
    auto method = [&](const char* n) { return fmt::format("[method]bucket.{}", n); };

    def(linker, name, "open",
        t.func({{"identifier", key}}, a.result(bucket_->own_type(), ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            const std::string& id = args[0].as_string();
            if (!p_.allowed(id)) return some(err_case(0));
            auto opened = p_.backend().open(id);
            if (!opened.ok()) return some(err_other(opened.error().message));
            if (!*opened) return some(err_case(0));
            return some(Val::ok(bucket_->own(buckets_.insert(id))));
        });
    def(linker, name, method("get"),
        t.func({{"self", self}, {"key", key}}, a.result(a.option(t.bytes()), ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            if (auto bad = check_key(args[1].as_string())) return some(err_other(*bad));
            auto v = p_.backend().get(*b, args[1].as_string());
            if (!v.ok()) return some(err_other(v.error().message));
            return some(Val::ok(*v ? Val::some(bytes_val(std::move(**v))) : Val::none()));
        });
    def(linker, name, method("set"),
        t.func({{"self", self}, {"key", key}, {"value", t.bytes()}}, a.result(nullptr, ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            const std::string& k = args[1].as_string();
            if (auto bad = check_key(k)) return some(err_other(*bad));
            if (auto bad = check_value(args[2].list_size())) return some(err_other(*bad));
            std::string value = val_bytes(args[2]);
            auto r = p_.backend().set(*b, k, value);
            if (!r.ok()) return some(err_other(r.error().message));
            p_.changed({*b, k, std::move(value)});
            return some(Val::ok(std::nullopt));
        });
    def(linker, name, method("delete"),
        t.func({{"self", self}, {"key", key}}, a.result(nullptr, ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            const std::string& k = args[1].as_string();
            if (auto bad = check_key(k)) return some(err_other(*bad));
            auto r = p_.backend().remove(*b, k);
            if (!r.ok()) return some(err_other(r.error().message));
            p_.changed({*b, k, std::nullopt});
            return some(Val::ok(std::nullopt));
        });
    def(linker, name, method("exists"),
        t.func({{"self", self}, {"key", key}},
               a.result(TypeBuilder::prim(TypeKind::Bool), ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            if (auto bad = check_key(args[1].as_string())) return some(err_other(*bad));
            auto r = p_.backend().exists(*b, args[1].as_string());
            if (!r.ok()) return some(err_other(r.error().message));
            return some(Val::ok(Val::boolean(*r)));
        });
    def(linker, name, method("list-keys"),
        t.func({{"self", self}, {"cursor", a.option(TypeBuilder::prim(TypeKind::U64))}},
               a.result(ty.key_response, ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            std::optional<uint64_t> cursor;
            if (args[1].case_index() == 1) cursor = args[1].elems.at(0).as_u64();
            auto page = p_.backend().list_keys(*b, cursor);
            if (!page.ok()) return some(err_other(page.error().message));
            std::vector<Val> keys;
            for (auto& k : page->keys) keys.push_back(Val::string(std::move(k)));
            Val c = page->cursor ? Val::some(Val::u64(*page->cursor)) : Val::none();
            return some(Val::ok(Val::record({Val::list(std::move(keys)), std::move(c)})));
        });
}

void KeyValueSession::define_atomics(component::Linker& linker, const std::string& name) {
    TypeBuilder t(linker.types());
    component::TypeArena& a = linker.types();
    const component::ValType* u64 = TypeBuilder::prim(TypeKind::U64);
    def(linker, name, "increment",
        t.func({{"bucket", bucket_->borrow_type()}, {"key", t.string()}, {"delta", u64}},
               a.result(u64, types(a).error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            const std::string& k = args[1].as_string();
            if (auto bad = check_key(k)) return some(err_other(*bad));
            auto v = p_.backend().increment(*b, k, args[2].as_u64());
            if (!v.ok()) return some(err_other(v.error().message));
            p_.changed({*b, k, std::to_string(*v)});
            return some(Val::ok(Val::u64(*v)));
        });
}

void KeyValueSession::define_batch(component::Linker& linker, const std::string& name) {
    TypeBuilder t(linker.types());
    component::TypeArena& a = linker.types();
    Types ty = types(a);
    const component::ValType* self = bucket_->borrow_type();
    const component::ValType* keys = a.list(t.string());
    const component::ValType* pair = a.tuple({t.string(), t.bytes()});
    auto check_keys = [](const std::vector<Val>& ks) -> std::optional<std::string> {
        if (ks.size() > max_batch)
            return fmt::format("{} keys in one batch, at most {} are allowed", ks.size(),
                               max_batch);
        for (const auto& k : ks) {
            if (auto bad = check_key(k.as_string())) return bad;
        }
        return std::nullopt;
    };
    def(linker, name, "get-many",
        t.func({{"bucket", self}, {"keys", keys}}, a.result(a.list(a.option(pair)), ty.error)),
        [this, check_keys](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            if (auto bad = check_keys(args[1].elems)) return some(err_other(*bad));
            std::vector<std::string> ks;
            for (const auto& k : args[1].elems) ks.push_back(k.as_string());
            auto vs = p_.backend().get_many(*b, ks);
            if (!vs.ok()) return some(err_other(vs.error().message));
            std::vector<Val> out;
            for (size_t i = 0; i < ks.size(); ++i) {
                const auto& v = vs->at(i);
                out.push_back(v ? Val::some(Val::tuple({Val::string(ks[i]), bytes_val(*v)}))
                                : Val::none());
            }
            return some(Val::ok(Val::list(std::move(out))));
        });
    def(linker, name, "set-many",
        t.func({{"bucket", self}, {"key-values", a.list(pair)}}, a.result(nullptr, ty.error)),
        [this](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            const auto& items = args[1].elems;
            if (items.size() > max_batch)
                return some(err_other(fmt::format("{} pairs in one batch, at most {} are allowed",
                                                  items.size(), max_batch)));
            std::vector<std::pair<std::string, std::string>> kvs;
            for (const auto& item : items) {
                const std::string& k = item.elems.at(0).as_string();
                if (auto bad = check_key(k)) return some(err_other(*bad));
                if (auto bad = check_value(item.elems.at(1).list_size()))
                    return some(err_other(*bad));
                kvs.emplace_back(k, val_bytes(item.elems.at(1)));
            }
            auto r = p_.backend().set_many(*b, kvs);
            if (!r.ok()) return some(err_other(r.error().message));
            for (auto& [k, v] : kvs) p_.changed({*b, k, v});
            return some(Val::ok(std::nullopt));
        });
    def(linker, name, "delete-many",
        t.func({{"bucket", self}, {"keys", keys}}, a.result(nullptr, ty.error)),
        [this, check_keys](std::span<const Val> args) -> Result<std::optional<Val>> {
            CIRRUS_TRY_ASSIGN(const std::string* b, bucket(args[0]));
            if (auto bad = check_keys(args[1].elems)) return some(err_other(*bad));
            std::vector<std::string> ks;
            for (const auto& k : args[1].elems) ks.push_back(k.as_string());
            auto r = p_.backend().delete_many(*b, ks);
            if (!r.ok()) return some(err_other(r.error().message));
            for (auto& k : ks) p_.changed({*b, k, std::nullopt});
            return some(Val::ok(std::nullopt));
        });
}

Result<void> KeyValueSession::bind(component::Store&, component::Instance& instance) {
    for (const auto& e : instance.exports()) {
        if (e.sort != component::Sort::Instance || !e.instance ||
            e.name != "wasi:keyvalue/watcher@0.2.0-draft")
            continue;
        on_set_ = e.instance->get_func("on-set");
        on_delete_ = e.instance->get_func("on-delete");
    }
    // A session serves one Store after another (serve links once per worker): it registers
    // once, and the exports found last are the ones called.
    if ((on_set_ || on_delete_) && !watching_) {
        watching_ = true;
        p_.add_watcher(this);
    }
    return {};
}

Result<void> KeyValueSession::pump(component::Store& store) {
    while (true) {
        Event e;
        {
            std::lock_guard lock(events_mutex_);
            if (events_.empty()) return {};
            e = std::move(events_.front());
            events_.pop_front();
        }
        component::Func* f = e.value ? on_set_ : on_delete_;
        if (!f) continue;
        std::vector<Val> args = {bucket_->own(buckets_.insert(e.bucket)), Val::string(e.key)};
        if (e.value) args.push_back(bytes_val(*e.value));
        auto r = store.call(f, args);
        if (!r.ok()) {
            // A watcher that traps loses this event, not the host.
            p_.logger().error("component={} wasi:keyvalue/watcher.{} trapped: {}", p_.component(),
                              e.value ? "on-set" : "on-delete", sanitize_text(r.error().message));
        }
    }
}

} // namespace

Family keyvalue_family() {
    Family f;
    f.name = "wasi:keyvalue";
    f.interfaces = {"wasi:keyvalue/store@0.2.0-draft", "wasi:keyvalue/atomics@0.2.0-draft",
                    "wasi:keyvalue/batch@0.2.0-draft"};
    std::vector<std::string> common = {"bucket", "watch"};
    auto with = [&](std::vector<std::string> more) {
        more.insert(more.end(), common.begin(), common.end());
        return more;
    };
    f.backends = {
        {"memory", with({"max_bytes"}),
         "in the host's memory (the embedded default), at most max_bytes (default 256 MiB)"},
        {"sqlite", with({"path"}), "a SQLite database file PATH"},
        {"redis", with({"url"}), "a Redis server, url=redis://HOST:PORT[/DB]"},
        {"nats", with({"url", "create"}),
         "NATS JetStream key-value buckets, url=nats://HOST:PORT, create=false to only open "
         "existing buckets"},
    };
    f.make = [](const Link& link, const Options& o) -> Result<std::unique_ptr<Provider>> {
        std::unique_ptr<kv::Backend> backend;
        if (link.backend == "memory") {
            uint64_t max = uint64_t{256} << 20;
            if (auto m = link.setting("max_bytes")) {
                auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), max);
                if (ec != std::errc() || end != m->data() + m->size() || m->empty())
                    return Error(ErrorKind::Usage, "max_bytes= takes a number of bytes");
            }
            backend = kv::make_memory(static_cast<size_t>(max));
        } else if (link.backend == "sqlite") {
            auto path = link.setting("path");
            if (!path || path->empty())
                return Error(ErrorKind::Usage, "the sqlite backend needs path=FILE");
            CIRRUS_TRY_ASSIGN(backend, kv::make_sqlite(*path));
        } else if (link.backend == "redis") {
            CIRRUS_TRY_ASSIGN(
                backend, kv::make_redis(link.setting("url").value_or("redis://127.0.0.1:6379")));
        } else if (link.backend == "nats") {
            std::string create = link.setting("create").value_or("true");
            if (create != "true" && create != "false")
                return Error(ErrorKind::Usage, "create= takes true or false");
            CIRRUS_TRY_ASSIGN(backend,
                              kv::make_nats(link.setting("url").value_or("nats://127.0.0.1:4222"),
                                            create == "true"));
        }
        return std::unique_ptr<Provider>(
            std::make_unique<KeyValueProvider>(std::move(backend), link, o));
    };
    return f;
}

} // namespace cirrus::capabilities
