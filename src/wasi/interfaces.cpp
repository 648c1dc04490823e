// The WASI 0.2 interfaces, each as the WIT in wasi-*@0.2.12 spells it (names, parameter names,
// types), with its implementation: wasi:io/error, poll, streams; wasi:clocks/monotonic-clock,
// wall-clock; wasi:random/random, insecure, insecure-seed; wasi:cli/environment, exit, stdin,
// stdout, stderr, terminal-*; wasi:filesystem/types and preopens (no directory unless granted;
// paths confined beneath the granted ones by the kernel, openat2 RESOLVE_BENEATH; set-times,
// links, symlinks, rename, readlink and metadata-hash answer `unsupported`).
#include "interface_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cirrus::wasi {

using component::Case;
using component::Field;
using component::TypeKind;

uint64_t monotonic_now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

Error trap(std::string message) {
    return Error(ErrorKind::Trap, std::move(message));
}

Val bytes_val(const uint8_t* data, size_t n) {
    return Val::bytes(std::span<const uint8_t>(data, n));
}

std::vector<uint8_t> val_bytes(const Val& list) {
    if (const std::string* b = list.packed_bytes())
        return std::vector<uint8_t>(b->begin(), b->end());
    std::vector<uint8_t> out;
    out.reserve(list.elems.size());
    for (const auto& e : list.elems) out.push_back(static_cast<uint8_t>(e.bits));
    return out;
}

Result<std::vector<uint8_t>> random_bytes(uint64_t len) {
    if (len > max_chunk)
        return trap(
            fmt::format("wasi:random: {} bytes asked for, at most {} at a time", len, max_chunk));
    std::vector<uint8_t> out(len);
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = getrandom(out.data() + got, out.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error(ErrorKind::Io, fmt::format("getrandom: {}", std::strerror(errno)));
        }
        got += static_cast<size_t>(n);
    }
    return out;
}

Result<uint64_t> random_u64() {
    CIRRUS_TRY_ASSIGN(auto b, random_bytes(8));
    uint64_t v = 0;
    std::memcpy(&v, b.data(), 8);
    return v;
}

std::optional<Val> some(Val v) {
    return std::optional<Val>(std::move(v));
}

std::string method_name(Kind k, std::string_view name) {
    return fmt::format("[method]{}.{}", resource_name(k), name);
}

// ---------------------------------------------------------------- wasi:io

// stream-error: variant { last-operation-failed(own<error>), closed }
Val stream_closed() {
    return Val::err(Val::variant(1, std::nullopt));
}
Val stream_failed(const Call& c, std::string message, int error_errno) {
    Object e;
    e.kind = Kind::Error;
    e.message = std::move(message);
    e.error_errno = error_errno;
    return Val::err(Val::variant(0, c.own(std::move(e))));
}

Val stream_failed_http(const Call& c, std::string message, std::optional<Val> http_error) {
    Object e;
    e.kind = Kind::Error;
    e.message = std::move(message);
    e.http_error = std::move(http_error);
    return Val::err(Val::variant(0, c.own(std::move(e))));
}

Val ready_pollable(const Call& c) {
    Object p;
    p.kind = Kind::Pollable;
    return c.own(std::move(p));
}

Val fd_pollable(const Call& c, int fd, short events) {
    Object p;
    p.kind = Kind::Pollable;
    p.wait_fd = fd;
    p.wait_events = events;
    return c.own(std::move(p));
}

void sleep_until_ns(uint64_t deadline) {
    uint64_t now = monotonic_now_ns();
    if (deadline > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - now));
}

namespace {

// Waits until `fd` has one of `events` (or an error or hang-up) or `timeout_ms` passes (-1:
// no limit); true when it has.
bool wait_fd(int fd, short events, int timeout_ms) {
    struct pollfd p {
        fd, events, 0
    };
    for (;;) {
        int n = ::poll(&p, 1, timeout_ms);
        if (n < 0 && errno == EINTR) continue;
        return n > 0;
    }
}

} // namespace

Result<std::optional<Val>> stream_read(const Call& c, const Val& self, uint64_t len, bool discard,
                                       bool blocking) {
    CIRRUS_TRY_ASSIGN(Object * s, c.state.get(self, Kind::InputStream));
    size_t want = std::min(len, max_chunk);
    if (want == 0) return some(discard ? Val::ok(Val::u64(0)) : Val::ok(Val::bytes(std::string())));
    if (s->source) {
        std::shared_ptr<ByteSource> src = s->source;
        std::string data, error;
        for (;;) {
            ByteSource::Status st = src->read(data, want, error);
            if (st == ByteSource::Status::End) return some(stream_closed());
            if (st == ByteSource::Status::Failed)
                return some(stream_failed_http(c, error, src->http_error()));
            if (st == ByteSource::Status::Data || !blocking) break;
            Object waiter;
            waiter.kind = Kind::Pollable;
            waiter.check = [src] { return src->readiness(); };
            Object* one[] = {&waiter};
            CIRRUS_TRY(wait_ready(c.state, one));
        }
        if (discard) return some(Val::ok(Val::u64(data.size())));
        return some(Val::ok(Val::bytes(std::move(data))));
    }
    std::vector<uint8_t> buf(want);
    auto nothing = [&] {
        return some(discard ? Val::ok(Val::u64(0)) : Val::ok(Val::bytes(std::string())));
    };
    // A non-blocking read returns what is there now, possibly nothing.
    if (!blocking && s->fd >= 0 && !s->offset && !wait_fd(s->fd, POLLIN, 0)) return nothing();
    ssize_t n;
    for (;;) {
        if (s->fd < 0)
            n = 0;
        else if (s->offset)
            n = ::pread(s->fd, buf.data(), buf.size(), static_cast<off_t>(*s->offset));
        else
            n = ::read(s->fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!blocking) return nothing();
            wait_fd(s->fd, POLLIN, -1);
            continue;
        }
        break;
    }
    if (n > 0 && s->offset) *s->offset += static_cast<uint64_t>(n);
    if (n < 0) return some(stream_failed(c, fmt::format("read: {}", std::strerror(errno)), errno));
    if (n == 0) return some(stream_closed());
    if (discard) return some(Val::ok(Val::u64(static_cast<uint64_t>(n))));
    return some(Val::ok(bytes_val(buf.data(), static_cast<size_t>(n))));
}

