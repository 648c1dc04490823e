// wasi:sockets 0.2 (network, instance-network, tcp, tcp-create-socket, udp, udp-create-socket,
// ip-name-lookup), as the WIT in wasi-sockets@0.2.12 spells it, over non-blocking host sockets.
//
// Denied by default: a guest may create sockets, but connecting or sending anywhere is refused
// with `access-denied` unless the Config grants that protocol, address and port
// (`cirrus run --allow-tcp HOST:PORT`, `--allow-udp HOST:PORT`). The grants are outbound only:
// listening is always refused, and binding is allowed only to an ephemeral port (0) on an
// unspecified or loopback address, which UDP clients need before they send. Name lookup answers
// only for host names a grant names (and for IP literals, which need no lookup).
#include "interface_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cirrus::wasi {

using component::Case;
using component::Field;

// The host side of a socket, shared by the socket's handle and the streams made from it (which
// keep the descriptor open until the last of them is dropped).
struct NetSocket {
    enum class State : uint8_t {
        Unbound,
        BindStarted,
        Bound,
        ConnectStarted,
        Connected,
        Closed, // a connection attempt failed: the socket can't be used again
    };
    OwnedFd fd;
    bool tcp = true;
    int family = AF_INET;
    State state = State::Unbound;
    bool streams_taken = false;
    // UDP: which call of `stream` made the live datagram streams, and the remote address it
    // connected to, if any.
    uint32_t stream_generation = 0;
    bool udp_connected = false;
    struct sockaddr_storage udp_remote {};
    // Resolve streams: the addresses still to hand out.
    std::vector<struct sockaddr_storage> resolved;
    size_t next_resolved = 0;
};

namespace {

// error-code cases, in WIT order.
enum NetError : uint32_t {
    unknown,
    access_denied,
    not_supported,
    invalid_argument,
    out_of_memory,
    timeout,
    concurrency_conflict,
    not_in_progress,
    would_block,
    invalid_state,
    new_socket_limit,
    address_not_bindable,
    address_in_use,
    remote_unreachable,
    connection_refused,
    connection_reset,
    connection_aborted,
    datagram_too_large,
    name_unresolvable,
    temporary_resolver_failure,
    permanent_resolver_failure,
};

const char* const error_code_cases[] = {
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
};

// Sockets one guest may hold open at once; more is `new-socket-limit`.
constexpr size_t max_sockets = 256;
// Datagrams one receive or send moves at most.
constexpr uint64_t max_datagrams = 64;
constexpr size_t max_datagram_size = 65535;

NetError error_of_errno(int e) {
    switch (e) {
    case EACCES:
    case EPERM: return access_denied;
    case EAFNOSUPPORT:
    case EOPNOTSUPP:
    case EPROTONOSUPPORT: return not_supported;
    case EINVAL:
    case EDESTADDRREQ: return invalid_argument;
    case ENOMEM:
    case ENOBUFS: return out_of_memory;
    case ETIMEDOUT: return timeout;
    case EALREADY: return concurrency_conflict;
    case EAGAIN: return would_block;
    case EMFILE:
    case ENFILE: return new_socket_limit;
    case EADDRNOTAVAIL: return address_not_bindable;
    case EADDRINUSE: return address_in_use;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN: return remote_unreachable;
    case ECONNREFUSED: return connection_refused;
    case ECONNRESET:
    case EPIPE: return connection_reset;
    case ECONNABORTED: return connection_aborted;
    case EMSGSIZE: return datagram_too_large;
    default: return unknown;
    }
}

std::optional<Val> net_err(NetError e) {
    return some(Val::err(Val::enumeration(e)));
}
std::optional<Val> net_errno(int e) {
    return net_err(error_of_errno(e));
}
std::optional<Val> ok_unit() {
    return some(Val::ok(std::nullopt));
}

// ---------------------------------------------------------------- addresses

struct NetTypes {
    const ValType* error_code;
    const ValType* family;
    const ValType* ip_address;
    const ValType* socket_address;

