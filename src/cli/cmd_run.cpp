// `cirrus run [--env K=V]... [--dir HOST[::GUEST]]... [--dir-ro HOST[::GUEST]]...
// [--allow-tcp HOST:PORT]... [--allow-udp HOST:PORT]... [--allow-http HOST[:PORT]]...
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
#include "files.h"
#include "guest_options.h"

#include "cirrus/host/imports.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

struct RunArgs {
    std::string path;
    GuestOptions guest;
    std::optional<uint64_t> timeout_ms;
    std::vector<std::string> guest_args;
};

// Exit status for a trapped or interrupted guest (as a process killed by SIGABRT).
constexpr int trap_status = 134;

int run_run(const RunArgs& args) {
    host::RunOptions run;
    if (auto applied = apply_guest_options(args.guest, args.path, run.component); !applied) {
        fmt::print(stderr, "error: {}\n", applied.error().message);
        return 1;
    }
    wasi::Config& config = run.component.wasi;
    config.args.push_back(args.path);
    for (const auto& a : args.guest_args) config.args.push_back(a);
    auto read = read_input_file(args.path);
    if (!read) return 1;
    const std::vector<uint8_t>& bytes = *read;
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
    add_guest_options(cmd, args->guest);
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