std::optional<Val> stream_write(const Call& c, Object* s, const std::vector<uint8_t>& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n;
        if (s->append) {
            struct stat sb;
            n = ::fstat(s->fd, &sb) < 0
                    ? -1
                    : ::pwrite(s->fd, data.data() + done, data.size() - done, sb.st_size);
        } else if (s->offset) {
            n = ::pwrite(s->fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(*s->offset));
            if (n > 0) *s->offset += static_cast<uint64_t>(n);
        } else {
            n = ::write(s->fd, data.data() + done, data.size() - done);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // A non-blocking descriptor (a socket) that is full: wait for room. check-write
            // promised room for the whole write, so this host takes it all.
            wait_fd(s->fd, POLLOUT, -1);
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return some(stream_closed());
        if (n < 0)
            return some(stream_failed(c, fmt::format("write: {}", std::strerror(errno)), errno));
        done += static_cast<size_t>(n);
    }
    return some(Val::ok(std::nullopt));
}

void add_method(InterfaceDef& iface, Types& t, Kind k, std::string_view name,
                std::vector<std::pair<std::string, const ValType*>> params, const ValType* result,
                Body body) {
    iface.funcs.push_back({method_name(k, name), t.method(k, std::move(params), result),
                           [k, body = std::move(body)](const Call& c, std::span<const Val> a)
                               -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(Object * o, c.state.get(a[0], k));
                               return body(c, *o, a);
                           }});
}

Readiness readiness_of(const Object& p) {
    if (p.wait_fd >= 0) {
        // Ready when poll(2) reports one of the events on the descriptor.
        Readiness r;
        r.fd = p.wait_fd;
        r.events = p.wait_events;
        pollfd one{r.fd, r.events, 0};
        r.ready = ::poll(&one, 1, 0) > 0;
        return r;
    }
    if (p.check) {
        Readiness r = p.check();
        // Waiting on a descriptor: ready as soon as it is (the check itself does not read).
        if (!r.ready && r.fd >= 0) {
            pollfd one{r.fd, r.events, 0};
            r.ready = ::poll(&one, 1, 0) > 0;
        }
        return r;
    }
    Readiness r;
    r.ready = p.deadline_ns <= monotonic_now_ns();
    r.deadline_ns = p.deadline_ns;
    return r;
}

Result<std::vector<uint32_t>> wait_ready(Host::State& st, std::span<Object* const> pollables) {
    std::vector<pollfd> fds;
    for (;;) {
        std::vector<uint32_t> ready;
        fds.clear();
        uint64_t earliest = UINT64_MAX;
        for (size_t i = 0; i < pollables.size(); ++i) {
            Readiness r = readiness_of(*pollables[i]);
            if (r.ready) {
                ready.push_back(static_cast<uint32_t>(i));
                continue;
            }
            if (r.fd >= 0) fds.push_back(pollfd{r.fd, r.events, 0});
            earliest = std::min(earliest, r.deadline_ns);
        }
        if (!ready.empty()) return ready;
        if (st.waker->cancelled()) return trap("interrupted: the guest ran past its deadline");
        fds.push_back(pollfd{st.waker->fd(), POLLIN, 0});
        int timeout_ms = -1;
        if (earliest != UINT64_MAX) {
            uint64_t now = monotonic_now_ns();
            uint64_t left = earliest > now ? earliest - now : 0;
            timeout_ms = static_cast<int>(std::min<uint64_t>((left + 999999) / 1000000, 60000));
        }
        int n = ::poll(fds.data(), fds.size(), timeout_ms);
        if (n < 0 && errno != EINTR)
            return Error(ErrorKind::Io, fmt::format("poll: {}", std::strerror(errno)));
        if (fds.back().revents) st.waker->drain();
    }
}

// A pollable that is ready when `check` says so.
Val pollable_for(const Call& c, std::function<Readiness()> check) {
    Object p;
    p.kind = Kind::Pollable;
    p.check = std::move(check);
    return c.own(std::move(p));
}

Result<std::optional<Val>> sink_result(const Call& c, ByteSink& sink, ByteSink::Status st,
                                       std::string error) {
    if (st == ByteSink::Status::Closed) return some(stream_closed());
    if (st == ByteSink::Status::Failed)
        return some(stream_failed_http(c, std::move(error), sink.http_error()));
    return some(Val::ok(std::nullopt));
}

// Waits until the sink accepts writes again (blocking-write-and-flush, blocking-flush).
Result<void> wait_sink(const Call& c, const std::shared_ptr<ByteSink>& sink) {
    Object waiter;
    waiter.kind = Kind::Pollable;
    waiter.check = [sink] { return sink->readiness(); };
    Object* one[] = {&waiter};
    CIRRUS_TRY(wait_ready(c.state, one));
    return {};
}

// Writes `data` to an output stream that is an HTTP body. Writes beyond what check-write
// allowed fail, as streams.wit says they must, unless `blocking`.
Result<std::optional<Val>> sink_write(const Call& c, Object* s, const std::vector<uint8_t>& data,
                                      bool blocking) {
    {
        std::shared_ptr<ByteSink> sink = s->sink;
        std::string error;
        size_t done = 0;
        while (done < data.size() || (blocking && done == 0 && data.empty())) {
            uint64_t room = sink->check_write();
            if (room == 0) {
                if (!blocking)
                    return some(stream_failed(c, "write: more than check-write permitted"));
                CIRRUS_TRY(wait_sink(c, sink));
                continue;
            }
            size_t n = std::min<uint64_t>(room, data.size() - done);
            if (!blocking && n < data.size())
                return some(stream_failed(c, "write: more than check-write permitted"));
            auto st = sink->write(std::span(data.data() + done, n), error);
            if (st != ByteSink::Status::Ok) return sink_result(c, *sink, st, error);
            done += n;
            if (data.empty()) break;
        }
        if (blocking) {
            auto st = sink->flush(error);
            if (st != ByteSink::Status::Ok) return sink_result(c, *sink, st, error);
            CIRRUS_TRY(wait_sink(c, sink));
        }
        return some(Val::ok(std::nullopt));
    }
}

namespace {

// Output streams are host descriptors or HTTP bodies.
Result<std::optional<Val>> write_any(const Call& c, Object* s, const std::vector<uint8_t>& data,
                                     bool blocking) {
    if (s->sink) return sink_write(c, s, data, blocking);
    return stream_write(c, s, data);
}

void define_io(Host::State& st, Types& t) {
    const ValType* stream_error =
        t.a.variant({Case{"last-operation-failed", t.own(Kind::Error)}, Case{"closed", nullptr}});
    const ValType* r_bytes = t.a.result(t.bytes, stream_error);
    const ValType* r_u64 = t.a.result(t.u64, stream_error);
    const ValType* r_unit = t.a.result(nullptr, stream_error);

    InterfaceDef error{"wasi:io/error", {}, {Kind::Error}};
    error.funcs.push_back({method_name(Kind::Error, "to-debug-string"),
                           t.method(Kind::Error, {}, t.string),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(Object * e, c.state.get(a[0], Kind::Error));
                               return some(Val::string(e->message));
                           }});
    st.interfaces.push_back(std::move(error));

