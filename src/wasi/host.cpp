// The WASI host: defines the interfaces of interfaces.cpp under every 0.2.x version a
// component imports, gives returned handles the resource identity the guest bound, and runs
// `wasi:cli/command` components (run_command) with an optional deadline.
#include "host_state.h"
#include "http_state.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace cirrus::wasi {

using component::Component;
using component::Linker;
using component::Sort;

const char* resource_name(Kind kind) {
    switch (kind) {
    case Kind::Error: return "error";
    case Kind::Pollable: return "pollable";
    case Kind::InputStream: return "input-stream";
    case Kind::OutputStream: return "output-stream";
    case Kind::Descriptor: return "descriptor";
    case Kind::DirectoryEntryStream: return "directory-entry-stream";
    case Kind::TerminalInput: return "terminal-input";
    case Kind::TerminalOutput: return "terminal-output";
    case Kind::Network: return "network";
    case Kind::TcpSocket: return "tcp-socket";
    case Kind::UdpSocket: return "udp-socket";
    case Kind::IncomingDatagramStream: return "incoming-datagram-stream";
    case Kind::OutgoingDatagramStream: return "outgoing-datagram-stream";
    case Kind::ResolveAddressStream: return "resolve-address-stream";
    case Kind::Fields: return "fields";
    case Kind::IncomingRequest: return "incoming-request";
    case Kind::OutgoingRequest: return "outgoing-request";
    case Kind::RequestOptions: return "request-options";
    case Kind::ResponseOutparam: return "response-outparam";
    case Kind::IncomingResponse: return "incoming-response";
    case Kind::IncomingBody: return "incoming-body";
    case Kind::FutureTrailers: return "future-trailers";
    case Kind::OutgoingResponse: return "outgoing-response";
    case Kind::OutgoingBody: return "outgoing-body";
    case Kind::FutureIncomingResponse: return "future-incoming-response";
    }
    return "?";
}

Waker::Waker() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
Waker::~Waker() {
    if (fd_ >= 0) ::close(fd_);
}
void Waker::wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}
void Waker::drain() {
    uint64_t value;
    [[maybe_unused]] ssize_t n = ::read(fd_, &value, sizeof value);
}

Val Call::own(Object obj) const {
    uint32_t rep = state.next_rep++;
    Kind kind = obj.kind;
    state.objects.emplace(rep, std::move(obj));
    return Val::own(state.resource_for(instance, kind), rep);
}

Result<Object*> Host::State::get(const Val& handle, Kind kind) {
    // The component layer does not check which resource a handle passed to a host function
    // designates (the host's types are not the guest's), so it is checked here.
    auto k = kinds.find(handle.resource);
    auto o = objects.find(handle.rep());
    if (k == kinds.end() || k->second != kind || o == objects.end() || o->second.kind != kind)
        return Error(ErrorKind::Trap,
                     fmt::format("wasi: handle is not a live `{}`", resource_name(kind)));
    return &o->second;
}

ResourceImpl* Host::State::resource_for(const std::string& instance, Kind kind) {
    auto it = handle_resource.find({instance, kind});
    if (it != handle_resource.end()) return it->second;
    // Not exported under this name (direct calls): any resource of the kind will do.
    for (const auto& [impl, k] : kinds) {
        if (k == kind) return const_cast<ResourceImpl*>(impl);
    }
    auto r = std::make_unique<ResourceImpl>();
    kinds[r.get()] = kind;
    direct_resources.push_back(std::move(r));
    return direct_resources.back().get();
}

