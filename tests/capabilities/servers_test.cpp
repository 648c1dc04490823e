// The data interfaces on real servers (nats-server -js, PostgreSQL; started by this binary,
// once, through tests/support/servers.h): the same data guest as on the embedded backends with
// only the links changed, PostgreSQL's types through pg-value, the messaging handler served by
// the host, and faults: a server stopped or killed under a running host gives the guest the
// interface's error value, and after it is back everything works again with nothing that was
// acknowledged lost.
#include "cirrus/host/messaging.h"
#include "guest_support.h"
#include "pg_value.h"
#include "servers.h"
#include "sql.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace cirrus::testing {
namespace {

using namespace std::chrono_literals;

Server& nats() {
    static std::unique_ptr<Server> s = [] {
        auto r = start_nats();
        if (!r.ok()) ADD_FAILURE() << "nats-server: " << r.error().message;
        return r.ok() ? std::move(*r) : nullptr;
    }();
    if (!s) throw std::runtime_error("no nats-server");
    return *s;
}

Server& postgres() {
    static std::unique_ptr<Server> s = [] {
        auto r = start_postgres();
        if (!r.ok()) ADD_FAILURE() << "PostgreSQL: " << r.error().message;
        return r.ok() ? std::move(*r) : nullptr;
    }();
    if (!s) throw std::runtime_error("no PostgreSQL");
    return *s;
}

std::vector<std::string> real_links() {
    return {"wasi:blobstore=nats,url=" + nats().url(),
            "wasmcloud:messaging=nats,url=" + nats().url(),
            "wasmcloud:postgres=postgres,url=" + postgres().url()};
}

capabilities::Options options(const std::vector<std::string>& links) {
    capabilities::Options o;
    for (const auto& l : links) {
        auto link = capabilities::parse_link(l);
        EXPECT_TRUE(link.ok()) << l;
        if (link.ok()) o.links.push_back(*link);
    }
    return o;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One host (one set of backend connections) that runs the data guest many times: what a
// long-running host does while a server goes away and comes back.
class SharedHost {
public:
    explicit SharedHost(const std::vector<std::string>& links) {
        host::ComponentOptions o;
        o.capabilities = options(links);
        auto imports = host::ComponentImports::create(std::move(o));
        EXPECT_TRUE(imports.ok()) << imports.error().message;
        imports_ = std::move(*imports);
        bytes_ = file_bytes(caps_component("data_guest"));
    }

    GuestRun run(std::vector<std::string> args) {
        FILE* out = std::tmpfile();
        auto session = imports_->capabilities().session();
        wasi::RunOptions run;
        run.config.args = std::move(args);
        run.config.args.insert(run.config.args.begin(), "data_guest");
        run.config.stdin_fd = -1;
        run.config.stdout_fd = fileno(out);
        run.link_more = [&](wasi::Host& h, component::Linker& l, const component::Component& c,
                            std::vector<std::string> unserved) {
            session->set_wasi(&h);
            return imports_->link_capabilities(*session, l, c, std::move(unserved));
        };
        GuestRun r;
        r.status = wasi::run_command(bytes_, std::move(run));
        std::rewind(out);
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) r.out.append(buf, n);
        std::fclose(out);
        return r;
    }

    // Runs until the output is `want` (a server coming back takes a moment to be reconnected).
    GuestRun run_until(std::vector<std::string> args, const std::string& want,
                       std::chrono::milliseconds limit = 10s) {
        auto end = std::chrono::steady_clock::now() + limit;
        GuestRun r;
        do {
            r = run(args);
            if (r.out == want) break;
            std::this_thread::sleep_for(100ms);
        } while (std::chrono::steady_clock::now() < end);
        return r;
    }

private:
    std::unique_ptr<host::ComponentImports> imports_;
    std::vector<uint8_t> bytes_;
};

// The same component, the same steps, the embedded backends and then the real servers: only
// the links differ, and so does nothing the guest sees.
TEST(RealServers, SameComponentEmbeddedAndReal) {
    std::string sqlite = (std::filesystem::temp_directory_path() /
                          ("cirrus-same-" + std::to_string(::getpid()) + ".db"))
                             .string();
    std::vector<std::vector<std::string>> setups = {{"wasmcloud:postgres=sqlite,path=" + sqlite},
                                                    real_links()};
    std::vector<std::string> transcripts;
    for (const auto& links : setups) {
        SharedHost host(links);
        std::string t;
        for (const std::vector<std::string>& step : std::vector<std::vector<std::string>>{
                 {"blob-put", "same", "greeting", "hello world"},
                 {"blob-get", "same", "greeting"},
                 {"blob-get", "same", "greeting", "6", "10"},
                 {"blob-list", "same", "5"},
                 {"blob-drop", "same"},
                 {"pub", "same.subject", "x"},
                 {"sql-batch", "DROP TABLE IF EXISTS same; CREATE TABLE same (id BIGINT, name "
                               "TEXT, pic BYTEA)"},
                 {"sql-prep", "INSERT INTO same VALUES ($1, $2, $3)", "i:1", "t:ada", "b:00ff"},
                 {"sql", "SELECT id, name, pic FROM same WHERE name = $1", "t:ada"},
                 {"sql", "SELECT * FROM missing_table"},
             }) {
            GuestRun r = host.run(step);
            ASSERT_TRUE(r.status.ok()) << r.status.error().message;
            t += r.out;
        }
        transcripts.push_back(t);
    }
    EXPECT_NE(transcripts[0].find("data hello world"), std::string::npos) << transcripts[0];
    EXPECT_NE(transcripts[0].find("id=int8:1 name=case88:ada pic=bytea:00ff"), std::string::npos)
        << transcripts[0];
    // Error texts name their backend; everything before them is the same.
    auto upto_error = [](const std::string& t) { return t.substr(0, t.rfind("error: query")); };
    EXPECT_EQ(upto_error(transcripts[0]), upto_error(transcripts[1]));
    EXPECT_NE(transcripts[1].find("error: query: invalid-query: PostgreSQL 42P01"),
              std::string::npos)
        << transcripts[1];
    std::filesystem::remove(sqlite);
}

// As a user runs it: `cirrus run --link ...`, the same file, the backend picked on the command
// line.
TEST(RealServers, CliLinksPickTheBackend) {
    std::string guest = caps_component("data_guest");
    auto embedded = run_cli({"run", guest, "sql", "SELECT $1 AS n, $2 AS s", "i:42", "t:hi"});
    EXPECT_EQ(embedded.out, "rows 1\nn=int8:42 s=case88:hi\n") << embedded.err;
    auto real = run_cli({"run", "--link", "wasmcloud:postgres=postgres,url=" + postgres().url(),
                         guest, "sql", "SELECT $1 AS n, $2 AS s", "i:42", "t:hi"});
    EXPECT_EQ(real.out, "rows 1\nn=int8:42 s=case88:hi\n") << real.err;
    auto bad = run_cli({"run", "--link", "wasmcloud:postgres=oracle", guest, "sql", "SELECT 1"});
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.err.find("unknown backend `oracle` (known: sqlite, postgres)"), std::string::npos)
        << bad.err;
}