    explicit NetTypes(Types& t) {
        std::vector<std::string> cases(std::begin(error_code_cases), std::end(error_code_cases));
        error_code = t.a.enumeration(cases);
        family = t.a.enumeration({"ipv4", "ipv6"});
        const ValType* v4 = t.a.tuple({t.u8, t.u8, t.u8, t.u8});
        const ValType* v6 = t.a.tuple({t.u16, t.u16, t.u16, t.u16, t.u16, t.u16, t.u16, t.u16});
        ip_address = t.a.variant({Case{"ipv4", v4}, Case{"ipv6", v6}});
        const ValType* sa4 = t.a.record({Field{"port", t.u16}, Field{"address", v4}});
        const ValType* sa6 = t.a.record({Field{"port", t.u16}, Field{"flow-info", t.u32},
                                         Field{"address", v6}, Field{"scope-id", t.u32}});
        socket_address = t.a.variant({Case{"ipv4", sa4}, Case{"ipv6", sa6}});
    }
    const ValType* result(Types& t, const ValType* ok) const { return t.a.result(ok, error_code); }
};

// An ip-socket-address value as a host socket address.
struct sockaddr_storage to_sockaddr(const Val& v) {
    struct sockaddr_storage ss {};
    const Val& rec = *v.payload();
    if (v.case_index() == 0) {
        auto* sa = reinterpret_cast<struct sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(static_cast<uint16_t>(rec.elems[0].bits));
        uint8_t b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(rec.elems[1].elems[i].bits);
        std::memcpy(&sa->sin_addr, b, 4);
    } else {
        auto* sa = reinterpret_cast<struct sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(static_cast<uint16_t>(rec.elems[0].bits));
        sa->sin6_flowinfo = htonl(static_cast<uint32_t>(rec.elems[1].bits));
        for (int i = 0; i < 8; ++i) {
            uint16_t w = static_cast<uint16_t>(rec.elems[2].elems[i].bits);
            sa->sin6_addr.s6_addr[2 * i] = static_cast<uint8_t>(w >> 8);
            sa->sin6_addr.s6_addr[2 * i + 1] = static_cast<uint8_t>(w);
        }
        sa->sin6_scope_id = static_cast<uint32_t>(rec.elems[3].bits);
    }
    return ss;
}

Val ip_address_val(const struct sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
        const auto* sa = reinterpret_cast<const struct sockaddr_in*>(&ss);
        const auto* b = reinterpret_cast<const uint8_t*>(&sa->sin_addr);
        return Val::variant(
            0, Val::tuple({Val::u8(b[0]), Val::u8(b[1]), Val::u8(b[2]), Val::u8(b[3])}));
    }
    const auto* sa = reinterpret_cast<const struct sockaddr_in6*>(&ss);
    std::vector<Val> words;
    for (int i = 0; i < 8; ++i)
        words.push_back(Val::u16(static_cast<uint16_t>(sa->sin6_addr.s6_addr[2 * i] << 8 |
                                                       sa->sin6_addr.s6_addr[2 * i + 1])));
    return Val::variant(1, Val::tuple(std::move(words)));
}

Val socket_address_val(const struct sockaddr_storage& ss) {
    Val ip = ip_address_val(ss);
    if (ss.ss_family == AF_INET) {
        const auto* sa = reinterpret_cast<const struct sockaddr_in*>(&ss);
        return Val::variant(0, Val::record({Val::u16(ntohs(sa->sin_port)), *ip.payload()}));
    }
    const auto* sa = reinterpret_cast<const struct sockaddr_in6*>(&ss);
    return Val::variant(
        1, Val::record({Val::u16(ntohs(sa->sin6_port)), Val::u32(ntohl(sa->sin6_flowinfo)),
                        *ip.payload(), Val::u32(sa->sin6_scope_id)}));
}

socklen_t sockaddr_len(const struct sockaddr_storage& ss) {
    return ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

uint16_t port_of(const struct sockaddr_storage& ss) {
    return ntohs(ss.ss_family == AF_INET
                     ? reinterpret_cast<const struct sockaddr_in*>(&ss)->sin_port
                     : reinterpret_cast<const struct sockaddr_in6*>(&ss)->sin6_port);
}

bool is_unspecified(const struct sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET)
        return reinterpret_cast<const struct sockaddr_in*>(&ss)->sin_addr.s_addr == INADDR_ANY;
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const struct sockaddr_in6*>(&ss)->sin6_addr);
}

bool is_loopback(const struct sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET)
        return (ntohl(reinterpret_cast<const struct sockaddr_in*>(&ss)->sin_addr.s_addr) >> 24) ==
               127;
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const struct sockaddr_in6*>(&ss)->sin6_addr);
}

bool is_v4_mapped(const struct sockaddr_storage& ss) {
    return ss.ss_family == AF_INET6 &&
           IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const struct sockaddr_in6*>(&ss)->sin6_addr);
}

bool same_ip(const struct sockaddr_storage& a, const struct sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET)
        return reinterpret_cast<const struct sockaddr_in*>(&a)->sin_addr.s_addr ==
               reinterpret_cast<const struct sockaddr_in*>(&b)->sin_addr.s_addr;
    return std::memcmp(&reinterpret_cast<const struct sockaddr_in6*>(&a)->sin6_addr,
                       &reinterpret_cast<const struct sockaddr_in6*>(&b)->sin6_addr, 16) == 0;
}

// The checks every remote address gets (tcp.wit, udp.wit: `invalid-argument` cases), then the
// grant: `access-denied` unless the Config grants this protocol, address and port.
std::optional<NetError> check_remote(const Host::State& st, const NetSocket& s,
                                     const struct sockaddr_storage& ss) {
    if (ss.ss_family != s.family || is_unspecified(ss) || port_of(ss) == 0 || is_v4_mapped(ss))
        return invalid_argument;
    for (const auto& g : st.socket_grants) {
        if (g.tcp != s.tcp) continue;
        if (g.port && *g.port != port_of(ss)) continue;
        for (const auto& a : g.addresses) {
            if (same_ip(a, ss)) return std::nullopt;
        }
    }
    return access_denied;
}

