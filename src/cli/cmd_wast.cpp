// `cirrus wast FILE.wast...`: runs spec test scripts (like `wasmtime wast`). Each file gets a
// report of its failures and a closing "N passed, M failed" line; several files get a total.
// The exit status is 1 when any command failed or any script could not be run.
#include "commands.h"

#include "cirrus/wasm/wast.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

struct WastArgs {
    std::vector<std::string> files;
    std::string wast2json;
    bool verbose = false;
    bool print = false;
};

int run_wast(const WastArgs& args) {
    wasm::wast::Options options;
    options.wast2json = args.wast2json;
    options.verbose = args.verbose;
    options.print_to = args.print ? &std::cout : nullptr;

    wasm::wast::Tally total;
    for (const std::string& file : args.files) {
        std::cout << file << '\n';
        auto tally = wasm::wast::run_file(file, options, std::cout);
        if (!tally) {
            // A script that cannot be run at all counts as one failure.
            std::cout << fmt::format("{}: error: {}\n", file, tally.error().message);
            wasm::wast::Tally failed;
            failed.failed = 1;
            tally = failed;
        }
        std::cout << tally->to_string() << '\n';
        total += *tally;
    }
    if (args.files.size() > 1) {
        std::cout << fmt::format("total of {} files\n", args.files.size());
        std::cout << total.to_string() << '\n';
    }
    std::cout.flush();
    return total.failed == 0 ? 0 : 1;
}

} // namespace

void register_wast(CLI::App& app) {
    auto args = std::make_shared<WastArgs>();
    CLI::App* cmd = app.add_subcommand("wast", "Run WebAssembly spec test scripts (.wast)");
    cmd->add_option("files", args->files, "Scripts to run")->required()->check(CLI::ExistingFile);
    cmd->add_option("--wast2json", args->wast2json, "wabt's wast2json program to convert with");
    cmd->add_flag("-v,--verbose", args->verbose, "Report every command, not only failures");
    cmd->add_flag("--print", args->print, "Let spectest.print* write to stdout");
    cmd->callback([args] {
        int status = run_wast(*args);
        // CLI11's way to end with a status: main() returns it from app.exit().
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
