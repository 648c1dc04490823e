// wasmcloud:postgres@0.1.1-draft over an SQL backend (backends/sql.h): `query` (a statement
// with pg-value parameters, and query-batch) and `prepared` (prepare, then exec by token).
// Backends: `sqlite` (the embedded default: in memory, or path=FILE; holds the pg-values SQLite
// can, others are an invalid-params error naming the case) and `postgres` (url=postgresql://...).
// Parameters are always bound by the backend, never written into the statement text. A backend
// failure, a server that is down included, is the interface's error value, never a trap.
#include "families.h"
#include "pg_value.h"
#include "sql.h"

#include <fmt/format.h>

#include <charconv>
#include <mutex>
#include <set>

namespace cirrus::capabilities {

using component::Val;

namespace {

constexpr std::string_view token_prefix = "cirrus-stmt-";

class PostgresProvider : public Provider {
public:
    PostgresProvider(std::unique_ptr<SqlDatabase> db, bool postgres)
        : db_(std::move(db)), postgres_(postgres) {}
    std::unique_ptr<ProviderSession> session() override;

    SqlDatabase& db() { return *db_; }
    bool postgres() const { return postgres_; }

    std::string remember(uint64_t id) {
        std::lock_guard lock(mutex_);
        ids_.insert(id);
        return fmt::format("{}{}", token_prefix, id);
    }
    std::optional<uint64_t> lookup(std::string_view token) {
        if (!token.starts_with(token_prefix)) return std::nullopt;
        token.remove_prefix(token_prefix.size());
        uint64_t id = 0;
        auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), id);
        if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
        std::lock_guard lock(mutex_);
        if (!ids_.count(id)) return std::nullopt;
        return id;
    }

private:
    std::unique_ptr<SqlDatabase> db_;
    bool postgres_;
    std::mutex mutex_;
    std::set<uint64_t> ids_;
};

Val query_error(const Error& e) {
    uint32_t c = 2;
    switch (sql_error_kind(e)) {
    case SqlErrorKind::InvalidParams: c = 0; break;
    case SqlErrorKind::InvalidQuery: c = 1; break;
    case SqlErrorKind::Unexpected: c = 2; break;
    }
    return Val::variant(c, Val::string(e.message));
}

class PostgresSession : public ProviderSession {
public:
    explicit PostgresSession(PostgresProvider& p) : p_(p) {}