namespace {

// Splits "wasi:io/streams@0.2.3" into "wasi:io/streams" when the version is 0.2.x (any patch,
// with or without a pre-release suffix); nullopt for anything else.
std::optional<std::string_view> wasi_02_base(std::string_view name) {
    if (!name.starts_with("wasi:")) return std::nullopt;
    size_t at = name.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view version = name.substr(at + 1);
    if (!version.starts_with("0.2.")) return std::nullopt;
    std::string_view patch = version.substr(4);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(patch.data(), patch.data() + patch.size(), value);
    if (ec != std::errc() || end == patch.data()) return std::nullopt;
    if (end != patch.data() + patch.size() && *end != '-' && *end != '+') return std::nullopt;
    return name.substr(0, at);
}

// The interface whose WIT defines the resource type (the others `use` it).
std::string_view defining_interface(Kind kind) {
    switch (kind) {
    case Kind::Error: return "wasi:io/error";
    case Kind::Pollable: return "wasi:io/poll";
    case Kind::InputStream:
    case Kind::OutputStream: return "wasi:io/streams";
    case Kind::Descriptor:
    case Kind::DirectoryEntryStream: return "wasi:filesystem/types";
    case Kind::TerminalInput: return "wasi:cli/terminal-input";
    case Kind::TerminalOutput: return "wasi:cli/terminal-output";
    case Kind::Network: return "wasi:sockets/network";
    case Kind::TcpSocket: return "wasi:sockets/tcp";
    case Kind::UdpSocket:
    case Kind::IncomingDatagramStream:
    case Kind::OutgoingDatagramStream: return "wasi:sockets/udp";
    case Kind::ResolveAddressStream: return "wasi:sockets/ip-name-lookup";
    default: return "wasi:http/types";
    }
    return "";
}

const InterfaceDef* find_interface(const Host::State& st, std::string_view base) {
    for (const auto& i : st.interfaces) {
        if (i.name == base) return &i;
    }
    return nullptr;
}

} // namespace

bool serves(std::string_view import_name) {
    // The interface table itself says what is served.
    static const Host::State* table = [] {
        auto* st = new Host::State();
        define_interfaces(*st);
        return st;
    }();
    auto base = wasi_02_base(import_name);
    return base && find_interface(*table, *base) != nullptr;
}

void OwnedFd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Host::Host(Config config) : state_(std::make_unique<State>()) {
    state_->config = std::move(config);
    for (const auto& d : state_->config.dirs) {
        int fd = ::open(d.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            state_->config_errors.push_back(
                fmt::format("cannot open directory {}: {}", d.host_path, std::strerror(errno)));
            continue;
        }
        state_->preopens.push_back(
            {OwnedFd(fd), d.guest_path.empty() ? d.host_path : d.guest_path, d.read_only});
    }
    for (const auto& g : state_->config.sockets) {
        auto addrs = resolve_grant_host(g.host);
        if (!addrs) {
            state_->config_errors.push_back(
                fmt::format("socket grant {}: {}", g.host, addrs.error().message));
            continue;
        }
        state_->socket_grants.push_back(
            {g.protocol == Config::Protocol::Tcp, g.host, g.port, std::move(*addrs)});
    }
    define_interfaces(*state_);
}

namespace {

// The identity handles of `kind` from wasi:io/streams carry: the one add_to_linker chose for the
// streams interface the component imports.
// The public StreamSource / StreamSink on the host's own byte streams (the ones HTTP bodies
// use): neither ever blocks, so both are always ready.
class SourceAdapter final : public ByteSource {
public:
    explicit SourceAdapter(std::unique_ptr<StreamSource> s) : source_(std::move(s)) {}
    Status read(std::string& out, size_t max, std::string& error) override {
        auto got = source_->read(max);
        if (!got.ok()) {
            error = got.error().message;
            return Status::Failed;
        }
        if (got->empty()) return Status::End;
        out.append(got->begin(), got->end());
        return Status::Data;
    }
    Readiness readiness() override { return Readiness{true}; }

private:
    std::unique_ptr<StreamSource> source_;
};

class SinkAdapter final : public ByteSink {
public:
    explicit SinkAdapter(std::unique_ptr<StreamSink> s) : sink_(std::move(s)) {}
    uint64_t check_write() override { return 1u << 20; }
    Status write(std::span<const uint8_t> data, std::string& error) override {
        auto wrote = sink_->write(data);
        if (wrote.ok()) return Status::Ok;
        error = wrote.error().message;
        return Status::Failed;
    }
    Status flush(std::string&) override { return Status::Ok; }
    Readiness readiness() override { return Readiness{true}; }

private:
    std::unique_ptr<StreamSink> sink_;
};

Val own_stream(Host::State& st, Object obj) {
    for (const auto& [key, impl] : st.handle_resource) {
        if (key.second == obj.kind && key.first.starts_with("wasi:io/streams@"))
            return Call{st, key.first}.own(std::move(obj));
    }
    std::string none;
    return Call{st, none}.own(std::move(obj));
}

} // namespace