// Outbound only: a bind is allowed to an ephemeral port on an unspecified or loopback address,
// and only when some grant of the protocol exists.
std::optional<NetError> check_local(const Host::State& st, const NetSocket& s,
                                    const struct sockaddr_storage& ss) {
    if (ss.ss_family != s.family || is_v4_mapped(ss)) return invalid_argument;
    bool any_grant = std::any_of(st.socket_grants.begin(), st.socket_grants.end(),
                                 [&](const auto& g) { return g.tcp == s.tcp; });
    if (!any_grant || port_of(ss) != 0 || !(is_unspecified(ss) || is_loopback(ss)))
        return access_denied;
    return std::nullopt;
}

Object net_object(Kind kind, std::shared_ptr<NetSocket> s) {
    Object o;
    o.kind = kind;
    o.fd = s->fd.get();
    o.net = std::move(s);
    return o;
}

// A socket option read with getsockopt as an int; nullopt (and errno set) on failure.
std::optional<int> get_int_opt(int fd, int level, int name) {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(fd, level, name, &v, &len) < 0) return std::nullopt;
    return v;
}

std::optional<Val> set_int_opt(int fd, int level, int name, int value) {
    if (::setsockopt(fd, level, name, &value, sizeof value) < 0) return net_errno(errno);
    return ok_unit();
}

using Params = std::vector<std::pair<std::string, const ValType*>>;

// Adds a method of a socket kind whose body works on the NetSocket.
using NetBody = std::function<Result<std::optional<Val>>(const Call&, Object&, NetSocket&,
                                                         std::span<const Val>)>;
void add_net_method(InterfaceDef& iface, Types& t, Kind k, std::string_view name, Params params,
                    const ValType* result, NetBody body) {
    add_method(iface, t, k, name, std::move(params), result,
               [body = std::move(body)](const Call& c, Object& o,
                                        std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (!o.net) return trap("wasi:sockets: handle has no socket");
                   return body(c, o, *o.net, a);
               });
}

Result<std::optional<Val>> create_socket(const Call& c, const Val& family, bool tcp) {
    size_t live = 0;
    for (const auto& [rep, o] : c.state.objects)
        live += o.kind == Kind::TcpSocket || o.kind == Kind::UdpSocket;
    if (live >= max_sockets) return net_err(new_socket_limit);
    auto s = std::make_shared<NetSocket>();
    s->tcp = tcp;
    s->family = family.case_index() == 0 ? AF_INET : AF_INET6;
    int fd =
        ::socket(s->family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return net_errno(errno);
    s->fd = OwnedFd(fd);
    if (s->family == AF_INET6) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    return some(Val::ok(c.own(net_object(tcp ? Kind::TcpSocket : Kind::UdpSocket, std::move(s)))));
}

// start-bind, shared by tcp and udp.
Result<std::optional<Val>> start_bind(const Call& c, NetSocket& s, std::span<const Val> a) {
    CIRRUS_TRY(c.state.get(a[1], Kind::Network));
    if (s.state != NetSocket::State::Unbound) return net_err(invalid_state);
    struct sockaddr_storage ss = to_sockaddr(a[2]);
    if (auto e = check_local(c.state, s, ss)) return net_err(*e);
    if (::bind(s.fd.get(), reinterpret_cast<struct sockaddr*>(&ss), sockaddr_len(ss)) < 0)
        return net_errno(errno);
    s.state = NetSocket::State::BindStarted;
    return ok_unit();
}

Result<std::optional<Val>> finish_bind(NetSocket& s) {
    if (s.state != NetSocket::State::BindStarted) return net_err(not_in_progress);
    s.state = NetSocket::State::Bound;
    return ok_unit();
}

std::optional<Val> address_of(NetSocket& s, bool remote) {
    struct sockaddr_storage ss {};
    socklen_t len = sizeof ss;
    int r = remote ? ::getpeername(s.fd.get(), reinterpret_cast<struct sockaddr*>(&ss), &len)
                   : ::getsockname(s.fd.get(), reinterpret_cast<struct sockaddr*>(&ss), &len);
    if (r < 0) return net_errno(errno);
    return some(Val::ok(socket_address_val(ss)));
}

// Buffer-size and hop-limit options, shared by tcp and udp.
void add_common_options(InterfaceDef& iface, Types& t, const NetTypes& n, Kind k,
                        const char* hop_name) {
    auto res = [&](const ValType* ok) { return n.result(t, ok); };
    add_net_method(
        iface, t, k, hop_name, {}, res(t.u8),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            auto v = s.family == AF_INET ? get_int_opt(s.fd.get(), IPPROTO_IP, IP_TTL)
                                         : get_int_opt(s.fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS);
            if (!v) return net_errno(errno);
            return some(Val::ok(Val::u8(static_cast<uint8_t>(*v))));
        });
    add_net_method(iface, t, k, fmt::format("set-{}", hop_name), {{"value", t.u8}}, res(nullptr),
                   [](const Call&, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       int v = static_cast<int>(a[1].bits);
                       if (v == 0) return net_err(invalid_argument);
                       return s.family == AF_INET
                                  ? set_int_opt(s.fd.get(), IPPROTO_IP, IP_TTL, v)
                                  : set_int_opt(s.fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, v);
                   });
    for (auto [name, opt] :
         {std::pair{"receive-buffer-size", SO_RCVBUF}, std::pair{"send-buffer-size", SO_SNDBUF}}) {
        add_net_method(iface, t, k, name, {}, res(t.u64),
                       [opt](const Call&, Object&, NetSocket& s,
                             std::span<const Val>) -> Result<std::optional<Val>> {
                           auto v = get_int_opt(s.fd.get(), SOL_SOCKET, opt);
                           if (!v) return net_errno(errno);
                           return some(Val::ok(Val::u64(static_cast<uint64_t>(*v))));
                       });
        add_net_method(iface, t, k, fmt::format("set-{}", name), {{"value", t.u64}}, res(nullptr),
                       [opt](const Call&, Object&, NetSocket& s,
                             std::span<const Val> a) -> Result<std::optional<Val>> {
                           uint64_t v = a[1].as_u64();
                           if (v == 0) return net_err(invalid_argument);
                           return set_int_opt(s.fd.get(), SOL_SOCKET, opt,
                                              static_cast<int>(std::min<uint64_t>(v, INT_MAX)));
                       });
    }
    add_net_method(
        iface, t, k, "address-family", {}, n.family,
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            return some(Val::enumeration(s.family == AF_INET ? 0 : 1));
        });
}

