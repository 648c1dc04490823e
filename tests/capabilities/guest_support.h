// Running the capability test guests in-process (host::run_command) with their stdout, stderr
// and the host log captured, and through the `cirrus` binary as a user would.
#pragma once

#include "cirrus/host/imports.h"

#include <chrono>
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

// A long-running `cirrus ARGS...` (serve): its stderr is read as it comes; killed if still
// running when the object goes.
class CliChild {
public:
    explicit CliChild(const std::vector<std::string>& args);
    ~CliChild();
    CliChild(const CliChild&) = delete;
    CliChild& operator=(const CliChild&) = delete;
    // Reads stderr until `text` appears (false when the child closes it first, or after
    // `limit`).
    bool wait_for(const std::string& text,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(20000));
    void signal(int sig);
    // Waits for the child to end; its exit status (128 + the signal when killed by one).
    int wait_exit();
    // Everything it wrote to stderr so far.
    const std::string& err() const { return err_; }

private:
    int pid_ = -1;
    int err_fd_ = -1;
    std::string err_;
};

} // namespace cirrus::testing