TEST(RealServers, PostgresInjectionLeavesTheTableIntact) {
    SharedHost host({"wasmcloud:postgres=postgres,url=" + postgres().url()});
    ASSERT_EQ(host.run({"sql-batch", "DROP TABLE IF EXISTS victims; CREATE TABLE victims (name "
                                     "TEXT); INSERT INTO victims VALUES ('keep')"})
                  .out,
              "batch ok\n");
    for (const char* attack :
         {"t:'; DROP TABLE victims; --", "t:x' OR '1'='1", "t:keep'; DELETE FROM victims; --"}) {
        auto ins = host.run({"sql", "INSERT INTO victims VALUES ($1)", attack});
        EXPECT_EQ(ins.out, "rows 0\n") << attack;
        auto sel =
            host.run({"sql", "SELECT count(*)::int8 AS n FROM victims WHERE name = $1", attack});
        EXPECT_EQ(sel.out, "rows 1\nn=int8:1\n") << attack; // matched itself only
    }
    EXPECT_EQ(host.run({"sql", "SELECT count(*)::int8 AS n FROM victims"}).out,
              "rows 1\nn=int8:4\n");
    // A parameter of the wrong type is invalid-params, not a crash.
    auto typed = host.run({"sql", "SELECT $1::int4 AS n", "t:not a number"});
    EXPECT_EQ(typed.out.substr(0, 45), "error: query: invalid-params: PostgreSQL 22P0");
}

