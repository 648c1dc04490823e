// Each `cirrus` subcommand registers itself on the CLI11 app; the implementations are thin
// and call into the layers.
#pragma once

#include <CLI/CLI.hpp>

namespace cirrus::cli {

void register_wast(CLI::App& app);
void register_invoke(CLI::App& app);
void register_wit(CLI::App& app);
void register_inspect(CLI::App& app);
void register_call(CLI::App& app);
void register_run(CLI::App& app);
void register_serve(CLI::App& app);

} // namespace cirrus::cli
