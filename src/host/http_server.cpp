// The HTTP/1.1 server of `cirrus serve`. Connections are accepted and request heads read
// asynchronously (Boost.Beast on one io_context run by the worker threads); the request is
// then served on the thread that read it: a fresh Store and instance of the component linked
// once per worker, incoming-handler.handle called with the request, the body read from the
// socket and the response written to it as the guest asks (the Session is the guest's
// HttpExchange). A watchdog thread advances the engine's epoch, so a guest past its deadline
// traps in wasm code, and interrupts its host waits.
#include "cirrus/host/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <poll.h>
#include <sys/socket.h>

namespace cirrus::host {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto idle_timeout = std::chrono::seconds(30);
constexpr auto epoch_tick = std::chrono::milliseconds(5);
// How long a response write may wait for a client that does not read.
constexpr auto write_timeout = std::chrono::seconds(30);

uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

// One worker thread's host: the linker and, linked into it once, the WASI host and the
// capability session. The WASI host's objects belong to the instance of the request being
// served and are dropped after it.
struct Worker {
    component::Linker linker;
    std::unique_ptr<InstanceImports> imports;
    wasi::Host* host = nullptr;
    // The component with its imports resolved against `linker`, instantiated per request.
    std::shared_ptr<const component::InstancePre> pre;
    // For the watchdog: the request's deadline and store, while one runs.
    std::mutex m;
    component::Store* store = nullptr;
    uint64_t deadline_ns = UINT64_MAX;
    bool fired = false;
};

thread_local Worker* this_worker = nullptr;

} // namespace

struct HttpServer::Impl {
    ServeOptions options;
    // The engine and the imports are the server's own, or the caller's (shared with a
    // MessageServer serving the same component).
    std::unique_ptr<wasm::Engine> own_engine;
    wasm::Engine* engine = nullptr;
    std::shared_ptr<const component::Component> component;
    std::unique_ptr<ComponentImports> own_imports;
    ComponentImports* imports = nullptr;
    std::string handler; // "wasi:http/incoming-handler@0.2.x#handle"
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::atomic<bool> draining{false};
    std::mutex sessions_m;
    std::set<std::shared_ptr<struct Session>> idle_sessions;
    std::mutex workers_m;
    std::vector<Worker*> workers;
    std::optional<asio::signal_set> signals;

    void log(std::string_view msg) {
        if (options.log)
            options.log(msg);
        else
            fmt::print(stderr, "cirrus serve: {}\n", msg);
    }
    void accept();
    void watchdog(std::atomic<bool>& stop);
    void begin_stop();
};

namespace {

const char* reason(unsigned status) {
    auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    return r.empty() ? "Unknown" : r.data();
}

} // namespace

struct Session : std::enable_shared_from_this<Session>, wasi::HttpExchange {
    HttpServer::Impl& server;
    beast::tcp_stream stream;
    beast::flat_buffer buf;
    std::optional<bhttp::request_parser<bhttp::buffer_body>> parser;
    bool need_more = false;   // the buffered bytes are not enough for the parser
    bool body_failed = false; // the body could not be read
    bool continue_sent = false, expect_continue = false;
    size_t header_count = 0;
    bool head_request = false, http10 = false, keep_alive = false, chunked = false;
    bool no_body = false; // the response has no body (HEAD, 1xx, 204, 304)
    std::string pending;  // response bytes not yet written
    bool broken = false;  // writing failed: the client is gone

    Session(HttpServer::Impl& s, tcp::socket sock) : server(s), stream(std::move(sock)) {}
    int fd() { return stream.socket().native_handle(); }

    void read_head() {
        if (server.draining) return close();
        parser.emplace();
        parser->body_limit(boost::none);
        parser->header_limit(64 * 1024);
        parser->eager(true);
        need_more = body_failed = continue_sent = expect_continue = broken = false;
        pending.clear();
        {
            // Under the lock begin_stop takes: a session either sees draining or is cancelled.
            std::lock_guard lock(server.sessions_m);
            if (server.draining) return close();
            server.idle_sessions.insert(shared_from_this());
        }
        stream.expires_after(idle_timeout);
        bhttp::async_read_header(
            stream, buf, *parser,
            [self = shared_from_this()](error_code ec, size_t) { self->on_head(ec); });
    }

