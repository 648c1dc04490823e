// The WASI host's interfaces called directly (Host::call, as a guest's import would): what a
// guest gets from the environment, clocks, random, streams, pollables, and the denied
// filesystem.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace cirrus::wasi {
namespace {

using component::Val;

std::optional<Val> call_ok(Host& h, std::string_view iface, std::string_view func,
                           std::vector<Val> args = {}) {
    auto r = h.call(iface, func, args);
    EXPECT_TRUE(r.ok()) << iface << " " << func << ": " << (r.ok() ? "" : r.error().to_string());
    return r.ok() ? *r : std::nullopt;
}

std::string bytes_of(const Val& list) {
    return list.to_bytes();
}

Val bytes(std::string_view s) {
    std::vector<Val> e;
    for (char c : s) e.push_back(Val::u8(static_cast<uint8_t>(c)));
    return Val::list(std::move(e));
}

Val borrow_of(const Val& own) {
    return Val::borrow(own.resource, own.rep());
}

TEST(WasiHost, EnvironmentIsOnlyWhatWasGiven) {
    setenv("CIRRUS_HOST_SECRET", "leak", 1);
    Config c;
    c.args = {"prog", "a b", "-x"};
    c.env = {{"K", "V"}, {"EMPTY", ""}};
    Host h(c);
    auto env = call_ok(h, "wasi:cli/environment", "get-environment");
    ASSERT_TRUE(env);
    ASSERT_EQ(env->elems.size(), 2u);
    EXPECT_EQ(env->elems[0].elems[0].as_string(), "K");
    EXPECT_EQ(env->elems[0].elems[1].as_string(), "V");
    EXPECT_EQ(env->elems[1].elems[0].as_string(), "EMPTY");
    auto args = call_ok(h, "wasi:cli/environment", "get-arguments");
    ASSERT_TRUE(args);
    ASSERT_EQ(args->elems.size(), 3u);
    EXPECT_EQ(args->elems[1].as_string(), "a b");
    auto cwd = call_ok(h, "wasi:cli/environment", "initial-cwd");
    ASSERT_TRUE(cwd);
    EXPECT_EQ(cwd->case_index(), 0u); // none
}

// Streams a layer below WASI serves (a blob store value, a message body): the guest reads and
// writes them with the same wasi:io/streams calls as files and pipes.
struct TestSource : StreamSource {
    std::string data;
    size_t pos = 0;
    bool fail = false;
    explicit TestSource(std::string d, bool f = false) : data(std::move(d)), fail(f) {}
    Result<std::vector<uint8_t>> read(size_t max) override {
        if (fail) return Error(ErrorKind::Io, "backend went away");
        size_t n = std::min(max, data.size() - pos);
        std::vector<uint8_t> out(data.begin() + pos, data.begin() + pos + n);
        pos += n;
        return out;
    }
};
struct TestSink : StreamSink {
    std::shared_ptr<std::string> out = std::make_shared<std::string>();
    Result<void> write(std::span<const uint8_t> b) override {
        if (out->size() + b.size() > 8) return Error(ErrorKind::Limit, "full");
        out->append(b.begin(), b.end());
        return {};
    }
};

TEST(WasiHost, HostServedStreams) {
    Host h({});
    Val in = h.input_stream(std::make_unique<TestSource>("hello world"));
    auto r1 =
        call_ok(h, "wasi:io/streams", "[method]input-stream.read", {borrow_of(in), Val::u64(5)});
    ASSERT_TRUE(r1);
    EXPECT_EQ(bytes_of(r1->elems.at(0)), "hello");
    auto skip =
        call_ok(h, "wasi:io/streams", "[method]input-stream.skip", {borrow_of(in), Val::u64(1)});
    EXPECT_EQ(skip->elems.at(0).as_u64(), 1u);
    auto r2 = call_ok(h, "wasi:io/streams", "[method]input-stream.blocking-read",
                      {borrow_of(in), Val::u64(100)});
    EXPECT_EQ(bytes_of(r2->elems.at(0)), "world");
    auto end =
        call_ok(h, "wasi:io/streams", "[method]input-stream.read", {borrow_of(in), Val::u64(100)});
    EXPECT_EQ(end->case_index(), 1u);             // err
    EXPECT_EQ(end->elems.at(0).case_index(), 1u); // closed

    Val bad = h.input_stream(std::make_unique<TestSource>("", true));
    auto failed =
        call_ok(h, "wasi:io/streams", "[method]input-stream.read", {borrow_of(bad), Val::u64(1)});
    EXPECT_EQ(failed->case_index(), 1u);
    EXPECT_EQ(failed->elems.at(0).case_index(), 0u); // last-operation-failed
    auto msg = call_ok(h, "wasi:io/error", "[method]error.to-debug-string",
                       {borrow_of(failed->elems.at(0).elems.at(0))});
    EXPECT_EQ(msg->as_string(), "backend went away");

    auto sink = std::make_unique<TestSink>();
    auto written = sink->out;
    Val out = h.output_stream(std::move(sink));
    auto w = call_ok(h, "wasi:io/streams", "[method]output-stream.write",
                     {borrow_of(out), bytes("abc")});
    EXPECT_EQ(w->case_index(), 0u);
    call_ok(h, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
            {borrow_of(out), bytes("de")});
    EXPECT_EQ(*written, "abcde");
    auto full = call_ok(h, "wasi:io/streams", "[method]output-stream.write",
                        {borrow_of(out), bytes("too much")});
    EXPECT_EQ(full->case_index(), 1u);
    EXPECT_EQ(*written, "abcde");
}

TEST(WasiHost, RandomBytesHaveTheAskedLengthAndDiffer) {
    Host h({});
    auto a = call_ok(h, "wasi:random/random", "get-random-bytes", {Val::u64(32)});
    auto b = call_ok(h, "wasi:random/random", "get-random-bytes", {Val::u64(32)});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->list_size(), 32u);
    EXPECT_NE(bytes_of(*a), bytes_of(*b));
    auto i = call_ok(h, "wasi:random/insecure", "get-insecure-random-bytes", {Val::u64(5)});
    ASSERT_TRUE(i);
    EXPECT_EQ(i->list_size(), 5u);
    auto seed = call_ok(h, "wasi:random/insecure-seed", "insecure-seed");
    ASSERT_TRUE(seed);
    EXPECT_EQ(seed->elems.size(), 2u);
    // A guest cannot make the host allocate without bound.
    auto huge = h.call("wasi:random/random", "get-random-bytes", std::vector{Val::u64(1ull << 40)});
    ASSERT_FALSE(huge.ok());
    EXPECT_TRUE(huge.error().is_trap());
}

