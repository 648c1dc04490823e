// wasi:sockets called directly (Host::call, as a guest's import would), against real sockets
// on loopback that the test opens: denied by default, outbound TCP and UDP to granted addresses
// only, never listening, name lookup only for granted names, and the argument checks tcp.wit
// and udp.wit list.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace cirrus::wasi {
namespace {

using component::Val;

// error-code cases used here, by WIT index.
constexpr uint32_t access_denied = 1, invalid_argument = 3, not_in_progress = 7, would_block = 8,
                   invalid_state = 9, connection_refused = 14;

Val call(Host& h, std::string_view iface, std::string_view func, std::vector<Val> args = {}) {
    auto r = h.call(iface, func, args);
    EXPECT_TRUE(r.ok()) << func << ": " << (r.ok() ? "" : r.error().to_string());
    return r.ok() && *r ? **r : Val();
}

Val borrow_of(const Val& own) {
    return Val::borrow(own.resource, own.rep());
}

Val bytes(std::string_view s) {
    std::vector<Val> e;
    for (char c : s) e.push_back(Val::u8(static_cast<uint8_t>(c)));
    return Val::list(std::move(e));
}

std::string text_of(const Val& list) {
    return list.to_bytes();
}

Val v4_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    return Val::variant(0, Val::record({Val::u16(port), Val::tuple({Val::u8(a), Val::u8(b),
                                                                    Val::u8(c), Val::u8(d)})}));
}
Val loopback(uint16_t port) {
    return v4_address(127, 0, 0, 1, port);
}

// ok(...) → its payload; err(code) → fails the test.
Val ok_of(const Val& result) {
    EXPECT_EQ(result.case_index(), 0u)
        << "expected ok, got err(" << (result.payload() ? result.payload()->bits : 0) << ")";
    return result.payload() ? *result.payload() : Val();
}
uint32_t err_of(const Val& result) {
    EXPECT_EQ(result.case_index(), 1u) << "expected an error";
    return result.case_index() == 1 && result.payload() ? result.payload()->case_index() : ~0u;
}

// A loopback listener (or UDP socket) of the test's own, on an ephemeral port.
struct Peer {
    int fd = -1;
    uint16_t port = 0;
    explicit Peer(int type) {
        fd = ::socket(AF_INET, type, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        if (type == SOCK_STREAM) {
            EXPECT_EQ(::listen(fd, 4), 0);
        }
        socklen_t len = sizeof sa;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        port = ntohs(sa.sin_port);
    }
    ~Peer() { ::close(fd); }
};

Config::SocketGrant grant(std::string_view text, Config::Protocol p = Config::Protocol::Tcp) {
    auto g = parse_socket_grant(text, p);
    EXPECT_TRUE(g.ok()) << text;
    return g.ok() ? *g : Config::SocketGrant{};
}

struct TcpClient {
    Host& h;
    Val network, socket;
    explicit TcpClient(Host& host) : h(host) {
        network = call(h, "wasi:sockets/instance-network", "instance-network");
        socket = ok_of(
            call(h, "wasi:sockets/tcp-create-socket", "create-tcp-socket", {Val::enumeration(0)}));
    }
    Val start_connect(Val address) {
        return call(h, "wasi:sockets/tcp", "[method]tcp-socket.start-connect",
                    {borrow_of(socket), borrow_of(network), std::move(address)});
    }
    // Waits on the socket's pollable, then finishes.
    Val finish_connect() {
        Val p = call(h, "wasi:sockets/tcp", "[method]tcp-socket.subscribe", {borrow_of(socket)});
        call(h, "wasi:io/poll", "[method]pollable.block", {borrow_of(p)});
        return call(h, "wasi:sockets/tcp", "[method]tcp-socket.finish-connect",
                    {borrow_of(socket)});
    }
};

TEST(WasiSockets, DeniedByDefault) {
    Peer server(SOCK_STREAM);
    Host h({});
    TcpClient c(h);
    EXPECT_EQ(err_of(c.start_connect(loopback(server.port))), access_denied);
    // Nothing was started, so there is nothing to finish.
    EXPECT_EQ(err_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.finish-connect",
                          {borrow_of(c.socket)})),
              not_in_progress);
    // Listening is never granted; nor is binding without any grant.
    EXPECT_EQ(err_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.start-listen",
                          {borrow_of(c.socket)})),
              access_denied);
    EXPECT_EQ(err_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.start-bind",
                          {borrow_of(c.socket), borrow_of(c.network), v4_address(0, 0, 0, 0, 0)})),
              access_denied);
    // Name lookup answers nothing that was not granted.
    Val lookup = call(h, "wasi:sockets/ip-name-lookup", "resolve-addresses",
                      {borrow_of(c.network), Val::string("localhost")});
    EXPECT_EQ(err_of(lookup), access_denied);
}

