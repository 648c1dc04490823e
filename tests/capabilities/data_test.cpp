// The data interfaces end to end through the C data guest (guests/data_guest.c):
// wasi:blobstore, wasmcloud:messaging/consumer and wasmcloud:postgres on the embedded backends.
#include "guest_support.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace cirrus::testing {
namespace {

namespace fs = std::filesystem;

capabilities::Options with_links(std::vector<std::string> links, std::string data_dir = {}) {
    capabilities::Options o;
    for (const auto& l : links) {
        auto link = capabilities::parse_link(l);
        EXPECT_TRUE(link.ok()) << l << ": " << link.error().message;
        if (link.ok()) o.links.push_back(*link);
    }
    o.data_dir = std::move(data_dir);
    return o;
}

GuestRun data(std::vector<std::string> args, capabilities::Options o = {}) {
    return run_guest("data_guest", std::move(args), std::move(o));
}

class BlobstoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("cirrus-data-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    capabilities::Options opts() { return with_links({}, dir.string()); }
    fs::path dir;
};

TEST_F(BlobstoreTest, WriteReadListThroughStreams) {
    auto put = data({"blob-put", "photos", "cat.txt", "the quick brown fox"}, opts());
    ASSERT_TRUE(put.status.ok()) << put.status.error().message << put.err;
    EXPECT_EQ(*put.status, 0) << put.out << put.err;
    EXPECT_EQ(put.out, "stored 19\n");
    // --data-dir keeps it: the object is a file under blobstore/photos.
    EXPECT_TRUE(fs::exists(dir / "blobstore" / "photos" / "cat.txt"));

    auto get = data({"blob-get", "photos", "cat.txt"}, opts());
    EXPECT_EQ(get.out, "size 19\ndata the quick brown fox\n") << get.err;
    auto range = data({"blob-get", "photos", "cat.txt", "4", "8"}, opts());
    EXPECT_EQ(range.out, "size 5\ndata quick\n");
    auto sync = data({"blob-get-sync", "photos", "cat.txt"}, opts());
    EXPECT_EQ(sync.out, "size 19\ndata the quick brown fox\n");
    auto info = data({"blob-info", "photos", "cat.txt"}, opts());
    EXPECT_EQ(info.out, "info cat.txt in photos size 19\n");

    for (const char* name : {"a", "b", "c", "d", "e"})
        ASSERT_EQ(*data({"blob-put", "photos", name, "x"}, opts()).status, 0);
    auto list = data({"blob-list", "photos", "2"}, opts());
    EXPECT_EQ(list.out, "page a b\npage c cat.txt\npage d e\n");
}

TEST_F(BlobstoreTest, CopyMoveDelete) {
    ASSERT_EQ(*data({"blob-put", "one", "x", "payload"}, opts()).status, 0);
    ASSERT_EQ(*data({"blob-put", "two", "seed", "s"}, opts()).status, 0);
    EXPECT_EQ(data({"blob-copy", "one", "x", "two", "y"}, opts()).out, "copied\n");
    EXPECT_EQ(data({"blob-move", "one", "x", "two", "z"}, opts()).out, "moved\n");
    EXPECT_EQ(data({"blob-get", "two", "z"}, opts()).out, "size 7\ndata payload\n");
    EXPECT_EQ(data({"blob-list", "one", "10"}, opts()).out, "page\n");
    EXPECT_EQ(data({"blob-delete", "two", "y"}, opts()).out, "deleted, has-object 0\n");
    EXPECT_EQ(data({"blob-drop", "two"}, opts()).out, "dropped, exists 0\n");
    auto gone = data({"blob-get", "two", "z"}, opts());
    EXPECT_EQ(*gone.status, 1);
    EXPECT_EQ(gone.out, "error: container: no container `two`\n");
}

TEST_F(BlobstoreTest, HostileNamesAreErrorValues) {
    ASSERT_EQ(*data({"blob-put", "c", "ok", "x"}, opts()).status, 0);
    auto up = data({"blob-put", "..", "x", "y"}, opts());
    EXPECT_EQ(*up.status, 1);
    EXPECT_EQ(up.out, "error: container: container name `..` is not allowed\n");
    auto traversal = data({"blob-put", "c", "../../etc/passwd", "y"}, opts());
    EXPECT_EQ(*traversal.status, 1);
    EXPECT_EQ(traversal.out,
              "error: write-data: object name `../../etc/passwd` has a `..` path segment\n");
    auto abs = data({"blob-get", "c", "/etc/passwd"}, opts());
    EXPECT_EQ(abs.out, "error: get-data: object name `/etc/passwd` is an absolute path\n");
    auto missing = data({"blob-get", "c", "nope"}, opts());
    EXPECT_EQ(missing.out, "error: get-data: no object `nope` in container `c`\n");
    auto copy = data({"blob-copy", "c", "ok", "nowhere", "x"}, opts());
    EXPECT_EQ(copy.out, "error: copy-object: no container `nowhere`\n");
    EXPECT_FALSE(fs::exists(dir / "etc"));
}

TEST_F(BlobstoreTest, OversizedValueIsAnError) {
    auto o = with_links({"wasi:blobstore=fs,max_object_size=8"}, dir.string());
    auto big = data({"blob-put", "c", "big", "0123456789"}, o);
    EXPECT_EQ(*big.status, 1);
    EXPECT_EQ(big.out, "error: write failed\n");
    auto fits = data({"blob-put", "c", "small", "01234567"}, o);
    EXPECT_EQ(fits.out, "stored 8\n");
}

TEST_F(BlobstoreTest, DataDirKeepsObjectsBetweenRuns) {
    std::string guest = caps_component("data_guest");
    auto put = run_cli({"run", "--data-dir", dir.string(), guest, "blob-put", "c", "kept", "hi"});
    EXPECT_EQ(put.out, "stored 2\n") << put.err;
    EXPECT_TRUE(fs::exists(dir / "blobstore" / "c" / "kept"));
    auto get = run_cli({"run", "--data-dir", dir.string(), guest, "blob-get", "c", "kept"});
    EXPECT_EQ(get.out, "size 2\ndata hi\n") << get.err;
    // Without --data-dir each run has its own temporary store.
    auto none = run_cli({"run", guest, "blob-get", "c", "kept"});
    EXPECT_EQ(none.out, "error: container: no container `c`\n");
}

TEST(Messaging, PublishAndRequestOnTheEmbeddedBus) {
    auto pub = data({"pub", "greetings.en", "hello"});
    EXPECT_EQ(pub.out, "published\n") << pub.err;
    auto none = data({"req", "nobody.listens", "hi", "200"});
    EXPECT_EQ(*none.status, 1);
    EXPECT_EQ(none.out, "error: request: no responders on `nobody.listens`\n");
    auto bad = data({"pub", "a.*", "x"});
    EXPECT_EQ(bad.out, "error: publish: subject `a.*` has a wildcard, which only subscriptions "
                       "may have\n");
    auto badreply = data({"pub", "a", "x", "bad reply"});
    EXPECT_EQ(badreply.out,
              "error: publish: subject `bad reply` has whitespace or a control character\n");
}

TEST(Sql, EmbeddedSqliteThroughPgValues) {
    // One in-memory database per run: each guest run is its own host here, so the whole story
    // is in one file-backed database.
    auto dir = fs::temp_directory_path() / ("cirrus-sql-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto o = [&] {
        return with_links({"wasmcloud:postgres=sqlite,path=" + (dir / "db").string()});
    };
    auto made = data({"sql-batch", "CREATE TABLE users (id INTEGER, name TEXT, pic BLOB, "
                                   "score REAL, ok BOOLEAN)"},
                     o());
    ASSERT_EQ(made.out, "batch ok\n") << made.err;
    auto ins = data({"sql-prep", "INSERT INTO users VALUES ($1, $2, $3, $4, $5)", "i:1", "t:ada",
                     "b:00ff", "f:1,3,-1", "B:1"},
                    o());
    EXPECT_EQ(ins.out, "affected 1\n");
    // Injection through a parameter is data.
    auto evil = data({"sql", "INSERT INTO users (id, name) VALUES ($1, $2)", "i:2",
                      "t:x'); DROP TABLE users; --"},
                     o());
    EXPECT_EQ(evil.out, "rows 0\n");
    auto sel = data({"sql", "SELECT id, name, pic, score, ok FROM users ORDER BY id"}, o());
    EXPECT_EQ(
        sel.out,
        "rows 2\n"
        "id=int8:1 name=case88:ada pic=bytea:00ff score=float8:1,6755399441055744,-52 ok=bool:1\n"
        "id=int8:2 name=case88:x'); DROP TABLE users; -- pic=null score=null ok=null\n");
    auto syntax = data({"sql", "SELEC 1"}, o());
    EXPECT_EQ(*syntax.status, 1);
    EXPECT_EQ(syntax.out, "error: query: invalid-query: SQLite: near \"SELEC\": syntax error\n");
    auto few = data({"sql", "SELECT $1, $2", "i:1"}, o());
    EXPECT_EQ(few.out,
              "error: query: invalid-params: the statement uses parameter $2 but 1 were given\n");
    fs::remove_all(dir);
}

} // namespace
} // namespace cirrus::testing
