// Entry point of the one `cirrus` binary: parses the command line and hands over to the
// subcommand that was named.
#include "cirrus/wasm/engine.h"
#include "commands.h"

#include <cstdio>

int main(int argc, char** argv) {
    CLI::App app{"cirrus: a WebAssembly component host"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "cirrus 0.1.0");
    cirrus::cli::register_wast(app);
    cirrus::cli::register_invoke(app);
    cirrus::cli::register_wit(app);
    cirrus::cli::register_inspect(app);
    cirrus::cli::register_call(app);
    cirrus::cli::register_run(app);
    cirrus::cli::register_serve(app);
    // Every command that runs wasm takes the execution tier (the default comes from the
    // environment variable CIRRUS_TIER, else the interpreter).
    for (const char* name : {"wast", "invoke", "call", "run", "serve"}) {
        app.get_subcommand(name)
            ->add_option_function<std::string>(
                "--tier",
                [](const std::string& tier) {
                    cirrus::wasm::set_default_tier(tier == "jit" ? cirrus::wasm::Tier::Jit
                                                                 : cirrus::wasm::Tier::Interpreter);
                },
                "Execution tier: interp (default) or jit (LLVM-compiled)")
            ->check(CLI::IsMember({"interp", "jit"}))
            ->trigger_on_parse();
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}