    void close() {
        error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.close();
    }

    void on_head(error_code ec) {
        {
            std::lock_guard lock(server.sessions_m);
            server.idle_sessions.erase(shared_from_this());
        }
        stream.expires_never();
        if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::eof) {
            return close();
        }
        if (ec) {
            // A request that is not HTTP/1.1: answered, and the connection closed.
            unsigned status = ec == bhttp::error::header_limit ? 431 : 400;
            write_simple(status, fmt::format("malformed request: {}\n", ec.message()), false);
            return close();
        }
        auto& req = parser->get();
        http10 = req.version() < 11;
        keep_alive = parser->keep_alive() && !server.draining;
        head_request = req.method() == bhttp::verb::head;
        auto expect = req[bhttp::field::expect];
        expect_continue = !http10 && beast::iequals(expect, "100-continue");
        serve();
        if (broken || !parser->is_done()) keep_alive = false;
        if (keep_alive && !server.draining) return read_head();
        close();
    }

    void serve() {
        auto& req = parser->get();
        wasi::HttpRequestHead head;
        head.method = std::string(req.method_string());
        head.path_with_query = std::string(req.target());
        head.authority = std::string(req[bhttp::field::host]);
        for (const auto& f : req) {
            head.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            ++header_count;
        }
        header_count = head.headers.size();
        std::string what = fmt::format("{} {}", head.method, head.path_with_query);
        Worker& w = *this_worker;
        w.host->reset();
        component::Store store(*server.engine);
        uint64_t deadline = UINT64_MAX;
        if (server.options.timeout) {
            auto ticks =
                static_cast<uint64_t>(server.options.timeout->count() / epoch_tick.count()) + 1;
            store.core().set_epoch_deadline(ticks);
            deadline = now_ns() + static_cast<uint64_t>(server.options.timeout->count()) * 1000000;
        }
        {
            std::lock_guard lock(w.m);
            w.store = &store;
            w.deadline_ns = deadline;
            w.fired = false;
        }
        Result<std::optional<component::Val>> result = Error(ErrorKind::Other, "not run");
        auto inst = w.pre->instantiate(store);
        if (!inst.ok()) {
            result = std::move(inst).error();
        } else if (auto bound = w.imports->bind(store, **inst); !bound.ok()) {
            result = std::move(bound).error();
        } else if (component::Func* handle = (*inst)->get_func(server.handler)) {
            auto args = w.host->incoming_request(std::move(head), *this);
            if (!args.ok())
                result = std::move(args).error();
            else
                result = store.call(handle, *args);
            // What the capability providers queued for the guest (keyvalue watcher events).
            if (result.ok()) {
                if (auto pumped = w.imports->pump(store); !pumped.ok())
                    result = std::move(pumped).error();
            }
        } else {
            result = Error(ErrorKind::Other, "the instance has no " + server.handler);
        }
        wasi::HttpOutcome outcome = w.host->finish_incoming_request();
        bool timed_out;
        {
            std::lock_guard lock(w.m);
            w.store = nullptr;
            w.deadline_ns = UINT64_MAX;
            timed_out = w.fired;
        }
        w.host->reset();
        if (!result.ok()) {
            const Error& e = result.error();
            server.log(fmt::format("{}: {}: {}", what,
                                   timed_out ? "stopped at the deadline" : "the guest failed",
                                   e.to_string()));
            if (outcome.head_sent) {
                broken = true; // the response cannot be completed: the client sees it cut
                return;
            }
            if (timed_out)
                write_simple(503, "the component did not answer in time\n", keep_alive);
            else
                write_simple(500, "the component failed\n", keep_alive);
            return;
        }
        switch (outcome.state) {
        case wasi::HttpOutcome::State::Complete: return;
        case wasi::HttpOutcome::State::NotSet:
            server.log(fmt::format("{}: the guest set no response", what));
            write_simple(500, "the component set no response\n", keep_alive);
            return;
        case wasi::HttpOutcome::State::GuestError:
            server.log(fmt::format("{}: the guest answered with error {}", what, outcome.error));
            write_simple(500, fmt::format("the component failed: {}\n", outcome.error), keep_alive);
            return;
        case wasi::HttpOutcome::State::Incomplete:
            server.log(fmt::format("{}: the guest did not finish the response body", what));
            if (outcome.head_sent)
                broken = true;
            else
                write_simple(500, "the component did not finish its response\n", keep_alive);
            return;
        }
    }

    void write_simple(unsigned status, std::string_view body, bool keep) {
        keep_alive = keep_alive && keep;
        pending = fmt::format("HTTP/1.1 {} {}\r\ncontent-type: text/plain\r\ncontent-length: "
                              "{}\r\n{}\r\n{}",
                              status, reason(status), body.size(),
                              keep_alive ? "" : "connection: close\r\n", body);
        write_pending();
    }

    // Writes `pending` to the socket, waiting (at most write_timeout) while it is full.
    bool write_pending() {
        size_t done = 0;
        uint64_t deadline =
            now_ns() +
            static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(write_timeout).count());
        while (done < pending.size() && !broken) {
            ssize_t n = ::send(fd(), pending.data() + done, pending.size() - done,
                               MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                done += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                uint64_t now = now_ns();
                if (now >= deadline) break;
                pollfd p{fd(), POLLOUT, 0};
                ::poll(&p, 1, static_cast<int>((deadline - now) / 1000000 + 1));
                continue;
            }
            break;
        }
        bool ok = done == pending.size();
        if (!ok) broken = true;
        pending.clear();
        return ok;
    }

    // ------------------------------------------------------------ HttpExchange

    void send_continue() {
        if (!expect_continue || continue_sent) return;
        continue_sent = true;
        std::string saved;
        saved.swap(pending);
        pending = "HTTP/1.1 100 Continue\r\n\r\n";
        write_pending();
        pending = std::move(saved);
    }

    ReadStatus read_body(std::string& out, size_t max, std::string& error) override {
        if (body_failed) {
            error = "the request body could not be read";
            return ReadStatus::Failed;
        }
        if (parser->is_done()) return ReadStatus::End;
        send_continue();
        for (;;) {
            if (buf.size() > 0 && !need_more) {
                size_t want = std::min<size_t>(max, 64 * 1024);
                size_t old = out.size();
                out.resize(old + want);
                parser->get().body().data = out.data() + old;
                parser->get().body().size = want;
                parser->get().body().more = true;
                error_code ec;
                size_t used = parser->put(buf.data(), ec);
                buf.consume(used);
                size_t got = want - parser->get().body().size;
                out.resize(old + got);
                if (ec == bhttp::error::need_buffer) ec = {};
                if (ec == bhttp::error::need_more) {
                    need_more = true;
                    ec = {};
                }
                if (ec) {
                    body_failed = true;
                    error = ec.message();
                    return ReadStatus::Failed;
                }
                if (got > 0) return ReadStatus::Data;
                if (parser->is_done()) return ReadStatus::End;
                if (used == 0) need_more = true;
                continue;
            }
            auto space = buf.prepare(64 * 1024);
            ssize_t n = ::recv(fd(), space.data(), space.size(), MSG_DONTWAIT);
            if (n > 0) {
                buf.commit(static_cast<size_t>(n));
                need_more = false;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ReadStatus::Empty;
            error_code ec;
            parser->put_eof(ec);
            if (!ec && parser->is_done()) return ReadStatus::End;
            body_failed = true;
            error = n == 0 ? "the client closed the connection in the request body"
                           : std::strerror(errno);
            return ReadStatus::Failed;
        }
    }
    bool body_readable() override {
        return body_failed || parser->is_done() || (buf.size() > 0 && !need_more);
    }
    int body_fd() const override {
        return const_cast<Session*>(this)->stream.socket().native_handle();
    }
    wasi::HeaderList trailers() const override {
        wasi::HeaderList out;
        size_t i = 0;
        for (const auto& f : parser->get()) {
            if (i++ >= header_count)
                out.emplace_back(std::string(f.name_string()), std::string(f.value()));
        }
        return out;
    }

    Result<void> send_head(uint16_t status, const wasi::HeaderList& headers,
                           std::optional<uint64_t> content_length) override {
        pending += fmt::format("HTTP/1.1 {} {}\r\n", status, reason(status));
        for (const auto& [n, v] : headers) {
            if (n == "connection" || n == "keep-alive") continue;
            pending += n;
            pending += ": ";
            pending += v;
            pending += "\r\n";
        }
        no_body = head_request || status < 200 || status == 204 || status == 304;
        chunked = false;
        if (status >= 200 && status != 204 && status != 304) {
            if (content_length)
                pending += fmt::format("content-length: {}\r\n", *content_length);
            else if (http10)
                keep_alive = false; // the end of the body is the end of the connection
            else
                chunked = true;
            if (chunked) pending += "transfer-encoding: chunked\r\n";
            chunked = chunked && !head_request;
        }
        if (!chunked && !content_length && !no_body) keep_alive = false;
        if (!keep_alive) pending += "connection: close\r\n";
        pending += "\r\n";
        return {};
    }
    Result<void> send_body(std::span<const uint8_t> data) override {
        if (broken) return Error(ErrorKind::Io, "the client is gone");
        if (!no_body && !data.empty()) {
            if (chunked) pending += fmt::format("{:x}\r\n", data.size());
            pending.append(reinterpret_cast<const char*>(data.data()), data.size());
            if (chunked) pending += "\r\n";
        }
        if (pending.size() >= 64 * 1024 && !write_pending())
            return Error(ErrorKind::Io, "the client is gone");
        return {};
    }
    Result<void> finish(const wasi::HeaderList& trailers) override {
        if (chunked) {
            pending += "0\r\n";
            for (const auto& [n, v] : trailers) pending += fmt::format("{}: {}\r\n", n, v);
            pending += "\r\n";
        }
        if (!write_pending()) return Error(ErrorKind::Io, "the client is gone");
        return {};
    }
};