// ---------------------------------------------------------------- tcp

void define_tcp(Host::State& st, Types& t, const NetTypes& n) {
    auto res = [&](const ValType* ok) { return n.result(t, ok); };
    const ValType* borrow_network = t.borrow(Kind::Network);
    InterfaceDef tcp{
        "wasi:sockets/tcp",
        {},
        {Kind::InputStream, Kind::OutputStream, Kind::Pollable, Kind::Network, Kind::TcpSocket}};
    const Kind k = Kind::TcpSocket;
    using State = NetSocket::State;
    add_net_method(tcp, t, k, "start-bind",
                   {{"network", borrow_network}, {"local-address", n.socket_address}}, res(nullptr),
                   [](const Call& c, Object&, NetSocket& s, std::span<const Val> a)
                       -> Result<std::optional<Val>> { return start_bind(c, s, a); });
    add_net_method(
        tcp, t, k, "finish-bind", {}, res(nullptr),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            return finish_bind(s);
        });
    add_net_method(tcp, t, k, "start-connect",
                   {{"network", borrow_network}, {"remote-address", n.socket_address}},
                   res(nullptr),
                   [](const Call& c, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       CIRRUS_TRY(c.state.get(a[1], Kind::Network));
                       if (s.state != State::Unbound && s.state != State::Bound)
                           return net_err(invalid_state);
                       struct sockaddr_storage ss = to_sockaddr(a[2]);
                       if (auto e = check_remote(c.state, s, ss)) return net_err(*e);
                       int r = ::connect(s.fd.get(), reinterpret_cast<struct sockaddr*>(&ss),
                                         sockaddr_len(ss));
                       if (r < 0 && errno != EINPROGRESS) return net_errno(errno);
                       s.state = State::ConnectStarted;
                       return ok_unit();
                   });
    const ValType* stream_pair = t.a.tuple({t.own(Kind::InputStream), t.own(Kind::OutputStream)});
    add_net_method(tcp, t, k, "finish-connect", {}, res(stream_pair),
                   [](const Call& c, Object& o, NetSocket& s,
                      std::span<const Val>) -> Result<std::optional<Val>> {
                       if (s.state != State::ConnectStarted) return net_err(not_in_progress);
                       struct pollfd p {
                           s.fd.get(), POLLOUT, 0
                       };
                       if (::poll(&p, 1, 0) == 0) return net_err(would_block);
                       auto err = get_int_opt(s.fd.get(), SOL_SOCKET, SO_ERROR);
                       if (!err || *err != 0) {
                           s.state = State::Closed;
                           return net_errno(err ? *err : errno);
                       }
                       s.state = State::Connected;
                       s.streams_taken = true;
                       Val in = c.own(net_object(Kind::InputStream, o.net));
                       Val out = c.own(net_object(Kind::OutputStream, o.net));
                       return some(Val::ok(Val::tuple({std::move(in), std::move(out)})));
                   });
    // Outbound only: no listening sockets.
    add_net_method(
        tcp, t, k, "start-listen", {}, res(nullptr),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (s.state == State::ConnectStarted || s.state == State::Connected ||
                s.state == State::Closed)
                return net_err(invalid_state);
            return net_err(access_denied);
        });
    add_net_method(
        tcp, t, k, "finish-listen", {}, res(nullptr),
        [](const Call&, Object&, NetSocket&, std::span<const Val>) -> Result<std::optional<Val>> {
            return net_err(not_in_progress);
        });
    add_net_method(
        tcp, t, k, "accept", {},
        res(t.a.tuple(
            {t.own(Kind::TcpSocket), t.own(Kind::InputStream), t.own(Kind::OutputStream)})),
        [](const Call&, Object&, NetSocket&, std::span<const Val>) -> Result<std::optional<Val>> {
            return net_err(invalid_state);
        });
    add_net_method(
        tcp, t, k, "local-address", {}, res(n.socket_address),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (s.state == State::Unbound) return net_err(invalid_state);
            return address_of(s, false);
        });
    add_net_method(
        tcp, t, k, "remote-address", {}, res(n.socket_address),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (s.state != State::Connected) return net_err(invalid_state);
            return address_of(s, true);
        });
    add_net_method(
        tcp, t, k, "is-listening", {}, t.boolean,
        [](const Call&, Object&, NetSocket&, std::span<const Val>) -> Result<std::optional<Val>> {
            return some(Val::boolean(false));
        });
    add_net_method(tcp, t, k, "set-listen-backlog-size", {{"value", t.u64}}, res(nullptr),
                   [](const Call&, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       if (a[1].as_u64() == 0) return net_err(invalid_argument);
                       if (s.state == State::ConnectStarted || s.state == State::Connected)
                           return net_err(invalid_state);
                       return ok_unit();
                   });
    add_net_method(
        tcp, t, k, "keep-alive-enabled", {}, res(t.boolean),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            auto v = get_int_opt(s.fd.get(), SOL_SOCKET, SO_KEEPALIVE);
            if (!v) return net_errno(errno);
            return some(Val::ok(Val::boolean(*v != 0)));
        });
    add_net_method(tcp, t, k, "set-keep-alive-enabled", {{"value", t.boolean}}, res(nullptr),
                   [](const Call&, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       return set_int_opt(s.fd.get(), SOL_SOCKET, SO_KEEPALIVE,
                                          a[1].as_bool() ? 1 : 0);
                   });
    // Durations are nanoseconds; Linux keeps whole seconds (at most 32767).
    for (auto [name, opt] : {std::pair{"keep-alive-idle-time", TCP_KEEPIDLE},
                             std::pair{"keep-alive-interval", TCP_KEEPINTVL}}) {
        add_net_method(tcp, t, k, name, {}, res(t.u64),
                       [opt](const Call&, Object&, NetSocket& s,
                             std::span<const Val>) -> Result<std::optional<Val>> {
                           auto v = get_int_opt(s.fd.get(), IPPROTO_TCP, opt);
                           if (!v) return net_errno(errno);
                           return some(
                               Val::ok(Val::u64(static_cast<uint64_t>(*v) * 1000000000ull)));
                       });
        add_net_method(tcp, t, k, fmt::format("set-{}", name), {{"value", t.u64}}, res(nullptr),
                       [opt](const Call&, Object&, NetSocket& s,
                             std::span<const Val> a) -> Result<std::optional<Val>> {
                           uint64_t ns = a[1].as_u64();
                           if (ns == 0) return net_err(invalid_argument);
                           uint64_t secs =
                               std::clamp<uint64_t>((ns + 999999999) / 1000000000, 1, 32767);
                           return set_int_opt(s.fd.get(), IPPROTO_TCP, opt, static_cast<int>(secs));
                       });
    }
    add_net_method(
        tcp, t, k, "keep-alive-count", {}, res(t.u32),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            auto v = get_int_opt(s.fd.get(), IPPROTO_TCP, TCP_KEEPCNT);
            if (!v) return net_errno(errno);
            return some(Val::ok(Val::u32(static_cast<uint32_t>(*v))));
        });
    add_net_method(tcp, t, k, "set-keep-alive-count", {{"value", t.u32}}, res(nullptr),
                   [](const Call&, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       uint64_t v = a[1].as_u64();
                       if (v == 0) return net_err(invalid_argument);
                       return set_int_opt(s.fd.get(), IPPROTO_TCP, TCP_KEEPCNT,
                                          static_cast<int>(std::min<uint64_t>(v, 127)));
                   });
    add_common_options(tcp, t, n, k, "hop-limit");
    add_net_method(tcp, t, k, "subscribe", {}, t.own(Kind::Pollable),
                   [](const Call& c, Object&, NetSocket& s,
                      std::span<const Val>) -> Result<std::optional<Val>> {
                       // Ready when a connection attempt has an outcome; otherwise now.
                       if (s.state == State::ConnectStarted)
                           return some(fd_pollable(c, s.fd.get(), POLLOUT));
                       return some(ready_pollable(c));
                   });
    add_net_method(tcp, t, k, "shutdown",
                   {{"shutdown-type", t.a.enumeration({"receive", "send", "both"})}}, res(nullptr),
                   [](const Call&, Object&, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       if (s.state != State::Connected) return net_err(invalid_state);
                       int how = a[1].case_index() == 0   ? SHUT_RD
                                 : a[1].case_index() == 1 ? SHUT_WR
                                                          : SHUT_RDWR;
                       if (::shutdown(s.fd.get(), how) < 0) return net_errno(errno);
                       return ok_unit();
                   });
    st.interfaces.push_back(std::move(tcp));
}

