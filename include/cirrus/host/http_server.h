// The HTTP server behind `cirrus serve`: serves a wasi:http/proxy component over HTTP/1.1
// (Boost.Beast). The component is decoded, validated and linked once; every request gets a
// fresh, isolated instance on one of the worker threads. A guest trap answers that request
// with 500, a guest past its deadline is stopped (epoch interruption) and answered with 503,
// a malformed request gets 400; the server keeps serving through all of them. stop() (or
// SIGINT/SIGTERM) stops accepting and lets requests under way finish.
#pragma once

#include "cirrus/host/imports.h"
#include "cirrus/support/result.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cirrus::host {

struct ServeOptions {
    // ADDRESS:PORT to listen on; port 0 picks a free one (see HttpServer::port).
    std::string listen = "127.0.0.1:8080";
    // A guest still running after this long is stopped and its request answered with 503.
    std::optional<std::chrono::milliseconds> timeout;
    // Threads running guests (0: one per CPU).
    unsigned workers = 0;
    // What every instance gets: WASI (environment, directories, hosts for outgoing requests)
    // and the capability providers, linked through ComponentImports.
    ComponentOptions component;
    // Where messages about failed requests go (stderr when empty).
    std::function<void(std::string_view)> log;
};

class HttpServer {
public:
    // Compiles the component, checks that the host provides every import (WASI or a capability
    // provider; an Unlinkable error lists those it does not) and that it exports
    // wasi:http/incoming-handler@0.2.x, and binds the listening socket.
    static Result<std::unique_ptr<HttpServer>> create(std::span<const uint8_t> component,
                                                      ServeOptions options);
    // The same for a component compiled with `engine`, its imports made by the caller (shared
    // with a MessageServer serving the same component; options.component is not used). The
    // engine and the imports must outlive the server.
    static Result<std::unique_ptr<HttpServer>>
    create(wasm::Engine& engine, std::shared_ptr<const component::Component> component,
           ComponentImports& imports, ServeOptions options);
    ~HttpServer();

    // True when `component` exports wasi:http/incoming-handler@0.2.x.
    static bool exports_handler(const component::Component& component);

    uint16_t port() const;
    // Serves until stop(), or until SIGINT or SIGTERM when `handle_signals`. `ready` is called
    // once the signals are handled (the moment to tell a user or a test that it serves).
    void run(bool handle_signals, const std::function<void()>& ready = {});
    // Stops accepting, closes idle connections, lets requests under way finish; run() then
    // returns. Thread-safe.
    void stop();

    struct Impl;

private:
    explicit HttpServer(std::unique_ptr<Impl> impl);
    static Result<std::unique_ptr<HttpServer>> finish_create(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace cirrus::host