    InterfaceDef poll{"wasi:io/poll", {}, {Kind::Pollable}};
    poll.funcs.push_back({method_name(Kind::Pollable, "ready"),
                          t.method(Kind::Pollable, {}, t.boolean),
                          [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                              CIRRUS_TRY_ASSIGN(Object * p, c.state.get(a[0], Kind::Pollable));
                              return some(Val::boolean(readiness_of(*p).ready));
                          }});
    poll.funcs.push_back({method_name(Kind::Pollable, "block"),
                          t.method(Kind::Pollable, {}, nullptr),
                          [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                              CIRRUS_TRY_ASSIGN(Object * p, c.state.get(a[0], Kind::Pollable));
                              Object* one[] = {p};
                              CIRRUS_TRY(wait_ready(c.state, one));
                              return std::optional<Val>();
                          }});
    poll.funcs.push_back(
        {"poll", t.func({{"in", t.a.list(t.borrow(Kind::Pollable))}}, t.a.list(t.u32)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             const auto& in = a[0].elems;
             // poll.wit: "If the list contains more elements than can be indexed
             // with a u32 value, this function traps"; an empty list would block
             // forever.
             if (in.empty()) return trap("wasi:io/poll.poll: empty list of pollables");
             if (in.size() > UINT32_MAX) return trap("wasi:io/poll.poll: too many pollables");
             std::vector<Object*> ps;
             for (const auto& h : in) {
                 CIRRUS_TRY_ASSIGN(Object * p, c.state.get(h, Kind::Pollable));
                 ps.push_back(p);
             }
             CIRRUS_TRY_ASSIGN(std::vector<uint32_t> ready, wait_ready(c.state, ps));
             std::vector<Val> out;
             for (uint32_t i : ready) out.push_back(Val::u32(i));
             return some(Val::list(std::move(out)));
         }});
    st.interfaces.push_back(std::move(poll));

    InterfaceDef streams{"wasi:io/streams",
                         {},
                         {Kind::Error, Kind::Pollable, Kind::InputStream, Kind::OutputStream}};
    auto in_method = [&](std::string_view name, const ValType* result, bool discard,
                         bool blocking) {
        streams.funcs.push_back({method_name(Kind::InputStream, name),
                                 t.method(Kind::InputStream, {{"len", t.u64}}, result),
                                 [discard, blocking](const Call& c, std::span<const Val> a)
                                     -> Result<std::optional<Val>> {
                                     return stream_read(c, a[0], a[1].as_u64(), discard, blocking);
                                 }});
    };
    in_method("read", r_bytes, false, false);
    in_method("blocking-read", r_bytes, false, true);
    in_method("skip", r_u64, true, false);
    in_method("blocking-skip", r_u64, true, true);
    streams.funcs.push_back(
        {method_name(Kind::InputStream, "subscribe"),
         t.method(Kind::InputStream, {}, t.own(Kind::Pollable)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::InputStream));
             if (s->source) {
                 std::shared_ptr<ByteSource> src = s->source;
                 return some(pollable_for(c, [src] { return src->readiness(); }));
             }
             // Ready when the descriptor can be read without blocking (always, for files).
             if (s->fd < 0) return some(ready_pollable(c));
             return some(fd_pollable(c, s->fd, POLLIN));
         }});
    streams.funcs.push_back(
        {method_name(Kind::OutputStream, "subscribe"),
         t.method(Kind::OutputStream, {}, t.own(Kind::Pollable)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::OutputStream));
             if (s->sink) {
                 std::shared_ptr<ByteSink> sink = s->sink;
                 return some(pollable_for(c, [sink] { return sink->readiness(); }));
             }
             if (s->fd < 0) return some(ready_pollable(c));
             return some(fd_pollable(c, s->fd, POLLOUT));
         }});
    streams.funcs.push_back(
        {method_name(Kind::OutputStream, "check-write"), t.method(Kind::OutputStream, {}, r_u64),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::OutputStream));
             if (!s->sink) return some(Val::ok(Val::u64(max_chunk)));
             std::string error;
             uint64_t room = s->sink->check_write();
             if (room == 0) {
                 // A sink that cannot take more because it failed or closed says so here.
                 auto st = s->sink->write({}, error);
                 if (st != ByteSink::Status::Ok) return sink_result(c, *s->sink, st, error);
             }
             return some(Val::ok(Val::u64(std::min(room, max_chunk))));
         }});
    for (bool blocking : {false, true}) {
        streams.funcs.push_back(
            {method_name(Kind::OutputStream, blocking ? "blocking-write-and-flush" : "write"),
             t.method(Kind::OutputStream, {{"contents", t.bytes}}, r_unit),
             [blocking](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::OutputStream));
                 return write_any(c, s, val_bytes(a[1]), blocking);
             }});
    }
    for (bool blocking : {false, true}) {
        streams.funcs.push_back(
            {method_name(Kind::OutputStream,
                         blocking ? "blocking-write-zeroes-and-flush" : "write-zeroes"),
             t.method(Kind::OutputStream, {{"len", t.u64}}, r_unit),
             [blocking](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::OutputStream));
                 if (a[1].as_u64() > max_chunk)
                     return trap("wasi:io/streams: write-zeroes longer than check-write allows");
                 return write_any(c, s, std::vector<uint8_t>(a[1].as_u64(), 0), blocking);
             }});
    }
    // Descriptor writes go straight to the host descriptor: there is nothing to flush.
    for (bool blocking : {false, true}) {
        streams.funcs.push_back(
            {method_name(Kind::OutputStream, blocking ? "blocking-flush" : "flush"),
             t.method(Kind::OutputStream, {}, r_unit),
             [blocking](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 CIRRUS_TRY_ASSIGN(Object * s, c.state.get(a[0], Kind::OutputStream));
                 if (!s->sink) return some(Val::ok(std::nullopt));
                 std::shared_ptr<ByteSink> sink = s->sink;
                 std::string error;
                 auto st = sink->flush(error);
                 if (st != ByteSink::Status::Ok) return sink_result(c, *sink, st, error);
                 if (blocking) CIRRUS_TRY(wait_sink(c, sink));
                 return some(Val::ok(std::nullopt));
             }});
    }
    for (bool blocking : {false, true}) {
        streams.funcs.push_back(
            {method_name(Kind::OutputStream, blocking ? "blocking-splice" : "splice"),
             t.method(Kind::OutputStream, {{"src", t.borrow(Kind::InputStream)}, {"len", t.u64}},
                      r_u64),
             [blocking](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 CIRRUS_TRY_ASSIGN(Object * out, c.state.get(a[0], Kind::OutputStream));
                 uint64_t len = a[2].as_u64();
                 if (out->sink)
                     len = std::min(len,
                                    std::max<uint64_t>(out->sink->check_write(), blocking ? 1 : 0));
                 CIRRUS_TRY_ASSIGN(std::optional<Val> got,
                                   stream_read(c, a[1], len, false, blocking));
                 if (got->case_index() != 0) return got; // closed or failed: as the read said
                 std::vector<uint8_t> data = val_bytes(got->elems.at(0));
                 if (data.empty()) return some(Val::ok(Val::u64(0)));
                 // The read may have run guest-visible host code; look the stream up again.
                 CIRRUS_TRY_ASSIGN(out, c.state.get(a[0], Kind::OutputStream));
                 CIRRUS_TRY_ASSIGN(std::optional<Val> wrote, write_any(c, out, data, blocking));
                 if (wrote->case_index() != 0) return wrote;
                 return some(Val::ok(Val::u64(data.size())));
             }});
    }
    st.interfaces.push_back(std::move(streams));
}

