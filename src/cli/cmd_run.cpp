// `cirrus run [--env K=V]... [--dir HOST[::GUEST]]... [--dir-ro HOST[::GUEST]]...
// [--allow-tcp HOST:PORT]... [--allow-udp HOST:PORT]...
// [--link INTERFACE=BACKEND[,key=value...]]... [--config KEY=VALUE]... [--secret NAME=VALUE]...
// [--log-level LEVEL] [--timeout MS] COMPONENT.wasm [ARGS...]`: runs a `wasi:cli/command`
// component with the WASI 0.2 host and the capability providers. The guest sees the arguments
// after the component (the component's path first), only the environment variables given with
// --env, this process's standard streams, the directories granted (confined beneath them) and
// no other filesystem, and no network but the outbound addresses granted with --allow-tcp and
// --allow-udp. The wasmCloud interfaces it imports are served by their
// embedded defaults (key-value in memory, config from --config, secrets from --secret, logging
// to stderr) unless --link names another backend. Its exit status becomes this process's; a
// trap or an interruption by --timeout is printed to stderr and ends with 134; a component
// importing what the host does not provide is refused before it starts, with the list of those
// imports, and ends with 1.
#include "commands.h"

#include "cirrus/host/imports.h"

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

struct RunArgs {
    std::string path;
    std::vector<std::string> env;
    std::vector<std::string> dirs, dirs_ro;
    std::vector<std::string> allow_tcp, allow_udp;
    host::CapabilityFlags caps;
    std::optional<uint64_t> timeout_ms;
    std::vector<std::string> guest_args;
};

// Exit status for a trapped or interrupted guest (as a process killed by SIGABRT).
constexpr int trap_status = 134;

int run_run(const RunArgs& args) {
    host::RunOptions run;
    auto caps = host::parse_capability_flags(args.caps);
    if (!caps.ok()) {
        fmt::print(stderr, "error: {}\n", caps.error().message);
        return 1;
    }
    run.component.capabilities = std::move(caps).value();
    run.component.capabilities.component = std::filesystem::path(args.path).stem().string();
    // The host log goes to stderr: stdout is the guest's.
    run.component.capabilities.logger = spdlog::stderr_color_mt("cirrus");
    wasi::Config& config = run.component.wasi;
    config.args.push_back(args.path);
    for (const auto& a : args.guest_args) config.args.push_back(a);
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
    for (const auto* list : {&args.allow_tcp, &args.allow_udp}) {
        for (const auto& text : *list) {
            auto grant = wasi::parse_socket_grant(text, list == &args.allow_tcp
                                                            ? wasi::Config::Protocol::Tcp
                                                            : wasi::Config::Protocol::Udp);
            if (!grant) {
                fmt::print(stderr, "error: {}\n", grant.error().message);
                return 1;
            }
            config.sockets.push_back(std::move(*grant));
        }
    }
    std::ifstream in(args.path, std::ios::binary);
    if (!in) {
        fmt::print(stderr, "error: cannot read {}\n", args.path);
        return 1;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (args.timeout_ms) run.timeout = std::chrono::milliseconds(*args.timeout_ms);
    auto status = host::run_command(bytes, std::move(run));
    if (status.ok()) return *status;
    const Error& e = status.error();
    fmt::print(stderr, "error: {}: {}\n", args.path, e.to_string());
    return e.is_trap() ? trap_status : 1;
}

} // namespace

void register_run(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand("run", "Run a wasi:cli/command component");
    cmd->add_option("--env", args->env, "An environment variable for the guest, KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option("--dir", args->dirs,
                    "Grant a host directory, HOST[::GUEST] (the guest sees it as GUEST)")
        ->allow_extra_args(false);
    cmd->add_option("--dir-ro", args->dirs_ro, "Grant a host directory read-only, HOST[::GUEST]")
        ->allow_extra_args(false);
    cmd->add_option("--allow-tcp", args->allow_tcp,
                    "Let the guest connect over TCP to HOST:PORT (HOST:* or HOST: any port)")
        ->allow_extra_args(false);
    cmd->add_option("--allow-udp", args->allow_udp,
                    "Let the guest send UDP datagrams to HOST:PORT (HOST:* or HOST: any port)")
        ->allow_extra_args(false);
    cmd->add_option("--link", args->caps.links,
                    "Serve an interface family with a backend, INTERFACE=BACKEND[,key=value...] "
                    "(e.g. wasi:keyvalue=redis,url=redis://127.0.0.1:6379)")
        ->allow_extra_args(false);
    cmd->add_option("--config", args->caps.config,
                    "A configuration value for wasi:config, KEY=VALUE (the last given wins)")
        ->allow_extra_args(false);
    cmd->add_option("--secret", args->caps.secrets,
                    "A secret for wasmcloud:secrets, NAME=VALUE, NAME=@file:PATH or NAME=@env:VAR")
        ->allow_extra_args(false);
    cmd->add_option("--log-level", args->caps.log_level,
                    "Drop the component's wasi:logging messages below this level (trace, debug, "
                    "info, warn, error, critical, off; default info)")
        ->allow_extra_args(false);
    cmd->add_option("--timeout", args->timeout_ms, "Stop the guest after this many milliseconds")
        ->allow_extra_args(false);
    // The component and everything after it are left unparsed: the arguments are the guest's.
    cmd->prefix_command();
    cmd->footer("COMPONENT.wasm [ARGS...]: the component, then the guest's arguments");
    cmd->callback([args, cmd] {
        std::vector<std::string> rest = cmd->remaining();
        if (rest.empty()) throw CLI::RequiredError("COMPONENT.wasm");
        args->path = rest[0];
        args->guest_args.assign(rest.begin() + 1, rest.end());
        int status = run_run(*args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
