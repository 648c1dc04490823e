// WASI 0.2 for the component layer: host implementations of wasi:io (error, poll, streams),
// wasi:clocks (monotonic-clock, wall-clock), wasi:random (random, insecure, insecure-seed),
// wasi:cli (environment, exit, stdin/stdout/stderr, terminal-*) and wasi:filesystem (types,
// preopens: denied unless directories are granted, and confined to them), served for any 0.2.x
// version a component imports; and run_command, which runs a `wasi:cli/command` component.
//
// A guest gets exactly what the Config grants: the arguments and environment variables given
// (nothing inherited from the host process), the three standard streams, no terminal, the
// directories granted and nothing else of the filesystem, no sockets.
#pragma once

#include "cirrus/component/component.h"
#include "cirrus/support/result.h"
#include "cirrus/wasi/http.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cirrus::wasi {

struct Config {
    // get-arguments; by convention the first is the program name.
    std::vector<std::string> args;
    // get-environment: only these, nothing inherited.
    std::vector<std::pair<std::string, std::string>> env;
    // Host file descriptors behind get-stdin / get-stdout / get-stderr.
    int stdin_fd = 0;
    int stdout_fd = 1;
    int stderr_fd = 2;
    // Directories granted to the guest (wasi:filesystem/preopens); none by default. Paths the
    // guest opens are confined beneath them: no `..` out, no absolute paths, no symlink out.
    struct Dir {
        std::string host_path;
        std::string guest_path;
        bool read_only = false;
    };
    std::vector<Dir> dirs;
    // Outbound sockets granted (wasi:sockets); none by default. A guest may connect (TCP) or
    // send (UDP) only to these; it can never listen. `host` is an IP address or a name (resolved
    // when the Host is made; the guest's name lookups answer only for these names); no port:
    // any port.
    enum class Protocol { Tcp, Udp };
    struct SocketGrant {
        Protocol protocol = Protocol::Tcp;
        std::string host;
        std::optional<uint16_t> port;
    };
    std::vector<SocketGrant> sockets;
    // wasi:http/outgoing-handler: the hosts requests may go to, "HOST" (any port) or
    // "HOST:PORT"; none by default (a request elsewhere gets the error-code
    // HTTP-request-denied).
    std::vector<std::string> allow_http;
};

// Parses a socket grant as given on the command line: `HOST:PORT`, `HOST:*` or `HOST` (any
// port), where HOST is a name, an IPv4 address or a bracketed IPv6 address (`[::1]:53`).
Result<Config::SocketGrant> parse_socket_grant(std::string_view text, Config::Protocol protocol);

// A byte source or sink that a layer below WASI (a blob store value, a message body) serves to
// a guest as a wasi:io/streams input-stream or output-stream (Host::input_stream,
// Host::output_stream). An Error from either reaches the guest as last-operation-failed.
class StreamSource {
public:
    virtual ~StreamSource() = default;
    // Up to `max` bytes (max > 0); empty at the end of the stream.
    virtual Result<std::vector<uint8_t>> read(size_t max) = 0;
};
class StreamSink {
public:
    virtual ~StreamSink() = default;
    virtual Result<void> write(std::span<const uint8_t> bytes) = 0;
};

class Host {
public:
    explicit Host(Config config);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    // Defines in `linker` every import of `component` this host serves: WASI interfaces of
    // any version 0.2.x, each defined under the exact name the component imports. Returns the
    // imports it does not serve, in import order (empty when all are served).
    std::vector<std::string> add_to_linker(component::Linker& linker,
                                           const component::Component& component);

    // An own handle for a new input-stream or output-stream over `source` or `sink`, carrying the
    // resource identity the component bound for wasi:io/streams (so call after add_to_linker).
    // The guest reads or writes it through wasi:io/streams; dropping it destroys the source or
    // sink.
    component::Val input_stream(std::unique_ptr<StreamSource> source);
    component::Val output_stream(std::unique_ptr<StreamSink> sink);

    // Fails when a directory of the Config cannot be opened.
    Result<void> ready() const;

    // The exit status the guest asked for through wasi:cli/exit, if it did.
    std::optional<int> exit_status() const;

    // Calls host function `func` of interface `iface` ("wasi:random/random", no version)
    // directly, as the linker would; for tests and for host code. Resource handles in the
    // arguments must come from results of earlier calls through this function.
    Result<std::optional<component::Val>> call(std::string_view iface, std::string_view func,
                                               std::span<const component::Val> args);

    // Serving one incoming request (wasi:http/incoming-handler): makes the own<incoming-request>
    // and own<response-outparam> to pass to `handle`, for the component whose imports were
    // added with add_to_linker. `exchange` must outlive the call of `handle`.
    Result<std::vector<component::Val>> incoming_request(HttpRequestHead head,
                                                         HttpExchange& exchange);
    // After `handle` returned (or trapped): what the guest did with the response. Detaches the
    // exchange: nothing more is read from or written to it.
    HttpOutcome finish_incoming_request();

    // Makes the host ready for the next instance: drops every host object the last one left
    // (handles are per instance), the exit status and the interruption.
    void reset();
    // Stops the guest's current and future waits in the host (poll, blocking reads and
    // writes) with a trap; thread-safe. The epoch deadline stops it in wasm code.
    void interrupt();

    struct State;

private:
    std::unique_ptr<State> state_;
};

// True when `import_name` (e.g. "wasi:io/streams@0.2.3") is a WASI 0.2.x interface this host
// implements.
bool serves(std::string_view import_name);

struct RunOptions {
    Config config;
    // Stop the guest after this long (epoch interruption); none: no limit.
    std::optional<std::chrono::milliseconds> timeout;
    // Imports beyond WASI (the host layer's capability providers): called with the WASI host,
    // the linker and the imports the WASI host does not serve, defines what it can and returns
    // the imports still unsatisfied.
    std::function<std::vector<std::string>(Host&, component::Linker&, const component::Component&,
                                           std::vector<std::string> unserved)>
        link_more;
    // Called after instantiation, before `run` (providers that call the guest's exports).
    std::function<Result<void>(component::Store&, component::Instance&)> instantiated;
    // Called after `run` returned (delivering what the host queued for the guest's exports).
    std::function<Result<void>(component::Store&)> finished;
};

// Runs a `wasi:cli/command` component: instantiates it with the WASI host (refusing it, with
// the list, when it imports something the host does not serve) and calls the exported
// `wasi:cli/run@0.2.x` `run`. Returns the exit status: 0 when run returns ok, 1 when it returns
// err, the status given to wasi:cli/exit when the guest exits. A trap, an interruption by the
// timeout, or a component that cannot be run is an Error.
Result<int> run_command(std::span<const uint8_t> component_bytes, RunOptions options);

} // namespace cirrus::wasi