// ---------------------------------------------------------------- wasi:clocks, wasi:random

void define_clocks_random(Host::State& st, Types& t) {
    InterfaceDef mono{"wasi:clocks/monotonic-clock", {}, {Kind::Pollable}};
    mono.funcs.push_back({"now", t.func({}, t.u64),
                          [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                              return some(Val::u64(monotonic_now_ns()));
                          }});
    mono.funcs.push_back({"resolution", t.func({}, t.u64),
                          [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                              return some(Val::u64(1));
                          }});
    auto subscribe = [&](const char* name, const char* param, bool relative) {
        mono.funcs.push_back(
            {name, t.func({{param, t.u64}}, t.own(Kind::Pollable)),
             [relative](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                 Object p;
                 p.kind = Kind::Pollable;
                 uint64_t now = monotonic_now_ns();
                 uint64_t d = a[0].as_u64();
                 p.deadline_ns = relative ? (d > UINT64_MAX - now ? UINT64_MAX : now + d) : d;
                 return some(c.own(std::move(p)));
             }});
    };
    subscribe("subscribe-instant", "when", false);
    subscribe("subscribe-duration", "when", true);
    st.interfaces.push_back(std::move(mono));

    const ValType* datetime = t.a.record({Field{"seconds", t.u64}, Field{"nanoseconds", t.u32}});
    InterfaceDef wall{"wasi:clocks/wall-clock", {}, {}};
    wall.funcs.push_back({"now", t.func({}, datetime),
                          [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                              auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
                              if (ns < 0) ns = 0;
                              return some(
                                  Val::record({Val::u64(static_cast<uint64_t>(ns) / 1000000000),
                                               Val::u32(static_cast<uint32_t>(ns % 1000000000))}));
                          }});
    wall.funcs.push_back({"resolution", t.func({}, datetime),
                          [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                              return some(Val::record({Val::u64(0), Val::u32(1)}));
                          }});
    st.interfaces.push_back(std::move(wall));

    // wasi:random/insecure has the same shape; the host's secure source serves both.
    for (const char* iface : {"wasi:random/random", "wasi:random/insecure"}) {
        bool secure = std::string_view(iface) == "wasi:random/random";
        InterfaceDef r{iface, {}, {}};
        r.funcs.push_back({secure ? "get-random-bytes" : "get-insecure-random-bytes",
                           t.func({{"len", t.u64}}, t.bytes),
                           [](const Call&, std::span<const Val> a) -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(auto b, random_bytes(a[0].as_u64()));
                               return some(bytes_val(b.data(), b.size()));
                           }});
        r.funcs.push_back({secure ? "get-random-u64" : "get-insecure-random-u64", t.func({}, t.u64),
                           [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(uint64_t v, random_u64());
                               return some(Val::u64(v));
                           }});
        st.interfaces.push_back(std::move(r));
    }
    InterfaceDef seed{"wasi:random/insecure-seed", {}, {}};
    seed.funcs.push_back({"insecure-seed", t.func({}, t.a.tuple({t.u64, t.u64})),
                          [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                              CIRRUS_TRY_ASSIGN(uint64_t lo, random_u64());
                              CIRRUS_TRY_ASSIGN(uint64_t hi, random_u64());
                              return some(Val::tuple({Val::u64(lo), Val::u64(hi)}));
                          }});
    st.interfaces.push_back(std::move(seed));
}

// ---------------------------------------------------------------- wasi:cli