TEST(RealServers, PostgresTypesComeBackAsTheirPgValueCases) {
    SharedHost host({"wasmcloud:postgres=postgres,url=" + postgres().url()});
    auto r =
        host.run({"sql", "SELECT 7::int4 AS i4, 3::int2 AS i2, true AS b, 1.5::float8 AS f, "
                         "'{\"a\": 1}'::jsonb AS j, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid "
                         "AS u, DATE '2024-02-29' AS d, ARRAY[1,2]::int4[] AS a, NULL::text AS n, "
                         "'x'::name AS nm, '10.0.0.1'::inet AS ip"});
    EXPECT_EQ(r.out, "rows 1\n"
                     "i4=int4:7 i2=case25 b=bool:1 f=float8:1,6755399441055744,-52 "
                     "j=case78:{\"a\": 1} u=case94:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 d=case64 "
                     "a=case18 n=null nm=case86:x ip=case44:10.0.0.1\n");
}

TEST(RealServers, PostgresDownAndBack) {
    SharedHost host({"wasmcloud:postgres=postgres,url=" + postgres().url()});
    ASSERT_EQ(
        host.run({"sql-batch", "DROP TABLE IF EXISTS ledger; CREATE TABLE ledger (n INT8)"}).out,
        "batch ok\n");
    EXPECT_EQ(host.run({"sql-prep", "INSERT INTO ledger VALUES ($1)", "i:1"}).out, "affected 1\n");
    ASSERT_TRUE(postgres().stop(/*kill=*/true).ok()); // a crash, not a clean shutdown
    auto down = host.run({"sql", "SELECT count(*) AS n FROM ledger"});
    ASSERT_TRUE(down.status.ok()) << "the host must not fail: " << down.status.error().message;
    EXPECT_EQ(*down.status, 1);
    EXPECT_EQ(down.out.substr(0, 29), "error: query: unexpected: Pos") << down.out;
    auto down_exec = host.run({"sql-prep", "INSERT INTO ledger VALUES ($1)", "i:2"});
    EXPECT_EQ(*down_exec.status, 1);
    EXPECT_EQ(down_exec.out.substr(0, 14), "error: prepare") << down_exec.out;
    ASSERT_TRUE(postgres().start().ok());
    // The acknowledged insert survived the crash, and writes work again.
    EXPECT_EQ(
        host.run_until({"sql", "SELECT count(*)::int8 AS n FROM ledger"}, "rows 1\nn=int8:1\n").out,
        "rows 1\nn=int8:1\n");
    EXPECT_EQ(host.run({"sql-prep", "INSERT INTO ledger VALUES ($1)", "i:2"}).out, "affected 1\n");
}

TEST(RealServers, NatsObjectStoreDownAndBack) {
    SharedHost host({"wasi:blobstore=nats,url=" + nats().url()});
    ASSERT_EQ(host.run({"blob-put", "durable", "a", "acknowledged"}).out, "stored 12\n");
    ASSERT_TRUE(nats().stop().ok());
    auto down = host.run({"blob-put", "durable", "b", "lost?"});
    ASSERT_TRUE(down.status.ok()) << down.status.error().message;
    EXPECT_EQ(*down.status, 1);
    EXPECT_NE(down.out.find("unavailable"), std::string::npos) << down.out;
    auto down_get = host.run({"blob-get", "durable", "a"});
    EXPECT_EQ(*down_get.status, 1);
    ASSERT_TRUE(nats().start().ok());
    EXPECT_EQ(host.run_until({"blob-get", "durable", "a"}, "size 12\ndata acknowledged\n").out,
              "size 12\ndata acknowledged\n");
    EXPECT_EQ(host.run({"blob-put", "durable", "b", "now"}).out, "stored 3\n");
    EXPECT_EQ(host.run({"blob-list", "durable", "10"}).out, "page a b\n");
    EXPECT_EQ(host.run({"blob-drop", "durable"}).out, "dropped, exists 0\n");
}

