// Executes the commands of a spec test script, as converted by wast2json, against the engine:
// one Engine, Store and Linker per script, the `spectest` module predefined, named modules
// kept by name and `register` naming an instance's exports for later imports. Each command is
// one pass, fail or skip; a failure is reported with the script's file:line.
#include "cirrus/wasm/wast.h"

#include "convert.h"
#include "values.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <iterator>
#include <ostream>
#include <unordered_map>

namespace cirrus::wasm::wast {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Tally::to_string() const {
    std::string line = fmt::format("{} passed, {} failed", passed, failed);
    if (skipped != 0) line += fmt::format(", {} skipped", skipped);
    return line;
}

namespace {

#ifdef CIRRUS_WAST2JSON
constexpr const char* default_wast2json = CIRRUS_WAST2JSON;
#else
constexpr const char* default_wast2json = "wast2json";
#endif

std::string string_field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

// The member `key`, or a null value when it is absent (const operator[] would assert).
const json& member(const json& object, const char* key) {
    static const json absent;
    auto it = object.find(key);
    return it == object.end() ? absent : *it;
}

Result<std::vector<uint8_t>> read_binary(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
}

std::string describe_error(const Error& error) {
    return fmt::format("{} error: {}", error_kind_name(error.kind), error.message);
}

std::string describe_values(std::span<const Value> values) {
    std::string out = "(";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i != 0) out += ", ";
        out += describe(values[i]);
    }
    return out + ")";
}

// The spec's trap texts are matched by containment, so an engine may add context around them.
// One assertion in the suite names an element index ("uninitialized element 2") that an engine
// need not repeat, so a trailing number may be left out of the actual message.
bool trap_text_matches(const std::string& actual, const std::string& expected) {
    if (actual.find(expected) != std::string::npos) return true;
    size_t end = expected.size();
    while (end > 0 && std::isdigit(static_cast<unsigned char>(expected[end - 1]))) --end;
    if (end == expected.size() || end == 0 || expected[end - 1] != ' ') return false;
    return actual.find(expected.substr(0, end - 1)) != std::string::npos;
}

enum class Outcome { Pass, Fail, Skip };

// The binary modules wast2json wrote, by file name.
using ModuleFiles = std::unordered_map<std::string, std::vector<uint8_t>>;

class ScriptRunner {
public:
    ScriptRunner(ModuleFiles files, std::string script, const Options& options, std::ostream& out)
        : files_(std::move(files)), script_(std::move(script)), options_(options), out_(out),
          store_(engine_) {}

    Result<void> init() { return define_spectest(store_, linker_, options_.print_to); }

    void run(const json& commands) {
        for (const json& command : commands) {
            line_ = 0;
            if (auto it = command.find("line"); it != command.end() && it->is_number_integer())
                line_ = it->get<int64_t>();
            std::string type = string_field(command, "type");
            Outcome outcome = run_command(type, command);
            if (outcome == Outcome::Pass) ++tally_.passed;
            if (outcome == Outcome::Fail) ++tally_.failed;
            if (outcome == Outcome::Skip) ++tally_.skipped;
            if (options_.verbose && outcome != Outcome::Fail)
                out_ << fmt::format("{}:{}: {} {}\n", script_, line_, type,
                                    outcome == Outcome::Pass ? "ok" : "skipped")
                     << std::flush;
        }
    }

    const Tally& tally() const { return tally_; }

private:
    Outcome run_command(const std::string& type, const json& command) {
        if (mentions_v128(command)) return Outcome::Skip;
        if (type == "module") return run_module(command);
        if (type == "register") return run_register(command);
        if (type == "action") return run_action(command);
        if (type == "assert_return") return run_assert_return(command);
        if (type == "assert_trap") return run_assert_trap(command);
        if (type == "assert_exhaustion") return run_assert_exhaustion(command);
        if (type == "assert_invalid" || type == "assert_malformed")
            return run_assert_not_compiling(type, command);
        if (type == "assert_unlinkable") return run_assert_unlinkable(command);
        if (type == "assert_uninstantiable") return run_assert_uninstantiable(command);
        return fail(fmt::format("unknown command \"{}\"", type));
    }

    Outcome fail(const std::string& message) {
        // Flushed at once, so a report survives a later hang or crash of the engine.
        out_ << fmt::format("{}:{}: {}\n", script_, line_, message) << std::flush;
        return Outcome::Fail;
    }

    static bool is_text_module(const json& command) {
        return string_field(command, "module_type") == "text" ||
               fs::path(string_field(command, "filename")).extension() == ".wat";
    }

    Result<std::shared_ptr<const Module>> compile(const json& command) {
        std::string filename = string_field(command, "filename");
        if (filename.empty()) return make_error(ErrorKind::Usage, "command without a module file");
        auto it = files_.find(filename);
        if (it == files_.end()) return make_error(ErrorKind::Io, "wast2json wrote no " + filename);
        return Module::compile(engine_, it->second);
    }

