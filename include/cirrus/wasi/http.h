// wasi:http for a server: what the host's HTTP server gives the WASI host for one incoming
// request (the head, and an HttpExchange through which the guest reads the request body and
// writes the response), and what it gets back (HttpOutcome). The server owns the connection
// and the protocol; the WASI host turns them into the resources of wasi:http/types.
#pragma once

#include "cirrus/support/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cirrus::wasi {

// Header or trailer fields in order; names as received (the host lower-cases them).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequestHead {
    std::string method;          // "GET", or any other token
    std::string path_with_query; // "/path?query"
    std::string scheme = "http";
    std::string authority; // the Host header
    HeaderList headers;
};

// One incoming request's connection. All calls come from the thread running the guest.
class HttpExchange {
public:
    virtual ~HttpExchange() = default;

    enum class ReadStatus { Data, Empty, End, Failed };
    // The request body, never blocking: appends at most `max` bytes to `out` (Data), or says
    // that nothing has arrived yet (Empty), that the body is complete (End) or broken (Failed,
    // with `error`).
    virtual ReadStatus read_body(std::string& out, size_t max, std::string& error) = 0;
    // True when read_body would not answer Empty.
    virtual bool body_readable() = 0;
    // A descriptor that becomes readable when more of the body may have arrived.
    virtual int body_fd() const = 0;
    // The request's trailers, once read_body answered End.
    virtual HeaderList trailers() const = 0;

    // The response: the head once (with the body's length when it is known: no chunked
    // encoding then), then the body in pieces, then the end with trailers. Errors mean the
    // client is gone.
    virtual Result<void> send_head(uint16_t status, const HeaderList& headers,
                                   std::optional<uint64_t> content_length) = 0;
    virtual Result<void> send_body(std::span<const uint8_t> data) = 0;
    virtual Result<void> finish(const HeaderList& trailers) = 0;
};

// What became of the response after incoming-handler.handle returned.
struct HttpOutcome {
    enum class State {
        NotSet,     // response-outparam.set was never called
        GuestError, // set with an error-code (`error` names it)
        Incomplete, // set, but the body was not finished
        Complete,   // sent in full
    };
    State state = State::NotSet;
    bool head_sent = false; // bytes of the response already went out
    std::string error;
};

} // namespace cirrus::wasi
