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

// One component's host kept across runs (as `cirrus serve` keeps it across requests): the
// backends and their connections are shared by every run.
class GuestHost {
public:
    explicit GuestHost(capabilities::Options options);
    // Whether the options were accepted (a bad link is an error here).
    const Result<void>& created() const { return created_; }
    GuestRun run(const std::string& name, std::vector<std::string> args);
    // Runs the JavaScript guest (build/<preset>/guests/NAME.wasm). componentize-js components
    // import wasi:http/types, which this host does not serve yet: it is linked to functions
    // that trap, and the guest must not call them.
    GuestRun run_js(const std::string& name, std::vector<std::string> args);

private:
    std::shared_ptr<std::ostringstream> log_;
    std::unique_ptr<host::ComponentImports> imports_;
    Result<void> created_;
};

// `text` without the page counts of list-keys lines (" in N pages"): Redis's SCAN may split the
// same keys into more or fewer pages depending on everything else the server holds.
std::string without_page_counts(const std::string& text);

struct CliRun {
    int status = 0;
    std::string out, err;
};
// Runs `cirrus ARGS...` and captures what it printed.
CliRun run_cli(const std::vector<std::string>& args);

} // namespace cirrus::testing
