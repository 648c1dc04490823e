// The JavaScript data guest (guests/js/data_guest.js, componentize-js) through the `cirrus run`
// binary: wasi:blobstore, wasmcloud:messaging, wasmcloud:postgres and wasmcloud:secrets. The same
// file, the same arguments, the embedded backends (no flag at all) and then nats-server and
// PostgreSQL (started here, tests/support/servers.h): only the --link flags differ, and so does
// nothing the guest prints.
#include "guest_support.h"
#include "servers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cirrus::testing {
namespace {

#ifdef CIRRUS_GUEST_DIR

namespace fs = std::filesystem;

std::string js_guest() {
    return std::string(CIRRUS_GUEST_DIR) + "/data_guest_js.wasm";
}

// `cirrus run [FLAGS...] data_guest_js.wasm COMMAND :: COMMAND ...`
CliRun run_js(std::vector<std::string> flags, const std::vector<std::vector<std::string>>& script) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(js_guest());
    for (size_t i = 0; i < script.size(); ++i) {
        if (i) args.push_back("::");
        args.insert(args.end(), script[i].begin(), script[i].end());
    }
    return run_cli(args);
}

TEST(JsDataGuest, SameTranscriptOnEmbeddedAndRealBackends) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    auto pg = start_postgres();
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    const std::vector<std::vector<std::string>> script = {
        {"blob-put", "js", "greeting", "hello world"},
        {"blob-get", "js", "greeting"},
        {"blob-get", "js", "greeting", "6", "10"},
        {"blob-get-sync", "js", "greeting"},
        {"blob-info", "js", "greeting"},
        {"blob-put", "js", "b", "x"},
        {"blob-put", "js2", "seed", "s"},
        {"blob-copy", "js", "greeting", "js2", "copy"},
        {"blob-move", "js", "b", "js2", "moved"},
        {"blob-list", "js2", "2"},
        {"blob-get", "js2", "copy"},
        {"blob-delete", "js2", "copy"},
        {"blob-put", "js", "../escape", "x"},
        {"blob-drop", "js"},
        {"blob-drop", "js2"},
        {"blob-get", "js", "greeting"},
        {"pub", "js.subject", "x"},
        {"pub", "js.*", "x"},
        {"req", "nobody.listens.js", "x", "300"},
        {"sql-batch", "DROP TABLE IF EXISTS jsdata; CREATE TABLE jsdata (id BIGINT, name TEXT, "
                      "pic BYTEA, score FLOAT8)"},
        {"sql-prep", "INSERT INTO jsdata VALUES ($1, $2, $3, $4)", "i:1", "t:ada", "b:00ff",
         "f:1.5"},
        {"sql-prep", "INSERT INTO jsdata VALUES ($1, $2, $3, $4)", "i:2",
         "t:x'); DROP TABLE jsdata; --", "n", "n"},
        {"sql", "SELECT id, name, pic, score FROM jsdata WHERE id >= $1 ORDER BY id", "i:1"},
        {"sql", "SELECT $1, $2", "i:1"},
    };
    const std::string want = "stored 11\n"
                             "size 11\ndata hello world\n"
                             "size 5\ndata world\n"
                             "size 11\ndata hello world\n"
                             "info greeting in js size 11\n"
                             "stored 1\n"
                             "stored 1\n"
                             "copied\n"
                             "moved\n"
                             "page copy moved\npage seed\n"
                             "size 11\ndata hello world\n"
                             "deleted, has-object 0\n"
                             "error: write-data: object name `../escape` has a `..` path segment\n"
                             "dropped, exists 0\n"
                             "dropped, exists 0\n"
                             "error: container: no container `js`\n"
                             "published\n"
                             "error: publish: subject `js.*` has a wildcard, which only "
                             "subscriptions may have\n"
                             "error: request: no responders on `nobody.listens.js`\n"
                             "batch ok\n"
                             "affected 1\n"
                             "affected 1\n"
                             "rows 2\n"
                             "id=int8:1 name=text:ada pic=bytea:00ff score=float8:1.5\n"
                             "id=int8:2 name=text:x'); DROP TABLE jsdata; -- pic=null "
                             "score=null\n";
    auto embedded = run_js({}, script);
    EXPECT_EQ(embedded.status, 1) << embedded.err; // the errors asked for
    // The last line is the backend's own words for the missing parameter.
    std::string tail = "error: query: invalid-params: ";
    ASSERT_EQ(embedded.out.substr(0, want.size()), want) << embedded.err;
    EXPECT_EQ(embedded.out.substr(want.size(), tail.size()), tail) << embedded.out;

    auto real = run_js({"--link", "wasi:blobstore=nats,url=" + (*nats)->url(), "--link",
                        "wasmcloud:messaging=nats,url=" + (*nats)->url(), "--link",
                        "wasmcloud:postgres=postgres,url=" + (*pg)->url()},
                       script);
    EXPECT_EQ(real.status, 1) << real.err;
    ASSERT_EQ(real.out.substr(0, want.size()), want) << real.err;
    EXPECT_EQ(real.out.substr(want.size(), tail.size() + 10), tail + "PostgreSQL") << real.out;
}

