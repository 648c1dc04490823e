// `cirrus serve` of wasmcloud:messaging handlers, through the binary as a user runs it: the C
// handler (guests/handler_guest.c) and the JavaScript data guest's handler on nats-server,
// requests sent by the C data guest through `cirrus run`; the JavaScript guest's HTTP and message
// handlers together on the embedded bus. A handler that fails, traps or overruns
// --timeout is logged and the next message is handled; SIGINT and SIGTERM stop the server with
// exit status 0; a component with nothing to serve is refused. The link syntax for several
// subjects (subscriptions=a,b as wasmCloud writes it) is checked here too.
#include "guest_support.h"
#include "servers.h"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cirrus::testing {
namespace {

std::string messaging_link(const Server& nats, const std::string& subscriptions) {
    return "wasmcloud:messaging=nats,url=" + nats.url() + ",subscriptions=" + subscriptions;
}

// A request from the C data guest: "reply on SUBJECT: BODY" or "error: ...".
std::string request(const Server& nats, const std::string& subject, const std::string& body,
                    int timeout_ms = 5000) {
    auto r =
        run_cli({"run", "--link", "wasmcloud:messaging=nats,url=" + nats.url(),
                 caps_component("data_guest"), "req", subject, body, std::to_string(timeout_ms)});
    return r.out + r.err;
}

TEST(ServeMessages, CHandlerOnNatsUntilSigterm) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    CliChild serve({"serve", "--link", messaging_link(**nats, "orders.*,audit.>"),
                    caps_component("handler_guest")});
    ASSERT_TRUE(serve.wait_for("handling messages on orders.*, audit.> (nats)\n")) << serve.err();

    EXPECT_NE(request(**nats, "orders.new", "hello").find(": echo: hello\n"), std::string::npos);
    EXPECT_NE(request(**nats, "audit.a.b", "deep").find(": echo: deep\n"), std::string::npos);
    // Failing and trapping handlers answer nothing; the server logs them and goes on.
    EXPECT_EQ(request(**nats, "orders.new", "fail", 500).substr(0, 14), "error: request");
    EXPECT_EQ(request(**nats, "orders.new", "trap", 500).substr(0, 14), "error: request");
    EXPECT_NE(request(**nats, "orders.old", "still here").find(": echo: still here\n"),
              std::string::npos);
    // Not subscribed.
    EXPECT_NE(request(**nats, "payments.new", "x", 500).find("no responders"), std::string::npos);

    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.err();
    EXPECT_NE(serve.err().find("message on `orders.new`: the handler returned an error: the "
                               "handler refused the message"),
              std::string::npos)
        << serve.err();
    EXPECT_NE(serve.err().find("message on `orders.new`: the handler failed: "), std::string::npos)
        << serve.err();
}

TEST(ServeMessages, RefusesWhatItCannotServe) {
    // A command exports neither handler.
    auto neither = run_cli({"serve", caps_component("data_guest")});
    EXPECT_EQ(neither.status, 1);
    EXPECT_NE(neither.err.find("nothing to serve: the component exports neither "
                               "wasi:http/incoming-handler@0.2.x (HTTP requests) nor "
                               "wasmcloud:messaging/handler@0.2.x (messages)"),
              std::string::npos)
        << neither.err;
    auto no_subjects = run_cli({"serve", caps_component("handler_guest")});
    EXPECT_EQ(no_subjects.status, 1);
    EXPECT_NE(no_subjects.err.find("the messaging link subscribes to nothing"), std::string::npos)
        << no_subjects.err;
    auto bad_subject = run_cli({"serve", "--link", "wasmcloud:messaging=memory,subscriptions=a..b",
                                caps_component("handler_guest")});
    EXPECT_EQ(bad_subject.status, 1);
    EXPECT_NE(bad_subject.err.find("subject `a..b` has an empty token"), std::string::npos)
        << bad_subject.err;
    // A piece without `=` continues a list setting only.
    auto stray = run_cli(
        {"serve", "--link", "wasmcloud:messaging=memory,url=x,y", caps_component("handler_guest")});
    EXPECT_EQ(stray.status, 1);
    EXPECT_NE(stray.err.find("unknown setting `url`"), std::string::npos) << stray.err;
    auto stray2 = run_cli(
        {"serve", "--link", "wasmcloud:messaging=memory,x", caps_component("handler_guest")});
    EXPECT_NE(stray2.err.find("expected key=value, got `x`"), std::string::npos) << stray2.err;
}

TEST(ServeMessages, SubscriptionListForms) {
    // wasmCloud's comma list, the setting repeated and `;` all name subjects; a subject named
    // twice is subscribed once.
    auto link = capabilities::parse_link(
        "wasmcloud:messaging=memory,subscriptions=a.b,c.>,subscriptions=d;e,subscriptions=a.b");
    ASSERT_TRUE(link.ok()) << link.error().message;
    capabilities::Options o;
    o.links = {*link};
    auto caps = capabilities::Capabilities::create(o);
    ASSERT_TRUE(caps.ok()) << caps.error().message;
    EXPECT_EQ((*caps)->message_subjects(), (std::vector<std::string>{"a.b", "c.>", "d", "e"}));
    // After the list, key=value pieces are settings again.
    auto nats = capabilities::parse_link(
        "wasmcloud:messaging=nats,subscriptions=x,y.z,url=nats://127.0.0.1:1");
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    EXPECT_EQ(nats->setting("subscriptions"), "x,y.z");
    EXPECT_EQ(nats->setting("url"), "nats://127.0.0.1:1");
    // A subject cannot hold `=`: such a piece is a setting, and an unknown one is named.
    auto eq = capabilities::parse_link("wasmcloud:messaging=memory,subscriptions=a,b=c");
    ASSERT_FALSE(eq.ok());
    EXPECT_NE(eq.error().message.find("unknown setting `b`"), std::string::npos);
}

