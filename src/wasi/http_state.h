// The objects behind wasi:http/types resources and the pieces shared with the outgoing HTTP
// client (http_client.cpp): fields, message heads, bodies as byte channels between the guest's
// thread and a client thread, and the error-code variant in C++ form.
#pragma once

#include "host_state.h"

#include <condition_variable>
#include <mutex>
#include <variant>

namespace cirrus::wasi {

// error-code of types.wit: the case index of each name, in order.
enum class HttpErrorCase : uint32_t {
    DnsTimeout,
    DnsError,
    DestinationNotFound,
    DestinationUnavailable,
    DestinationIpProhibited,
    DestinationIpUnroutable,
    ConnectionRefused,
    ConnectionTerminated,
    ConnectionTimeout,
    ConnectionReadTimeout,
    ConnectionWriteTimeout,
    ConnectionLimitReached,
    TlsProtocolError,
    TlsCertificateError,
    TlsAlertReceived,
    HttpRequestDenied,
    HttpRequestLengthRequired,
    HttpRequestBodySize,
    HttpRequestMethodInvalid,
    HttpRequestUriInvalid,
    HttpRequestUriTooLong,
    HttpRequestHeaderSectionSize,
    HttpRequestHeaderSize,
    HttpRequestTrailerSectionSize,
    HttpRequestTrailerSize,
    HttpResponseIncomplete,
    HttpResponseHeaderSectionSize,
    HttpResponseHeaderSize,
    HttpResponseBodySize,
    HttpResponseTrailerSectionSize,
    HttpResponseTrailerSize,
    HttpResponseTransferCoding,
    HttpResponseContentCoding,
    HttpResponseTimeout,
    HttpUpgradeFailed,
    HttpProtocolError,
    LoopDetected,
    ConfigurationError,
    InternalError,
};

// An error-code value: the case, and the one payload field the host fills (DNS-error's rcode,
// internal-error's message, a body size).
struct HttpError {
    HttpErrorCase code = HttpErrorCase::InternalError;
    std::optional<std::string> text;
    std::optional<uint64_t> size;
};
Val http_error_val(const HttpError& e);
std::string http_error_name(HttpErrorCase code);

// A thread-safe byte channel: the guest's thread on one end, a client thread on the other.
// Bodies of outgoing requests (guest writes) and of incoming responses (guest reads).
struct Channel {
    std::mutex m;
    std::condition_variable cv;   // for the client thread
    std::shared_ptr<Waker> waker; // for the guest
    std::string data;
    size_t capacity = 1 << 20;
    bool end = false;       // the writer finished
    bool abandoned = false; // the reader or the writer went away without finishing
    std::optional<HttpError> error;
    HeaderList trailers;

    void notify_guest() {
        if (waker) waker->wake();
    }
};

// The request state a server exchange shares with the body objects of that request; the
// exchange is cleared when the request is over, so objects the guest kept do nothing after.
struct ServerCtx {
    HttpExchange* ex = nullptr;
    HttpOutcome outcome;
};

// An incoming body: bytes and, at the end, trailers.
class BodySource : public ByteSource {
public:
    // True once the body ended (or failed: then `failure` says how).
    virtual bool ended() = 0;
    virtual std::optional<HttpError> failure() const = 0;
    virtual HeaderList trailers() = 0;
    std::optional<Val> http_error() const override {
        auto f = failure();
        return f ? std::optional<Val>(http_error_val(*f)) : std::nullopt;
    }
};

// An outgoing body: the guest writes it and finishes it with optional trailers.
class BodySink : public ByteSink {
public:
    std::optional<uint64_t> expected_length; // from content-length
    uint64_t written = 0;
    bool finished = false;
    // Called by outgoing-body.finish.
    virtual std::optional<HttpError> finish(const HeaderList& trailers) = 0;
    // The body's handle was dropped without finish.
    virtual void abandon() = 0;
};

struct ClientCall; // http_client.cpp

struct FieldList {
    HeaderList entries; // names lower-cased
};

struct HttpObject {
    // fields
    std::shared_ptr<FieldList> fields;
    bool immutable = false;
    // incoming/outgoing request
    std::string method = "GET";
    std::optional<std::string> path_with_query;
    std::optional<std::string> scheme; // "http", "https", or another
    std::optional<std::string> authority;
    // responses
    uint16_t status = 200;
    // the headers of a request or response
    std::shared_ptr<FieldList> headers;
    // incoming-request, incoming-response: the body, until consumed; incoming-body: its source
    std::shared_ptr<BodySource> in_body;
    bool consumed = false;
    bool stream_taken = false;
    // outgoing-request, outgoing-response: the body; outgoing-body: its sink
    std::shared_ptr<BodySink> out_body;
    std::shared_ptr<Channel> channel; // outgoing-request: what out_body writes to
    bool body_taken = false;
    // request-options (nanoseconds)
    std::optional<uint64_t> connect_timeout, first_byte_timeout, between_bytes_timeout;
    // future-incoming-response
    std::shared_ptr<ClientCall> call;
    bool taken = false;
    // response-outparam
    std::shared_ptr<ServerCtx> server;
    // outgoing-response given to response-outparam.set, for the server to send
    bool attached = false;
};

// The outgoing side (http_client.cpp): starts the request on a client thread. The request's
// body comes through `body`; the response appears in the returned call.
struct ClientRequest {
    std::string method;
    bool tls = false;
    std::string host;
    uint16_t port = 80;
    std::string authority;
    std::string target;
    HeaderList headers;
    std::optional<uint64_t> expected_length;
    std::optional<uint64_t> connect_timeout_ns, first_byte_timeout_ns, between_bytes_timeout_ns;
};
std::shared_ptr<ClientCall> start_client_call(ClientRequest req, std::shared_ptr<Channel> body,
                                              std::shared_ptr<Waker> waker);
// The response head once it arrived: nullopt while waiting.
struct ClientResponse {
    uint16_t status = 0;
    HeaderList headers;
    std::shared_ptr<Channel> body;
};
std::optional<std::variant<ClientResponse, HttpError>> client_call_result(ClientCall& call);
void abandon_client_call(ClientCall& call);

// The outgoing request body channel as a sink, and an incoming response channel as a source.
std::shared_ptr<BodySink> channel_sink(std::shared_ptr<Channel> ch, bool is_request);
std::shared_ptr<BodySource> channel_source(std::shared_ptr<Channel> ch);

} // namespace cirrus::wasi