TEST(WasiHost, ClocksAndTimedPollables) {
    Host h({});
    auto t0 = call_ok(h, "wasi:clocks/monotonic-clock", "now");
    auto wall = call_ok(h, "wasi:clocks/wall-clock", "now");
    ASSERT_TRUE(t0 && wall);
    EXPECT_GT(wall->elems[0].as_u64(), 1577836800u); // after 2020
    EXPECT_LT(wall->elems[1].as_u64(), 1000000000u);

    auto later =
        call_ok(h, "wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(200'000'000)});
    auto now = call_ok(h, "wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(0)});
    ASSERT_TRUE(later && now);
    auto ready = call_ok(h, "wasi:io/poll", "[method]pollable.ready", {borrow_of(*later)});
    EXPECT_FALSE(ready->as_bool());
    // poll returns as soon as one is ready: only the instant in the past.
    auto which =
        call_ok(h, "wasi:io/poll", "poll", {Val::list({borrow_of(*later), borrow_of(*now)})});
    ASSERT_TRUE(which);
    ASSERT_EQ(which->elems.size(), 1u);
    EXPECT_EQ(which->elems[0].as_u64(), 1u);
    // block waits for the deadline.
    call_ok(h, "wasi:io/poll", "[method]pollable.block", {borrow_of(*later)});
    auto t1 = call_ok(h, "wasi:clocks/monotonic-clock", "now");
    EXPECT_GE(t1->as_u64() - t0->as_u64(), 200'000'000u);
    EXPECT_TRUE(
        call_ok(h, "wasi:io/poll", "[method]pollable.ready", {borrow_of(*later)})->as_bool());
    // An empty poll would wait forever: WASI says trap.
    auto empty = h.call("wasi:io/poll", "poll", std::vector{Val::list({})});
    ASSERT_FALSE(empty.ok());
    EXPECT_TRUE(empty.error().is_trap());
}

TEST(WasiHost, StdoutStreamWritesToTheGivenDescriptor) {
    FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    Config c;
    c.stdout_fd = fileno(f);
    Host h(c);
    auto out = call_ok(h, "wasi:cli/stdout", "get-stdout");
    ASSERT_TRUE(out);
    auto room =
        call_ok(h, "wasi:io/streams", "[method]output-stream.check-write", {borrow_of(*out)});
    ASSERT_EQ(room->case_index(), 0u);
    EXPECT_GT(room->elems[0].as_u64(), 0u);
    auto w = call_ok(h, "wasi:io/streams", "[method]output-stream.write",
                     {borrow_of(*out), bytes("hello ")});
    EXPECT_EQ(w->case_index(), 0u);
    call_ok(h, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
            {borrow_of(*out), bytes("world")});
    call_ok(h, "wasi:io/streams", "[method]output-stream.blocking-flush", {borrow_of(*out)});
    std::string text(64, '\0');
    size_t n = pread(fileno(f), text.data(), text.size(), 0);
    text.resize(n);
    EXPECT_EQ(text, "hello world");
    std::fclose(f);
}

TEST(WasiHost, StdinAtEndIsClosedAndSpliceCopies) {
    FILE* in = std::tmpfile();
    FILE* out = std::tmpfile();
    std::fputs("abcdef", in);
    std::fflush(in);
    std::rewind(in);
    Config c;
    c.stdin_fd = fileno(in);
    c.stdout_fd = fileno(out);
    Host h(c);
    auto is = call_ok(h, "wasi:cli/stdin", "get-stdin");
    auto os = call_ok(h, "wasi:cli/stdout", "get-stdout");
    auto r =
        call_ok(h, "wasi:io/streams", "[method]input-stream.read", {borrow_of(*is), Val::u64(2)});
    ASSERT_EQ(r->case_index(), 0u);
    EXPECT_EQ(bytes_of(r->elems[0]), "ab");
    auto s =
        call_ok(h, "wasi:io/streams", "[method]input-stream.skip", {borrow_of(*is), Val::u64(1)});
    EXPECT_EQ(s->elems[0].as_u64(), 1u);
    auto sp = call_ok(h, "wasi:io/streams", "[method]output-stream.splice",
                      {borrow_of(*os), borrow_of(*is), Val::u64(100)});
    ASSERT_EQ(sp->case_index(), 0u);
    EXPECT_EQ(sp->elems[0].as_u64(), 3u);
    auto end = call_ok(h, "wasi:io/streams", "[method]input-stream.blocking-read",
                       {borrow_of(*is), Val::u64(10)});
    ASSERT_EQ(end->case_index(), 1u);          // err
    EXPECT_EQ(end->elems[0].case_index(), 1u); // stream-error.closed
    auto pollable =
        call_ok(h, "wasi:io/streams", "[method]input-stream.subscribe", {borrow_of(*is)});
    EXPECT_TRUE(
        call_ok(h, "wasi:io/poll", "[method]pollable.ready", {borrow_of(*pollable)})->as_bool());
    std::string text(16, '\0');
    text.resize(pread(fileno(out), text.data(), text.size(), 0));
    EXPECT_EQ(text, "def");
    std::fclose(in);
    std::fclose(out);
}

TEST(WasiHost, WriteToAClosedPipeIsAStreamError) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    Config c;
    c.stderr_fd = fds[1];
    Host h(c);
    auto err = call_ok(h, "wasi:cli/stderr", "get-stderr");
    auto w =
        call_ok(h, "wasi:io/streams", "[method]output-stream.write", {borrow_of(*err), bytes("x")});
    ASSERT_EQ(w->case_index(), 1u);
    EXPECT_EQ(w->elems[0].case_index(), 1u); // closed
    close(fds[1]);
}

TEST(WasiHost, HandlesOfTheWrongResourceTypeTrap) {
    Host h({});
    auto out = call_ok(h, "wasi:cli/stdout", "get-stdout");
    ASSERT_TRUE(out);
    // An output-stream passed where an input-stream is expected.
    auto r = h.call("wasi:io/streams", "[method]input-stream.read",
                    std::vector{borrow_of(*out), Val::u64(1)});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().is_trap());
    EXPECT_NE(r.error().message.find("input-stream"), std::string::npos);
}