    Outcome run_module(const json& command) {
        std::string name = string_field(command, "name");
        // A failed module must not leave commands running against the one before it.
        current_ = nullptr;
        if (!name.empty()) named_.erase(name);
        if (is_text_module(command)) return Outcome::Skip;

        auto module = compile(command);
        if (!module) return fail("module: " + describe_error(module.error()));
        auto instance = linker_.instantiate(store_, *module);
        if (!instance) return fail("module: " + describe_error(instance.error()));
        current_ = *instance;
        if (!name.empty()) named_[name] = current_;
        return Outcome::Pass;
    }

    Result<Instance*> find_instance(const std::string& name) {
        if (name.empty()) {
            if (!current_) return make_error(ErrorKind::Usage, "no current module");
            return current_;
        }
        auto it = named_.find(name);
        if (it == named_.end()) return make_error(ErrorKind::Usage, "unknown module " + name);
        return it->second;
    }

    Outcome run_register(const json& command) {
        auto instance = find_instance(string_field(command, "name"));
        if (!instance) return fail("register: " + describe_error(instance.error()));
        linker_.define_instance(string_field(command, "as"), **instance);
        return Outcome::Pass;
    }

    static std::string describe_action(const json& action) {
        std::string module = string_field(action, "module");
        std::string text = string_field(action, "type") + " ";
        if (!module.empty()) text += module + " ";
        text += '"' + string_field(action, "field") + '"';
        if (auto args = action.find("args"); args != action.end() && args->is_array()) {
            std::vector<Value> values;
            for (const json& arg : *args) {
                auto value = parse_value(arg);
                if (value) values.push_back(*value);
            }
            text += describe_values(values);
        }
        return text;
    }

    Result<std::vector<Value>> perform(const json& command) {
        auto it = command.find("action");
        if (it == command.end() || !it->is_object())
            return make_error(ErrorKind::Usage, "command without an action");
        const json& action = *it;
        CIRRUS_TRY_ASSIGN(Instance * instance, find_instance(string_field(action, "module")));
        std::string type = string_field(action, "type");
        std::string field = string_field(action, "field");
        if (type == "get") {
            Global* global = instance->get_global(field);
            if (!global) return make_error(ErrorKind::Usage, "no global export \"" + field + '"');
            return std::vector<Value>{global->get()};
        }
        if (type != "invoke")
            return make_error(ErrorKind::Usage, "unknown action type \"" + type + '"');
        Func* func = instance->get_func(field);
        if (!func) return make_error(ErrorKind::Usage, "no function export \"" + field + '"');
        std::vector<Value> args;
        if (auto list = action.find("args"); list != action.end() && list->is_array()) {
            for (const json& arg : *list) {
                CIRRUS_TRY_ASSIGN(Value value, parse_value(arg));
                args.push_back(value);
            }
        }
        return store_.call(func, args);
    }

    Outcome run_action(const json& command) {
        auto results = perform(command);
        if (!results)
            return fail(fmt::format("{}: {}", describe_action(member(command, "action")),
                                    describe_error(results.error())));
        return Outcome::Pass;
    }

    Outcome run_assert_return(const json& command) {
        std::vector<ExpectedValue> expected;
        if (auto list = command.find("expected"); list != command.end() && list->is_array()) {
            for (const json& value : *list) {
                auto parsed = parse_expected(value);
                if (!parsed) return fail("assert_return: " + parsed.error().message);
                expected.push_back(*parsed);
            }
        }
        std::string expected_text = "(";
        for (size_t i = 0; i < expected.size(); ++i)
            expected_text += (i != 0 ? ", " : "") + expected[i].to_string();
        expected_text += ")";

        std::string what = "assert_return " + describe_action(member(command, "action"));
        auto results = perform(command);
        if (!results)
            return fail(fmt::format("{}: expected {}, got {}", what, expected_text,
                                    describe_error(results.error())));
        bool same = results->size() == expected.size();
        for (size_t i = 0; same && i < expected.size(); ++i)
            same = expected[i].matches((*results)[i]);
        if (!same)
            return fail(fmt::format("{}: expected {}, got {}", what, expected_text,
                                    describe_values(*results)));
        return Outcome::Pass;
    }

    Outcome run_assert_trap(const json& command) {
        std::string text = string_field(command, "text");
        std::string what = "assert_trap " + describe_action(member(command, "action"));
        auto results = perform(command);
        if (results)
            return fail(fmt::format("{}: expected trap \"{}\", got {}", what, text,
                                    describe_values(*results)));
        const Error& error = results.error();
        if (!error.is_trap() || !trap_text_matches(error.message, text))
            return fail(
                fmt::format("{}: expected trap \"{}\", got {}", what, text, describe_error(error)));
        return Outcome::Pass;
    }