// ---------------------------------------------------------------- udp

void define_udp(Host::State& st, Types& t, const NetTypes& n) {
    auto res = [&](const ValType* ok) { return n.result(t, ok); };
    InterfaceDef udp{"wasi:sockets/udp",
                     {},
                     {Kind::Pollable, Kind::Network, Kind::UdpSocket, Kind::IncomingDatagramStream,
                      Kind::OutgoingDatagramStream}};
    const Kind k = Kind::UdpSocket;
    using State = NetSocket::State;
    const ValType* incoming_datagram =
        t.a.record({Field{"data", t.bytes}, Field{"remote-address", n.socket_address}});
    const ValType* outgoing_datagram =
        t.a.record({Field{"data", t.bytes}, Field{"remote-address", t.a.option(n.socket_address)}});
    add_net_method(
        udp, t, k, "start-bind",
        {{"network", t.borrow(Kind::Network)}, {"local-address", n.socket_address}}, res(nullptr),
        [](const Call& c, Object&, NetSocket& s,
           std::span<const Val> a) -> Result<std::optional<Val>> { return start_bind(c, s, a); });
    add_net_method(
        udp, t, k, "finish-bind", {}, res(nullptr),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            return finish_bind(s);
        });
    add_net_method(
        udp, t, k, "stream", {{"remote-address", t.a.option(n.socket_address)}},
        res(t.a.tuple({t.own(Kind::IncomingDatagramStream), t.own(Kind::OutgoingDatagramStream)})),
        [](const Call& c, Object& o, NetSocket& s,
           std::span<const Val> a) -> Result<std::optional<Val>> {
            if (s.state != State::Bound) return net_err(invalid_state);
            if (const Val* remote = a[1].payload()) {
                struct sockaddr_storage ss = to_sockaddr(*remote);
                if (auto e = check_remote(c.state, s, ss)) return net_err(*e);
                if (::connect(s.fd.get(), reinterpret_cast<struct sockaddr*>(&ss),
                              sockaddr_len(ss)) < 0)
                    return net_errno(errno);
                s.udp_connected = true;
                s.udp_remote = ss;
            } else if (s.udp_connected) {
                struct sockaddr unspec {};
                unspec.sa_family = AF_UNSPEC;
                ::connect(s.fd.get(), &unspec, sizeof unspec);
                s.udp_connected = false;
            }
            // Streams from an earlier call stop working.
            uint32_t gen = ++s.stream_generation;
            Object in = net_object(Kind::IncomingDatagramStream, o.net);
            in.generation = gen;
            Object out = net_object(Kind::OutgoingDatagramStream, o.net);
            out.generation = gen;
            return some(Val::ok(Val::tuple({c.own(std::move(in)), c.own(std::move(out))})));
        });
    add_net_method(
        udp, t, k, "local-address", {}, res(n.socket_address),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (s.state == State::Unbound) return net_err(invalid_state);
            return address_of(s, false);
        });
    add_net_method(
        udp, t, k, "remote-address", {}, res(n.socket_address),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (!s.udp_connected) return net_err(invalid_state);
            return address_of(s, true);
        });
    add_common_options(udp, t, n, k, "unicast-hop-limit");
    add_net_method(
        udp, t, k, "subscribe", {}, t.own(Kind::Pollable),
        [](const Call& c, Object&, NetSocket&, std::span<const Val>) -> Result<std::optional<Val>> {
            return some(ready_pollable(c));
        });

    const Kind ik = Kind::IncomingDatagramStream, ok = Kind::OutgoingDatagramStream;
    add_net_method(udp, t, ik, "receive", {{"max-results", t.u64}},
                   res(t.a.list(incoming_datagram)),
                   [](const Call&, Object& o, NetSocket& s,
                      std::span<const Val> a) -> Result<std::optional<Val>> {
                       if (o.generation != s.stream_generation) return net_err(invalid_state);
                       std::vector<Val> got;
                       std::vector<uint8_t> buf(max_datagram_size);
                       uint64_t want = std::min(a[1].as_u64(), max_datagrams);
                       while (got.size() < want) {
                           struct sockaddr_storage from {};
                           socklen_t len = sizeof from;
                           ssize_t r = ::recvfrom(s.fd.get(), buf.data(), buf.size(), MSG_DONTWAIT,
                                                  reinterpret_cast<struct sockaddr*>(&from), &len);
                           if (r < 0 && errno == EINTR) continue;
                           if (r < 0) {
                               if (errno == EAGAIN || errno == EWOULDBLOCK || !got.empty()) break;
                               return net_errno(errno);
                           }
                           got.push_back(Val::record({bytes_val(buf.data(), static_cast<size_t>(r)),
                                                      socket_address_val(from)}));
                       }
                       return some(Val::ok(Val::list(std::move(got))));
                   });
    add_net_method(udp, t, ik, "subscribe", {}, t.own(Kind::Pollable),
                   [](const Call& c, Object&, NetSocket& s,
                      std::span<const Val>) -> Result<std::optional<Val>> {
                       return some(fd_pollable(c, s.fd.get(), POLLIN));
                   });
    add_net_method(udp, t, ok, "check-send", {}, res(t.u64),
                   [](const Call&, Object& o, NetSocket& s,
                      std::span<const Val>) -> Result<std::optional<Val>> {
                       if (o.generation != s.stream_generation) return net_err(invalid_state);
                       o.permits = max_datagrams;
                       return some(Val::ok(Val::u64(max_datagrams)));
                   });
    add_net_method(
        udp, t, ok, "send", {{"datagrams", t.a.list(outgoing_datagram)}}, res(t.u64),
        [](const Call& c, Object& o, NetSocket& s,
           std::span<const Val> a) -> Result<std::optional<Val>> {
            if (o.generation != s.stream_generation) return net_err(invalid_state);
            const auto& datagrams = a[1].elems;
            // udp.wit: sending more than check-send permitted traps.
            if (datagrams.size() > o.permits)
                return trap(fmt::format("wasi:sockets/udp: send of {} datagrams, check-send "
                                        "permitted {}",
                                        datagrams.size(), o.permits));
            uint64_t sent = 0;
            for (const Val& d : datagrams) {
                std::vector<uint8_t> data = val_bytes(d.elems[0]);
                const Val* to = d.elems[1].payload();
                ssize_t r;
                if (s.udp_connected) {
                    if (to) {
                        struct sockaddr_storage ss = to_sockaddr(*to);
                        if (!same_ip(ss, s.udp_remote) || port_of(ss) != port_of(s.udp_remote))
                            return sent ? some(Val::ok(Val::u64(sent))) : net_err(invalid_argument);
                    }
                    r = ::send(s.fd.get(), data.data(), data.size(), MSG_DONTWAIT);
                } else {
                    if (!to)
                        return sent ? some(Val::ok(Val::u64(sent))) : net_err(invalid_argument);
                    struct sockaddr_storage ss = to_sockaddr(*to);
                    if (auto e = check_remote(c.state, s, ss))
                        return sent ? some(Val::ok(Val::u64(sent))) : net_err(*e);
                    r = ::sendto(s.fd.get(), data.data(), data.size(), MSG_DONTWAIT,
                                 reinterpret_cast<struct sockaddr*>(&ss), sockaddr_len(ss));
                }
                if (r < 0) {
                    if (sent || errno == EAGAIN || errno == EWOULDBLOCK) break;
                    return net_errno(errno);
                }
                ++sent;
            }
            o.permits -= sent;
            return some(Val::ok(Val::u64(sent)));
        });
    add_net_method(udp, t, ok, "subscribe", {}, t.own(Kind::Pollable),
                   [](const Call& c, Object&, NetSocket& s,
                      std::span<const Val>) -> Result<std::optional<Val>> {
                       return some(fd_pollable(c, s.fd.get(), POLLOUT));
                   });
    st.interfaces.push_back(std::move(udp));
}