TEST(RealServers, NatsObjectStoreNamesAndLimits) {
    SharedHost host({"wasi:blobstore=nats,url=" + nats().url() + ",max_object_size=300000"});
    auto bad = host.run({"blob-put", "has.dot", "x", "y"});
    EXPECT_NE(bad.out.find("the NATS object store takes only letters, digits"), std::string::npos)
        << bad.out;
    auto traversal = host.run({"blob-put", "ok", "../x", "y"});
    EXPECT_EQ(traversal.out, "error: write-data: object name `../x` has a `..` path segment\n");
    // Larger than one chunk (128 KiB): written and read back in pieces.
    std::string big(200000, 'z');
    big[0] = 'a';
    big.back() = 'q';
    EXPECT_EQ(host.run({"blob-fill", "ok", "big", "200000"}).out, "stored 200000\n");
    auto back = host.run({"blob-get-sync", "ok", "big"});
    EXPECT_TRUE(back.out == "size 200000\ndata " + big + "\n") << back.out.substr(0, 200);
    auto streamed = host.run({"blob-get", "ok", "big"});
    EXPECT_TRUE(streamed.out == "size 200000\ndata " + big + "\n") << streamed.out.substr(0, 200);
    // Over the link's max_object_size: refused, the stored one unchanged.
    auto over = host.run({"blob-fill", "ok", "big", "300001"});
    EXPECT_EQ(over.out, "error: write failed\n");
    auto range = host.run({"blob-get", "ok", "big", "199998", "300000"});
    EXPECT_EQ(range.out, "size 2\ndata zq\n");
    EXPECT_EQ(host.run({"blob-drop", "ok"}).out, "dropped, exists 0\n");
}

TEST(RealServers, NatsMessagingDownAndBack) {
    SharedHost host({"wasmcloud:messaging=nats,url=" + nats().url()});
    EXPECT_EQ(host.run({"pub", "up.1", "x"}).out, "published\n");
    auto none = host.run({"req", "nobody.here", "x", "300"});
    EXPECT_EQ(none.out, "error: request: no responders on `nobody.here`\n");
    ASSERT_TRUE(nats().stop().ok());
    auto down = host.run({"pub", "up.2", "x"});
    ASSERT_TRUE(down.status.ok());
    EXPECT_EQ(*down.status, 1);
    EXPECT_NE(down.out.find("unavailable"), std::string::npos) << down.out;
    ASSERT_TRUE(nats().start().ok());
    EXPECT_EQ(host.run_until({"pub", "up.3", "x"}, "published\n").out, "published\n");
}