TEST(WasiHost, FilesystemAndTerminalsAreDenied) {
    Host h({});
    auto dirs = call_ok(h, "wasi:filesystem/preopens", "get-directories");
    ASSERT_TRUE(dirs);
    EXPECT_TRUE(dirs->elems.empty());
    for (const char* f : {"get-terminal-stdin"}) {
        auto t = call_ok(h, "wasi:cli/terminal-stdin", f);
        EXPECT_EQ(t->case_index(), 0u);
    }
    EXPECT_EQ(call_ok(h, "wasi:cli/terminal-stdout", "get-terminal-stdout")->case_index(), 0u);
    EXPECT_EQ(call_ok(h, "wasi:cli/terminal-stderr", "get-terminal-stderr")->case_index(), 0u);
}

TEST(WasiHost, ServesEvery02VersionAndNothingElse) {
    EXPECT_TRUE(serves("wasi:io/streams@0.2.0"));
    EXPECT_TRUE(serves("wasi:io/streams@0.2.12"));
    EXPECT_TRUE(serves("wasi:cli/environment@0.2.3"));
    EXPECT_TRUE(serves("wasi:filesystem/types@0.2.0-rc-2023-11-10"));
    EXPECT_FALSE(serves("wasi:io/streams@0.3.0"));
    EXPECT_FALSE(serves("wasi:io/streams@0.2"));
    EXPECT_FALSE(serves("wasi:io/streams"));
    for (const char* i : {"network", "instance-network", "tcp", "tcp-create-socket", "udp",
                          "udp-create-socket", "ip-name-lookup"})
        EXPECT_TRUE(serves(std::string("wasi:sockets/") + i + "@0.2.12")) << i;
    EXPECT_FALSE(serves("wasi:sockets/raw@0.2.0"));
    EXPECT_TRUE(serves("wasi:http/types@0.2.0"));
    EXPECT_TRUE(serves("wasi:http/outgoing-handler@0.2.10"));
    // A component exports incoming-handler; the host never provides it.
    EXPECT_FALSE(serves("wasi:http/incoming-handler@0.2.12"));
    EXPECT_FALSE(serves("example:io/streams@0.2.0"));
}

} // namespace
} // namespace cirrus::wasi