#ifdef CIRRUS_GUEST_DIR
std::string js_guest() {
    return std::string(CIRRUS_GUEST_DIR) + "/data_guest_js.wasm";
}

// One HTTP/1.1 exchange with 127.0.0.1:PORT ("connection: close"): the status line's code and
// the body, or 0 when nothing answered.
std::pair<int, std::string> http(uint16_t port, const std::string& method, const std::string& path,
                                 const std::string& body = {}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return {0, {}};
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nhost: test\r\nconnection: close\r\n" +
                      "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return {0, {}};
    }
    std::string res;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) res.append(buf, static_cast<size_t>(n));
    ::close(fd);
    size_t head_end = res.find("\r\n\r\n");
    if (res.size() < 12 || head_end == std::string::npos) return {0, res};
    std::string content = res.substr(head_end + 4);
    // A chunked body: its one or more chunks joined.
    if (res.substr(0, head_end).find("transfer-encoding: chunked") != std::string::npos) {
        std::string joined;
        size_t pos = 0;
        while (pos < content.size()) {
            size_t eol = content.find("\r\n", pos);
            if (eol == std::string::npos) break;
            size_t len = std::stoul(content.substr(pos, eol - pos), nullptr, 16);
            if (len == 0) break;
            joined += content.substr(eol + 2, len);
            pos = eol + 2 + len + 2;
        }
        content = joined;
    }
    return {std::stoi(res.substr(9, 3)), content};
}

// A component exporting both handlers gets both, on the embedded bus: an HTTP request publishes,
// the message handler keeps the message in the blob store, and an HTTP request reads it back
// (the instances of both share the component's backends).
TEST(ServeMessages, HttpAndMessagesFromOneComponentOnTheEmbeddedBus) {
    CliChild serve({"serve", "--listen", "127.0.0.1:0", "--link",
                    "wasmcloud:messaging=memory,subscriptions=inbox.>", js_guest()});
    ASSERT_TRUE(serve.wait_for("handling messages on inbox.> (memory)\n")) << serve.err();
    ASSERT_TRUE(serve.wait_for("listening on http://127.0.0.1:")) << serve.err();
    ASSERT_TRUE(serve.wait_for("\n", std::chrono::milliseconds(2000))) << serve.err();
    size_t at = serve.err().find("listening on http://127.0.0.1:");
    uint16_t port = static_cast<uint16_t>(std::stoi(serve.err().substr(at + 30)));

    EXPECT_EQ(http(port, "GET", "/last"), std::make_pair(404, std::string("nothing yet\n")));
    EXPECT_EQ(http(port, "POST", "/publish/inbox.greetings", "hi there"),
              std::make_pair(200, std::string("published\n")));
    std::pair<int, std::string> last;
    for (int i = 0; i < 100; ++i) {
        last = http(port, "GET", "/last");
        if (last.first == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(last, std::make_pair(200, std::string("inbox.greetings: hi there")));
    // Not subscribed: published, never handled.
    EXPECT_EQ(http(port, "POST", "/publish/elsewhere", "x").first, 200);
    EXPECT_EQ(http(port, "POST", "/publish/bad..subject", "x").first, 400);
    EXPECT_EQ(http(port, "POST", "/publish/inbox.second", "2").first, 200);
    for (int i = 0; i < 100 && last.second != "inbox.second: 2"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        last = http(port, "GET", "/last");
    }
    EXPECT_EQ(last.second, "inbox.second: 2");
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.err();
}

// An HTTP-only component (tests/guests/js/http) with subscriptions: served, and told.
TEST(ServeMessages, SubscriptionsWithoutAHandlerAreNoted) {
    CliChild serve({"serve", "--listen", "127.0.0.1:0", "--link",
                    "wasmcloud:messaging=memory,subscriptions=a.b",
                    std::string(CIRRUS_GUEST_DIR) + "/js_http.wasm"});
    ASSERT_TRUE(serve.wait_for("listening on http://")) << serve.err();
    EXPECT_NE(serve.err().find("note: the messaging link names subscriptions but the component "
                               "does not export wasmcloud:messaging/handler"),
              std::string::npos)
        << serve.err();
    EXPECT_EQ(serve.err().find("handling messages"), std::string::npos) << serve.err();
    serve.signal(SIGTERM);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.err();
}

TEST(ServeMessages, JavaScriptHandlerWithTimeoutUntilSigint) {
    auto nats = start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    CliChild serve(
        {"serve", "--timeout", "300", "--link", messaging_link(**nats, "js.echo"), js_guest()});
    ASSERT_TRUE(serve.wait_for("handling messages on js.echo (nats)\n")) << serve.err();
    EXPECT_NE(request(**nats, "js.echo", "hello").find(": js echo: hello\n"), std::string::npos);
    EXPECT_EQ(request(**nats, "js.echo", "fail", 500).substr(0, 14), "error: request");
    // Past --timeout: stopped, and the next message is handled.
    EXPECT_EQ(request(**nats, "js.echo", "spin", 1500).substr(0, 14), "error: request");
    EXPECT_NE(request(**nats, "js.echo", "again").find(": js echo: again\n"), std::string::npos);
    serve.signal(SIGINT);
    EXPECT_EQ(serve.wait_exit(), 0) << serve.err();
    EXPECT_NE(serve.err().find("message on `js.echo`: the handler returned an error: asked to "
                               "fail"),
              std::string::npos)
        << serve.err();
    EXPECT_NE(serve.err().find("message on `js.echo`: stopped at the deadline"), std::string::npos)
        << serve.err();
}
#endif

} // namespace
} // namespace cirrus::testing