void define_cli(Host::State& st, Types& t) {
    InterfaceDef env{"wasi:cli/environment", {}, {}};
    env.funcs.push_back({"get-environment", t.func({}, t.a.list(t.a.tuple({t.string, t.string}))),
                         [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
                             std::vector<Val> out;
                             for (const auto& [k, v] : c.state.config.env)
                                 out.push_back(Val::tuple({Val::string(k), Val::string(v)}));
                             return some(Val::list(std::move(out)));
                         }});
    env.funcs.push_back({"get-arguments", t.func({}, t.a.list(t.string)),
                         [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
                             std::vector<Val> out;
                             for (const auto& s : c.state.config.args)
                                 out.push_back(Val::string(s));
                             return some(Val::list(std::move(out)));
                         }});
    // No directory is granted, so there is no working directory to name.
    env.funcs.push_back({"initial-cwd", t.func({}, t.a.option(t.string)),
                         [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                             return some(Val::none());
                         }});
    st.interfaces.push_back(std::move(env));

    // exit unwinds the guest as a trap the runner recognises by the recorded status.
    InterfaceDef exit{"wasi:cli/exit", {}, {}};
    exit.funcs.push_back({"exit", t.func({{"status", t.a.result(nullptr, nullptr)}}, nullptr),
                          [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                              c.state.exit_status = a[0].case_index() == 0 ? 0 : 1;
                              return trap("wasi:cli/exit called");
                          }});
    exit.funcs.push_back({"exit-with-code", t.func({{"status-code", t.u8}}, nullptr),
                          [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                              c.state.exit_status = static_cast<int>(a[0].bits & 0xff);
                              return trap("wasi:cli/exit called");
                          }});
    st.interfaces.push_back(std::move(exit));

    struct Std {
        const char* iface;
        const char* func;
        Kind kind;
        int Config::*fd;
    };
    for (const Std& s :
         {Std{"wasi:cli/stdin", "get-stdin", Kind::InputStream, &Config::stdin_fd},
          Std{"wasi:cli/stdout", "get-stdout", Kind::OutputStream, &Config::stdout_fd},
          Std{"wasi:cli/stderr", "get-stderr", Kind::OutputStream, &Config::stderr_fd}}) {
        InterfaceDef d{s.iface, {}, {s.kind}};
        d.funcs.push_back({s.func, t.func({}, t.own(s.kind)),
                           [s](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
                               Object o;
                               o.kind = s.kind;
                               o.fd = c.state.config.*s.fd;
                               return some(c.own(std::move(o)));
                           }});
        st.interfaces.push_back(std::move(d));
    }

    // No terminal is ever offered.
    st.interfaces.push_back({"wasi:cli/terminal-input", {}, {Kind::TerminalInput}});
    st.interfaces.push_back({"wasi:cli/terminal-output", {}, {Kind::TerminalOutput}});
    struct Term {
        const char* iface;
        const char* func;
        Kind kind;
    };
    for (const Term& term :
         {Term{"wasi:cli/terminal-stdin", "get-terminal-stdin", Kind::TerminalInput},
          Term{"wasi:cli/terminal-stdout", "get-terminal-stdout", Kind::TerminalOutput},
          Term{"wasi:cli/terminal-stderr", "get-terminal-stderr", Kind::TerminalOutput}}) {
        InterfaceDef d{term.iface, {}, {term.kind}};
        d.funcs.push_back({term.func, t.func({}, t.a.option(t.own(term.kind))),
                           [](const Call&, std::span<const Val>) -> Result<std::optional<Val>> {
                               return some(Val::none());
                           }});
        st.interfaces.push_back(std::move(d));
    }
}

// ---------------------------------------------------------------- wasi:filesystem

// enum error-code of types.wit, in order; one table for the names and the errno mapping.
#define CIRRUS_WASI_ERROR_CODES(X)                                                                 \
    X(access, EACCES)                                                                              \
    X(would - block, EAGAIN)                                                                       \
    X(already, EALREADY)                                                                           \
    X(bad - descriptor, EBADF)                                                                     \
    X(busy, EBUSY)                                                                                 \
    X(deadlock, EDEADLK)                                                                           \
    X(quota, EDQUOT)                                                                               \
    X(exist, EEXIST)                                                                               \
    X(file - too - large, EFBIG)                                                                   \
    X(illegal - byte - sequence, EILSEQ)                                                           \
    X(in - progress, EINPROGRESS)                                                                  \
    X(interrupted, EINTR)                                                                          \
    X(invalid, EINVAL)                                                                             \
    X(io, EIO)                                                                                     \
    X(is - directory, EISDIR)                                                                      \
    X(loop, ELOOP)                                                                                 \
    X(too - many - links, EMLINK)                                                                  \
    X(message - size, EMSGSIZE)                                                                    \
    X(name - too - long, ENAMETOOLONG)                                                             \
    X(no - device, ENODEV)                                                                         \
    X(no - entry, ENOENT)                                                                          \
    X(no - lock, ENOLCK)                                                                           \
    X(insufficient - memory, ENOMEM)                                                               \
    X(insufficient - space, ENOSPC)                                                                \
    X(not -directory, ENOTDIR)                                                                     \
    X(not -empty, ENOTEMPTY)                                                                       \
    X(not -recoverable, ENOTRECOVERABLE)                                                           \
    X(unsupported, ENOTSUP)                                                                        \
    X(no - tty, ENOTTY)                                                                            \
    X(no - such - device, ENXIO)                                                                   \
    X(overflow, EOVERFLOW)                                                                         \
    X(not -permitted, EPERM)                                                                       \
    X(pipe, EPIPE)                                                                                 \
    X(read - only, EROFS)                                                                          \
    X(invalid - seek, ESPIPE)                                                                      \
    X(text - file - busy, ETXTBSY)                                                                 \
    X(cross - device, EXDEV)

enum ErrorCode : uint32_t {
#define X(name, errno_value) ec_##errno_value,
    CIRRUS_WASI_ERROR_CODES(X)
#undef X
};

std::vector<std::string> error_code_names() {
    std::vector<std::string> names;
#define X(name, errno_value)                                                                       \
    {                                                                                              \
        std::string n = #name;                                                                     \
        n.erase(std::remove(n.begin(), n.end(), ' '), n.end());                                    \
        names.push_back(n);                                                                        \
    }
    CIRRUS_WASI_ERROR_CODES(X)
#undef X
    return names;
}

// errno after a failed host call as an error-code. EXDEV from openat2's RESOLVE_BENEATH means
// the path tried to leave the granted directory: not-permitted.
uint32_t error_code_of(int e, bool resolving) {
    if (resolving && e == EXDEV) return ec_EPERM;
    if (e == EOPNOTSUPP) return ec_ENOTSUP;
    if (e == EWOULDBLOCK) return ec_EAGAIN;
#define X(name, errno_value)                                                                       \
    if (e == errno_value) return ec_##errno_value;
    CIRRUS_WASI_ERROR_CODES(X)
#undef X
    return ec_EIO;
}

Val fs_err(uint32_t code) {
    return Val::err(Val::enumeration(code));
}
Val fs_errno(bool resolving = false) {
    return fs_err(error_code_of(errno, resolving));
}

// descriptor-flags bits, path-flags, open-flags (flags order of types.wit).
constexpr uint32_t flag_read = 1, flag_write = 2, flag_mutate_directory = 32;
constexpr uint32_t open_create = 1, open_directory = 2, open_exclusive = 4, open_truncate = 8;
constexpr uint32_t path_symlink_follow = 1;

uint32_t flag_word(const Val& flags) {
    return flags.flag_words.empty() ? 0 : flags.flag_words[0];
}

uint32_t descriptor_type_of(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFBLK: return 1;
    case S_IFCHR: return 2;
    case S_IFDIR: return 3;
    case S_IFIFO: return 4;
    case S_IFLNK: return 5;
    case S_IFREG: return 6;
    case S_IFSOCK: return 7;
    default: return 0;
    }
}

