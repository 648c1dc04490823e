// The filesystem blob store: containers and objects, ranges, copy and move, and that no name
// or planted link leads outside its root.
#include "blob.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace cap = cirrus::capabilities;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

std::string read_all(cap::BlobReader& r) {
    std::string out;
    uint8_t buf[3]; // small on purpose: reads come in pieces
    for (;;) {
        auto n = r.read(buf);
        EXPECT_TRUE(n.ok());
        if (!n.ok() || *n == 0) break;
        out.append(reinterpret_cast<char*>(buf), *n);
    }
    return out;
}

class FsBlobTest : public ::testing::Test {
protected:
    void SetUp() override {
        base = fs::temp_directory_path() /
               ("cirrus-blob-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base);
        fs::create_directories(base / "outside");
        std::ofstream(base / "outside" / "secret") << "top secret";
        auto s = cap::open_fs_blob_store((base / "root").string());
        ASSERT_TRUE(s.ok()) << s.error().message;
        store = std::move(*s);
    }
    void TearDown() override {
        store.reset();
        fs::remove_all(base);
    }
    fs::path base;
    std::unique_ptr<cap::BlobStore> store;
};

TEST_F(FsBlobTest, ContainersAndObjects) {
    ASSERT_TRUE(store->create_container("photos").ok());
    EXPECT_FALSE(store->create_container("photos").ok()); // already there
    EXPECT_TRUE(*store->container_exists("photos"));
    EXPECT_FALSE(*store->container_exists("videos"));
    EXPECT_EQ(store->container_info("photos")->name, "photos");

    ASSERT_TRUE(store->write_object("photos", "cat.png", bytes("meow meow")).ok());
    ASSERT_TRUE(store->write_object("photos", "dir/dog.png", bytes("woof")).ok());
    EXPECT_TRUE(*store->has_object("photos", "dir/dog.png"));
    EXPECT_FALSE(*store->has_object("photos", "dir"));
    auto info = store->object_info("photos", "cat.png");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, 9u);
    EXPECT_EQ(info->container, "photos");

    auto names = *store->list_objects("photos");
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"cat.png", "dir/dog.png"}));

    auto all = store->read_object("photos", "cat.png", 0, UINT64_MAX);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(read_all(**all), "meow meow");
    auto part = store->read_object("photos", "cat.png", 2, 5); // inclusive
    EXPECT_EQ(read_all(**part), "ow m");
    auto past = store->read_object("photos", "cat.png", 50, 60);
    EXPECT_EQ(read_all(**past), "");
    EXPECT_FALSE(store->read_object("photos", "cat.png", 5, 2).ok());
    EXPECT_FALSE(store->read_object("photos", "nope", 0, 1).ok());

    // A reader keeps the bytes it was opened on, even when the object is replaced.
    auto held = store->read_object("photos", "cat.png", 0, UINT64_MAX);
    ASSERT_TRUE(store->write_object("photos", "cat.png", bytes("purr")).ok());
    EXPECT_EQ(read_all(**held), "meow meow");

    ASSERT_TRUE(store->delete_object("photos", "cat.png").ok());
    EXPECT_TRUE(store->delete_object("photos", "cat.png").ok()); // gone is fine
    EXPECT_FALSE(*store->has_object("photos", "cat.png"));
    ASSERT_TRUE(store->clear("photos").ok());
    EXPECT_TRUE(store->list_objects("photos")->empty());
    ASSERT_TRUE(store->delete_container("photos").ok());
    EXPECT_FALSE(*store->container_exists("photos"));
    EXPECT_FALSE(store->delete_container("photos").ok());
}

