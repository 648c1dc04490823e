// `cirrus serve [--listen ADDR:PORT] [--timeout MS] [--workers N] [--allow-http HOST[:PORT]]...
// [--allow-tcp HOST:PORT]... [--allow-udp HOST:PORT]... [--env K=V]... [--dir HOST[::GUEST]]...
// [--link ...]... [--config K=V]... [--secret ...]... [--log-level L] COMPONENT.wasm`: serves a
// component, a fresh instance per request or message, with the capability providers `cirrus run`
// links too: a wasi:http/proxy over HTTP/1.1 (src/host/http_server.cpp; prints
// "listening on http://ADDR:PORT" to stderr once it accepts connections), and a component
// exporting wasmcloud:messaging/handler on the subjects of its messaging link
// (src/host/messaging.cpp; prints "handling messages on SUBJECTS (BACKEND)" once subscribed);
// a component exporting both gets both. SIGINT or SIGTERM stop it after the requests and the
// message under way. A component that exports neither, or imports what the host does not
// provide, is refused before it listens (exit status 1, with the list).
#include "commands.h"
#include "files.h"
#include "guest_options.h"

#include "cirrus/host/http_server.h"
#include "cirrus/host/messaging.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

struct ServeArgs {
    std::string path;
    std::string listen = "127.0.0.1:8080";
    std::optional<uint64_t> timeout_ms;
    unsigned workers = 0;
    GuestOptions guest;
};

// What the component exports decides what is served: HTTP requests (wasi:http/incoming-handler),
// messages on the messaging link's subscriptions (wasmcloud:messaging/handler), or both, from
// one compiled component and one set of capability backends.
int run_serve(const ServeArgs& args) {
    auto read = read_input_file(args.path);
    if (!read) return 1;
    const std::vector<uint8_t>& bytes = *read;
    host::ServeOptions opts;
    opts.listen = args.listen;
    opts.workers = args.workers;
    if (args.timeout_ms) opts.timeout = std::chrono::milliseconds(*args.timeout_ms);
    if (auto applied = apply_guest_options(args.guest, args.path, opts.component); !applied) {
        fmt::print(stderr, "error: {}\n", applied.error().message);
        return 1;
    }
    opts.component.wasi.args.push_back(args.path);
    auto fail = [&](const Error& e) {
        fmt::print(stderr, "error: {}: {}\n", args.path, e.to_string());
        return 1;
    };
    wasm::Engine engine;
    auto component = component::Component::compile(engine, bytes);
    if (!component.ok()) return fail(component.error());
    auto imports = host::ComponentImports::create(opts.component);
    if (!imports.ok()) return fail(imports.error());
    {
        // Imports first: the list of what the host does not provide, whatever it exports.
        component::Linker probe;
        if (auto linked = (*imports)->link(probe, **component); !linked.ok())
            return fail(linked.error());
    }
    bool http = host::HttpServer::exports_handler(**component);
    bool messages = host::MessageServer::exports_handler(**component);
    if (!http && !messages)
        return fail(Error(ErrorKind::Usage, "nothing to serve: the component exports neither "
                                            "wasi:http/incoming-handler@0.2.x (HTTP requests) nor "
                                            "wasmcloud:messaging/handler@0.2.x (messages)"));

    std::unique_ptr<host::MessageServer> message_server;
    if (!messages && !(*imports)->capabilities().message_subjects().empty()) {
        fmt::print(stderr, "note: the messaging link names subscriptions but the component does "
                           "not export wasmcloud:messaging/handler: no messages are delivered\n");
    }
    if (messages) {
        if (http && (*imports)->capabilities().message_subjects().empty()) {
            fmt::print(stderr, "note: the component exports wasmcloud:messaging/handler but the "
                               "messaging link subscribes to nothing: serving HTTP only\n");
        } else {
            auto started = host::MessageServer::start(engine, *component, **imports, opts.timeout);
            if (!started.ok()) return fail(started.error());
            message_server = std::move(*started);
        }
    }
    // The lines saying what is served come once SIGINT and SIGTERM are handled: whoever waits
    // for them may stop the server right away.
    auto tell_messages = [&] {
        if (!message_server) return;
        std::string subjects;
        for (const auto& s : message_server->subjects())
            subjects += (subjects.empty() ? "" : ", ") + s;
        fmt::print(stderr, "handling messages on {} ({})\n", subjects,
                   (*imports)->capabilities().backend_of("wasmcloud:messaging"));
        std::fflush(stderr);
    };
    if (!http) {
        message_server->run(true, tell_messages);
        return 0;
    }
    auto server = host::HttpServer::create(engine, *component, **imports, std::move(opts));
    if (!server.ok()) return fail(server.error());
    std::string addr = args.listen.substr(0, args.listen.rfind(':'));
    (*server)->run(true, [&] {
        tell_messages();
        fmt::print(stderr, "listening on http://{}:{}\n", addr, (*server)->port());
        std::fflush(stderr);
    });
    // Messages stop with the HTTP server: the one under way is finished first.
    message_server.reset();
    return 0;
}

} // namespace

void register_serve(CLI::App& app) {
    auto args = std::make_shared<ServeArgs>();
    CLI::App* cmd = app.add_subcommand(
        "serve", "Serve a component: HTTP requests (wasi:http/incoming-handler) and/or messages "
                 "on the messaging link's subscriptions (wasmcloud:messaging/handler)");
    cmd->add_option("--listen", args->listen, "ADDRESS:PORT to listen on (port 0: any free)")
        ->capture_default_str();
    cmd->add_option("--timeout", args->timeout_ms,
                    "Stop a request's guest after this many milliseconds (503), or a message's");
    cmd->add_option("--workers", args->workers, "Worker threads (default: one per CPU)");
    add_guest_options(cmd, args->guest);
    cmd->add_option("component", args->path, "COMPONENT.wasm")->required();
    cmd->callback([args] {
        int status = run_serve(*args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