TEST(WasiSockets, ConnectsToAGrantedAddressAndTalks) {
    Peer server(SOCK_STREAM);
    std::thread echo([&] {
        int conn = ::accept(server.fd, nullptr, nullptr);
        char buf[64];
        ssize_t n = ::read(conn, buf, sizeof buf);
        if (n > 0) (void)::write(conn, buf, static_cast<size_t>(n));
        ::close(conn);
    });
    Config cfg;
    cfg.sockets.push_back(grant("127.0.0.1:" + std::to_string(server.port)));
    Host h(cfg);
    ASSERT_TRUE(h.ready().ok());
    TcpClient c(h);
    ok_of(c.start_connect(loopback(server.port)));
    Val streams = ok_of(c.finish_connect());
    ASSERT_EQ(streams.elems.size(), 2u);
    const Val& in = streams.elems[0];
    const Val& out = streams.elems[1];
    ok_of(call(h, "wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
               {borrow_of(out), bytes("ping")}));
    Val got = ok_of(call(h, "wasi:io/streams", "[method]input-stream.blocking-read",
                         {borrow_of(in), Val::u64(64)}));
    EXPECT_EQ(text_of(got), "ping");
    // The peer closed: the stream says so.
    Val more = call(h, "wasi:io/streams", "[method]input-stream.blocking-read",
                    {borrow_of(in), Val::u64(64)});
    EXPECT_EQ(more.case_index(), 1u);
    Val remote = ok_of(
        call(h, "wasi:sockets/tcp", "[method]tcp-socket.remote-address", {borrow_of(c.socket)}));
    EXPECT_EQ(remote, loopback(server.port));
    // Connected: connecting again is the wrong state.
    EXPECT_EQ(err_of(c.start_connect(loopback(server.port))), invalid_state);
    echo.join();

    // The grant names one port: another port on the same address is denied.
    TcpClient other(h);
    EXPECT_EQ(err_of(other.start_connect(loopback(server.port == 65535 ? 1 : server.port + 1))),
              access_denied);
}

TEST(WasiSockets, ANonBlockingReadReturnsWhatIsThere) {
    Peer server(SOCK_STREAM);
    Config cfg;
    cfg.sockets.push_back(grant("127.0.0.1"));
    Host h(cfg);
    TcpClient c(h);
    ok_of(c.start_connect(loopback(server.port)));
    Val streams = ok_of(c.finish_connect());
    int conn = ::accept(server.fd, nullptr, nullptr);
    ASSERT_GE(conn, 0);
    // Nothing sent yet: `read` returns at once with nothing; the pollable is not ready.
    Val first = ok_of(call(h, "wasi:io/streams", "[method]input-stream.read",
                           {borrow_of(streams.elems[0]), Val::u64(16)}));
    EXPECT_EQ(first.list_size(), 0u);
    Val p =
        call(h, "wasi:io/streams", "[method]input-stream.subscribe", {borrow_of(streams.elems[0])});
    EXPECT_FALSE(call(h, "wasi:io/poll", "[method]pollable.ready", {borrow_of(p)}).as_bool());
    ASSERT_EQ(::write(conn, "hi", 2), 2);
    call(h, "wasi:io/poll", "[method]pollable.block", {borrow_of(p)});
    EXPECT_TRUE(call(h, "wasi:io/poll", "[method]pollable.ready", {borrow_of(p)}).as_bool());
    Val second = ok_of(call(h, "wasi:io/streams", "[method]input-stream.read",
                            {borrow_of(streams.elems[0]), Val::u64(16)}));
    EXPECT_EQ(text_of(second), "hi");
    ::close(conn);
}

TEST(WasiSockets, ARefusedConnectionIsAnErrorCode) {
    uint16_t closed_port;
    {
        Peer gone(SOCK_STREAM);
        closed_port = gone.port;
    }
    Config cfg;
    cfg.sockets.push_back(grant("127.0.0.1:*"));
    Host h(cfg);
    TcpClient c(h);
    Val started = c.start_connect(loopback(closed_port));
    if (started.case_index() == 0) {
        EXPECT_EQ(err_of(c.finish_connect()), connection_refused);
    } else {
        EXPECT_EQ(err_of(started), connection_refused);
    }
}