    void define(component::Linker& linker, const std::string& import_name) override {
        std::string_view iface = unversioned(import_name);
        if (iface != "wasmcloud:postgres/query" && iface != "wasmcloud:postgres/prepared")
            return linker.declare_instance(import_name);
        if (!types_) types_ = make_pg_types(linker.types());
        TypeBuilder t(linker.types());
        const PgTypes& ty = *types_;
        const component::ValType* params = t.a.list(ty.pg_value);
        PostgresProvider& p = p_;
        if (iface == "wasmcloud:postgres/query") {
            linker.define_func(import_name, "query",
                               t.func({{"query", t.string()}, {"params", params}},
                                      t.a.result(t.a.list(ty.result_row), ty.query_error)),
                               [&p](component::CallContext&,
                                    std::span<const Val> a) -> Result<std::optional<Val>> {
                                   auto ps = params_of(p, a[1]);
                                   if (!ps.ok())
                                       return std::optional(Val::err(query_error(ps.error())));
                                   auto rows = p.db().query(a[0].as_string(), *ps);
                                   if (!rows.ok())
                                       return std::optional(Val::err(query_error(rows.error())));
                                   std::vector<Val> out;
                                   out.reserve(rows->size());
                                   for (const SqlRow& row : *rows) {
                                       std::vector<Val> entries;
                                       for (const SqlColumn& col : row)
                                           entries.push_back(Val::record(
                                               {Val::string(col.name), pg_result(col.value)}));
                                       out.push_back(Val::list(std::move(entries)));
                                   }
                                   return std::optional(Val::ok(Val::list(std::move(out))));
                               });
            linker.define_func(import_name, "query-batch",
                               t.func({{"query", t.string()}}, t.a.result(nullptr, ty.query_error)),
                               [&p](component::CallContext&,
                                    std::span<const Val> a) -> Result<std::optional<Val>> {
                                   auto r = p.db().batch(a[0].as_string());
                                   if (!r.ok())
                                       return std::optional(Val::err(query_error(r.error())));
                                   return std::optional(Val::ok(std::nullopt));
                               });
            return;
        }
        linker.define_func(
            import_name, "prepare",
            t.func({{"statement", t.string()}}, t.a.result(t.string(), ty.prepare_error)),
            [&p](component::CallContext&, std::span<const Val> a) -> Result<std::optional<Val>> {
                auto id = p.db().prepare(a[0].as_string());
                if (!id.ok())
                    return std::optional(
                        Val::err(Val::variant(0, Val::string(id.error().message))));
                return std::optional(Val::ok(Val::string(p.remember(*id))));
            });
        linker.define_func(
            import_name, "exec",
            t.func({{"stmt-token", t.string()}, {"params", params}},
                   t.a.result(TypeBuilder::prim(component::TypeKind::U64), ty.exec_error)),
            [&p](component::CallContext&, std::span<const Val> a) -> Result<std::optional<Val>> {
                auto id = p.lookup(a[0].as_string());
                if (!id) return std::optional(Val::err(Val::variant(0, std::nullopt)));
                auto ps = params_of(p, a[1]);
                if (!ps.ok())
                    return std::optional(Val::err(Val::variant(1, query_error(ps.error()))));
                auto n = p.db().exec(*id, *ps);
                if (!n.ok()) {
                    // A server that went away is `unexpected`; what the statement did wrong is
                    // a query-error.
                    if (n.error().kind == ErrorKind::Io || n.error().kind == ErrorKind::Other)
                        return std::optional(
                            Val::err(Val::variant(2, Val::string(n.error().message))));
                    return std::optional(Val::err(Val::variant(1, query_error(n.error()))));
                }
                return std::optional(Val::ok(Val::u64(*n)));
            });
    }

private:
    static Result<std::vector<SqlValue>> params_of(PostgresProvider& p, const Val& list) {
        std::vector<SqlValue> out;
        out.reserve(list.elems.size());
        for (size_t i = 0; i < list.elems.size(); ++i) {
            auto v = pg_param(list.elems[i], p.postgres());
            if (!v.ok()) {
                Error e = std::move(v).error();
                e.message = fmt::format("parameter ${}: {}", i + 1, e.message);
                return e;
            }
            out.push_back(std::move(*v));
        }
        return out;
    }

    PostgresProvider& p_;
    std::optional<PgTypes> types_;
};

std::unique_ptr<ProviderSession> PostgresProvider::session() {
    return std::make_unique<PostgresSession>(*this);
}

} // namespace

Family postgres_family() {
    Family f;
    f.name = "wasmcloud:postgres";
    f.interfaces = {"wasmcloud:postgres/query@0.1.1-draft",
                    "wasmcloud:postgres/prepared@0.1.1-draft",
                    "wasmcloud:postgres/types@0.1.1-draft"};
    f.backends = {
        {"sqlite", {"path"}, "SQLite: in memory, or the database file path=FILE"},
        {"postgres", {"url"}, "PostgreSQL at url=postgresql://user@host:port/db"},
    };
    f.make = [](const Link& link, const Options&) -> Result<std::unique_ptr<Provider>> {
        if (link.backend == "postgres") {
            auto url = link.setting("url");
            if (!url || url->empty())
                return Error(ErrorKind::Usage, "the postgres backend needs url=postgresql://...");
            return std::unique_ptr<Provider>(
                std::make_unique<PostgresProvider>(open_postgres(*url), true));
        }
        CIRRUS_TRY_ASSIGN(auto db, open_sqlite(link.setting("path").value_or("")));
        return std::unique_ptr<Provider>(std::make_unique<PostgresProvider>(std::move(db), false));
    };
    return f;
}

} // namespace cirrus::capabilities