TEST(JsDataGuest, PgValueKindsBothWays) {
    auto pg = start_postgres();
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    auto real = run_js(
        {"--link", "wasmcloud:postgres=postgres,url=" + (*pg)->url()},
        {{"sql",
          "SELECT $1::int4 AS i4, $2::int2 AS i2, $3::numeric AS num, $4 AS b, $5::jsonb AS j, "
          "$6::int4[] AS arr, $7::text AS nul, $8 AS f, $9 AS i8, $10 AS t, $11 AS bin, "
          "DATE '2024-02-29' AS d",
          "4:7", "2:-3", "d:12.50", "B:1", "j:{\"a\": [1, 2]}", "a:1,-2,3", "n", "f:-0.25",
          "i:-9007199254740993", "t:h\xC3\xA9 'quoted'", "b:00ff10"}});
    EXPECT_EQ(real.out,
              "rows 1\n"
              "i4=int4:7 i2=int2:-3 num=numeric:12.50 b=bool:true j=jsonb:{\"a\": [1, 2]} "
              "arr=int4-array:[1,-2,3] nul=null f=float8:-0.25 "
              "i8=int8:-9007199254740993 t=text:h\xC3\xA9 'quoted' bin=bytea:00ff10 "
              "d=date:2024-2-29\n")
        << real.err;
    EXPECT_EQ(real.status, 0);
    // The embedded SQLite holds what it can: integers come back as int8, numeric as text, and
    // an array is an invalid-params error naming the case.
    auto embedded =
        run_js({}, {{"sql", "SELECT $1 AS a, $2 AS b, $3 AS c, $4 AS d, $5 AS e, $6 AS f", "4:7",
                     "2:-3", "d:12.50", "B:1", "n", "f:-0.25"},
                    {"sql", "SELECT $1 AS a", "a:1,2"}});
    EXPECT_EQ(embedded.out,
              "rows 1\n"
              "a=int8:7 b=int8:-3 c=text:12.50 d=int8:1 e=null f=float8:-0.25\n"
              "error: query: invalid-params: parameter $1: pg-value `int4-array` has no SQLite "
              "equivalent (SQLite holds null, integers, floats, text, bytea, booleans, dates and "
              "times)\n")
        << embedded.err;
}

TEST(JsDataGuest, SecretsStoredAndRevealed) {
    fs::path dir = fs::temp_directory_path() / ("cirrus-js-secrets-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream(dir / "bin", std::ios::binary) << std::string("\x00\xff\x10", 3);
        std::ofstream(dir / "api-key") << "k-123";
    }
    auto local =
        run_js({"--secret", "tok=hunter2", "--secret", "bin=@file:" + (dir / "bin").string()},
               {{"secret", "tok", "bin", "nope"}});
    EXPECT_EQ(local.out, "tok: string hunter2\nbin: bytes 00ff10\nnope: error get: not-found\n")
        << local.err;
    // The secret's value is the guest's to print, never the host's to log.
    EXPECT_EQ(local.err.find("hunter2"), std::string::npos) << local.err;
    auto file = run_js({"--link", "wasmcloud:secrets=file,dir=" + dir.string()},
                       {{"secret", "api-key", "bin", "../etc/passwd"}});
    // A name is one path component of the directory: `..` finds nothing.
    EXPECT_EQ(file.out, "api-key: string k-123\nbin: bytes 00ff10\n../etc/passwd: error get: "
                        "not-found\n")
        << file.err;
    fs::remove_all(dir);
}

#endif

} // namespace
} // namespace cirrus::testing