TEST(WasiSockets, RemoteAddressesAreChecked) {
    Config cfg;
    cfg.sockets.push_back(grant("127.0.0.1"));
    Host h(cfg);
    TcpClient c(h);
    // Port 0, the unspecified address, and an IPv6 address on an IPv4 socket.
    EXPECT_EQ(err_of(c.start_connect(loopback(0))), invalid_argument);
    EXPECT_EQ(err_of(c.start_connect(v4_address(0, 0, 0, 0, 80))), invalid_argument);
    Val v6 = Val::variant(
        1, Val::record({Val::u16(80), Val::u32(0),
                        Val::tuple({Val::u16(0), Val::u16(0), Val::u16(0), Val::u16(0), Val::u16(0),
                                    Val::u16(0), Val::u16(0), Val::u16(1)}),
                        Val::u32(0)}));
    EXPECT_EQ(err_of(c.start_connect(v6)), invalid_argument);
    // Options: zero is not a value.
    EXPECT_EQ(err_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.set-hop-limit",
                          {borrow_of(c.socket), Val::u8(0)})),
              invalid_argument);
    ok_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.set-keep-alive-enabled",
               {borrow_of(c.socket), Val::boolean(true)}));
    EXPECT_TRUE(ok_of(call(h, "wasi:sockets/tcp", "[method]tcp-socket.keep-alive-enabled",
                           {borrow_of(c.socket)}))
                    .as_bool());
    // A handle of another kind is not a socket: a trap, not a crash.
    auto wrong = h.call("wasi:sockets/tcp", "[method]tcp-socket.finish-connect",
                        std::vector{borrow_of(c.network)});
    ASSERT_FALSE(wrong.ok());
    EXPECT_TRUE(wrong.error().is_trap());
}

