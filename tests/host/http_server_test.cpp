// The HTTP server of `cirrus serve`, end to end: a C wasi:http guest served in-process on an
// ephemeral port and through the `cirrus serve` binary, real requests over loopback: answers,
// header and body echo (streamed, chunked with trailers, keep-alive), outgoing requests to a
// local upstream (allowed, denied), a trapping guest (500), a spinning guest (503 at the
// deadline), malformed requests (400), each followed by a request that must still work;
// refusal of unsatisfiable imports; graceful shutdown that finishes the request under way.
#include "cirrus/host/http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cirrus::host {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string guest_path() {
    return std::string(CIRRUS_HOST_COMPONENTS) + "/http_guest.wasm";
}

// A server running on its own thread until the fixture goes.
struct Running {
    std::unique_ptr<HttpServer> server;
    std::thread thread;
    std::vector<std::string> log;
    std::mutex log_m;

    explicit Running(ServeOptions opts, std::string component = guest_path()) {
        opts.listen = "127.0.0.1:0";
        if (!opts.workers) opts.workers = 2;
        opts.log = [this](std::string_view m) {
            std::lock_guard lock(log_m);
            log.emplace_back(m);
        };
        auto s = HttpServer::create(read_file(component), std::move(opts));
        if (!s.ok()) {
            ADD_FAILURE() << s.error().to_string();
            return;
        }
        server = std::move(*s);
        thread = std::thread([this] { server->run(false); });
    }
    ~Running() {
        if (!server) return;
        server->stop();
        thread.join();
    }
    uint16_t port() const { return server->port(); }
};

using Response = bhttp::response<bhttp::string_body>;

tcp::socket connect_to(asio::io_context& ioc, uint16_t port) {
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    return s;
}

Response read_response(tcp::socket& s, beast::flat_buffer& buf) {
    Response res;
    bhttp::read(s, buf, res);
    return res;
}

// Sends `raw` bytes as they are and reads one response.
Response roundtrip(uint16_t port, const std::string& raw) {
    asio::io_context ioc;
    tcp::socket s = connect_to(ioc, port);
    asio::write(s, asio::buffer(raw));
    beast::flat_buffer buf;
    return read_response(s, buf);
}

Response get(uint16_t port, const std::string& target, std::string extra_headers = "") {
    return roundtrip(
        port, fmt::format("GET {} HTTP/1.1\r\nhost: localhost\r\n{}\r\n", target, extra_headers));
}

// A one-shot upstream server for outgoing requests: answers every request on one connection
// with "upstream-body" and remembers the request line and host header it saw.
struct Upstream {
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    std::thread thread;
    std::string seen_target, seen_host;
    std::atomic<bool> served{false};
    Upstream() {
        thread = std::thread([this] {
            boost::system::error_code ec;
            tcp::socket s(ioc);
            acceptor.accept(s, ec);
            served = true;
            if (ec) return;
            beast::flat_buffer buf;
            bhttp::request<bhttp::string_body> req;
            bhttp::read(s, buf, req, ec);
            if (ec) return;
            seen_target = std::string(req.target());
            seen_host = std::string(req[bhttp::field::host]);
            bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
            res.body() = "upstream-body";
            res.prepare_payload();
            bhttp::write(s, res, ec);
        });
    }
    ~Upstream() {
        // Unblocks an accept still waiting (a test whose request never came here).
        if (!served) {
            asio::io_context client;
            tcp::socket s(client);
            boost::system::error_code ec;
            s.connect(acceptor.local_endpoint(), ec);
        }
        thread.join();
    }
    uint16_t port() const { return acceptor.local_endpoint().port(); }
};

TEST(HttpServer, AnswersARequest) {
    Running r({});
    Response res = get(r.port(), "/hello");
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "hello from C\n");
    EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
    // Sent with its length, not chunked: the body was complete before anything went out.
    EXPECT_EQ(res[bhttp::field::content_length], "13");
    EXPECT_EQ(get(r.port(), "/nothing").result_int(), 404);
}

TEST(HttpServer, EchoesHeaders) {
    Running r({});
    Response res = get(r.port(), "/echo-header", "X-Test: one\r\nx-test: two\r\n");
    EXPECT_EQ(res.result_int(), 200);
    std::vector<std::string> echoed;
    for (const auto& f : res) {
        if (beast::iequals(f.name_string(), "x-echo")) echoed.emplace_back(f.value());
    }
    EXPECT_EQ(echoed, (std::vector<std::string>{"one", "two"}));
}