Val Host::input_stream(std::unique_ptr<StreamSource> source) {
    Object obj;
    obj.kind = Kind::InputStream;
    obj.source = std::make_shared<SourceAdapter>(std::move(source));
    return own_stream(*state_, std::move(obj));
}

Val Host::output_stream(std::unique_ptr<StreamSink> sink) {
    Object obj;
    obj.kind = Kind::OutputStream;
    obj.sink = std::make_shared<SinkAdapter>(std::move(sink));
    return own_stream(*state_, std::move(obj));
}

Result<void> Host::ready() const {
    if (state_->config_errors.empty()) return {};
    return Error(ErrorKind::Io, state_->config_errors.front());
}

Host::~Host() {
    reset();
}

void Host::reset() {
    State& st = *state_;
    for (auto& call : st.calls) abandon_client_call(*call);
    st.calls.clear();
    if (st.exchange && st.exchange->server) st.exchange->server->ex = nullptr;
    st.exchange.reset();
    st.objects.clear();
    st.exit_status.reset();
    st.waker->reset();
    st.waker->drain();
}

void Host::interrupt() {
    state_->waker->cancel();
}

std::optional<int> Host::exit_status() const {
    return state_->exit_status;
}

std::vector<std::string> Host::add_to_linker(Linker& linker, const Component& component) {
    State& st = *state_;
    std::vector<std::string> missing;
    // (instance name, export name) -> the resource the host defined there.
    std::map<std::pair<std::string, std::string>, ResourceImpl*> defined;
    for (const auto& [name, ext] : component.type().imports) {
        auto base = wasi_02_base(name);
        const InterfaceDef* iface = base ? find_interface(st, *base) : nullptr;
        if (!iface || ext.sort != Sort::Instance) {
            missing.push_back(name);
            continue;
        }
        auto inst = std::make_shared<const std::string>(name);
        for (const FuncDef& f : iface->funcs) {
            Host::State* sp = &st;
            Impl impl = f.impl;
            linker.define_func(
                name, f.name, f.type,
                [sp, inst, impl](component::CallContext&, std::span<const Val> args) {
                    return impl(Call{*sp, *inst}, args);
                });
        }
        for (Kind k : iface->resources) {
            Host::State* sp = &st;
            ResourceImpl* r = linker.define_resource(
                name, resource_name(k), [sp](uint32_t rep) { sp->objects.erase(rep); });
            st.kinds[r] = k;
            defined[{name, resource_name(k)}] = r;
            st.handle_resource[{name, k}] = r;
        }
        for (const auto& [alias, k] : iface->aliases) {
            ResourceImpl* r = defined.at({name, resource_name(k)});
            linker.alias_resource(name, alias, r);
            defined[{name, alias}] = r;
        }
    }
    // A resource type the guest imports is exported by several host instances: by the
    // interface that defines it and by each that `use`s it (an `eq` export naming the same
    // type). The component layer gives each host instance's export its own identity and the
    // guest binds the type to whichever import or alias it processed last; for components made
    // by wit-component that is the alias from the defining interface (wasi:io/poll for
    // pollable), which `resource.drop` uses. Handles returned under any of these imports carry
    // that resource, else the guest could not drop them.
    std::map<const component::ResourceType*, ResourceImpl*> bound;
    std::map<const component::ResourceType*, bool> from_definer;
    for (const auto& [name, ext] : component.type().imports) {
        if (ext.sort != Sort::Instance || !ext.instance) continue;
        for (const auto& [ename, et] : ext.instance->exports) {
            auto d = defined.find({name, ename});
            if (et.sort != Sort::Type || !et.resource || d == defined.end()) continue;
            bool definer = wasi_02_base(name) == defining_interface(st.kinds.at(d->second));
            if (definer || !from_definer[et.resource]) bound[et.resource] = d->second;
            if (definer) from_definer[et.resource] = true;
        }
    }
    for (const auto& [name, ext] : component.type().imports) {
        if (ext.sort != Sort::Instance || !ext.instance) continue;
        for (const auto& [ename, et] : ext.instance->exports) {
            if (et.sort != Sort::Type || !et.resource) continue;
            auto b = bound.find(et.resource);
            auto d = defined.find({name, ename});
            if (b != bound.end() && d != defined.end())
                st.handle_resource[{name, st.kinds.at(d->second)}] = b->second;
        }
    }
    return missing;
}