TEST(WasiSockets, UdpSendsAndReceivesOnlyWhereGranted) {
    Peer peer(SOCK_DGRAM);
    Config cfg;
    cfg.sockets.push_back(grant("127.0.0.1:" + std::to_string(peer.port), Config::Protocol::Udp));
    Host h(cfg);
    Val network = call(h, "wasi:sockets/instance-network", "instance-network");
    Val sock = ok_of(
        call(h, "wasi:sockets/udp-create-socket", "create-udp-socket", {Val::enumeration(0)}));
    // Binding a fixed port is not outbound: denied; an ephemeral one is fine.
    EXPECT_EQ(err_of(call(h, "wasi:sockets/udp", "[method]udp-socket.start-bind",
                          {borrow_of(sock), borrow_of(network), v4_address(0, 0, 0, 0, 5353)})),
              access_denied);
    ok_of(call(h, "wasi:sockets/udp", "[method]udp-socket.start-bind",
               {borrow_of(sock), borrow_of(network), v4_address(0, 0, 0, 0, 0)}));
    ok_of(call(h, "wasi:sockets/udp", "[method]udp-socket.finish-bind", {borrow_of(sock)}));
    Val streams = ok_of(
        call(h, "wasi:sockets/udp", "[method]udp-socket.stream", {borrow_of(sock), Val::none()}));
    const Val& in = streams.elems[0];
    const Val& out = streams.elems[1];
    uint64_t permits = ok_of(call(h, "wasi:sockets/udp",
                                  "[method]outgoing-datagram-stream.check-send", {borrow_of(out)}))
                           .as_u64();
    ASSERT_GE(permits, 1u);
    Val datagram = Val::record({bytes("hello"), Val::some(loopback(peer.port))});
    EXPECT_EQ(ok_of(call(h, "wasi:sockets/udp", "[method]outgoing-datagram-stream.send",
                         {borrow_of(out), Val::list({datagram})}))
                  .as_u64(),
              1u);
    char buf[64];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(peer.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    ASSERT_EQ(n, 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    // The peer answers; the guest receives it with the sender's address.
    ASSERT_EQ(::sendto(peer.fd, "back", 4, 0, reinterpret_cast<sockaddr*>(&from), len), 4);
    Val p =
        call(h, "wasi:sockets/udp", "[method]incoming-datagram-stream.subscribe", {borrow_of(in)});
    call(h, "wasi:io/poll", "[method]pollable.block", {borrow_of(p)});
    Val got = ok_of(call(h, "wasi:sockets/udp", "[method]incoming-datagram-stream.receive",
                         {borrow_of(in), Val::u64(10)}));
    ASSERT_EQ(got.elems.size(), 1u);
    EXPECT_EQ(text_of(got.elems[0].elems[0]), "back");
    EXPECT_EQ(got.elems[0].elems[1], loopback(peer.port));
    // Another port is not granted.
    call(h, "wasi:sockets/udp", "[method]outgoing-datagram-stream.check-send", {borrow_of(out)});
    Val elsewhere =
        Val::record({bytes("x"), Val::some(loopback(peer.port == 65535 ? 1 : peer.port + 1))});
    EXPECT_EQ(err_of(call(h, "wasi:sockets/udp", "[method]outgoing-datagram-stream.send",
                          {borrow_of(out), Val::list({elsewhere})})),
              access_denied);
    // Sending more than check-send permitted traps.
    std::vector<Val> many(1000, datagram);
    auto over = h.call("wasi:sockets/udp", "[method]outgoing-datagram-stream.send",
                       std::vector{borrow_of(out), Val::list(many)});
    ASSERT_FALSE(over.ok());
    EXPECT_TRUE(over.error().is_trap());
}

TEST(WasiSockets, NameLookupAnswersGrantedNamesAndLiterals) {
    Config cfg;
    cfg.sockets.push_back(grant("localhost:80"));
    Host h(cfg);
    ASSERT_TRUE(h.ready().ok());
    Val network = call(h, "wasi:sockets/instance-network", "instance-network");
    auto next_of = [&](const Val& stream) {
        return ok_of(call(h, "wasi:sockets/ip-name-lookup",
                          "[method]resolve-address-stream.resolve-next-address",
                          {borrow_of(stream)}));
    };
    Val s = ok_of(call(h, "wasi:sockets/ip-name-lookup", "resolve-addresses",
                       {borrow_of(network), Val::string("LOCALHOST")}));
    Val first = next_of(s);
    ASSERT_EQ(first.case_index(), 1u); // some
    const Val& ip = *first.payload();
    bool is_loopback = ip.case_index() == 0 ? ip.payload()->elems[0].bits == 127
                                            : ip.payload()->elems[7].bits == 1;
    EXPECT_TRUE(is_loopback);
    Val lit = ok_of(call(h, "wasi:sockets/ip-name-lookup", "resolve-addresses",
                         {borrow_of(network), Val::string("10.1.2.3")}));
    Val one = next_of(lit);
    ASSERT_EQ(one.case_index(), 1u);
    EXPECT_EQ(one.payload()->payload()->elems[3].bits, 3u);
    EXPECT_EQ(next_of(lit).case_index(), 0u); // none: exhausted
    EXPECT_EQ(err_of(call(h, "wasi:sockets/ip-name-lookup", "resolve-addresses",
                          {borrow_of(network), Val::string("example.com")})),
              access_denied);
    EXPECT_EQ(err_of(call(h, "wasi:sockets/ip-name-lookup", "resolve-addresses",
                          {borrow_of(network), Val::string("bad name")})),
              invalid_argument);
}

TEST(WasiSockets, GrantsParse) {
    auto g = parse_socket_grant("[::1]:443", Config::Protocol::Tcp);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->host, "::1");
    EXPECT_EQ(g->port, 443);
    auto any = parse_socket_grant("db.internal", Config::Protocol::Udp);
    ASSERT_TRUE(any.ok());
    EXPECT_FALSE(any->port);
    EXPECT_FALSE(parse_socket_grant("host:99999", Config::Protocol::Tcp).ok());
    EXPECT_FALSE(parse_socket_grant("host:", Config::Protocol::Tcp).ok());
    EXPECT_FALSE(parse_socket_grant("", Config::Protocol::Tcp).ok());
    EXPECT_FALSE(parse_socket_grant("::1:80", Config::Protocol::Tcp).ok());
    auto bad = parse_socket_grant("a/b:80", Config::Protocol::Tcp);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("a/b:80"), std::string::npos);
    // A name that does not resolve makes the host not ready, saying which.
    Config cfg;
    cfg.sockets.push_back(*parse_socket_grant("no-such-host.invalid:1", Config::Protocol::Tcp));
    Host h(cfg);
    auto ready = h.ready();
    ASSERT_FALSE(ready.ok());
    EXPECT_NE(ready.error().message.find("no-such-host.invalid"), std::string::npos);
}

} // namespace
} // namespace cirrus::wasi