// ---------------------------------------------------------------- name lookup

// A host name as resolve-addresses accepts it: 1-253 characters of letters, digits, '-', '.'
// (or an IP literal, which also has ':').
bool plausible_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' ||
               ch == ':' || ch == '_';
    });
}

std::optional<struct sockaddr_storage> parse_ip(const std::string& text) {
    struct sockaddr_storage ss {};
    auto* v4 = reinterpret_cast<struct sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
        ss.ss_family = AF_INET;
        return ss;
    }
    std::string inner = text.size() > 2 && text.front() == '[' && text.back() == ']'
                            ? text.substr(1, text.size() - 2)
                            : text;
    if (::inet_pton(AF_INET6, inner.c_str(), &v6->sin6_addr) == 1) {
        ss.ss_family = AF_INET6;
        return ss;
    }
    return std::nullopt;
}

void define_name_lookup(Host::State& st, Types& t, const NetTypes& n) {
    auto res = [&](const ValType* ok) { return n.result(t, ok); };
    InterfaceDef lookup{"wasi:sockets/ip-name-lookup",
                        {},
                        {Kind::Pollable, Kind::Network, Kind::ResolveAddressStream}};
    lookup.funcs.push_back(
        {"resolve-addresses",
         t.func({{"network", t.borrow(Kind::Network)}, {"name", t.string}},
                res(t.own(Kind::ResolveAddressStream))),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY(c.state.get(a[0], Kind::Network));
             const std::string& name = a[1].as_string();
             if (!plausible_name(name)) return net_err(invalid_argument);
             auto s = std::make_shared<NetSocket>();
             if (auto ip = parse_ip(name)) {
                 s->resolved.push_back(*ip);
             } else {
                 // Only names a grant names, with the addresses found when the host started.
                 bool granted = false;
                 for (const auto& g : c.state.socket_grants) {
                     if (!strcasecmp(g.host.c_str(), name.c_str())) {
                         granted = true;
                         for (const auto& addr : g.addresses) {
                             bool dup =
                                 std::any_of(s->resolved.begin(), s->resolved.end(),
                                             [&](const auto& have) { return same_ip(have, addr); });
                             if (!dup) s->resolved.push_back(addr);
                         }
                     }
                 }
                 if (!granted) return net_err(access_denied);
             }
             Object o;
             o.kind = Kind::ResolveAddressStream;
             o.net = std::move(s);
             return some(Val::ok(c.own(std::move(o))));
         }});
    add_net_method(
        lookup, t, Kind::ResolveAddressStream, "resolve-next-address", {},
        res(t.a.option(n.ip_address)),
        [](const Call&, Object&, NetSocket& s, std::span<const Val>) -> Result<std::optional<Val>> {
            if (s.next_resolved >= s.resolved.size()) return some(Val::ok(Val::none()));
            return some(Val::ok(Val::some(ip_address_val(s.resolved[s.next_resolved++]))));
        });
    add_net_method(
        lookup, t, Kind::ResolveAddressStream, "subscribe", {}, t.own(Kind::Pollable),
        [](const Call& c, Object&, NetSocket&, std::span<const Val>) -> Result<std::optional<Val>> {
            return some(ready_pollable(c));
        });
    st.interfaces.push_back(std::move(lookup));
}

} // namespace