TEST_F(FsBlobTest, CopyAndMove) {
    ASSERT_TRUE(store->create_container("a").ok());
    ASSERT_TRUE(store->create_container("b").ok());
    ASSERT_TRUE(store->write_object("a", "x", bytes("data")).ok());
    ASSERT_TRUE(store->copy_object("a", "x", "b", "y").ok());
    EXPECT_TRUE(*store->has_object("a", "x"));
    EXPECT_EQ(read_all(**store->read_object("b", "y", 0, UINT64_MAX)), "data");
    ASSERT_TRUE(store->move_object("a", "x", "b", "z").ok());
    EXPECT_FALSE(*store->has_object("a", "x"));
    EXPECT_EQ(read_all(**store->read_object("b", "z", 0, UINT64_MAX)), "data");
    auto e = store->copy_object("a", "missing", "b", "q");
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("missing"), std::string::npos);
    auto nc = store->copy_object("b", "y", "nowhere", "q");
    ASSERT_FALSE(nc.ok());
    EXPECT_NE(nc.error().message.find("no container `nowhere`"), std::string::npos);
}

TEST_F(FsBlobTest, TraversalInNamesIsRefused) {
    ASSERT_TRUE(store->create_container("c").ok());
    for (const char* bad : {"..", ".", "../outside", "a/b", "", "/etc", "x\\y"}) {
        auto r = store->create_container(bad);
        EXPECT_FALSE(r.ok()) << bad;
        EXPECT_FALSE(store->container_exists(bad).ok()) << bad;
    }
    for (const char* bad : {"../../outside/secret", "../secret", "/etc/passwd", "a/../../b", "a//b",
                            "./x", "x/.", "", "nul\x01"}) {
        auto w = store->write_object("c", bad, bytes("x"));
        ASSERT_FALSE(w.ok()) << bad;
        EXPECT_EQ(w.error().kind, cirrus::ErrorKind::Usage) << bad;
        EXPECT_FALSE(store->read_object("c", bad, 0, 10).ok()) << bad;
        EXPECT_FALSE(store->has_object("c", bad).ok()) << bad;
        EXPECT_FALSE(store->delete_object("c", bad).ok()) << bad;
    }
    auto e = store->write_object("c", "../../outside/secret", bytes("x"));
    EXPECT_NE(e.error().message.find("`..` path segment"), std::string::npos) << e.error().message;
    EXPECT_FALSE(store->write_object("c", std::string(2000, 'a'), bytes("x")).ok());
    EXPECT_FALSE(store->write_object("c", "bad\xff", bytes("x")).ok());
    // Nothing outside the root changed.
    std::ifstream in(base / "outside" / "secret");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(s, "top secret");
}

TEST_F(FsBlobTest, PlantedLinksAreNotFollowed) {
    ASSERT_TRUE(store->create_container("c").ok());
    // A container that is a link to a directory outside, and an object that is a link to a file
    // outside, as someone with access to the data directory might plant them.
    fs::create_directory_symlink(base / "outside", base / "root" / "evil");
    fs::create_symlink(base / "outside" / "secret", base / "root" / "c" / "leak");
    auto list = store->list_objects("evil");
    ASSERT_FALSE(list.ok());
    EXPECT_NE(list.error().message.find("link"), std::string::npos) << list.error().message;
    EXPECT_FALSE(store->write_object("evil", "secret", bytes("owned")).ok());
    auto read = store->read_object("c", "leak", 0, 100);
    ASSERT_FALSE(read.ok());
    EXPECT_FALSE(store->object_info("c", "leak").ok());
    std::ifstream in(base / "outside" / "secret");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(s, "top secret");
}

TEST_F(FsBlobTest, OversizedObjectIsRefused) {
    ASSERT_TRUE(store->create_container("c").ok());
    store->max_object_size = 1000;
    auto r = store->write_object("c", "big", std::vector<uint8_t>(1001, 7));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, cirrus::ErrorKind::Limit);
    EXPECT_FALSE(*store->has_object("c", "big"));
    EXPECT_TRUE(store->write_object("c", "fits", std::vector<uint8_t>(1000, 7)).ok());
}

} // namespace
