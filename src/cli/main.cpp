// Entry point of the one `cirrus` binary: parses the command line and hands over to the
// subcommand that was named.
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
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}
