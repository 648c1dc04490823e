// wasi:filesystem with a granted directory, called directly: what the guest may do inside it,
// and that every way out (`..`, absolute paths, symlinks leading out) fails with an error code
// (not a trap), and that a read-only grant refuses writes.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace cirrus::wasi {
namespace {

using component::Val;
namespace fs = std::filesystem;

// error-code cases (types.wit order).
constexpr uint32_t not_permitted = 31, read_only = 33, no_entry = 20, exist = 7;

Val borrow_of(const Val& own) {
    return Val::borrow(own.resource, own.rep());
}
Val flags(uint32_t bits) {
    return Val::flags({bits});
}
Val bytes(std::string_view s) {
    std::vector<Val> e;
    for (char c : s) e.push_back(Val::u8(static_cast<uint8_t>(c)));
    return Val::list(std::move(e));
}
std::string text_of(const Val& list) {
    return list.to_bytes();
}

class WasiFs : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("cirrus-wasi-fs-" + std::to_string(std::random_device{}()));
        fs::create_directories(root_ / "granted" / "sub");
        std::ofstream(root_ / "granted" / "hello.txt") << "hi there";
        std::ofstream(root_ / "secret.txt") << "outside";
        fs::create_symlink("/etc", root_ / "granted" / "etc-link");
        fs::create_symlink("..", root_ / "granted" / "up");
        fs::create_symlink("hello.txt", root_ / "granted" / "inside-link");
    }
    void TearDown() override { fs::remove_all(root_); }

    // A host granting `granted` as /data, and its preopened descriptor.
    std::pair<std::unique_ptr<Host>, Val> grant(bool ro) {
        Config c;
        c.dirs.push_back({(root_ / "granted").string(), "/data", ro});
        auto h = std::make_unique<Host>(c);
        EXPECT_TRUE(h->ready().ok());
        auto dirs = h->call("wasi:filesystem/preopens", "get-directories", {});
        EXPECT_TRUE(dirs.ok());
        EXPECT_EQ((*dirs)->elems.size(), 1u);
        EXPECT_EQ((*dirs)->elems[0].elems[1].as_string(), "/data");
        Val d = (*dirs)->elems[0].elems[0];
        return {std::move(h), d};
    }

    // open-at: the result value (ok(descriptor) or err(code)).
    Val open_at(Host& h, const Val& dir, const std::string& path, uint32_t oflags = 0,
                uint32_t dflags = 1 /* read */, bool follow = true) {
        auto r = h.call("wasi:filesystem/types", "[method]descriptor.open-at",
                        std::vector{borrow_of(dir), flags(follow ? 1 : 0), Val::string(path),
                                    flags(oflags), flags(dflags)});
        EXPECT_TRUE(r.ok()) << path << ": " << (r.ok() ? "" : r.error().to_string());
        return r.ok() ? **r : Val();
    }

    fs::path root_;
};

