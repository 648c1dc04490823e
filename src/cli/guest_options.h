// The options `cirrus run` and `cirrus serve` share: what the guest is granted (environment,
// directories, outbound sockets and HTTP hosts) and which providers serve its capability imports.
#pragma once

#include "cirrus/host/imports.h"
#include "cirrus/support/result.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace cirrus::cli {

struct GuestOptions {
    std::vector<std::string> env;                  // --env KEY=VALUE
    std::vector<std::string> dirs, dirs_ro;        // --dir / --dir-ro HOST[::GUEST]
    std::vector<std::string> allow_tcp, allow_udp; // --allow-tcp / --allow-udp HOST:PORT
    std::vector<std::string> allow_http;           // --allow-http HOST[:PORT]
    host::CapabilityFlags caps;                    // --link, --config, --secret, --log-level
};

// Adds the options to a subcommand.
void add_guest_options(CLI::App* cmd, GuestOptions& options);

// Fills what the component at `path` is given from the options (its arguments are the caller's
// to add); an error names the option that was wrong.
Result<void> apply_guest_options(const GuestOptions& options, const std::string& path,
                                 host::ComponentOptions& component);

} // namespace cirrus::cli
