// The Rust guest (guests/rust_guest.rs: std for wasm32-wasi from Debian's rustc, made a
// component with jco's preview1 command adapter) runs unmodified: arguments, heap (HashMap,
// Vec, String, a few megabytes of it), and files in a granted directory, none outside it.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace cirrus::wasi {
namespace {

const std::string guest_path = std::string(CIRRUS_WASI_COMPONENTS) + "/rust_guest.wasm";

std::string read_all(FILE* f) {
    std::string s;
    std::array<char, 4096> buf;
    std::rewind(f);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    return s;
}

struct Outcome {
    Result<int> status = 0;
    std::string out, err;
};

Outcome run_rust(std::vector<std::string> args, std::vector<Config::Dir> dirs = {}) {
    std::ifstream in(guest_path, std::ios::binary);
    EXPECT_TRUE(in) << guest_path;
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    RunOptions opts;
    opts.config.args = std::move(args);
    opts.config.args.insert(opts.config.args.begin(), "rust_guest");
    opts.config.dirs = std::move(dirs);
    opts.config.stdin_fd = -1;
    opts.config.stdout_fd = fileno(out);
    opts.config.stderr_fd = fileno(err);
    Outcome o;
    o.status = run_command(bytes, std::move(opts));
    o.out = read_all(out);
    o.err = read_all(err);
    std::fclose(out);
    std::fclose(err);
    return o;
}

// A fresh directory holding input.txt.
std::string data_dir(const std::string& name) {
    std::string dir = ::testing::TempDir() + "cirrus-rust-" + name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/input.txt") << "the cat sat\non the mat\n";
    return dir;
}

TEST(RustGuest, ArgumentsAndHeap) {
    Outcome o = run_rust({"words", "b", "a", "b", "c", "b"});
    ASSERT_TRUE(o.status.ok()) << o.status.error().to_string();
    EXPECT_EQ(*o.status, 0) << o.err;
    EXPECT_EQ(o.out, "5 words, 3 distinct: b=3, a=1, c=1\n"
                     "sum of squares below 1e6 mod 1e9+7: 170183\n");
    EXPECT_EQ(o.err, "");
}

TEST(RustGuest, ReadsAndWritesInTheGrantedDirectoryOnly) {
    std::string dir = data_dir("rw");
    Outcome o = run_rust({"file"}, {{dir, "/data", false}});
    ASSERT_TRUE(o.status.ok()) << o.status.error().to_string();
    EXPECT_EQ(*o.status, 0) << o.err;
    std::string summary = "lines: 2\nwords: 6\nmost frequent: the (2)\n";
    EXPECT_EQ(o.out, summary + "/etc/passwd: not reachable\n");
    std::ifstream written(dir + "/summary.txt");
    std::stringstream text;
    text << written.rdbuf();
    EXPECT_EQ(text.str(), summary);
    std::filesystem::remove_all(dir);
}

TEST(RustGuest, NoDirectoryOrReadOnlyIsAnErrorNotATrap) {
    Outcome denied = run_rust({"file"});
    ASSERT_TRUE(denied.status.ok()) << denied.status.error().to_string();
    EXPECT_EQ(*denied.status, 1); // exit(2) is wasi:cli/exit's err
    EXPECT_EQ(denied.out, "");
    EXPECT_NE(denied.err.find("rust_guest: read input.txt: failed to find a pre-opened file "
                              "descriptor"),
              std::string::npos)
        << denied.err;

    std::string dir = data_dir("ro");
    Outcome ro = run_rust({"file"}, {{dir, "/data", true}});
    ASSERT_TRUE(ro.status.ok()) << ro.status.error().to_string();
    EXPECT_EQ(*ro.status, 1);
    EXPECT_NE(ro.err.find("rust_guest: create summary.txt: Read-only file system"),
              std::string::npos)
        << ro.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/summary.txt"));
    std::filesystem::remove_all(dir);
}

TEST(RustGuest, RunsUnderCirrusRun) {
    std::string dir = data_dir("cli");
    std::string cmd =
        std::string(CIRRUS_BIN) + " run --dir " + dir + "::/data " + guest_path + " file 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string text;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
    int st = pclose(p);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << text;
    EXPECT_EQ(text, "lines: 2\nwords: 6\nmost frequent: the (2)\n/etc/passwd: not reachable\n");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace cirrus::wasi
