// `cirrus serve [--listen ADDR:PORT] [--timeout MS] [--workers N] [--allow-http HOST[:PORT]]...
// [--env K=V]... [--dir HOST[::GUEST]]... [--link ...]... [--config K=V]... [--secret ...]...
// [--log-level L] COMPONENT.wasm`: serves a wasi:http/proxy component over HTTP/1.1, a fresh
// instance per request (src/host/http_server.cpp), with the capability providers `cirrus run`
// links too. Prints
// "listening on http://ADDR:PORT" to stderr once it accepts connections; SIGINT or SIGTERM
// stop it after the requests under way. A component that is not a proxy, or imports what the
// host does not provide, is refused before it listens (exit status 1, with the list).
#include "commands.h"

#include "cirrus/host/http_server.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
    std::vector<std::string> allow_http;
    std::vector<std::string> env;
    std::vector<std::string> dirs, dirs_ro;
    host::CapabilityFlags caps;
};

int run_serve(const ServeArgs& args) {
    std::ifstream in(args.path, std::ios::binary);
    if (!in) {
        fmt::print(stderr, "error: cannot read {}\n", args.path);
        return 1;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    host::ServeOptions opts;
    opts.listen = args.listen;
    opts.workers = args.workers;
    if (args.timeout_ms) opts.timeout = std::chrono::milliseconds(*args.timeout_ms);
    auto caps = host::parse_capability_flags(args.caps);
    if (!caps.ok()) {
        fmt::print(stderr, "error: {}\n", caps.error().message);
        return 1;
    }
    opts.component.capabilities = std::move(caps).value();
    opts.component.capabilities.component = std::filesystem::path(args.path).stem().string();
    opts.component.capabilities.logger = spdlog::stderr_color_mt("cirrus");
    wasi::Config& config = opts.component.wasi;
    config.allow_http = args.allow_http;
    config.args.push_back(args.path);
    for (const auto& kv : args.env) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            fmt::print(stderr, "error: --env takes KEY=VALUE, got `{}`\n", kv);
            return 1;
        }
        config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    for (const auto* list : {&args.dirs, &args.dirs_ro}) {
        for (const auto& d : *list) {
            size_t sep = d.find("::");
            wasi::Config::Dir dir;
            dir.host_path = d.substr(0, sep);
            dir.guest_path = sep == std::string::npos ? d : d.substr(sep + 2);
            dir.read_only = list == &args.dirs_ro;
            config.dirs.push_back(std::move(dir));
        }
    }
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
    cmd->add_option("--allow-http", args->allow_http,
                    "Allow outgoing HTTP requests to HOST or HOST:PORT (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--env", args->env, "An environment variable for the guest, KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option("--dir", args->dirs, "Grant a host directory, HOST[::GUEST]")
        ->allow_extra_args(false);
    cmd->add_option("--dir-ro", args->dirs_ro, "Grant a host directory read-only, HOST[::GUEST]")
        ->allow_extra_args(false);
    cmd->add_option("--link", args->caps.links,
                    "Link a capability interface to a backend, INTERFACE=BACKEND[,key=value...]")
        ->allow_extra_args(false);
    cmd->add_option("--config", args->caps.config,
                    "A configuration value for wasi:config, KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option("--secret", args->caps.secrets,
                    "A secret for wasmcloud:secrets, NAME=VALUE, NAME=@file:PATH or NAME=@env:VAR")
        ->allow_extra_args(false);
    cmd->add_option("--log-level", args->caps.log_level,
                    "Host log level: trace, debug, info, warn, error, critical, off");
    cmd->add_option("component", args->path, "COMPONENT.wasm")->required();
    cmd->callback([args] {
        int status = run_serve(*args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