Result<std::optional<Val>> Host::call(std::string_view iface, std::string_view func,
                                      std::span<const Val> args) {
    const InterfaceDef* i = find_interface(*state_, iface);
    if (!i) return Error(ErrorKind::Usage, fmt::format("no interface `{}`", iface));
    for (const FuncDef& f : i->funcs) {
        if (f.name != func) continue;
        if (args.size() != f.type->params.size())
            return Error(ErrorKind::Usage,
                         fmt::format("`{}` takes {} arguments", func, f.type->params.size()));
        for (size_t n = 0; n < args.size(); ++n) {
            std::string why;
            if (!component::val_matches(args[n], f.type->params[n].second, &why))
                return Error(ErrorKind::Usage, fmt::format("argument {}: {}", n, why));
        }
        std::string instance(iface);
        CIRRUS_TRY_ASSIGN(std::optional<Val> r, f.impl(Call{*state_, instance}, args));
        std::string why;
        if (f.type->result && (!r || !component::val_matches(*r, f.type->result, &why)))
            return Error(ErrorKind::Other,
                         fmt::format("`{}` returned a wrong value: {}", func, why));
        return r;
    }
    return Error(ErrorKind::Usage, fmt::format("no function `{}` in `{}`", func, iface));
}

// ---------------------------------------------------------------- run_command

namespace {

// Advances the engine's epoch once after `timeout`, unless stopped first.
class DeadlineTimer {
public:
    DeadlineTimer(wasm::Engine& engine, std::chrono::milliseconds timeout)
        : thread_([this, &engine, timeout] {
              std::unique_lock lock(mutex_);
              if (!cv_.wait_for(lock, timeout, [this] { return stop_; })) engine.increment_epoch();
          }) {}
    ~DeadlineTimer() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace

Result<int> run_command(std::span<const uint8_t> bytes, RunOptions options) {
    wasm::Engine engine;
    CIRRUS_TRY_ASSIGN(auto comp, Component::compile(engine, bytes));
    std::string run_name;
    for (const auto& [name, ext] : comp->type().exports) {
        if (ext.sort == Sort::Instance && name.starts_with("wasi:cli/run@0.2.")) run_name = name;
    }
    if (run_name.empty())
        return Error(ErrorKind::Usage,
                     "not a wasi:cli/command: the component does not export wasi:cli/run@0.2.x");

    Host host(std::move(options.config));
    CIRRUS_TRY(host.ready());
    Linker linker;
    std::vector<std::string> missing = host.add_to_linker(linker, *comp);
    if (options.link_more) missing = options.link_more(host, linker, *comp, std::move(missing));
    if (!missing.empty()) {
        std::string msg = "the component imports what this host does not provide:";
        for (const auto& m : missing) msg += "\n  " + m;
        return Error(ErrorKind::Unlinkable, msg);
    }
    component::Store store(engine);
    std::optional<DeadlineTimer> timer;
    if (options.timeout) {
        store.core().set_epoch_deadline(1);
        timer.emplace(engine, *options.timeout);
    }
    auto finish = [&](Error e) -> Result<int> {
        if (host.exit_status()) return *host.exit_status();
        return e;
    };
    auto inst = linker.instantiate(store, comp);
    if (!inst.ok()) return finish(std::move(inst).error());
    if (options.instantiated) {
        auto bound = options.instantiated(store, **inst);
        if (!bound.ok()) return finish(std::move(bound).error());
    }
    component::Func* run = (*inst)->get_func(run_name + "#run");
    if (!run) return Error(ErrorKind::Usage, fmt::format("`{}` has no function `run`", run_name));
    auto result = store.call(run, {});
    timer.reset();
    if (!result.ok()) return finish(std::move(result).error());
    if (host.exit_status()) return *host.exit_status();
    if (options.finished) CIRRUS_TRY(options.finished(store));
    return (*result && (*result)->case_index() == 0) ? 0 : 1;
}

} // namespace cirrus::wasi