// A component exporting wasmcloud:messaging/handler, served by the host: each message gets a
// fresh instance; a handler that fails or traps is counted and the host keeps serving.
void handler_round_trip(const std::vector<std::string>& links) {
    host::ComponentOptions o;
    o.capabilities = options(links);
    auto imports = host::ComponentImports::create(std::move(o));
    ASSERT_TRUE(imports.ok()) << imports.error().message;
    wasm::Engine engine;
    auto comp = component::Component::compile(engine, file_bytes(caps_component("handler_guest")));
    ASSERT_TRUE(comp.ok()) << comp.error().message;
    auto server = host::MessageServer::start(engine, *comp, **imports);
    ASSERT_TRUE(server.ok()) << server.error().message;

    std::vector<std::string> client_links;
    for (const auto& l : links) {
        if (l.starts_with("wasmcloud:messaging"))
            client_links.push_back(l.substr(0, l.find(",subscriptions")));
    }
    SharedHost client(client_links);
    auto r = client.run({"req", "orders.new", "hello", "2000"});
    EXPECT_NE(r.out.find(": echo: hello\n"), std::string::npos) << r.out;
    auto failing = client.run({"req", "orders.new", "fail", "300"});
    EXPECT_EQ(failing.out.substr(0, 14), "error: request") << failing.out;
    auto trapping = client.run({"req", "orders.new", "trap", "300"});
    EXPECT_EQ(trapping.out.substr(0, 14), "error: request") << trapping.out;
    auto again = client.run({"req", "orders.old", "still here", "2000"});
    EXPECT_NE(again.out.find(": echo: still here\n"), std::string::npos) << again.out;
    auto other = client.run({"req", "payments.new", "x", "200"});
    EXPECT_NE(other.out.find("no responders"), std::string::npos) << other.out; // not subscribed
    for (int i = 0; i < 100 && (*server)->handled() < 2; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ((*server)->handled(), 2u);
    EXPECT_EQ((*server)->failed(), 2u);
}

TEST(MessageHandler, ServedOnTheEmbeddedBus) {
    handler_round_trip({"wasmcloud:messaging=memory,subscriptions=orders.>"});
}

TEST(MessageHandler, ServedOnNats) {
    handler_round_trip(
        {"wasmcloud:messaging=nats,url=" + nats().url() + ",subscriptions=orders.*"});
}

TEST(MessageHandler, RefusedWithoutSubscriptionsOrExport) {
    host::ComponentOptions o;
    auto imports = host::ComponentImports::create(std::move(o));
    wasm::Engine engine;
    auto handler =
        component::Component::compile(engine, file_bytes(caps_component("handler_guest")));
    auto none = host::MessageServer::start(engine, *handler, **imports);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("subscribes to nothing"), std::string::npos);
    auto data = component::Component::compile(engine, file_bytes(caps_component("data_guest")));
    auto not_handler = host::MessageServer::start(engine, *data, **imports);
    ASSERT_FALSE(not_handler.ok());
    EXPECT_NE(not_handler.error().message.find("does not export"), std::string::npos);
    auto bad = capabilities::Capabilities::create(
        options({"wasmcloud:messaging=memory,subscriptions=a..b"}));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("subject `a..b` has an empty token"), std::string::npos)
        << bad.error().message;
}

// Every kind of pg-value payload through PostgreSQL and back: a parameter bound out of line,
// `SELECT $1`, the column read back as the same pg-value (or the case PostgreSQL names it by).
TEST(RealServers, PgValuesRoundTripThroughPostgres) {
    component::TypeArena arena;
    capabilities::PgTypes types = capabilities::make_pg_types(arena);
    auto db = capabilities::open_postgres(postgres().url());
    ASSERT_TRUE(db->batch("SET TimeZone TO 'UTC'").ok());
    const std::string h15 = "(6755399441055744, -52, 1)", h2 = "(4503599627370496, -51, 1)";
    // (sent, expected back; empty: the same)
    std::vector<std::pair<std::string, std::string>> cases = {
        {"null", ""},
        {"int8(-9007199254740993)", ""},
        {"big-int(5)", "int8(5)"},
        {"int4(-7)", ""},
        {"integer(7)", "int4(7)"},
        {"serial(4000000000)", ""}, // out of int4's range: PostgreSQL refuses it (below)
        {"int2(300)", ""},
        {"boolean(true)", "bool(true)"},
        {"float8(" + h15 + ")", ""},
        {"double(" + h15 + ")", "float8(" + h15 + ")"},
        {"float4(" + h15 + ")", ""},
        {"numeric(\"12.50\")", ""},
        {"decimal(\"-0.001\")", "numeric(\"-0.001\")"},
        {"text(\"it's \\\"quoted\\\", {braces}\")", ""},
        {"bytea([0, 1, 255])", ""},
        {"varchar((some(3), [97, 98, 99]))", ""},
        {"json(\"{\\\"a\\\": [1, 2]}\")", ""},
        {"jsonb(\"{\\\"a\\\": 1}\")", ""},
        {"uuid(\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\")", ""},
        {"inet(\"10.1.2.3\")", ""},
        {"cidr(\"10.0.0.0/8\")", ""},
        {"macaddr({bytes: (8, 0, 43, 1, 2, 3)})", ""},
        {"date(ymd((2024, 2, 29)))", ""},
        {"date(positive-infinity)", ""},
        {"time({hour: 13, min: 5, sec: 59, micro: 120000})", ""},
        {"timestamp({date: ymd((1999, 12, 31)), time: {hour: 23, min: 59, sec: 58, micro: 0}})",
         ""},
        {"timestamp-tz({timestamp: {date: ymd((2001, 1, 2)), time: {hour: 3, min: 4, sec: 5, "
         "micro: 6}}, offset: eastern-hemisphere-secs(0)})",
         ""},
        {"int4-array([1, -2, 3])", ""},
        {"int8-array([])", ""},
        {"text-array([\"a\", \"b,c\", \"d\\\"e\", \"\"])", ""},
        {"bool-array([true, false])", ""},
        {"float8-array([" + h15 + ", " + h2 + "])", ""},
        {"numeric-array([\"1.5\", \"2\"])", ""},
        {"pg-lsn(4294967296)", ""},
        {"point((" + h15 + ", " + h2 + "))", ""},
    };
    for (const auto& [sent, want_text] : cases) {
        component::WaveError werr;
        auto v = component::wave_parse(sent, types.pg_value, &werr);
        ASSERT_TRUE(v) << sent << ": " << werr.message;
        auto param = capabilities::pg_param(*v, true);
        ASSERT_TRUE(param.ok()) << sent << ": " << param.error().message;
        auto rows = db->query("SELECT $1 AS v", std::vector{*param});
        if (sent.starts_with("serial(")) {
            ASSERT_FALSE(rows.ok());
            EXPECT_EQ(capabilities::sql_error_kind(rows.error()),
                      capabilities::SqlErrorKind::InvalidParams)
                << rows.error().message;
            continue;
        }
        ASSERT_TRUE(rows.ok()) << sent << ": " << rows.error().message;
        component::Val back = capabilities::pg_result(rows->at(0).at(0).value);
        std::string got = component::wave_print(back, types.pg_value);
        EXPECT_EQ(got, want_text.empty() ? component::wave_print(*v, types.pg_value) : want_text)
            << "sent " << sent;
    }
}

