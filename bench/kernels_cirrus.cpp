// The cirrus column: loads one kernel's .wasm into the cirrus engine and times `run(n)`.
// Decoding + validation and instantiation are timed apart and printed too, so that the
// per-call time is never the only number (instantiation is on cirrus's hot path). The tier is
// the engine's default: CIRRUS_TIER=jit in the environment selects the LLVM JIT, and then
// compile_ms includes LLVM's work, also printed alone as jit_ms (with how many functions were
// compiled and how many were left to the interpreter).
//
//   kernels_cirrus <kernel.wasm> [n|-] [reps]
// n ("-" or absent: the default) comes from the module's own `bench_n()`; prints the runner line
// (see timing.h).
#include "timing.h"

#include "cirrus/wasm/engine.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace {

using cirrus::Result;
using namespace cirrus::wasm;

Result<std::vector<uint8_t>> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return cirrus::make_error(cirrus::ErrorKind::Io, std::string("cannot open ") + path);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

int fail(const cirrus::Error& error) {
    std::fprintf(stderr, "kernels_cirrus: %s\n", error.to_string().c_str());
    return 1;
}

// Calls an export that returns one integer (i32 or i64).
Result<int64_t> call_int(Store& store, Func* func, std::span<const Value> args) {
    auto results = store.call(func, args);
    if (!results) return std::move(results).error();
    if (results->size() != 1) {
        return cirrus::make_error(cirrus::ErrorKind::Usage, "expected exactly one result");
    }
    const Value& v = (*results)[0];
    return v.type == ValType::I64 ? v.as_i64() : static_cast<int64_t>(v.as_i32());
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: kernels_cirrus <kernel.wasm> [n|-] [reps]\n");
        return 2;
    }
    int reps = argc > 3 ? std::atoi(argv[3]) : 5;
    if (reps < 1) reps = 1;

    auto bytes = read_file(argv[1]);
    if (!bytes) return fail(bytes.error());

    Engine engine;
    auto start = std::chrono::steady_clock::now();
    auto module = Module::compile(engine, *bytes);
    double compile_ms = cirrus::bench::ms_since(start);
    if (!module) return fail(module.error());

    Store store(engine);
    Linker linker;
    start = std::chrono::steady_clock::now();
    auto instance = linker.instantiate(store, *module);
    double instantiate_ms = cirrus::bench::ms_since(start);
    if (!instance) return fail(instance.error());

    Func* run = (*instance)->get_func("run");
    Func* bench_n = (*instance)->get_func("bench_n");
    if (!run || !bench_n) {
        std::fprintf(stderr, "kernels_cirrus: %s does not export run and bench_n\n", argv[1]);
        return 1;
    }
    int32_t n = 0;
    if (argc > 2 && argv[2][0] != '\0' && std::strcmp(argv[2], "-") != 0) {
        n = std::atoi(argv[2]);
    } else {
        auto default_n = call_int(store, bench_n, {});
        if (!default_n) return fail(default_n.error());
        n = static_cast<int32_t>(*default_n);
    }

    const Value arg = Value::i32(n);
    cirrus::bench::Measurement timings;
    int64_t checksum = 0;
    for (int i = 0; i < reps; ++i) {
        auto call_start = cirrus::bench::Stamp::now();
        auto result = call_int(store, run, std::span(&arg, 1));
        timings.add(call_start);
        if (!result) return fail(result.error());
        if (i > 0 && *result != checksum) {
            std::fprintf(stderr, "kernels_cirrus: run(%d) gave %lld, then %lld\n", n,
                         static_cast<long long>(checksum), static_cast<long long>(*result));
            return 1;
        }
        checksum = *result;
    }
    char extra[192];
    int len = std::snprintf(extra, sizeof extra, "compile_ms=%.3f instantiate_ms=%.3f", compile_ms,
                            instantiate_ms);
    if (auto jit = (*module)->jit_stats())
        std::snprintf(extra + len, sizeof extra - len,
                      " tier=jit jit_ms=%.3f jit_compiled=%u jit_interpreted=%u",
                      jit->translate_ms + jit->codegen_ms, jit->compiled_functions,
                      jit->interpreted_functions);
    cirrus::bench::print_result(static_cast<uint64_t>(checksum), n, timings, extra);
    return 0;
}
