// `cirrus run [--env K=V]... [--dir HOST[::GUEST]]... [--dir-ro HOST[::GUEST]]...
// [--timeout MS] COMPONENT.wasm [ARGS...]`: runs a
// `wasi:cli/command` component with the WASI 0.2 host. The guest sees the arguments after the
// component (the component's path first), only the environment variables given with --env,
// this process's standard streams, the directories granted (confined beneath them) and no
// other filesystem, no network. Its exit status becomes this
// process's; a trap or an interruption by --timeout is printed to stderr and ends with 134; a
// component importing what the host does not provide is refused before it starts, with the
// list of those imports, and ends with 1.
#include "commands.h"

#include "cirrus/wasi/wasi.h"

#include <fmt/format.h>

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
    std::optional<uint64_t> timeout_ms;
    std::vector<std::string> guest_args;
};

// Exit status for a trapped or interrupted guest (as a process killed by SIGABRT).
constexpr int trap_status = 134;

int run_run(const RunArgs& args) {
    std::ifstream in(args.path, std::ios::binary);
    if (!in) {
        fmt::print(stderr, "error: cannot read {}\n", args.path);
        return 1;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    wasi::RunOptions opts;
    opts.config.args.push_back(args.path);
    for (const auto& a : args.guest_args) opts.config.args.push_back(a);
    for (const auto& kv : args.env) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            fmt::print(stderr, "error: --env takes KEY=VALUE, got `{}`\n", kv);
            return 1;
        }
        opts.config.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    for (const auto* list : {&args.dirs, &args.dirs_ro}) {
        for (const auto& d : *list) {
            size_t sep = d.find("::");
            wasi::Config::Dir dir;
            dir.host_path = d.substr(0, sep);
            dir.guest_path = sep == std::string::npos ? d : d.substr(sep + 2);
            dir.read_only = list == &args.dirs_ro;
            opts.config.dirs.push_back(std::move(dir));
        }
    }
    if (args.timeout_ms) opts.timeout = std::chrono::milliseconds(*args.timeout_ms);
    auto status = wasi::run_command(bytes, std::move(opts));
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