TEST(HttpServer, EchoesALargeBodyStreamed) {
    Running r({});
    std::string body;
    for (int i = 0; body.size() < 300000; ++i) body += fmt::format("line {}\n", i);
    Response res = roundtrip(r.port(), fmt::format("POST /echo HTTP/1.1\r\nhost: x\r\n"
                                                   "content-length: {}\r\n\r\n{}",
                                                   body.size(), body));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body().size(), body.size());
    EXPECT_TRUE(res.body() == body);
    // Larger than the server buffers: it went out chunked, as the guest wrote it.
    EXPECT_EQ(res[bhttp::field::transfer_encoding], "chunked");
}

TEST(HttpServer, EchoesAChunkedBodyWithTrailersAndKeepsTheConnection) {
    Running r({});
    asio::io_context ioc;
    tcp::socket s = connect_to(ioc, r.port());
    std::string req = "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: 42\r\n\r\n";
    asio::write(s, asio::buffer(req));
    beast::flat_buffer buf;
    Response res = read_response(s, buf);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "hello world");
    // The same connection serves the next request.
    asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nhost: x\r\n\r\n")));
    Response next = read_response(s, buf);
    EXPECT_EQ(next.result_int(), 200);
    EXPECT_EQ(next.body(), "hello from C\n");
}

TEST(HttpServer, BodyArrivingSlowlyIsStreamedToTheGuest) {
    Running r({});
    asio::io_context ioc;
    tcp::socket s = connect_to(ioc, r.port());
    asio::write(s, asio::buffer(std::string("POST /echo HTTP/1.1\r\nhost: x\r\n"
                                            "content-length: 10\r\n\r\nfirst")));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asio::write(s, asio::buffer(std::string("-last")));
    beast::flat_buffer buf;
    Response res = read_response(s, buf);
    EXPECT_EQ(res.body(), "first-last");
}

TEST(HttpServer, OutgoingRequestToAnAllowedHost) {
    Upstream up;
    ServeOptions opts;
    opts.component.wasi.allow_http = {fmt::format("127.0.0.1:{}", up.port())};
    Running r(std::move(opts));
    Response res = get(r.port(), "/fetch", fmt::format("x-target: 127.0.0.1:{}\r\n", up.port()));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "upstream 200: upstream-body");
    EXPECT_EQ(up.seen_target, "/upstream");
    EXPECT_EQ(up.seen_host, fmt::format("127.0.0.1:{}", up.port()));
}

TEST(HttpServer, OutgoingRequestToADeniedHostGetsHttpRequestDenied) {
    Upstream up;
    ServeOptions opts;
    // Another port of the same host is allowed, this one is not.
    opts.component.wasi.allow_http = {fmt::format("127.0.0.1:{}", up.port() + 1)};
    Running r(std::move(opts));
    Response res = get(r.port(), "/fetch", fmt::format("x-target: 127.0.0.1:{}\r\n", up.port()));
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_EQ(res.body(), "error 15\n"); // error-code case 15: HTTP-request-denied
    // No allow list at all: denied too.
    Running none({});
    res = get(none.port(), "/fetch", fmt::format("x-target: 127.0.0.1:{}\r\n", up.port()));
    EXPECT_EQ(res.body(), "error 15\n");
}