// Opens `path` beneath directory `dirfd`: the kernel refuses (EXDEV) `..` out of it, absolute
// paths, and symlinks that lead out (openat2 RESOLVE_BENEATH); /proc magic links never.
int open_beneath(int dirfd, const std::string& path, uint64_t flags, bool follow) {
    struct open_how how {};
    how.flags = flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    how.mode = (flags & O_CREAT) ? 0666 : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return static_cast<int>(fd);
}

// Splits a path for an operation on its last component: the parent opened beneath `dirfd`
// and the last name. "." and ".." as the last name are refused (not-permitted).
struct ParentAndName {
    OwnedFd parent;
    std::string name;
};
std::optional<ParentAndName> open_parent(int dirfd, std::string path, uint32_t* code) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    size_t slash = path.rfind('/');
    // "/name" keeps "/" as its parent, which open_beneath refuses as an absolute path.
    std::string dir = slash == std::string::npos ? std::string(".")
                      : slash == 0               ? std::string("/")
                                                 : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") {
        *code = ec_EPERM;
        return std::nullopt;
    }
    int fd = open_beneath(dirfd, dir, O_PATH | O_DIRECTORY, true);
    if (fd < 0) {
        *code = error_code_of(errno, true);
        return std::nullopt;
    }
    return ParentAndName{OwnedFd(fd), std::move(name)};
}

// The value types of wasi:filesystem/types.
struct FsTypes {
    const ValType* datetime = nullptr;
    const ValType* filesize = nullptr;
    const ValType* descriptor_type = nullptr;
    const ValType* descriptor_flags = nullptr;
    const ValType* opt_dt = nullptr;
    const ValType* descriptor_stat = nullptr;
    const ValType* path_flags = nullptr;
    const ValType* open_flags = nullptr;
    const ValType* new_timestamp = nullptr;
    const ValType* directory_entry = nullptr;
    const ValType* error_code = nullptr;
    const ValType* advice = nullptr;
    const ValType* hash = nullptr;
    const ValType* borrow_desc = nullptr;
    component::TypeArena* arena = nullptr;

    explicit FsTypes(Types& t) : arena(&t.a) {
        datetime = t.a.record({Field{"seconds", t.u64}, Field{"nanoseconds", t.u32}});
        filesize = t.u64;
        descriptor_type =
            t.a.enumeration({"unknown", "block-device", "character-device", "directory", "fifo",
                             "symbolic-link", "regular-file", "socket"});
        descriptor_flags = t.a.flags({"read", "write", "file-integrity-sync", "data-integrity-sync",
                                      "requested-write-sync", "mutate-directory"});
        opt_dt = t.a.option(datetime);
        descriptor_stat = t.a.record(
            {Field{"type", descriptor_type}, Field{"link-count", t.u64}, Field{"size", filesize},
             Field{"data-access-timestamp", opt_dt}, Field{"data-modification-timestamp", opt_dt},
             Field{"status-change-timestamp", opt_dt}});
        path_flags = t.a.flags({"symlink-follow"});
        open_flags = t.a.flags({"create", "directory", "exclusive", "truncate"});
        new_timestamp = t.a.variant(
            {Case{"no-change", nullptr}, Case{"now", nullptr}, Case{"timestamp", datetime}});
        directory_entry = t.a.record({Field{"type", descriptor_type}, Field{"name", t.string}});
        error_code = t.a.enumeration(error_code_names());
        advice = t.a.enumeration(
            {"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"});
        hash = t.a.record({Field{"lower", t.u64}, Field{"upper", t.u64}});
        borrow_desc = t.borrow(Kind::Descriptor);
    }
    const ValType* result(const ValType* ok) const { return arena->result(ok, error_code); }
};

Result<std::optional<Val>> unsupported(const Call&, Object&, std::span<const Val>) {
    return some(fs_err(ec_ENOTSUP));
}

Val stat_val(const struct stat& sb) {
    auto ts = [](const struct timespec& s) {
        return Val::some(Val::record({Val::u64(static_cast<uint64_t>(s.tv_sec)),
                                      Val::u32(static_cast<uint32_t>(s.tv_nsec))}));
    };
    return Val::record({Val::enumeration(descriptor_type_of(sb.st_mode)), Val::u64(sb.st_nlink),
                        Val::u64(static_cast<uint64_t>(sb.st_size)), ts(sb.st_atim), ts(sb.st_mtim),
                        ts(sb.st_ctim)});
}

