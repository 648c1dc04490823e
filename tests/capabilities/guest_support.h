// Running the capability test guests in-process (host::run_command) with their stdout, stderr
// and the host log captured, and through the `cirrus` binary as a user would.
#pragma once

#include "cirrus/host/imports.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace cirrus::testing {

std::string caps_component(const std::string& name);

struct GuestRun {
    Result<int> status = 0;
    std::string out, err, log;
};

// Runs component `name` with guest arguments `args` and the given capability options (their
// logger is replaced by one writing into GuestRun::log).
GuestRun run_guest(const std::string& name, std::vector<std::string> args,
                   capabilities::Options options = {});

struct CliRun {
    int status = 0;
    std::string out, err;
};
// Runs `cirrus ARGS...` and captures what it printed.
CliRun run_cli(const std::vector<std::string>& args);

} // namespace cirrus::testing
