// `cirrus serve [--listen ADDR:PORT] [--timeout MS] [--workers N] [--allow-http HOST[:PORT]]...
// [--allow-tcp HOST:PORT]... [--allow-udp HOST:PORT]... [--env K=V]... [--dir HOST[::GUEST]]...
// [--link ...]... [--config K=V]... [--secret ...]...
// [--log-level L] COMPONENT.wasm`: serves a wasi:http/proxy component over HTTP/1.1, a fresh
// instance per request (src/host/http_server.cpp), with the capability providers `cirrus run`
// links too. Prints
// "listening on http://ADDR:PORT" to stderr once it accepts connections; SIGINT or SIGTERM
// stop it after the requests under way. A component that is not a proxy, or imports what the
// host does not provide, is refused before it listens (exit status 1, with the list).
#include "commands.h"
#include "files.h"
#include "guest_options.h"

#include "cirrus/host/http_server.h"

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
    auto server = host::HttpServer::create(bytes, std::move(opts));
    if (!server.ok()) {
        fmt::print(stderr, "error: {}: {}\n", args.path, server.error().to_string());
        return 1;
    }
    std::string addr = args.listen.substr(0, args.listen.rfind(':'));
    fmt::print(stderr, "listening on http://{}:{}\n", addr, (*server)->port());
    std::fflush(stderr);
    (*server)->run(true);
    return 0;
}

} // namespace

void register_serve(CLI::App& app) {
    auto args = std::make_shared<ServeArgs>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve a wasi:http/proxy component over HTTP");
    cmd->add_option("--listen", args->listen, "ADDRESS:PORT to listen on (port 0: any free)")
        ->capture_default_str();
    cmd->add_option("--timeout", args->timeout_ms,
                    "Stop a request's guest after this many milliseconds (503)");
    cmd->add_option("--workers", args->workers, "Worker threads (default: one per CPU)");
    add_guest_options(cmd, args->guest);
    cmd->add_option("component", args->path, "COMPONENT.wasm")->required();
    cmd->callback([args] {
        int status = run_serve(*args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
