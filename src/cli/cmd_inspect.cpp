// `cirrus inspect COMPONENT.wasm`: decodes and validates a component and prints its imports and
// exports as a WIT world (interfaces it names in nested package blocks). A malformed or invalid
// component is reported with its byte offset and ends with status 1.
#include "commands.h"
#include "files.h"

#include "cirrus/component/component.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

int run_inspect(const std::string& path) {
    auto read = read_input_file(path);
    if (!read) return 1;
    const std::vector<uint8_t>& bytes = *read;
    wasm::Engine engine;
    auto component = component::Component::compile(engine, bytes);
    if (!component) {
        fmt::print(stderr, "error: {}: {}\n", path, component.error().to_string());
        return 1;
    }
    fmt::print("{}", (*component)->world_wit());
    return 0;
}

} // namespace

void register_inspect(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("inspect", "Print a component's imports and exports as WIT");
    cmd->add_option("component", *path, "The component .wasm")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->callback([path] {
        int status = run_inspect(*path);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
