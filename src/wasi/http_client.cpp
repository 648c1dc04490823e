// wasi:http/outgoing-handler's client: each request runs on its own thread with Boost.Beast
// over a socket whose blocking reads and writes give up at a deadline (connect-timeout,
// first-byte-timeout, between-bytes-timeout of request-options) or when the guest's host is
// reset; HTTPS through OpenSSL with the system's trust store, SNI and host name checks. The
// request body comes from the guest through a Channel while the request is under way; the
// response body goes back through another, at most its capacity ahead of the guest.
#include "http_state.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cirrus::wasi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

struct ClientCall {
    ClientRequest req;
    std::shared_ptr<Channel> body;
    std::shared_ptr<Waker> waker;
    std::mutex m;
    std::optional<std::variant<ClientResponse, HttpError>> result;
    std::shared_ptr<Channel> response_body;
    std::atomic<bool> abandoned{false};
    int abort_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ~ClientCall() { ::close(abort_fd); }
};

namespace {

// Used when request-options give no timeout (as wasmtime's defaults: ten minutes).
constexpr uint64_t default_timeout_ns = 600ull * 1000000000ull;

uint64_t now_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

// A TCP socket whose synchronous reads and writes (as Beast and asio::ssl call them) wait with
// poll() until `deadline_ns`, and stop when the call is abandoned.
class TimedSocket {
public:
    using executor_type = asio::ip::tcp::socket::executor_type;
    using lowest_layer_type = asio::ip::tcp::socket::lowest_layer_type;