void HttpServer::Impl::accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket sock) {
        if (ec) {
            if (!acceptor.is_open() || draining) return;
            log(fmt::format("accept: {}", ec.message()));
        } else {
            error_code ignored;
            sock.set_option(tcp::no_delay(true), ignored);
            std::make_shared<Session>(*this, std::move(sock))->read_head();
        }
        if (!draining) accept();
    });
}

void HttpServer::Impl::begin_stop() {
    {
        std::lock_guard lock(sessions_m);
        draining = true;
    }
    error_code ec;
    acceptor.close(ec);
    if (signals) signals->cancel(ec);
    std::set<std::shared_ptr<Session>> idle;
    {
        std::lock_guard lock(sessions_m);
        idle.swap(idle_sessions);
    }
    for (const auto& s : idle) {
        asio::post(s->stream.get_executor(), [s] { s->stream.cancel(); });
    }
}

void HttpServer::Impl::watchdog(std::atomic<bool>& stop) {
    while (!stop) {
        std::this_thread::sleep_for(epoch_tick);
        engine->increment_epoch();
        uint64_t now = now_ns();
        std::lock_guard lock(workers_m);
        for (Worker* w : workers) {
            std::lock_guard wl(w->m);
            if (w->store && !w->fired && now >= w->deadline_ns) {
                w->fired = true;
                w->store->core().interrupt();
                w->host->interrupt();
            }
        }
    }
}

