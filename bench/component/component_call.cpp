// Call overhead across the component boundary, per call in nanoseconds, beside a plain core
// wasm call in the same run:
//
//   core        a core wasm function (i32, i32) -> i32 through wasm::Store::call
//   host→guest  greet("world") -> string on the C greeter component: the host lowers the
//               string into guest memory (realloc), the guest builds its answer, the host lifts
//               it and runs post-return
//   c2c         run("world") on the C caller component linked to the greeter: host→caller, then
//               caller→greeter through canon lower / canon lift, the string copied from one
//               linear memory to the other both ways
//   c2host      the same run("world") with greet implemented by a C++ host function, so
//               c2c − c2host is what linking to a component costs over a host import
//
// Each case runs `iters` calls per repetition; the minimum over repetitions is reported.
#include "cirrus/component/component.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

using namespace cirrus;
using namespace cirrus::component;

namespace {

std::vector<uint8_t> read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(1);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
T check(Result<T> r, const char* what) {
    if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", what, r.error().to_string().c_str());
        std::exit(1);
    }
    return std::move(r).value();
}

double ns_per_call(size_t iters, int reps, const std::function<void()>& call) {
    for (size_t i = 0; i < iters / 10 + 1; ++i) call(); // warm up
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
        auto start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < iters; ++i) call();
        double ns =
            std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
                .count();
        best = std::min(best, ns / static_cast<double>(iters));
    }
    return best;
}

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const std::vector<uint8_t> add_module = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
    0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 'a',  'd',  'd',
    0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b};

} // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : CIRRUS_BENCH_COMPONENTS;
    size_t iters = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 20000;
    int reps = 5;
    wasm::Engine engine;

    // core
    wasm::Store core_store(engine);
    auto module = check(wasm::Module::compile(engine, add_module), "core module");
    auto core_inst = check(wasm::Linker().instantiate(core_store, module), "core instance");
    wasm::Func* add = core_inst->get_func("add");
    const wasm::Value add_args[2] = {wasm::Value::i32(20), wasm::Value::i32(22)};
    double core_ns = ns_per_call(iters * 10, reps, [&] {
        auto r = core_store.call(add, add_args);
        if (!r.ok() || (*r)[0].as_i32() != 42) std::abort();
    });

    auto greeter = check(Component::compile(engine, read(dir + "/greeter.wasm")), "greeter");
    auto caller = check(Component::compile(engine, read(dir + "/caller.wasm")), "caller");
    const std::vector<Val> world = {Val::string("world")};

    // host→guest
    Store store(engine);
    Instance* g = check(Linker().instantiate(store, greeter), "instantiate greeter");
    Func* greet = g->get_func("local:greeter-demo/greet#greet");
    double host_guest_ns = ns_per_call(iters, reps, [&] {
        auto r = store.call(greet, world);
        if (!r.ok() || (*r)->as_string() != "Hello, world!") std::abort();
    });

    // c2c
    Linker linker;
    if (!linker
             .define_instance("local:greeter-demo/greet",
                              g->get_instance("local:greeter-demo/greet"))
             .ok())
        return 1;
    Instance* c = check(linker.instantiate(store, caller), "instantiate caller");
    Func* run = c->get_func("run");
    double c2c_ns = ns_per_call(iters, reps, [&] {
        auto r = store.call(run, world);
        if (!r.ok() || (*r)->as_string() != "[Hello, world!]") std::abort();
    });

    // c2host
    Store host_store(engine);
    Linker host_linker;
    FuncType ft;
    ft.params = {{"name", ValType::primitive(TypeKind::String)}};
    ft.result = ValType::primitive(TypeKind::String);
    host_linker.define_func(
        "local:greeter-demo/greet", "greet", host_linker.types().func(ft),
        [](CallContext&, std::span<const Val> args) -> Result<std::optional<Val>> {
            return std::optional<Val>(Val::string("Hello, " + args[0].as_string() + "!"));
        });
    Instance* ch = check(host_linker.instantiate(host_store, caller), "instantiate caller (host)");
    Func* run_host = ch->get_func("run");
    double c2host_ns = ns_per_call(iters, reps, [&] {
        auto r = host_store.call(run_host, world);
        if (!r.ok() || (*r)->as_string() != "[Hello, world!]") std::abort();
    });

    std::printf("component call overhead (ns per call, min of %d x %zu calls)\n", reps, iters);
    std::printf("%-34s %10.1f\n", "core wasm add(i32, i32)", core_ns);
    std::printf("%-34s %10.1f  (%.1fx core)\n", "host->guest greet(\"world\")", host_guest_ns,
                host_guest_ns / core_ns);
    std::printf("%-34s %10.1f\n", "host->caller->greeter run(\"world\")", c2c_ns);
    std::printf("%-34s %10.1f\n", "host->caller->host run(\"world\")", c2host_ns);
    std::printf("%-34s %10.1f\n", "component->component (c2c - c2host)", c2c_ns - c2host_ns);
    return 0;
}
