// `cirrus invoke MODULE.wasm FUNC [ARGS...]`: instantiates a core module and calls one export,
// with arguments parsed by the export's parameter types; prints each result as "i32:75025" on
// its own line. Only the `spectest` module is available for imports. A trap is printed with its
// backtrace to stderr and ends with status 1. --fuel and --timeout-ms bound the run.
#include "commands.h"

#include "cirrus/wasm/engine.h"
#include "cirrus/wasm/wast.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cirrus::cli {

namespace {

using wasm::ValType;
using wasm::Value;

struct InvokeArgs {
    std::string module_path;
    std::string func_name;
    std::vector<std::string> args;
    std::optional<uint64_t> fuel;
    std::optional<uint64_t> timeout_ms;
};

// An integer in decimal or 0x hex, with an optional sign, that fits `bits` bits as either a
// signed or an unsigned number (so -1 and 4294967295 are the same i32).
Result<uint64_t> parse_int(std::string_view text, int bits) {
    std::string_view digits = text;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits.remove_prefix(2);
    }
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        return make_error(ErrorKind::Usage, fmt::format("\"{}\" is not an integer", text));
    uint64_t unsigned_max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    uint64_t negative_max = uint64_t{1} << (bits - 1);
    if ((negative && magnitude > negative_max) || (!negative && magnitude > unsigned_max))
        return make_error(ErrorKind::Usage, fmt::format("\"{}\" does not fit in i{}", text, bits));
    uint64_t value = negative ? uint64_t{0} - magnitude : magnitude;
    return bits == 64 ? value : value & unsigned_max;
}

// A float: decimal or hex notation, "nan", "inf", "-inf", or "nan:0x..." with a payload.
Result<double> parse_float(const std::string& text, bool is_f32, uint64_t* nan_payload) {
    *nan_payload = 0;
    std::string body = text;
    bool negative = !body.empty() && body[0] == '-';
    std::string unsigned_body =
        (negative || (!body.empty() && body[0] == '+')) ? body.substr(1) : body;
    if (unsigned_body.rfind("nan:0x", 0) == 0) {
        auto payload = parse_int(unsigned_body.substr(4), 64);
        uint64_t max_payload = is_f32 ? 0x7fffff : 0xfffffffffffff;
        if (!payload || *payload == 0 || *payload > max_payload)
            return make_error(ErrorKind::Usage, fmt::format("bad NaN payload in \"{}\"", text));
        *nan_payload = *payload;
        return negative ? -NAN : NAN;
    }
    errno = 0;
    char* end = nullptr;
    double value = std::strtod(body.c_str(), &end);
    if (body.empty() || end != body.c_str() + body.size())
        return make_error(ErrorKind::Usage, fmt::format("\"{}\" is not a number", text));
    return value;
}

Result<Value> parse_arg(const std::string& text, ValType type) {
    switch (type) {
    case ValType::I32: {
        CIRRUS_TRY_ASSIGN(uint64_t bits, parse_int(text, 32));
        return Value{ValType::I32, bits};
    }
    case ValType::I64: {
        CIRRUS_TRY_ASSIGN(uint64_t bits, parse_int(text, 64));
        return Value{ValType::I64, bits};
    }
    case ValType::F32: {
        uint64_t payload = 0;
        CIRRUS_TRY_ASSIGN(double value, parse_float(text, true, &payload));
        // Parse f32 text directly so that rounding happens once.
        float f = payload != 0 ? static_cast<float>(value) : std::strtof(text.c_str(), nullptr);
        uint32_t bits = std::bit_cast<uint32_t>(f);
        if (payload != 0) bits = (bits & 0xff800000u) | static_cast<uint32_t>(payload);
        return Value::f32_bits(bits);
    }
    case ValType::F64: {
        uint64_t payload = 0;
        CIRRUS_TRY_ASSIGN(double value, parse_float(text, false, &payload));
        uint64_t bits = std::bit_cast<uint64_t>(value);
        if (payload != 0) bits = (bits & 0xfff0000000000000ull) | payload;
        return Value::f64_bits(bits);
    }
    case ValType::FuncRef:
        if (text == "null") return Value::null(ValType::FuncRef);
        return make_error(ErrorKind::Usage, "a funcref argument can only be null");
    case ValType::ExternRef: {
        if (text == "null") return Value::null(ValType::ExternRef);
        // As in spec scripts, `N` is the host reference N + 1 (never null).
        CIRRUS_TRY_ASSIGN(uint64_t n, parse_int(text, 64));
        if (n == UINT64_MAX) return make_error(ErrorKind::Usage, "externref number too large");
        return Value{ValType::ExternRef, n + 1};
    }
    case ValType::V128: break;
    }
    return make_error(ErrorKind::Usage,
                      fmt::format("cannot pass a {} argument", wasm::val_type_name(type)));
}