    TimedSocket(asio::io_context& ioc, int abort_fd) : sock_(ioc), abort_fd_(abort_fd) {}
    executor_type get_executor() { return sock_.get_executor(); }
    lowest_layer_type& lowest_layer() { return sock_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const { return sock_.lowest_layer(); }
    asio::ip::tcp::socket& socket() { return sock_; }

    uint64_t deadline_ns = UINT64_MAX;

    template <class Buffers>
    size_t read_some(const Buffers& b) {
        error_code ec;
        size_t n = read_some(b, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class Buffers>
    size_t read_some(const Buffers& b, error_code& ec) {
        for (;;) {
            size_t n = sock_.read_some(b, ec);
            if (ec != asio::error::would_block && ec != asio::error::try_again) return n;
            if (!wait(POLLIN, ec)) return 0;
        }
    }
    template <class Buffers>
    size_t write_some(const Buffers& b) {
        error_code ec;
        size_t n = write_some(b, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class Buffers>
    size_t write_some(const Buffers& b, error_code& ec) {
        for (;;) {
            size_t n = sock_.write_some(b, ec);
            if (ec != asio::error::would_block && ec != asio::error::try_again) return n;
            if (!wait(POLLOUT, ec)) return 0;
        }
    }
    // Waits for `events` on the socket; false with ec set on timeout or abandonment.
    bool wait(short events, error_code& ec) {
        for (;;) {
            pollfd fds[2] = {{sock_.native_handle(), events, 0}, {abort_fd_, POLLIN, 0}};
            int timeout = -1;
            if (deadline_ns != UINT64_MAX) {
                uint64_t now = now_ns();
                if (now >= deadline_ns) {
                    ec = asio::error::timed_out;
                    return false;
                }
                timeout = static_cast<int>(
                    std::min<uint64_t>((deadline_ns - now + 999999) / 1000000, 60000));
            }
            int n = ::poll(fds, 2, timeout);
            if (n < 0 && errno == EINTR) continue;
            if (fds[1].revents) {
                ec = asio::error::operation_aborted;
                return false;
            }
            if (n > 0) {
                ec = {};
                return true;
            }
        }
    }

private:
    asio::ip::tcp::socket sock_;
    int abort_fd_;
};

struct Failure {
    HttpError error;
};

[[noreturn]] void fail(HttpErrorCase code, std::optional<std::string> text = {}) {
    throw Failure{HttpError{code, std::move(text), {}}};
}

uint64_t deadline_after(std::optional<uint64_t> timeout) {
    uint64_t t = timeout.value_or(default_timeout_ns);
    uint64_t now = now_ns();
    return t > UINT64_MAX - now ? UINT64_MAX : now + t;
}

void connect(ClientCall& call, asio::io_context& ioc, TimedSocket& s) {
    const ClientRequest& r = call.req;
    asio::ip::tcp::resolver resolver(ioc);
    error_code ec;
    auto endpoints = resolver.resolve(r.host, std::to_string(r.port), ec);
    if (ec || endpoints.empty()) fail(HttpErrorCase::DnsError, ec.message());
    s.deadline_ns = deadline_after(r.connect_timeout_ns);
    HttpErrorCase last = HttpErrorCase::ConnectionRefused;
    for (const auto& entry : endpoints) {
        auto& sock = s.socket();
        if (sock.is_open()) sock.close(ec);
        sock.open(entry.endpoint().protocol(), ec);
        if (ec) continue;
        sock.non_blocking(true, ec);
        int rc = ::connect(sock.native_handle(), entry.endpoint().data(),
                           static_cast<socklen_t>(entry.endpoint().size()));
        if (rc < 0 && errno != EINPROGRESS) {
            last = errno == ECONNREFUSED ? HttpErrorCase::ConnectionRefused
                                         : HttpErrorCase::DestinationUnavailable;
            continue;
        }
        if (rc < 0) {
            if (!s.wait(POLLOUT, ec)) {
                if (ec == asio::error::operation_aborted)
                    fail(HttpErrorCase::InternalError, "abandoned");
                fail(HttpErrorCase::ConnectionTimeout);
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(sock.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                last = err == ECONNREFUSED ? HttpErrorCase::ConnectionRefused
                                           : HttpErrorCase::DestinationUnavailable;
                continue;
            }
        }
        sock.set_option(asio::ip::tcp::no_delay(true), ec);
        return;
    }
    fail(last);
}

HttpErrorCase io_failure(const error_code& ec, HttpErrorCase timeout_code) {
    if (ec == asio::error::timed_out) return timeout_code;
    if (ec == asio::error::operation_aborted) return HttpErrorCase::InternalError;
    if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        return HttpErrorCase::HttpProtocolError;
    return HttpErrorCase::ConnectionTerminated;
}

template <class Stream>
void write_all(Stream& stream, TimedSocket&, std::string_view data) {
    error_code ec;
    asio::write(stream, asio::buffer(data.data(), data.size()), ec);
    if (ec) fail(io_failure(ec, HttpErrorCase::ConnectionWriteTimeout), ec.message());
}

std::string fields_text(const HeaderList& fields) {
    std::string out;
    for (const auto& [n, v] : fields) out += fmt::format("{}: {}\r\n", n, v);
    return out;
}

// Sends the request head and body, reads the response head, then streams the response body.
template <class Stream>
void exchange(ClientCall& call, Stream& stream, TimedSocket& s) {
    const ClientRequest& r = call.req;
    Channel& body = *call.body;
    bool has_host = false, has_length = r.expected_length.has_value();
    for (const auto& [n, v] : r.headers) has_host = has_host || n == "host";
    std::string head = fmt::format("{} {} HTTP/1.1\r\n", r.method, r.target);
    if (!has_host) head += fmt::format("host: {}\r\n", r.authority);
    head += fields_text(r.headers);
    bool chunked = false;
    {
        std::unique_lock lock(body.m);
        if (!has_length && body.end) {
            if (!body.data.empty() || (r.method != "GET" && r.method != "HEAD"))
                head += fmt::format("content-length: {}\r\n", body.data.size());
        } else if (!has_length) {
            chunked = true;
            head += "transfer-encoding: chunked\r\n";
        }
    }
    head += "\r\n";
    s.deadline_ns = deadline_after(r.between_bytes_timeout_ns);
    write_all(stream, s, head);
    for (;;) {
        std::string data;
        bool end = false;
        HeaderList trailers;
        {
            std::unique_lock lock(body.m);
            body.cv.wait(lock, [&] {
                return !body.data.empty() || body.end || body.abandoned || body.error ||
                       call.abandoned.load();
            });
            if (call.abandoned.load()) fail(HttpErrorCase::InternalError, "abandoned");
            if (body.error) throw Failure{*body.error};
            data.swap(body.data);
            end = body.end;
            if (end) trailers = body.trailers;
            if (!end && data.empty() && body.abandoned)
                fail(HttpErrorCase::InternalError, "the request body was dropped unfinished");
        }
        body.notify_guest();
        s.deadline_ns = deadline_after(r.between_bytes_timeout_ns);
        if (!data.empty()) {
            if (chunked) data = fmt::format("{:x}\r\n", data.size()) + data + "\r\n";
            write_all(stream, s, data);
        }
        if (end) {
            if (chunked) write_all(stream, s, "0\r\n" + fields_text(trailers) + "\r\n");
            break;
        }
    }

    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    if (r.method == "HEAD") parser.skip(true);
    error_code ec;
    s.deadline_ns = deadline_after(r.first_byte_timeout_ns);
    bhttp::read_header(stream, buf, parser, ec);
    if (ec) fail(io_failure(ec, HttpErrorCase::HttpResponseTimeout), ec.message());
    ClientResponse resp;
    resp.status = static_cast<uint16_t>(parser.get().result_int());
    size_t header_count = 0;
    for (const auto& f : parser.get()) {
        resp.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        ++header_count;
    }
    auto out = std::make_shared<Channel>();
    out->waker = call.waker;
    resp.body = out;
    {
        std::lock_guard lock(call.m);
        call.response_body = out;
        call.result = std::move(resp);
    }
    call.waker->wake();

    std::vector<char> chunk(64 * 1024);
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        s.deadline_ns = deadline_after(r.between_bytes_timeout_ns);
        bhttp::read_some(stream, buf, parser, ec);
        if (ec == bhttp::error::need_buffer) ec = {};
        size_t got = chunk.size() - parser.get().body().size;
        std::unique_lock lock(out->m);
        if (ec) {
            out->error =
                HttpError{io_failure(ec, HttpErrorCase::ConnectionReadTimeout), ec.message(), {}};
            break;
        }
        out->cv.wait(lock, [&] {
            return out->data.size() < out->capacity || out->abandoned || call.abandoned.load();
        });
        if (out->abandoned || call.abandoned.load()) return;
        out->data.append(chunk.data(), got);
        if (parser.is_done()) {
            size_t i = 0;
            for (const auto& f : parser.get()) {
                if (i++ >= header_count)
                    out->trailers.emplace_back(std::string(f.name_string()),
                                               std::string(f.value()));
            }
            out->end = true;
        }
        lock.unlock();
        call.waker->wake();
    }
    call.waker->wake();
}

void run_call(std::shared_ptr<ClientCall> call) {
    try {
        asio::io_context ioc;
        TimedSocket s(ioc, call->abort_fd);
        connect(*call, ioc, s);
        if (!call->req.tls) {
            exchange(*call, s, s);
        } else {
            ssl::context ctx(ssl::context::tls_client);
            ctx.set_default_verify_paths();
            ssl::stream<TimedSocket&> tls(s, ctx);
            tls.set_verify_mode(ssl::verify_peer);
            tls.set_verify_callback(ssl::host_name_verification(call->req.host));
            if (!SSL_set_tlsext_host_name(tls.native_handle(), call->req.host.c_str()))
                fail(HttpErrorCase::TlsProtocolError, "cannot set the server name");
            error_code ec;
            s.deadline_ns = deadline_after(call->req.connect_timeout_ns);
            tls.handshake(ssl::stream_base::client, ec);
            if (ec) {
                bool cert = ERR_GET_REASON(ec.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED;
                if (ec == asio::error::timed_out) fail(HttpErrorCase::ConnectionTimeout);
                fail(cert ? HttpErrorCase::TlsCertificateError : HttpErrorCase::TlsProtocolError,
                     ec.message());
            }
            exchange(*call, tls, s);
        }
    } catch (const Failure& f) {
        std::lock_guard lock(call->m);
        if (!call->result) {
            call->result = f.error;
        } else if (call->response_body) {
            std::lock_guard body_lock(call->response_body->m);
            if (!call->response_body->end) call->response_body->error = f.error;
        }
    } catch (const std::exception& e) {
        std::lock_guard lock(call->m);
        if (!call->result) call->result = HttpError{HttpErrorCase::InternalError, e.what(), {}};
    }
    call->waker->wake();
}

} // namespace

std::shared_ptr<ClientCall> start_client_call(ClientRequest req, std::shared_ptr<Channel> body,
                                              std::shared_ptr<Waker> waker) {
    auto call = std::make_shared<ClientCall>();
    call->req = std::move(req);
    call->body = std::move(body);
    call->waker = std::move(waker);
    std::thread(run_call, call).detach();
    return call;
}

std::optional<std::variant<ClientResponse, HttpError>> client_call_result(ClientCall& call) {
    std::lock_guard lock(call.m);
    return call.result;
}

void abandon_client_call(ClientCall& call) {
    call.abandoned.store(true);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(call.abort_fd, &one, sizeof one);
    {
        std::lock_guard lock(call.body->m);
        call.body->cv.notify_all();
    }
    std::shared_ptr<Channel> out;
    {
        std::lock_guard lock(call.m);
        out = call.response_body;
    }
    if (out) {
        std::lock_guard lock(out->m);
        out->abandoned = true;
        out->cv.notify_all();
    }
}

} // namespace cirrus::wasi