    Outcome run_assert_exhaustion(const json& command) {
        std::string what = "assert_exhaustion " + describe_action(member(command, "action"));
        auto results = perform(command);
        if (results)
            return fail(
                fmt::format("{}: expected exhaustion, got {}", what, describe_values(*results)));
        if (results.error().kind != ErrorKind::Exhaustion)
            return fail(fmt::format("{}: expected Exhaustion error \"{}\", got {}", what,
                                    string_field(command, "text"),
                                    describe_error(results.error())));
        return Outcome::Pass;
    }

    // assert_invalid and assert_malformed: the binary must not compile. Either kind is
    // accepted: the boundary between decoding and validation is the engine's to draw.
    Outcome run_assert_not_compiling(const std::string& type, const json& command) {
        if (is_text_module(command)) return Outcome::Skip;
        std::string text = string_field(command, "text");
        std::string what =
            fmt::format("{} {} (\"{}\")", type, string_field(command, "filename"), text);
        auto module = compile(command);
        if (module) return fail(what + ": compiled without error");
        ErrorKind kind = module.error().kind;
        if (kind != ErrorKind::Malformed && kind != ErrorKind::Invalid)
            return fail(fmt::format("{}: expected a Malformed or Invalid error, got {}", what,
                                    describe_error(module.error())));
        return Outcome::Pass;
    }

    Outcome run_assert_unlinkable(const json& command) {
        std::string what =
            fmt::format("assert_unlinkable {} (\"{}\")", string_field(command, "filename"),
                        string_field(command, "text"));
        auto module = compile(command);
        if (!module) return fail(what + ": " + describe_error(module.error()));
        auto instance = linker_.instantiate(store_, *module);
        if (instance) return fail(what + ": instantiated without error");
        if (instance.error().kind != ErrorKind::Unlinkable)
            return fail(fmt::format("{}: expected an Unlinkable error, got {}", what,
                                    describe_error(instance.error())));
        return Outcome::Pass;
    }

    // A trap while instantiating (element or data segment out of bounds, start function). What
    // was written before the trap stays in the imported tables and memories (spec 4.5.4, checked
    // by linking.wast); the failed instance itself is neither current nor registered.
    Outcome run_assert_uninstantiable(const json& command) {
        std::string text = string_field(command, "text");
        std::string what = fmt::format("assert_uninstantiable {} (\"{}\")",
                                       string_field(command, "filename"), text);
        auto module = compile(command);
        if (!module) return fail(what + ": " + describe_error(module.error()));
        auto instance = linker_.instantiate(store_, *module);
        if (instance) return fail(what + ": instantiated without error");
        const Error& error = instance.error();
        if (!error.is_trap() || !trap_text_matches(error.message, text))
            return fail(
                fmt::format("{}: expected trap \"{}\", got {}", what, text, describe_error(error)));
        return Outcome::Pass;
    }

    ModuleFiles files_;
    std::string script_;
    const Options& options_;
    std::ostream& out_;
    Engine engine_;
    Store store_;
    Linker linker_;
    Instance* current_ = nullptr;
    std::unordered_map<std::string, Instance*> named_;
    int64_t line_ = 0;
    Tally tally_;
};

Result<json> read_json(const fs::path& path) {
    std::ifstream in(path);
    if (!in) return make_error(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
    json document = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded())
        return make_error(ErrorKind::Malformed, fmt::format("{} is not JSON", path.string()));
    return document;
}

// A converted script: its commands and every binary module they name, read into memory so
// that the temporary folder is gone before any guest code runs (a crash or a timeout kill of
// the engine then leaves nothing behind).
struct LoadedScript {
    json commands;
    ModuleFiles files;
};

Result<LoadedScript> load_script(const std::string& path, const Options& options) {
    CIRRUS_TRY_ASSIGN(TempDir dir, TempDir::create("cirrus-wast"));
    std::string tool = options.wast2json.empty() ? default_wast2json : options.wast2json;
    CIRRUS_TRY_ASSIGN(fs::path json_path, convert_script(tool, path, dir.path()));
    CIRRUS_TRY_ASSIGN(json document, read_json(json_path));
    auto commands = document.find("commands");
    if (commands == document.end() || !commands->is_array())
        return make_error(ErrorKind::Malformed,
                          fmt::format("{}: no \"commands\" list", json_path.string()));
    LoadedScript script;
    for (const json& command : *commands) {
        std::string filename = string_field(command, "filename");
        if (filename.empty() || fs::path(filename).extension() != ".wasm" ||
            script.files.count(filename) != 0)
            continue;
        CIRRUS_TRY_ASSIGN(script.files[filename], read_binary(dir.path() / filename));
    }
    script.commands = std::move(*commands);
    return script;
}

} // namespace

Result<Tally> run_file(const std::string& path, const Options& options, std::ostream& out) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return make_error(ErrorKind::Io, fmt::format("{}: no such file", path));
    CIRRUS_TRY_ASSIGN(LoadedScript script, load_script(path, options));
    ScriptRunner runner(std::move(script.files), path, options, out);
    CIRRUS_TRY(runner.init());
    runner.run(script.commands);
    return runner.tally();
}

} // namespace cirrus::wasm::wast
