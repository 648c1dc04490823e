// The SQLite key-value backend: one table (bucket, key, value) in a database file, every
// operation a prepared statement with bound parameters; a counter's read-modify-write runs in
// one IMMEDIATE transaction.
#include "keyvalue.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <mutex>

namespace cirrus::capabilities::kv {

namespace {

class SqliteBackend : public Backend {
public:
    ~SqliteBackend() override {
        for (sqlite3_stmt* s : {get_, set_, del_, list_}) sqlite3_finalize(s);
        sqlite3_close(db_);
    }

    static Result<std::unique_ptr<Backend>> open_db(const std::string& path) {
        auto b = std::make_unique<SqliteBackend>();
        if (sqlite3_open_v2(path.c_str(), &b->db_,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            nullptr) != SQLITE_OK)
            return Error(ErrorKind::Io, fmt::format("sqlite {}: {}", path, b->message()));
        sqlite3_busy_timeout(b->db_, 2000);
        CIRRUS_TRY(b->exec("PRAGMA journal_mode=WAL"));
        CIRRUS_TRY(b->exec("CREATE TABLE IF NOT EXISTS cirrus_kv (bucket TEXT NOT NULL, key TEXT "
                           "NOT NULL, value BLOB NOT NULL, PRIMARY KEY (bucket, key))"));
        CIRRUS_TRY(b->prepare(&b->get_, "SELECT value FROM cirrus_kv WHERE bucket=?1 AND key=?2"));
        CIRRUS_TRY(b->prepare(&b->set_,
                              "INSERT INTO cirrus_kv (bucket, key, value) VALUES "
                              "(?1, ?2, ?3) ON CONFLICT DO UPDATE SET value=excluded.value"));
        CIRRUS_TRY(b->prepare(&b->del_, "DELETE FROM cirrus_kv WHERE bucket=?1 AND key=?2"));
        CIRRUS_TRY(b->prepare(&b->list_, "SELECT key FROM cirrus_kv WHERE bucket=?1 ORDER BY key "
                                         "LIMIT ?2 OFFSET ?3"));
        return std::unique_ptr<Backend>(std::move(b));
    }

    Result<bool> open(const std::string&) override { return true; }

    Result<std::optional<std::string>> get(const std::string& bucket,
                                           const std::string& key) override {
        std::lock_guard lock(mutex_);
        return get_locked(bucket, key);
    }

    Result<void> set(const std::string& bucket, const std::string& key,
                     const std::string& value) override {
        std::lock_guard lock(mutex_);
        return step_done(set_, {bucket, key}, &value);
    }

    Result<void> remove(const std::string& bucket, const std::string& key) override {
        std::lock_guard lock(mutex_);
        return step_done(del_, {bucket, key}, nullptr);
    }

    Result<Page> list_keys(const std::string& bucket, std::optional<uint64_t> cursor) override {
        std::lock_guard lock(mutex_);
        Page page;
        uint64_t start = cursor.value_or(0);
        if (start > INT64_MAX) return page;
        Reset r(list_);
        bind_text(list_, 1, bucket);
        // One more than a page tells whether another page follows.
        sqlite3_bind_int64(list_, 2, static_cast<int64_t>(page_size + 1));
        sqlite3_bind_int64(list_, 3, static_cast<int64_t>(start));
        int rc;
        while ((rc = sqlite3_step(list_)) == SQLITE_ROW) {
            if (page.keys.size() == page_size) {
                page.cursor = start + page_size;
                break;
            }
            page.keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list_, 0)),
                                   static_cast<size_t>(sqlite3_column_bytes(list_, 0)));
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failed();
        return page;
    }

    Result<uint64_t> increment(const std::string& bucket, const std::string& key,
                               uint64_t delta) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY(exec("BEGIN IMMEDIATE"));
        auto done = [&](Result<uint64_t> r) -> Result<uint64_t> {
            auto end = exec(r.ok() ? "COMMIT" : "ROLLBACK");
            if (!end.ok()) return std::move(end).error();
            return r;
        };
        auto old = get_locked(bucket, key);
        if (!old.ok()) return done(std::move(old).error());
        auto v = add_to_counter(*old, delta);
        if (!v.ok()) return done(std::move(v).error());
        std::string text = std::to_string(*v);
        auto s = step_done(set_, {bucket, key}, &text);
        if (!s.ok()) return done(std::move(s).error());
        return done(*v);
    }

    Result<void> set_many(const std::string& bucket,
                          const std::vector<std::pair<std::string, std::string>>& kvs) override {
        std::lock_guard lock(mutex_);
        CIRRUS_TRY(exec("BEGIN"));
        for (const auto& [k, v] : kvs) {
            auto s = step_done(set_, {bucket, k}, &v);
            if (!s.ok()) {
                (void)exec("ROLLBACK");
                return s;
            }
        }
        return exec("COMMIT");
    }

private:
    // Resets a statement and clears its bindings when the scope ends.
    struct Reset {
        sqlite3_stmt* s;
        explicit Reset(sqlite3_stmt* stmt) : s(stmt) {}
        ~Reset() {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    };

    std::string message() const { return db_ ? sqlite3_errmsg(db_) : "out of memory"; }
    Error failed() const { return Error(ErrorKind::Io, "sqlite: " + message()); }

    Result<void> exec(const char* sql) {
        if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return failed();
        return {};
    }
    Result<void> prepare(sqlite3_stmt** s, const char* sql) {
        if (sqlite3_prepare_v2(db_, sql, -1, s, nullptr) != SQLITE_OK) return failed();
        return {};
    }
    static void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
        sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }

    Result<std::optional<std::string>> get_locked(const std::string& bucket,
                                                  const std::string& key) {
        Reset r(get_);
        bind_text(get_, 1, bucket);
        bind_text(get_, 2, key);
        int rc = sqlite3_step(get_);
        if (rc == SQLITE_DONE) return std::optional<std::string>();
        if (rc != SQLITE_ROW) return failed();
        const void* blob = sqlite3_column_blob(get_, 0);
        size_t n = static_cast<size_t>(sqlite3_column_bytes(get_, 0));
        return std::optional(n ? std::string(static_cast<const char*>(blob), n) : std::string());
    }

    Result<void> step_done(sqlite3_stmt* s, std::initializer_list<std::string> texts,
                           const std::string* blob) {
        Reset r(s);
        int i = 1;
        for (const auto& t : texts) bind_text(s, i++, t);
        if (blob)
            sqlite3_bind_blob(s, i, blob->data(), static_cast<int>(blob->size()), SQLITE_TRANSIENT);
        if (sqlite3_step(s) != SQLITE_DONE) return failed();
        return {};
    }

    std::mutex mutex_;
    sqlite3* db_ = nullptr;
    sqlite3_stmt* get_ = nullptr;
    sqlite3_stmt* set_ = nullptr;
    sqlite3_stmt* del_ = nullptr;
    sqlite3_stmt* list_ = nullptr;
};

} // namespace

Result<std::unique_ptr<Backend>> make_sqlite(const std::string& path) {
    return SqliteBackend::open_db(path);
}

} // namespace cirrus::capabilities::kv
