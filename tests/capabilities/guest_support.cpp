#include "guest_support.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cirrus::testing {

namespace {

std::string read_all(FILE* f) {
    std::string s;
    std::array<char, 4096> buf;
    std::rewind(f);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    return s;
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

std::string caps_component(const std::string& name) {
    return std::string(CIRRUS_CAPS_COMPONENTS) + "/" + name + ".wasm";
}

GuestHost::GuestHost(capabilities::Options options) : log_(std::make_shared<std::ostringstream>()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_);
    sink->set_pattern("%l %v");
    options.logger = std::make_shared<spdlog::logger>("test", sink);
    options.logger->set_level(spdlog::level::trace);
    host::ComponentOptions co;
    co.capabilities = std::move(options);
    auto made = host::ComponentImports::create(std::move(co));
    if (made.ok())
        imports_ = std::move(made).value();
    else
        created_ = std::move(made).error();
}

GuestRun GuestHost::run(const std::string& name, std::vector<std::string> args) {
    GuestRun r;
    if (!created_.ok()) {
        r.status = created_.error();
        return r;
    }
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    wasi::Config config;
    config.args = std::move(args);
    config.args.insert(config.args.begin(), name);
    config.stdin_fd = -1;
    config.stdout_fd = fileno(out);
    config.stderr_fd = fileno(err);
    log_->str("");
    r.status = imports_->run_command(read_file(caps_component(name)), std::move(config));
    r.out = read_all(out);
    r.err = read_all(err);
    r.log = log_->str();
    std::fclose(out);
    std::fclose(err);
    return r;
}

GuestRun GuestHost::run_js(const std::string& name, std::vector<std::string> args) {
    GuestRun r;
    if (!created_.ok()) {
        r.status = created_.error();
        return r;
    }
    wasm::Engine engine;
#ifdef CIRRUS_GUEST_DIR
    auto comp = component::Component::compile(
        engine, read_file(std::string(CIRRUS_GUEST_DIR) + "/" + name + ".wasm"));
#else
    Result<std::shared_ptr<const component::Component>> comp =
        Error(ErrorKind::Io, "JavaScript guests are not built");
#endif
    if (!comp.ok()) {
        r.status = std::move(comp).error();
        return r;
    }
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    component::Linker linker;
    std::vector<std::string> http;
    for (const auto& [iname, ext] : (*comp)->type().imports) {
        if (ext.sort != component::Sort::Instance || !iname.starts_with("wasi:http/")) continue;
        http.push_back(iname);
        for (const auto& [export_name, et] : ext.instance->exports) {
            if (et.sort == component::Sort::Func) {
                std::string what = iname + "#" + export_name;
                linker.define_func(iname, export_name, et.func,
                                   [what](component::CallContext&, std::span<const component::Val>)
                                       -> Result<std::optional<component::Val>> {
                                       return Error(ErrorKind::Trap, "not linked: " + what);
                                   });
            } else if (et.sort == component::Sort::Type && et.resource) {
                linker.define_resource(iname, export_name);
            }
        }
    }
    // The command's own WASI settings: this host's are the defaults.
    host::ComponentOptions co;
    co.wasi.args = std::move(args);
    co.wasi.args.insert(co.wasi.args.begin(), name);
    co.wasi.stdin_fd = -1;
    co.wasi.stdout_fd = fileno(out);
    co.wasi.stderr_fd = fileno(err);
    co.capabilities = imports_->options().capabilities;
    log_->str("");
    [&] {
        auto imports = host::ComponentImports::create(co);
        if (!imports.ok()) {
            r.status = std::move(imports).error();
            return;
        }
        auto linked = (*imports)->link(linker, **comp, http);
        if (!linked.ok()) {
            r.status = std::move(linked).error();
            return;
        }
        component::Store store(engine);
        auto inst = linker.instantiate(store, *comp);
        if (!inst.ok()) {
            r.status = std::move(inst).error();
            return;
        }
        if (auto b = (*linked)->bind(store, **inst); !b.ok()) {
            r.status = std::move(b).error();
            return;
        }
        component::Func* run = (*inst)->get_func("wasi:cli/run@0.2.12#run");
        if (!run) {
            r.status = Error(ErrorKind::Other, "no wasi:cli/run@0.2.12#run export");
            return;
        }
        auto result = store.call(run, {});
        if (!result.ok()) {
            r.status = std::move(result).error();
            return;
        }
        r.status = (*result && (*result)->case_index() == 0) ? 0 : 1;
    }();
    r.out = read_all(out);
    r.err = read_all(err);
    r.log = log_->str();
    std::fclose(out);
    std::fclose(err);
    return r;
}

GuestRun run_guest(const std::string& name, std::vector<std::string> args,
                   capabilities::Options options) {
    GuestHost host(std::move(options));
    return host.run(name, std::move(args));
}

std::string without_page_counts(const std::string& text) {
    return std::regex_replace(text, std::regex(" in [0-9]+ pages:"), ":");
}

CliRun run_cli(const std::vector<std::string>& args) {
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    CliRun r;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(CIRRUS_BIN));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(CIRRUS_BIN, argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_all(out);
    r.err = read_all(err);
    std::fclose(out);
    std::fclose(err);
    return r;
}

CliChild::CliChild(const std::vector<std::string>& args) {
    int p[2];
    if (::pipe(p) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(CIRRUS_BIN));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(CIRRUS_BIN, argv.data());
        _exit(127);
    }
    close(p[1]);
    err_fd_ = p[0];
}

CliChild::~CliChild() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) close(err_fd_);
}

bool CliChild::wait_for(const std::string& text, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    char buf[512];
    while (err_.find(text) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0 || err_fd_ < 0) return false;
        pollfd pfd{err_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
        ssize_t n = read(err_fd_, buf, sizeof buf);
        if (n <= 0) return false;
        err_.append(buf, static_cast<size_t>(n));
    }
    return true;
}

void CliChild::signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

int CliChild::wait_exit() {
    int status = 0;
    if (pid_ > 0) waitpid(pid_, &status, 0);
    pid_ = -1;
    char buf[512];
    ssize_t n;
    while (err_fd_ >= 0 && (n = read(err_fd_, buf, sizeof buf)) > 0)
        err_.append(buf, static_cast<size_t>(n));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace cirrus::testing