void define_sockets(Host::State& st, Types& t) {
    NetTypes n(t);
    InterfaceDef network{"wasi:sockets/network", {}, {Kind::Error, Kind::Network}};
    network.funcs.push_back(
        {"network-error-code", t.func({{"err", t.borrow(Kind::Error)}}, t.a.option(n.error_code)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * e, c.state.get(a[0], Kind::Error));
             if (e->error_errno == 0) return some(Val::none());
             return some(Val::some(Val::enumeration(error_of_errno(e->error_errno))));
         }});
    st.interfaces.push_back(std::move(network));

    InterfaceDef instance{"wasi:sockets/instance-network", {}, {Kind::Network}};
    instance.funcs.push_back(
        {"instance-network", t.func({}, t.own(Kind::Network)),
         [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
             Object o;
             o.kind = Kind::Network;
             return some(c.own(std::move(o)));
         }});
    st.interfaces.push_back(std::move(instance));

    for (bool tcp : {true, false}) {
        InterfaceDef create{tcp ? "wasi:sockets/tcp-create-socket"
                                : "wasi:sockets/udp-create-socket",
                            {},
                            {Kind::Network, tcp ? Kind::TcpSocket : Kind::UdpSocket}};
        create.funcs.push_back(
            {tcp ? "create-tcp-socket" : "create-udp-socket",
             t.func({{"address-family", n.family}},
                    n.result(t, t.own(tcp ? Kind::TcpSocket : Kind::UdpSocket))),
             [tcp](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 return create_socket(c, a[0], tcp);
             }});
        st.interfaces.push_back(std::move(create));
    }
    define_tcp(st, t, n);
    define_udp(st, t, n);
    define_name_lookup(st, t, n);
}

