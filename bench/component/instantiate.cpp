// Start-up and instantiation of real components (Google Benchmark), for a host that makes a
// fresh instance per request:
//
//   Compile/<c>            Component::compile: decode, validate and prepare (every core module's
//                          code pre-decoded), what `cirrus serve` does once at start
//   InstancePre/<c>        Linker::instantiate_pre with the WASI host's definitions: imports
//                          resolved once
//   InstantiateFresh/<c>   the first instantiation of a newly compiled component (builds the
//                          memory images), compile excluded
//   Instantiate/<c>        Linker::instantiate into a new Store, imports resolved every time
//   InstantiatePre/<c>     InstancePre::instantiate into a new Store: the per-request cost
//                          (store created, instance built, store dropped)
//
// <c> is js_http (componentize-js: StarlingMonkey, ~14 MB) and hello (C on wasi-libc).
// wasi:http imports the WASI host does not serve are linked to functions that trap. The peer,
// Node with jco's bindings instantiating the same component, is jco_instantiate.mjs;
// run_instantiate.sh runs both and prints the ratio.
#include "cirrus/component/component.h"
#include "cirrus/wasi/wasi.h"

#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

using namespace cirrus;

namespace {

std::vector<uint8_t> read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::map<std::string, std::string>& paths() {
    static const std::map<std::string, std::string> p = {
        {"js_http", std::string(CIRRUS_GUEST_DIR) + "/js_http.wasm"},
        {"hello", std::string(CIRRUS_EXAMPLES_DIR) + "/hello.wasm"},
    };
    return p;
}

// One component, its engine, and a Linker with the WASI host's definitions.
struct Setup {
    wasm::Engine engine;
    std::vector<uint8_t> bytes;
    std::shared_ptr<const component::Component> component;
    wasi::Host host{wasi::Config{}};
    component::Linker linker;
    std::shared_ptr<const component::InstancePre> pre;
    std::string error;

    explicit Setup(const std::string& name) {
        bytes = read(paths().at(name));
        auto c = component::Component::compile(engine, bytes);
        if (!c.ok()) {
            error = c.error().to_string();
            return;
        }
        component = *c;
        for (const auto& missing : host.add_to_linker(linker, *component)) link_as_traps(missing);
        auto p = linker.instantiate_pre(component);
        if (!p.ok()) {
            error = p.error().to_string();
            return;
        }
        pre = *p;
    }

    void link_as_traps(const std::string& import) {
        for (const auto& [name, ext] : component->type().imports) {
            if (name != import || ext.sort != component::Sort::Instance) continue;
            for (const auto& [export_name, et] : ext.instance->exports) {
                if (et.sort == component::Sort::Func)
                    linker.define_func(name, export_name, et.func,
                                       [](component::CallContext&, std::span<const component::Val>)
                                           -> Result<std::optional<component::Val>> {
                                           return Error(ErrorKind::Trap, "not linked");
                                       });
                else if (et.sort == component::Sort::Type && et.resource)
                    linker.define_resource(name, export_name);
            }
        }
    }
};

Setup& setup(const std::string& name) {
    static std::map<std::string, std::unique_ptr<Setup>> all;
    auto& s = all[name];
    if (!s) s = std::make_unique<Setup>(name);
    return *s;
}

#define CIRRUS_SETUP_OR_SKIP(var, state, name)                                                     \
    Setup& var = setup(name);                                                                      \
    if (!var.error.empty()) {                                                                      \
        state.SkipWithError(var.error.c_str());                                                    \
        return;                                                                                    \
    }

void Compile(benchmark::State& state, const std::string& name) {
    CIRRUS_SETUP_OR_SKIP(s, state, name);
    for (auto _ : state) {
        auto c = component::Component::compile(s.engine, s.bytes);
        benchmark::DoNotOptimize(c);
    }
    state.counters["MB"] = static_cast<double>(s.bytes.size()) / 1e6;
}

void InstancePre(benchmark::State& state, const std::string& name) {
    CIRRUS_SETUP_OR_SKIP(s, state, name);
    for (auto _ : state) {
        auto p = s.linker.instantiate_pre(s.component);
        benchmark::DoNotOptimize(p);
    }
}

void InstantiateFresh(benchmark::State& state, const std::string& name) {
    CIRRUS_SETUP_OR_SKIP(s, state, name);
    for (auto _ : state) {
        state.PauseTiming();
        auto c = component::Component::compile(s.engine, s.bytes);
        state.ResumeTiming();
        component::Store store(s.engine);
        auto inst = s.linker.instantiate(store, *c);
        if (!inst.ok()) state.SkipWithError(inst.error().to_string().c_str());
    }
}

void Instantiate(benchmark::State& state, const std::string& name) {
    CIRRUS_SETUP_OR_SKIP(s, state, name);
    for (auto _ : state) {
        component::Store store(s.engine);
        auto inst = s.linker.instantiate(store, s.component);
        if (!inst.ok()) state.SkipWithError(inst.error().to_string().c_str());
    }
}

void InstantiatePre(benchmark::State& state, const std::string& name) {
    CIRRUS_SETUP_OR_SKIP(s, state, name);
    for (auto _ : state) {
        component::Store store(s.engine);
        auto inst = s.pre->instantiate(store);
        if (!inst.ok()) state.SkipWithError(inst.error().to_string().c_str());
    }
}

void register_all() {
    for (const auto& [name, path] : paths()) {
        benchmark::RegisterBenchmark(("Compile/" + name).c_str(), Compile, name)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("InstancePre/" + name).c_str(), InstancePre, name)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("InstantiateFresh/" + name).c_str(), InstantiateFresh, name)
            ->Unit(benchmark::kMicrosecond)
            ->Iterations(5);
        benchmark::RegisterBenchmark(("Instantiate/" + name).c_str(), Instantiate, name)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("InstantiatePre/" + name).c_str(), InstantiatePre, name)
            ->Unit(benchmark::kMicrosecond);
    }
}

} // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
