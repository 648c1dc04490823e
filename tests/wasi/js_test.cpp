// JavaScript components from componentize-js (StarlingMonkey, a SpiderMonkey build of ~12 MB)
// run on the WASI host unmodified: the command of tests/guests/js/command prints, reads its
// arguments and environment, writes stderr and exits with a status; the HTTP handler of
// tests/guests/js/http decodes, validates and instantiates.
// Every StarlingMonkey component imports wasi:http/types and wasi:http/outgoing-handler (even
// a command that never makes a request), filesystem, terminal and random: the host serves all.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <tuple>

namespace cirrus::wasi {
namespace {


std::vector<uint8_t> read_guest(const std::string& name) {
    std::string path = std::string(CIRRUS_GUEST_DIR) + "/" + name + ".wasm";
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_all(FILE* f) {
    std::string s;
    std::array<char, 4096> buf;
    std::rewind(f);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    return s;
}

struct Outcome {
    Result<int> status = 0;
    std::string out, err;
};

// Compiled once for all the tests (half a second for 12 MB).
wasm::Engine& engine() {
    static wasm::Engine e;
    return e;
}
const Result<std::shared_ptr<const component::Component>>& js_command() {
    static auto c = component::Component::compile(engine(), read_guest("js_command"));
    return c;
}

Outcome run_js_command(std::vector<std::string> args,
                       std::vector<std::pair<std::string, std::string>> env) {
    const auto& comp = js_command();
    Outcome o;
    if (!comp.ok()) {
        o.status = comp.error();
        return o;
    }
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    Config config;
    config.args = std::move(args);
    config.env = std::move(env);
    config.stdin_fd = -1;
    config.stdout_fd = fileno(out);
    config.stderr_fd = fileno(err);
    Host host(std::move(config));
    component::Linker linker;
    auto unserved = host.add_to_linker(linker, **comp);
    if (!unserved.empty()) {
        o.status = Error(ErrorKind::Unlinkable, "unserved import " + unserved.front());
        return o;
    }
    component::Store store(engine());
    auto inst = linker.instantiate(store, *comp);
    if (!inst.ok()) {
        o.status = std::move(inst).error();
    } else if (component::Func* run = (*inst)->get_func("wasi:cli/run@0.2.12#run"); !run) {
        o.status = Error(ErrorKind::Other, "no wasi:cli/run@0.2.12#run export");
    } else {
        auto r = store.call(run, {});
        if (host.exit_status())
            o.status = *host.exit_status();
        else if (!r.ok())
            o.status = std::move(r).error();
        else
            o.status = (*r && (*r)->case_index() == 0) ? 0 : 1;
    }
    o.out = read_all(out);
    o.err = read_all(err);
    std::fclose(out);
    std::fclose(err);
    return o;
}

TEST(JsCommand, PrintsArgumentsAndEnvironment) {
    Outcome o = run_js_command({"js_command", "one", "three", "sixsix"},
                               {{"ZED", "last"}, {"GREETING", "hi there"}});
    ASSERT_TRUE(o.status.ok()) << o.status.error().to_string();
    EXPECT_EQ(*o.status, 0) << o.err;
    EXPECT_EQ(o.out, "hello from JavaScript\n"
                     "argc=4 args=[\"one\",\"three\",\"sixsix\"]\n"
                     "env GREETING=hi there\n"
                     "env ZED=last\n"
                     "work {\"lengths\":[[3,1],[5,1],[6,1]],"
                     "\"fact\":\"15511210043330985984000000\",\"digits\":[12345,678]}\n");
    EXPECT_EQ(o.err, "js-command: a line on stderr\n");
}

TEST(JsCommand, ExitsWithAFailingStatus) {
    Outcome o = run_js_command({"js_command", "--fail"}, {});
    ASSERT_TRUE(o.status.ok()) << o.status.error().to_string();
    EXPECT_EQ(*o.status, 1);
    EXPECT_EQ(o.out.rfind("hello from JavaScript\nargc=2 args=[\"--fail\"]\n", 0), 0u) << o.out;
    EXPECT_EQ(o.err, "js-command: a line on stderr\njs-command: failing as asked\n");
}

TEST(JsCommand, EngineWorkloadMatchesV8) {
    std::ifstream in(std::string(CIRRUS_JS_GUEST_SOURCES) + "/command/workload.expected");
    std::string expected{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    ASSERT_FALSE(expected.empty());
    Outcome o = run_js_command({"js_command", "--workload"}, {});
    ASSERT_TRUE(o.status.ok()) << o.status.error().to_string();
    EXPECT_EQ(*o.status, 0) << o.err;
    EXPECT_EQ(o.out, expected);
    EXPECT_EQ(o.err, "");
}

// As a user runs it: `cirrus run`, the guest's stdout, stderr and exit status are the process's.
std::tuple<int, std::string, std::string> cirrus_run(const std::string& args) {
    std::string err_path = ::testing::TempDir() + "cirrus-js-run-stderr";
    std::string cmd = std::string(CIRRUS_BIN) + " run " + args + " 2>" + err_path;
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int st = pclose(p);
    std::ifstream in(err_path);
    std::string err{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out, err};
}

TEST(JsCommand, RunsUnderCirrusRun) {
    std::string path = std::string(CIRRUS_GUEST_DIR) + "/js_command.wasm";
    auto [status, out, err] = cirrus_run("--env GREETING=hi " + path + " one two");
    EXPECT_EQ(status, 0) << err;
    EXPECT_EQ(out, "hello from JavaScript\n"
                   "argc=3 args=[\"one\",\"two\"]\n"
                   "env GREETING=hi\n"
                   "work {\"lengths\":[[3,2]],\"fact\":\"15511210043330985984000000\","
                   "\"digits\":[12345,678]}\n");
    EXPECT_EQ(err, "js-command: a line on stderr\n");

    auto [fail_status, fail_out, fail_err] = cirrus_run(path + " --fail");
    EXPECT_EQ(fail_status, 1);
    EXPECT_EQ(fail_err, "js-command: a line on stderr\njs-command: failing as asked\n");
}

TEST(JsHttp, DecodesValidatesAndInstantiates) {
    wasm::Engine engine;
    auto comp = component::Component::compile(engine, read_guest("js_http"));
    ASSERT_TRUE(comp.ok()) << comp.error().to_string();
    const auto& exports = (*comp)->type().exports;
    ASSERT_EQ(exports.size(), 1u);
    EXPECT_EQ(exports[0].first, "wasi:http/incoming-handler@0.2.10");
    Host host(Config{});
    component::Linker linker;
    EXPECT_EQ(host.add_to_linker(linker, **comp), std::vector<std::string>{});
    component::Store store(engine);
    auto inst = linker.instantiate(store, *comp);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_NE((*inst)->get_func("wasi:http/incoming-handler@0.2.10#handle"), nullptr);
}

} // namespace
} // namespace cirrus::wasi