namespace {

std::string handler_export(const component::Component& component) {
    for (const auto& [name, ext] : component.type().exports) {
        if (ext.sort == component::Sort::Instance &&
            name.starts_with("wasi:http/incoming-handler@0.2."))
            return name + "#handle";
    }
    return {};
}

} // namespace

bool HttpServer::exports_handler(const component::Component& component) {
    return !handler_export(component).empty();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::create(std::span<const uint8_t> bytes,
                                                       ServeOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->own_engine = std::make_unique<wasm::Engine>();
    impl->engine = impl->own_engine.get();
    CIRRUS_TRY_ASSIGN(impl->component, component::Component::compile(*impl->engine, bytes));
    CIRRUS_TRY_ASSIGN(impl->own_imports, ComponentImports::create(impl->options.component));
    impl->imports = impl->own_imports.get();
    return finish_create(std::move(impl));
}

Result<std::unique_ptr<HttpServer>>
HttpServer::create(wasm::Engine& engine, std::shared_ptr<const component::Component> component,
                   ComponentImports& imports, ServeOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->engine = &engine;
    impl->component = std::move(component);
    impl->imports = &imports;
    return finish_create(std::move(impl));
}

Result<std::unique_ptr<HttpServer>> HttpServer::finish_create(std::unique_ptr<Impl> impl) {
    {
        // Linking once here refuses a component with unsatisfiable imports before it listens.
        component::Linker probe;
        CIRRUS_TRY(impl->imports->link(probe, *impl->component));
    }
    impl->handler = handler_export(*impl->component);
    if (impl->handler.empty())
        return Error(ErrorKind::Usage, "not a wasi:http/proxy: the component does not export "
                                       "wasi:http/incoming-handler@0.2.x");
    std::string_view listen = impl->options.listen;
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos)
        return Error(ErrorKind::Usage,
                     fmt::format("--listen takes ADDRESS:PORT, got `{}`", listen));
    std::string addr(listen.substr(0, colon));
    if (addr.size() > 1 && addr.front() == '[' && addr.back() == ']')
        addr = addr.substr(1, addr.size() - 2);
    unsigned port = 0;
    std::string_view port_text = listen.substr(colon + 1);
    auto [end, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (pec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        return Error(ErrorKind::Usage, fmt::format("--listen: bad port in `{}`", listen));
    error_code ec;
    auto ip = asio::ip::make_address(addr, ec);
    if (ec) return Error(ErrorKind::Usage, fmt::format("--listen: bad address `{}`", addr));
    tcp::endpoint ep(ip, static_cast<uint16_t>(port));
    auto& acc = impl->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return Error(ErrorKind::Io, fmt::format("cannot listen on {}: {}", listen, ec.message()));
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
    error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::run(bool handle_signals, const std::function<void()>& ready) {
    Impl& s = *impl_;
    if (handle_signals) {
        s.signals.emplace(s.ioc, SIGINT, SIGTERM);
        s.signals->async_wait([&s](error_code ec, int) {
            if (!ec) s.begin_stop();
        });
    }
    if (ready) ready();
    s.accept();
    std::atomic<bool> stop_watchdog{false};
    std::thread watchdog([&] { s.watchdog(stop_watchdog); });
    unsigned n =
        s.options.workers ? s.options.workers : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) {
        threads.emplace_back([&s] {
            Worker w;
            // create() linked the same component once: this cannot fail but for a directory
            // removed since.
            auto imports = s.imports->link(w.linker, *s.component);
            if (!imports.ok()) {
                s.log(fmt::format("worker: {}", imports.error().to_string()));
                return;
            }
            w.imports = std::move(*imports);
            w.host = w.imports->wasi.get();
            auto pre = w.linker.instantiate_pre(s.component);
            if (!pre.ok()) {
                s.log(fmt::format("worker: {}", pre.error().to_string()));
                return;
            }
            w.pre = std::move(*pre);
            {
                std::lock_guard lock(s.workers_m);
                s.workers.push_back(&w);
            }
            this_worker = &w;
            s.ioc.run();
            std::lock_guard lock(s.workers_m);
            std::erase(s.workers, &w);
        });
    }
    for (auto& t : threads) t.join();
    stop_watchdog = true;
    watchdog.join();
}

void HttpServer::stop() {
    asio::post(impl_->ioc, [this] { impl_->begin_stop(); });
}

} // namespace cirrus::host