std::string describe_extern_type(const wasm::ExternType& type) {
    auto limits = [](const wasm::Limits& l) {
        return l.max ? fmt::format("{}..{}", l.min, *l.max) : fmt::format("{}..", l.min);
    };
    switch (type.kind) {
    case wasm::ExternKind::Func: return "func " + type.func.to_string();
    case wasm::ExternKind::Table:
        return fmt::format("table {} {}", limits(type.table.limits),
                           wasm::val_type_name(type.table.element));
    case wasm::ExternKind::Memory: return fmt::format("memory {}", limits(type.memory.limits));
    case wasm::ExternKind::Global:
        return fmt::format("global {}{}", type.global.mutable_ ? "mut " : "",
                           wasm::val_type_name(type.global.type));
    }
    return "?";
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorKind::Io, fmt::format("cannot read {}", path));
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
}

// Advances the engine's epoch once after `timeout`, unless finish() comes first.
class Timeout {
public:
    Timeout(wasm::Engine& engine, std::chrono::milliseconds timeout)
        : thread_([this, &engine, timeout] {
              std::unique_lock lock(mutex_);
              if (!done_cv_.wait_for(lock, timeout, [this] { return done_; })) {
                  expired_ = true;
                  engine.increment_epoch();
              }
          }) {}
    ~Timeout() { finish(); }
    void finish() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    bool expired() {
        std::lock_guard lock(mutex_);
        return expired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    bool expired_ = false;
    std::thread thread_;
};

int fail(const std::string& message, int status = 1) {
    std::cerr << "error: " << message << '\n';
    return status;
}

int run_invoke(const InvokeArgs& args) {
    wasm::Engine engine;
    auto bytes = read_file(args.module_path);
    if (!bytes) return fail(bytes.error().message);
    auto module = wasm::Module::compile(engine, *bytes);
    if (!module) return fail(fmt::format("{}: {}", args.module_path, module.error().to_string()));

    std::vector<std::string> missing;
    for (const wasm::ImportDesc& import : (*module)->imports())
        if (import.module != "spectest")
            missing.push_back(fmt::format("  {}.{}: {}", import.module, import.name,
                                          describe_extern_type(import.type)));
    if (!missing.empty()) {
        std::string list;
        for (const std::string& line : missing) list += '\n' + line;
        return fail(fmt::format("{} imports what `cirrus invoke` cannot provide (only the "
                                "spectest module is available):{}",
                                args.module_path, list));
    }

    wasm::Store store(engine);
    wasm::Linker linker;
    if (auto defined = wasm::define_spectest(store, linker, &std::cout); !defined)
        return fail(defined.error().message);
    if (args.fuel) store.set_fuel(*args.fuel);
    std::optional<Timeout> timeout;
    if (args.timeout_ms) {
        store.set_epoch_deadline(1);
        timeout.emplace(engine, std::chrono::milliseconds(*args.timeout_ms));
    }
    auto trap_status = [&](const Error& error) {
        bool timed_out = timeout && timeout->expired();
        std::cerr << (timed_out ? fmt::format("error: timed out after {} ms: ", *args.timeout_ms)
                                : std::string("error: "))
                  << error.to_string() << '\n';
        return 1;
    };

    auto instance = linker.instantiate(store, *module);
    if (!instance) return trap_status(instance.error());

    wasm::Func* func = (*instance)->get_func(args.func_name);
    if (!func) {
        std::string names;
        for (const auto& [name, value] : (*instance)->exports())
            if (value.kind == wasm::ExternKind::Func) names += (names.empty() ? "" : ", ") + name;
        return fail(fmt::format("{} has no function export \"{}\" (functions: {})",
                                args.module_path, args.func_name, names.empty() ? "none" : names),
                    2);
    }
    const wasm::FuncType& type = func->type();
    if (args.args.size() != type.params.size())
        return fail(fmt::format("\"{}\" takes {} argument(s) {}, got {}", args.func_name,
                                type.params.size(), type.to_string(), args.args.size()),
                    2);
    std::vector<Value> values;
    for (size_t i = 0; i < args.args.size(); ++i) {
        auto value = parse_arg(args.args[i], type.params[i]);
        if (!value) return fail(fmt::format("argument {}: {}", i + 1, value.error().message), 2);
        values.push_back(*value);
    }

    auto results = store.call(func, values);
    if (timeout) timeout->finish();
    if (!results) return trap_status(results.error());
    for (const Value& value : *results) std::cout << value.to_string() << '\n';
    std::cout.flush();
    return 0;
}

} // namespace

void register_invoke(CLI::App& app) {
    auto args = std::make_shared<InvokeArgs>();
    CLI::App* cmd = app.add_subcommand("invoke", "Call an export of a core WebAssembly module");
    cmd->add_option("module", args->module_path, "The .wasm module")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("function", args->func_name, "The exported function to call")->required();
    cmd->add_option("args", args->args,
                    "Arguments by the parameter types: integers (decimal or 0x hex), floats "
                    "(also nan, inf, nan:0x...), null or N for references; write `--` before "
                    "them when one starts with -inf or -nan");
    cmd->add_option("--fuel", args->fuel, "Fuel units (function entries and loop iterations)");
    cmd->add_option("--timeout-ms", args->timeout_ms, "Interrupt the guest after this long");
    cmd->callback([args] {
        int status = run_invoke(*args);
        // CLI11's way to end with a status: main() returns it from app.exit().
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
