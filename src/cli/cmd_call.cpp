// `cirrus call COMPONENT.wasm 'greet("world")'`: instantiates a component that has no imports
// left to satisfy, calls one exported function with arguments written in WAVE (the
// WebAssembly Value Encoding) and prints the result in WAVE. A function of an exported
// instance is named `iface#func` (or `iface.func`); a bare name that only one exported
// instance has is found there too. Traps are printed to stderr and end with status 1.
#include "commands.h"
#include "files.h"

#include "cirrus/component/component.h"

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

struct CallArgs {
    std::string path;
    std::string expr;
};

// Finds `name` among the exports: exactly, as `iface#func` / `iface.func`, or as a bare function
// name of a single exported instance. Ambiguity is an error listing the qualified names.
component::Func* find_func(component::Instance& inst, std::string_view name, std::string* err) {
    if (component::Func* f = inst.get_func(name)) return f;
    std::vector<std::pair<std::string, component::Func*>> found;
    for (const auto& e : inst.exports()) {
        if (e.sort != component::Sort::Instance || !e.instance) continue;
        if (component::Func* f = e.instance->get_func(name))
            found.emplace_back(fmt::format("{}#{}", e.name, name), f);
    }
    if (found.size() == 1) return found[0].second;
    if (found.empty()) {
        *err = fmt::format("the component exports no function `{}`", name);
    } else {
        *err = fmt::format("`{}` is ambiguous; qualify it as one of:", name);
        for (const auto& [q, f] : found) *err += "\n  " + q;
    }
    return nullptr;
}

int run_call(const CallArgs& args) {
    auto read = read_input_file(args.path);
    if (!read) return 1;
    const std::vector<uint8_t>& bytes = *read;
    wasm::Engine engine;
    auto component = component::Component::compile(engine, bytes);
    if (!component) {
        fmt::print(stderr, "error: {}: {}\n", args.path, component.error().to_string());
        return 1;
    }
    component::Store store(engine);
    component::Linker linker;
    auto instance = linker.instantiate(store, *component);
    if (!instance) {
        fmt::print(stderr, "error: {}\n", instance.error().to_string());
        return 1;
    }
    std::string lookup_error;
    component::Func* func = nullptr;
    component::WaveError wave_error;
    auto call = component::wave_parse_call(
        args.expr,
        [&](std::string_view name) -> const component::FuncType* {
            func = find_func(**instance, name, &lookup_error);
            return func ? &func->type() : nullptr;
        },
        &wave_error);
    if (!call) {
        fmt::print(stderr, "error: {}\n",
                   lookup_error.empty()
                       ? fmt::format("{} (at column {})", wave_error.message, wave_error.offset + 1)
                       : lookup_error);
        return 1;
    }
    auto result = store.call(func, call->second);
    if (!result) {
        fmt::print(stderr, "error: {}\n", result.error().to_string());
        return 1;
    }
    if (*result) fmt::print("{}\n", component::wave_print(**result, func->type().result));
    return 0;
}

} // namespace

void register_call(CLI::App& app) {
    auto args = std::make_shared<CallArgs>();
    CLI::App* cmd = app.add_subcommand("call", "Call an export of a component with WAVE arguments");
    cmd->add_option("component", args->path, "The component .wasm")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("call", args->expr, "The call, e.g. 'greet(\"world\")'")->required();
    cmd->callback([args] {
        int status = run_call(*args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