TEST(HttpServer, OutgoingRequestToAClosedPortIsConnectionRefused) {
    uint16_t port;
    {
        asio::io_context ioc;
        tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    ServeOptions opts;
    opts.component.wasi.allow_http = {"127.0.0.1"};
    Running r(std::move(opts));
    Response res = get(r.port(), "/fetch", fmt::format("x-target: 127.0.0.1:{}\r\n", port));
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_EQ(res.body(), "error 6\n"); // connection-refused
}

TEST(HttpServer, OutgoingHttpsToAPlainServerIsATlsError) {
    Upstream up;
    ServeOptions opts;
    opts.component.wasi.allow_http = {"127.0.0.1"};
    Running r(std::move(opts));
    Response res =
        get(r.port(), "/fetch", fmt::format("x-target: 127.0.0.1:{}\r\nx-https: 1\r\n", up.port()));
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_EQ(res.body(), "error 12\n"); // TLS-protocol-error
}

TEST(HttpServer, OutgoingFirstByteTimeoutFromRequestOptions) {
    // An upstream that reads the request and never answers.
    asio::io_context ioc;
    tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::thread holder([&] {
        tcp::socket s(ioc);
        silent.accept(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
    });
    ServeOptions opts;
    opts.component.wasi.allow_http = {"127.0.0.1"};
    Running r(std::move(opts));
    auto start = std::chrono::steady_clock::now();
    Response res = get(r.port(), "/fetch",
                       fmt::format("x-target: 127.0.0.1:{}\r\nx-first-byte-ms: 150\r\n",
                                   silent.local_endpoint().port()));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_EQ(res.body(), "error 33\n"); // HTTP-response-timeout
    EXPECT_GE(took, std::chrono::milliseconds(150));
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    holder.join();
}

TEST(HttpServer, TrapIsA500ForThatRequestOnly) {
    Running r({});
    Response res = get(r.port(), "/trap");
    EXPECT_EQ(res.result_int(), 500);
    EXPECT_EQ(get(r.port(), "/hello").result_int(), 200);
    std::lock_guard lock(r.log_m);
    ASSERT_FALSE(r.log.empty());
    EXPECT_NE(r.log[0].find("GET /trap: the guest failed"), std::string::npos) << r.log[0];
}

TEST(HttpServer, SpinningGuestIsStoppedAtTheDeadlineWith503) {
    ServeOptions opts;
    opts.timeout = std::chrono::milliseconds(200);
    Running r(std::move(opts));
    auto start = std::chrono::steady_clock::now();
    Response res = get(r.port(), "/loop");
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(res.result_int(), 503);
    EXPECT_GE(took, std::chrono::milliseconds(200));
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_EQ(get(r.port(), "/hello").result_int(), 200);
}

TEST(HttpServer, GuestWaitingForABodyThatNeverComesIsStoppedToo) {
    ServeOptions opts;
    opts.timeout = std::chrono::milliseconds(200);
    Running r(std::move(opts));
    // Promises a body and sends none: the guest blocks in the host reading it, before it
    // wrote anything, and is stopped there.
    auto start = std::chrono::steady_clock::now();
    Response res =
        roundtrip(r.port(), "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n");
    EXPECT_EQ(res.result_int(), 503);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(get(r.port(), "/hello").result_int(), 200);
}

TEST(HttpServer, MalformedRequestsGet400AndTheServerKeepsServing) {
    Running r({});
    EXPECT_EQ(roundtrip(r.port(), "THIS IS NOT HTTP\r\n\r\n").result_int(), 400);
    EXPECT_EQ(roundtrip(r.port(), "GET / HTTP/1.1\r\nbad header line\r\n\r\n").result_int(), 400);
    EXPECT_EQ(roundtrip(r.port(), "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: -5\r\n\r\n")
                  .result_int(),
              400);
    std::string huge = "GET / HTTP/1.1\r\nx-big: " + std::string(100000, 'a') + "\r\n\r\n";
    EXPECT_EQ(roundtrip(r.port(), huge).result_int(), 431);
    // A client that disconnects halfway through a head.
    {
        asio::io_context ioc;
        tcp::socket s = connect_to(ioc, r.port());
        asio::write(s, asio::buffer(std::string("GET /hel")));
    }
    EXPECT_EQ(get(r.port(), "/hello").result_int(), 200);
}

TEST(HttpServer, ServesRequestsConcurrently) {
    Running r({});
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        clients.emplace_back([&] {
            for (int j = 0; j < 10; ++j) {
                if (get(r.port(), "/hello").body() == "hello from C\n") ++ok;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 80);
}

TEST(HttpServer, RefusesAComponentWithUnservedImports) {
    auto bytes = read_file(std::string(CIRRUS_WASI_COMPONENTS) + "/unserved.wasm");
    auto s = HttpServer::create(bytes, {});
    ASSERT_FALSE(s.ok());
    std::string msg = s.error().to_string();
    EXPECT_NE(msg.find("example:missing/thing@1.0.0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("wasi:random/random@0.3.0"), std::string::npos) << msg;
}

TEST(HttpServer, RefusesAComponentThatIsNotAProxy) {
    auto bytes = read_file(std::string(CIRRUS_WASI_COMPONENTS) + "/versions.wasm");
    auto s = HttpServer::create(bytes, {});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().to_string().find("wasi:http/incoming-handler"), std::string::npos);
}

// ---------------------------------------------------------------- the binary

struct Child {
    pid_t pid = -1;
    int err_fd = -1;
    std::string err;
    uint16_t port = 0;

    explicit Child(std::vector<std::string> args) {
        int p[2];
        EXPECT_EQ(::pipe(p), 0);
        pid = ::fork();
        if (pid == 0) {
            ::dup2(p[1], 2);
            ::close(p[0]);
            ::close(p[1]);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            _exit(127);
        }
        ::close(p[1]);
        err_fd = p[0];
    }
    // Reads stderr until `text` appears (or the child closes it).
    bool wait_for(std::string_view text) {
        char buf[512];
        while (err.find(text) == std::string::npos) {
            ssize_t n = ::read(err_fd, buf, sizeof buf);
            if (n <= 0) return false;
            err.append(buf, static_cast<size_t>(n));
        }
        return true;
    }
    int wait_exit() {
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        char buf[512];
        ssize_t n;
        while ((n = ::read(err_fd, buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (err_fd >= 0) ::close(err_fd);
    }
};

uint16_t listening_port(const std::string& err) {
    size_t at = err.find("listening on http://127.0.0.1:");
    if (at == std::string::npos) return 0;
    return static_cast<uint16_t>(std::stoi(err.substr(at + 30)));
}

TEST(CirrusServe, ServesAndStopsGracefullyOnSigterm) {
    Child c({CIRRUS_BIN, "serve", "--listen", "127.0.0.1:0", "--workers", "2", guest_path()});
    ASSERT_TRUE(c.wait_for("\n")) << c.err;
    uint16_t port = listening_port(c.err);
    ASSERT_NE(port, 0) << c.err;
    EXPECT_EQ(get(port, "/hello").body(), "hello from C\n");

    // A request under way when SIGTERM comes is finished.
    asio::io_context ioc;
    tcp::socket s = connect_to(ioc, port);
    asio::write(s, asio::buffer(std::string("POST /echo HTTP/1.1\r\nhost: x\r\n"
                                            "content-length: 10\r\n\r\nfirst")));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(c.pid, SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asio::write(s, asio::buffer(std::string("-last")));
    beast::flat_buffer buf;
    Response res = read_response(s, buf);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "first-last");
    EXPECT_EQ(c.wait_exit(), 0) << c.err;
}

TEST(CirrusServe, RefusesUnservedImportsWithTheList) {
    Child c({CIRRUS_BIN, "serve", "--listen", "127.0.0.1:0",
             std::string(CIRRUS_WASI_COMPONENTS) + "/unserved.wasm"});
    EXPECT_EQ(c.wait_exit(), 1);
    EXPECT_NE(c.err.find("the component imports what this host does not provide:"),
              std::string::npos)
        << c.err;
    EXPECT_NE(c.err.find("  example:missing/thing@1.0.0"), std::string::npos) << c.err;
    EXPECT_EQ(c.err.find("listening"), std::string::npos) << c.err;
}

#ifdef CIRRUS_GUEST_DIR
// ---------------------------------------------------------------- JavaScript (componentize-js)

std::string js_http() {
    return std::string(CIRRUS_GUEST_DIR) + "/js_http.wasm";
}

TEST(JsHttp, Answers) {
    Running r({}, js_http());
    Response res = get(r.port(), "/");
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "hello from JavaScript\n");
    EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
    EXPECT_EQ(get(r.port(), "/elsewhere").result_int(), 404);
}

TEST(JsHttp, EchoesAHeaderAndTheBody) {
    Running r({}, js_http());
    std::string body;
    for (int i = 0; body.size() < 100000; ++i) body += fmt::format("{} ", i);
    Response res = roundtrip(r.port(), fmt::format("POST /echo HTTP/1.1\r\nhost: x\r\nx-echo: "
                                                   "ping\r\ncontent-length: {}\r\n\r\n{}",
                                                   body.size(), body));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res["x-echo"], "ping");
    EXPECT_TRUE(res.body() == body) << res.body().size() << " bytes back";
}

TEST(JsHttp, FetchesFromAnAllowedHostOnly) {
    Upstream up;
    ServeOptions opts;
    opts.component.wasi.allow_http = {fmt::format("127.0.0.1:{}", up.port())};
    Running r(std::move(opts), js_http());
    std::string url = fmt::format("x-fetch-url: http://127.0.0.1:{}/upstream\r\n", up.port());
    Response res = get(r.port(), "/fetch", url);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "fetched 200: upstream-body");
    EXPECT_EQ(up.seen_target, "/upstream");

    Running denied({}, js_http());
    res = get(denied.port(), "/fetch", url);
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_NE(res.body().find("fetch failed"), std::string::npos) << res.body();
}

TEST(JsHttp, ServesMalformedAndConcurrentRequests) {
    Running r({}, js_http());
    EXPECT_EQ(roundtrip(r.port(), "NOT HTTP AT ALL\r\n\r\n").result_int(), 400);
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
        clients.emplace_back([&] {
            for (int j = 0; j < 5; ++j) {
                if (get(r.port(), "/").body() == "hello from JavaScript\n") ++ok;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 20);
}
#endif

} // namespace
} // namespace cirrus::host