TEST_F(WasiFs, ReadsAFileInTheGrantedDirectory) {
    auto [h, dir] = grant(false);
    Val f = open_at(*h, dir, "hello.txt");
    ASSERT_EQ(f.case_index(), 0u);
    auto s = h->call("wasi:filesystem/types", "[method]descriptor.read-via-stream",
                     std::vector{borrow_of(f.elems[0]), Val::u64(3)});
    ASSERT_TRUE(s.ok());
    ASSERT_EQ((*s)->case_index(), 0u);
    auto r = h->call("wasi:io/streams", "[method]input-stream.read",
                     std::vector{borrow_of((*s)->elems[0]), Val::u64(100)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(text_of((*r)->elems[0]), "there");
    // A symlink that stays inside is followed.
    EXPECT_EQ(open_at(*h, dir, "inside-link").case_index(), 0u);
    EXPECT_EQ(open_at(*h, dir, "sub/../hello.txt").case_index(), 0u);
}

TEST_F(WasiFs, EveryWayOutIsAnErrorCodeNotATrap) {
    auto [h, dir] = grant(false);
    for (const char* path : {"../secret.txt", "/etc/passwd", "etc-link/passwd", "up/secret.txt",
                             "sub/../../secret.txt"}) {
        Val r = open_at(*h, dir, path);
        ASSERT_EQ(r.case_index(), 1u) << path << " was opened";
        EXPECT_EQ(r.elems[0].case_index(), not_permitted) << path;
    }
    auto st = h->call("wasi:filesystem/types", "[method]descriptor.stat-at",
                      std::vector{borrow_of(dir), flags(1), Val::string("up/secret.txt")});
    ASSERT_TRUE(st.ok());
    EXPECT_EQ((*st)->case_index(), 1u);
    auto mk = h->call("wasi:filesystem/types", "[method]descriptor.create-directory-at",
                      std::vector{borrow_of(dir), Val::string("../escaped")});
    ASSERT_TRUE(mk.ok());
    EXPECT_EQ((*mk)->case_index(), 1u);
    EXPECT_FALSE(fs::exists(root_ / "escaped"));
    auto rm = h->call("wasi:filesystem/types", "[method]descriptor.unlink-file-at",
                      std::vector{borrow_of(dir), Val::string("up/secret.txt")});
    ASSERT_TRUE(rm.ok());
    EXPECT_EQ((*rm)->case_index(), 1u);
    EXPECT_TRUE(fs::exists(root_ / "secret.txt"));
    EXPECT_EQ(open_at(*h, dir, "missing.txt").elems[0].case_index(), no_entry);
}

TEST_F(WasiFs, WritesCreateAndListInAWritableGrant) {
    auto [h, dir] = grant(false);
    Val f = open_at(*h, dir, "new.txt", /*create*/ 1, /*write*/ 2);
    ASSERT_EQ(f.case_index(), 0u);
    auto w = h->call("wasi:filesystem/types", "[method]descriptor.write",
                     std::vector{borrow_of(f.elems[0]), bytes("written"), Val::u64(0)});
    ASSERT_TRUE(w.ok());
    EXPECT_EQ((*w)->elems[0].as_u64(), 7u);
    std::ifstream in(root_ / "granted" / "new.txt");
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, "written");
    EXPECT_EQ(open_at(*h, dir, "new.txt", /*create|exclusive*/ 5, 2).elems[0].case_index(), exist);

    auto mk = h->call("wasi:filesystem/types", "[method]descriptor.create-directory-at",
                      std::vector{borrow_of(dir), Val::string("made")});
    ASSERT_TRUE(mk.ok());
    EXPECT_EQ((*mk)->case_index(), 0u);
    EXPECT_TRUE(fs::is_directory(root_ / "granted" / "made"));

    auto rd = h->call("wasi:filesystem/types", "[method]descriptor.read-directory",
                      std::vector{borrow_of(dir)});
    ASSERT_TRUE(rd.ok());
    ASSERT_EQ((*rd)->case_index(), 0u);
    std::set<std::string> names;
    for (;;) {
        auto e =
            h->call("wasi:filesystem/types", "[method]directory-entry-stream.read-directory-entry",
                    std::vector{borrow_of((*rd)->elems[0])});
        ASSERT_TRUE(e.ok());
        const Val& opt = (*e)->elems[0];
        if (opt.case_index() == 0) break;
        names.insert(opt.elems[0].elems[1].as_string());
    }
    EXPECT_EQ(names, (std::set<std::string>{"hello.txt", "sub", "etc-link", "up", "inside-link",
                                            "new.txt", "made"}));
}

TEST_F(WasiFs, AReadOnlyGrantRefusesWrites) {
    auto [h, dir] = grant(true);
    EXPECT_EQ(open_at(*h, dir, "hello.txt").case_index(), 0u);
    EXPECT_EQ(open_at(*h, dir, "hello.txt", 0, /*write*/ 2).elems[0].case_index(), read_only);
    EXPECT_EQ(open_at(*h, dir, "new.txt", /*create*/ 1, 1).elems[0].case_index(), read_only);
    EXPECT_EQ(open_at(*h, dir, "hello.txt", /*truncate*/ 8, 1).elems[0].case_index(), read_only);
    auto mk = h->call("wasi:filesystem/types", "[method]descriptor.create-directory-at",
                      std::vector{borrow_of(dir), Val::string("made")});
    ASSERT_TRUE(mk.ok());
    EXPECT_EQ((*mk)->elems[0].case_index(), read_only);
    EXPECT_FALSE(fs::exists(root_ / "granted" / "new.txt"));
    EXPECT_FALSE(fs::exists(root_ / "granted" / "made"));
    // A file opened for reading cannot be written through.
    Val f = open_at(*h, dir, "hello.txt");
    auto ws = h->call("wasi:filesystem/types", "[method]descriptor.write-via-stream",
                      std::vector{borrow_of(f.elems[0]), Val::u64(0)});
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ((*ws)->case_index(), 1u);
}

TEST_F(WasiFs, AMissingDirectoryIsAConfigurationError) {
    Config c;
    c.dirs.push_back({(root_ / "nope").string(), "/nope", false});
    Host h(c);
    EXPECT_FALSE(h.ready().ok());
}

} // namespace
} // namespace cirrus::wasi
