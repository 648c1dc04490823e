#include "guest_options.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace cirrus::cli {

void add_guest_options(CLI::App* cmd, GuestOptions& o) {
    cmd->add_option("--env", o.env, "An environment variable for the guest, KEY=VALUE")
        ->allow_extra_args(false);
    cmd->add_option("--dir", o.dirs,
                    "Grant a host directory, HOST[::GUEST] (the guest sees it as GUEST)")
        ->allow_extra_args(false);
    cmd->add_option("--dir-ro", o.dirs_ro, "Grant a host directory read-only, HOST[::GUEST]")
        ->allow_extra_args(false);
    cmd->add_option("--allow-tcp", o.allow_tcp,
                    "Let the guest connect over TCP to HOST:PORT (HOST:* or HOST: any port)")
        ->allow_extra_args(false);
    cmd->add_option("--allow-udp", o.allow_udp,
                    "Let the guest send UDP datagrams to HOST:PORT (HOST:* or HOST: any port)")
        ->allow_extra_args(false);
    cmd->add_option("--allow-http", o.allow_http,
                    "Allow outgoing HTTP requests to HOST or HOST:PORT (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--link", o.caps.links,
                    "Serve an interface family with a backend, INTERFACE=BACKEND[,key=value...] "
                    "(e.g. wasi:keyvalue=redis,url=redis://127.0.0.1:6379)")
        ->allow_extra_args(false);
    cmd->add_option("--config", o.caps.config,
                    "A configuration value for wasi:config, KEY=VALUE (the last given wins)")
        ->allow_extra_args(false);
    cmd->add_option("--secret", o.caps.secrets,
                    "A secret for wasmcloud:secrets, NAME=VALUE, NAME=@file:PATH or NAME=@env:VAR")
        ->allow_extra_args(false);
    cmd->add_option("--data-dir", o.caps.data_dir,
                    "Keep the embedded backends' data in DIR (the filesystem blob store in "
                    "DIR/blobstore); default: temporary storage removed at exit")
        ->allow_extra_args(false);
    cmd->add_option("--log-level", o.caps.log_level,
                    "Drop the component's wasi:logging messages below this level (trace, debug, "
                    "info, warn, error, critical, off; default info)")
        ->allow_extra_args(false);
}

Result<void> apply_guest_options(const GuestOptions& o, const std::string& path,
                                 host::ComponentOptions& component) {
    CIRRUS_TRY_ASSIGN(component.capabilities, host::parse_capability_flags(o.caps));
    component.capabilities.component = std::filesystem::path(path).stem().string();
    // The host log goes to stderr: stdout is the guest's.
    component.capabilities.logger = spdlog::get("cirrus");
    if (!component.capabilities.logger)
        component.capabilities.logger = spdlog::stderr_color_mt("cirrus");
    wasi::Config& config = component.wasi;
    for (const auto& kv : o.env) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            return Error(ErrorKind::Usage, fmt::format("--env takes KEY=VALUE, got `{}`", kv));
        config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    for (const auto* list : {&o.dirs, &o.dirs_ro}) {
        for (const auto& d : *list) {
            size_t sep = d.find("::");
            wasi::Config::Dir dir;
            dir.host_path = d.substr(0, sep);
            dir.guest_path = sep == std::string::npos ? d : d.substr(sep + 2);
            dir.read_only = list == &o.dirs_ro;
            config.dirs.push_back(std::move(dir));
        }
    }
    for (const auto* list : {&o.allow_tcp, &o.allow_udp}) {
        for (const auto& text : *list) {
            CIRRUS_TRY_ASSIGN(auto grant,
                              wasi::parse_socket_grant(text, list == &o.allow_tcp
                                                                 ? wasi::Config::Protocol::Tcp
                                                                 : wasi::Config::Protocol::Udp));
            config.sockets.push_back(std::move(grant));
        }
    }
    config.allow_http = o.allow_http;
    return {};
}

} // namespace cirrus::cli