// Reading, writing and describing an open descriptor.
void define_descriptor_io(InterfaceDef& iface, Types& t, const FsTypes& f) {
    [[maybe_unused]] const ValType *filesize = f.filesize, *descriptor_type = f.descriptor_type,
                                   *descriptor_flags = f.descriptor_flags,
                                   *descriptor_stat = f.descriptor_stat, *path_flags = f.path_flags,
                                   *open_flags = f.open_flags, *new_timestamp = f.new_timestamp,
                                   *advice = f.advice, *hash = f.hash, *borrow_desc = f.borrow_desc;
    auto res = [&](const ValType* ok) { return f.result(ok); };
    auto method = [&](Kind k, std::string_view name,
                      std::vector<std::pair<std::string, const ValType*>> params,
                      const ValType* result, Body body) {
        add_method(iface, t, k, name, std::move(params), result, std::move(body));
    };
    const Kind D = Kind::Descriptor;
    auto file_stream = [](const Call& c, Object& d, Kind kind, std::optional<uint64_t> offset,
                          bool append) -> Result<std::optional<Val>> {
        if (kind == Kind::InputStream ? !(d.flags & flag_read) : !(d.flags & flag_write))
            return some(fs_err(ec_EBADF));
        int fd = ::fcntl(d.fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return some(fs_errno());
        Object s;
        s.kind = kind;
        s.owned = OwnedFd(fd);
        s.fd = fd;
        s.offset = offset;
        s.append = append;
        return some(Val::ok(c.own(std::move(s))));
    };
    method(D, "read-via-stream", {{"offset", filesize}}, res(t.own(Kind::InputStream)),
           [file_stream](const Call& c, Object& d, std::span<const Val> a) {
               return file_stream(c, d, Kind::InputStream, a[1].as_u64(), false);
           });
    method(D, "write-via-stream", {{"offset", filesize}}, res(t.own(Kind::OutputStream)),
           [file_stream](const Call& c, Object& d, std::span<const Val> a) {
               return file_stream(c, d, Kind::OutputStream, a[1].as_u64(), false);
           });
    method(D, "append-via-stream", {}, res(t.own(Kind::OutputStream)),
           [file_stream](const Call& c, Object& d, std::span<const Val>) {
               return file_stream(c, d, Kind::OutputStream, std::nullopt, true);
           });
    method(D, "advise", {{"offset", filesize}, {"length", filesize}, {"advice", advice}},
           res(nullptr),
           [](const Call&, Object&, std::span<const Val>) -> Result<std::optional<Val>> {
               return some(Val::ok(std::nullopt)); // advice may be ignored
           });
    for (const char* name : {"sync-data", "sync"}) {
        method(D, name, {}, res(nullptr),
               [](const Call&, Object& d, std::span<const Val>) -> Result<std::optional<Val>> {
                   if (::fsync(d.fd) < 0 && errno != EINVAL && errno != EBADF)
                       return some(fs_errno());
                   return some(Val::ok(std::nullopt));
               });
    }
    method(D, "get-flags", {}, res(descriptor_flags),
           [](const Call&, Object& d, std::span<const Val>) -> Result<std::optional<Val>> {
               return some(Val::ok(Val::flags({d.flags})));
           });
    method(D, "get-type", {}, res(descriptor_type),
           [](const Call&, Object& d, std::span<const Val>) -> Result<std::optional<Val>> {
               struct stat sb;
               if (::fstat(d.fd, &sb) < 0) return some(fs_errno());
               return some(Val::ok(Val::enumeration(descriptor_type_of(sb.st_mode))));
           });
    method(D, "set-size", {{"size", filesize}}, res(nullptr),
           [](const Call&, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               if (!(d.flags & flag_write)) return some(fs_err(ec_EBADF));
               if (::ftruncate(d.fd, static_cast<off_t>(a[1].as_u64())) < 0)
                   return some(fs_errno());
               return some(Val::ok(std::nullopt));
           });
    method(
        D, "set-times",
        {{"data-access-timestamp", new_timestamp}, {"data-modification-timestamp", new_timestamp}},
        res(nullptr), unsupported);
    method(D, "read", {{"length", filesize}, {"offset", filesize}},
           res(t.a.tuple({t.bytes, t.boolean})),
           [](const Call&, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               if (!(d.flags & flag_read)) return some(fs_err(ec_EBADF));
               std::vector<uint8_t> buf(std::min(a[1].as_u64(), max_chunk));
               ssize_t n = ::pread(d.fd, buf.data(), buf.size(), static_cast<off_t>(a[2].as_u64()));
               if (n < 0) return some(fs_errno());
               bool end = n == 0 && !buf.empty();
               return some(Val::ok(
                   Val::tuple({bytes_val(buf.data(), static_cast<size_t>(n)), Val::boolean(end)})));
           });
    method(D, "write", {{"buffer", t.bytes}, {"offset", filesize}}, res(filesize),
           [](const Call&, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               if (!(d.flags & flag_write)) return some(fs_err(ec_EBADF));
               std::vector<uint8_t> data = val_bytes(a[1]);
               ssize_t n =
                   ::pwrite(d.fd, data.data(), data.size(), static_cast<off_t>(a[2].as_u64()));
               if (n < 0) return some(fs_errno());
               return some(Val::ok(Val::u64(static_cast<uint64_t>(n))));
           });
    method(D, "read-directory", {}, res(t.own(Kind::DirectoryEntryStream)),
           [](const Call& c, Object& d, std::span<const Val>) -> Result<std::optional<Val>> {
               int fd = open_beneath(d.fd, ".", O_RDONLY | O_DIRECTORY, true);
               if (fd < 0) return some(fs_errno());
               DIR* dir = ::fdopendir(fd);
               if (!dir) {
                   ::close(fd);
                   return some(fs_errno());
               }
               Object s;
               s.kind = Kind::DirectoryEntryStream;
               while (struct dirent* e = ::readdir(dir)) {
                   std::string name = e->d_name;
                   if (name == "." || name == "..") continue;
                   struct stat sb;
                   uint32_t type = ::fstatat(dirfd(dir), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0
                                       ? descriptor_type_of(sb.st_mode)
                                       : 0;
                   s.entries.emplace_back(std::move(name), type);
               }
               ::closedir(dir);
               return some(Val::ok(c.own(std::move(s))));
           });
    // Operations that change the directory: refused in a read-only grant.
    method(D, "stat", {}, res(descriptor_stat),
           [](const Call&, Object& d, std::span<const Val>) -> Result<std::optional<Val>> {
               struct stat sb;
               if (::fstat(d.fd, &sb) < 0) return some(fs_errno());
               return some(Val::ok(stat_val(sb)));
           });
}

// Operations on paths beneath a directory descriptor.
void define_descriptor_paths(InterfaceDef& iface, Types& t, const FsTypes& f) {
    [[maybe_unused]] const ValType *filesize = f.filesize, *descriptor_type = f.descriptor_type,
                                   *descriptor_flags = f.descriptor_flags,
                                   *descriptor_stat = f.descriptor_stat, *path_flags = f.path_flags,
                                   *open_flags = f.open_flags, *new_timestamp = f.new_timestamp,
                                   *advice = f.advice, *hash = f.hash, *borrow_desc = f.borrow_desc;
    auto res = [&](const ValType* ok) { return f.result(ok); };
    auto method = [&](Kind k, std::string_view name,
                      std::vector<std::pair<std::string, const ValType*>> params,
                      const ValType* result, Body body) {
        add_method(iface, t, k, name, std::move(params), result, std::move(body));
    };
    const Kind D = Kind::Descriptor;
    auto mutating = [&](std::string_view name, int (*op)(int, const char*)) {
        method(D, name, {{"path", t.string}}, res(nullptr),
               [op](const Call&, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (d.read_only || !(d.flags & flag_mutate_directory))
                       return some(fs_err(ec_EROFS));
                   uint32_t code = 0;
                   auto p = open_parent(d.fd, a[1].as_string(), &code);
                   if (!p) return some(fs_err(code));
                   if (op(p->parent.get(), p->name.c_str()) < 0) return some(fs_errno());
                   return some(Val::ok(std::nullopt));
               });
    };
    mutating("create-directory-at",
             [](int dir, const char* name) { return ::mkdirat(dir, name, 0777); });
    mutating("remove-directory-at",
             [](int dir, const char* name) { return ::unlinkat(dir, name, AT_REMOVEDIR); });
    mutating("unlink-file-at", [](int dir, const char* name) { return ::unlinkat(dir, name, 0); });
    method(D, "stat-at", {{"path-flags", path_flags}, {"path", t.string}}, res(descriptor_stat),
           [](const Call&, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               bool follow = flag_word(a[1]) & path_symlink_follow;
               int fd = open_beneath(d.fd, a[2].as_string(), O_PATH, follow);
               if (fd < 0) return some(fs_errno(true));
               OwnedFd owned(fd);
               struct stat sb;
               if (::fstat(fd, &sb) < 0) return some(fs_errno());
               return some(Val::ok(stat_val(sb)));
           });
    method(D, "set-times-at",
           {{"path-flags", path_flags},
            {"path", t.string},
            {"data-access-timestamp", new_timestamp},
            {"data-modification-timestamp", new_timestamp}},
           res(nullptr), unsupported);
    method(D, "link-at",
           {{"old-path-flags", path_flags},
            {"old-path", t.string},
            {"new-descriptor", borrow_desc},
            {"new-path", t.string}},
           res(nullptr), unsupported);
    method(D, "open-at",
           {{"path-flags", path_flags},
            {"path", t.string},
            {"open-flags", open_flags},
            {"flags", descriptor_flags}},
           res(t.own(Kind::Descriptor)),
           [](const Call& c, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               bool follow = flag_word(a[1]) & path_symlink_follow;
               const std::string& path = a[2].as_string();
               uint32_t oflags = flag_word(a[3]);
               uint32_t dflags = flag_word(a[4]);
               bool writes = (dflags & (flag_write | flag_mutate_directory)) ||
                             (oflags & (open_create | open_truncate));
               if (writes && d.read_only) return some(fs_err(ec_EROFS));
               uint64_t flags =
                   (dflags & flag_write) ? ((dflags & flag_read) ? O_RDWR : O_WRONLY) : O_RDONLY;
               if (oflags & open_create) flags |= O_CREAT;
               if (oflags & open_directory) flags |= O_DIRECTORY;
               if (oflags & open_exclusive) flags |= O_EXCL;
               if (oflags & open_truncate) flags |= O_TRUNC;
               int fd = open_beneath(d.fd, path, flags, follow);
               if (fd < 0) return some(fs_errno(true));
               Object o;
               o.kind = Kind::Descriptor;
               o.owned = OwnedFd(fd);
               o.fd = fd;
               o.read_only = d.read_only;
               // A directory opened from a directory may be changed as its parent may.
               o.flags = dflags & (flag_read | flag_write | flag_mutate_directory);
               if (d.flags & flag_mutate_directory && (oflags & open_directory))
                   o.flags |= flag_mutate_directory;
               return some(Val::ok(c.own(std::move(o))));
           });
    method(D, "readlink-at", {{"path", t.string}}, res(t.string), unsupported);
    method(D, "rename-at",
           {{"old-path", t.string}, {"new-descriptor", borrow_desc}, {"new-path", t.string}},
           res(nullptr), unsupported);
    method(D, "symlink-at", {{"old-path", t.string}, {"new-path", t.string}}, res(nullptr),
           unsupported);
    method(D, "is-same-object", {{"other", borrow_desc}}, t.boolean,
           [](const Call& c, Object& d, std::span<const Val> a) -> Result<std::optional<Val>> {
               CIRRUS_TRY_ASSIGN(Object * other, c.state.get(a[1], Kind::Descriptor));
               struct stat x, y;
               bool same = ::fstat(d.fd, &x) == 0 && ::fstat(other->fd, &y) == 0 &&
                           x.st_dev == y.st_dev && x.st_ino == y.st_ino;
               return some(Val::boolean(same));
           });
    method(D, "metadata-hash", {}, res(hash), unsupported);
    method(D, "metadata-hash-at", {{"path-flags", path_flags}, {"path", t.string}}, res(hash),
           unsupported);
}

void define_filesystem(Host::State& st, Types& t) {
    FsTypes f(t);
    InterfaceDef types{"wasi:filesystem/types",
                       {},
                       {Kind::InputStream, Kind::OutputStream, Kind::Error, Kind::Descriptor,
                        Kind::DirectoryEntryStream}};
    define_descriptor_io(types, t, f);
    define_descriptor_paths(types, t, f);
    const ValType* error_code = f.error_code;
    auto res = [&](const ValType* ok) { return f.result(ok); };
    add_method(types, t, Kind::DirectoryEntryStream, "read-directory-entry", {},
               res(t.a.option(f.directory_entry)),
               [](const Call&, Object& s, std::span<const Val>) -> Result<std::optional<Val>> {
                   if (s.next_entry >= s.entries.size()) return some(Val::ok(Val::none()));
                   const auto& [name, type] = s.entries[s.next_entry++];
                   return some(Val::ok(
                       Val::some(Val::record({Val::enumeration(type), Val::string(name)}))));
               });
    // Stream errors of this host carry no filesystem error code.
    types.funcs.push_back({"filesystem-error-code",
                           t.func({{"err", t.borrow(Kind::Error)}}, t.a.option(error_code)),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               CIRRUS_TRY(c.state.get(a[0], Kind::Error));
                               return some(Val::none());
                           }});
    st.interfaces.push_back(std::move(types));

    InterfaceDef preopens{"wasi:filesystem/preopens", {}, {Kind::Descriptor}};
    preopens.funcs.push_back(
        {"get-directories", t.func({}, t.a.list(t.a.tuple({t.own(Kind::Descriptor), t.string}))),
         [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
             // Denied by default: the list holds only the directories granted.
             std::vector<Val> out;
             for (const Preopen& p : c.state.preopens) {
                 int fd = ::fcntl(p.fd.get(), F_DUPFD_CLOEXEC, 0);
                 if (fd < 0) return Error(ErrorKind::Io, "cannot duplicate a preopened directory");
                 Object o;
                 o.kind = Kind::Descriptor;
                 o.owned = OwnedFd(fd);
                 o.fd = fd;
                 o.read_only = p.read_only;
                 o.flags = flag_read | (p.read_only ? 0 : flag_mutate_directory);
                 out.push_back(Val::tuple({c.own(std::move(o)), Val::string(p.guest_path)}));
             }
             return some(Val::list(std::move(out)));
         }});
    st.interfaces.push_back(std::move(preopens));
}

} // namespace

void define_interfaces(Host::State& st) {
    Types t(st.types);
    define_io(st, t);
    define_clocks_random(st, t);
    define_cli(st, t);
    define_filesystem(st, t);
    define_sockets(st, t);
    define_http(st, t);
}

} // namespace cirrus::wasi