Result<Config::SocketGrant> parse_socket_grant(std::string_view text, Config::Protocol protocol) {
    auto bad = [&](std::string_view why) {
        return Error(ErrorKind::Usage, fmt::format("socket grant `{}`: {}", text, why));
    };
    Config::SocketGrant g;
    g.protocol = protocol;
    std::string_view host = text, port;
    if (text.starts_with('[')) {
        size_t close = text.find(']');
        if (close == std::string_view::npos) return bad("no `]` after an IPv6 address");
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return bad("expected `:PORT` after `]`");
            port = rest.substr(1);
            if (port.empty()) return bad("empty port");
        }
    } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
        if (text.find(':', colon + 1) != std::string_view::npos)
            return bad("an IPv6 address needs brackets: [ADDRESS]:PORT");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return bad("empty port");
    }
    if (!plausible_name(host)) return bad("not a host name or IP address");
    g.host = std::string(host);
    if (!port.empty() && port != "*") {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return bad("the port must be 1-65535 or *");
        g.port = static_cast<uint16_t>(value);
    }
    return g;
}

Result<std::vector<struct sockaddr_storage>> resolve_grant_host(const std::string& host) {
    if (auto ip = parse_ip(host)) return std::vector<struct sockaddr_storage>{*ip};
    struct addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* list = nullptr;
    int r = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (r != 0)
        return Error(ErrorKind::Io, fmt::format("cannot resolve `{}`: {}", host, gai_strerror(r)));
    std::vector<struct sockaddr_storage> out;
    for (auto* ai = list; ai; ai = ai->ai_next) {
        struct sockaddr_storage ss {};
        std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        if (ss.ss_family == AF_INET)
            reinterpret_cast<struct sockaddr_in*>(&ss)->sin_port = 0;
        else
            reinterpret_cast<struct sockaddr_in6*>(&ss)->sin6_port = 0;
        out.push_back(ss);
    }
    ::freeaddrinfo(list);
    return out;
}

} // namespace cirrus::wasi