TEST(PgValues, SqliteTakesWhatItCanHoldAndNamesWhatNot) {
    component::TypeArena arena;
    capabilities::PgTypes types = capabilities::make_pg_types(arena);
    auto db = capabilities::open_sqlite("");
    ASSERT_TRUE(db.ok());
    for (const char* ok : {"int8(5)", "text(\"x\")", "bytea([1, 2])", "boolean(true)",
                           "date(ymd((2024, 1, 2)))", "numeric(\"1.25\")", "null"}) {
        component::WaveError werr;
        auto v = component::wave_parse(ok, types.pg_value, &werr);
        ASSERT_TRUE(v) << ok;
        auto p = capabilities::pg_param(*v, false);
        ASSERT_TRUE(p.ok()) << ok << ": " << p.error().message;
        auto rows = (*db)->query("SELECT $1 AS v", std::vector{*p});
        EXPECT_TRUE(rows.ok()) << ok;
    }
    component::WaveError werr;
    auto date = component::wave_parse("date(ymd((2024, 1, 2)))", types.pg_value, &werr);
    auto rows = (*db)->query("SELECT $1 AS v", std::vector{*capabilities::pg_param(*date, false)});
    EXPECT_EQ(
        component::wave_print(capabilities::pg_result(rows->at(0).at(0).value), types.pg_value),
        "text(\"2024-01-02\")");
    for (const char* no : {"int4-array([1])", "point(((0, 0, 1), (0, 0, 1)))", "inet(\"::1\")"}) {
        auto v = component::wave_parse(no, types.pg_value, &werr);
        ASSERT_TRUE(v) << no;
        auto p = capabilities::pg_param(*v, false);
        if (std::string_view(no).starts_with("inet")) {
            EXPECT_TRUE(p.ok()); // text-like: SQLite stores the text
            continue;
        }
        ASSERT_FALSE(p.ok()) << no;
        EXPECT_NE(p.error().message.find("has no SQLite equivalent"), std::string::npos);
    }
}

} // namespace
} // namespace cirrus::testing
