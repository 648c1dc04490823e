// The message server (cirrus/host/messaging.h): the component is linked and its imports
// resolved once; one subscription per subject of the messaging link; each message gets a fresh
// Store and instance and one call of handle-message. Deliveries are serialized: one instance at
// a time per component. With a timeout, a watchdog thread interrupts a handler that overruns it.
#include "cirrus/host/messaging.h"
#include "cirrus/capabilities/provider.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>

namespace cirrus::host {

namespace asio = boost::asio;
using component::Sort;
using component::Val;

namespace {

constexpr auto watch_tick = std::chrono::milliseconds(5);

std::string handler_export(const component::Component& comp) {
    for (const auto& [name, ext] : comp.type().exports) {
        if (ext.sort == Sort::Instance && name.starts_with("wasmcloud:messaging/handler@0.2."))
            return name + "#handle-message";
    }
    return {};
}

} // namespace

// run() waits on an io_context: stop() and the signals end it.
struct MessageServer::Waiter {
    asio::io_context ioc;
};

bool MessageServer::exports_handler(const component::Component& component) {
    return !handler_export(component).empty();
}

Result<std::unique_ptr<MessageServer>>
MessageServer::start(const wasm::Engine& engine, std::shared_ptr<const component::Component> comp,
                     ComponentImports& imports, std::optional<std::chrono::milliseconds> timeout) {
    std::unique_ptr<MessageServer> s(new MessageServer());
    s->export_name_ = handler_export(*comp);
    if (s->export_name_.empty())
        return Error(ErrorKind::Usage,
                     "the component does not export wasmcloud:messaging/handler@0.2.x");
    s->subjects_ = imports.capabilities().message_subjects();
    if (s->subjects_.empty())
        return Error(ErrorKind::Usage,
                     "the messaging link subscribes to nothing: give "
                     "--link wasmcloud:messaging=BACKEND,subscriptions=SUBJECT[,SUBJECT...]");
    s->engine_ = &engine;
    s->imports_ = &imports;
    s->timeout_ = timeout;
    s->waiter_ = std::make_unique<Waiter>();
    // Linked before subscribing: an import nothing serves is refused with the list.
    CIRRUS_TRY_ASSIGN(s->instance_imports_, imports.link(s->linker_, *comp));
    CIRRUS_TRY_ASSIGN(s->pre_, s->linker_.instantiate_pre(comp));
    if (timeout) s->watchdog_ = std::thread([self = s.get()] { self->watchdog(); });
    MessageServer* self = s.get();
    CIRRUS_TRY_ASSIGN(s->subscription_,
                      imports.capabilities().subscribe_messages(
                          [self](capabilities::BrokerMessage m) { self->deliver(m); }));
    return s;
}

MessageServer::~MessageServer() {
    subscription_.reset(); // waits for a delivery in progress
    closing_ = true;
    if (watchdog_.joinable()) watchdog_.join();
}

void MessageServer::run(bool handle_signals, const std::function<void()>& ready) {
    asio::io_context& ioc = waiter_->ioc;
    std::optional<asio::signal_set> signals;
    if (handle_signals) {
        signals.emplace(ioc, SIGINT, SIGTERM);
        signals->async_wait([&ioc](const boost::system::error_code& ec, int) {
            if (!ec) ioc.stop();
        });
    }
    if (ready) ready();
    auto work = asio::make_work_guard(ioc);
    ioc.run();
}

void MessageServer::stop() {
    waiter_->ioc.stop();
}

void MessageServer::log_failure(const capabilities::BrokerMessage& msg, const std::string& why) {
    ++failed_;
    const auto& caps = imports_->options().capabilities;
    std::string text =
        fmt::format("{}: message on `{}`: {}", caps.component,
                    capabilities::sanitize_text(msg.subject), capabilities::sanitize_text(why));
    if (caps.logger)
        caps.logger->warn(text);
    else
        spdlog::warn(text);
}

void MessageServer::watchdog() {
    while (!closing_) {
        std::this_thread::sleep_for(watch_tick);
        std::lock_guard lock(watch_mutex_);
        if (store_ && !fired_ && std::chrono::steady_clock::now() >= deadline_) {
            fired_ = true;
            store_->core().interrupt();
            instance_imports_->wasi->interrupt();
        }
    }
}

void MessageServer::deliver(const capabilities::BrokerMessage& msg) {
    std::lock_guard lock(mutex_);
    // The WASI objects (streams, ...) of the message before belonged to its instance. The Store
    // goes at the end of this function, before the linker and the imports (members), whose
    // host destructors it runs for the handles the guest did not drop.
    instance_imports_->wasi->reset();
    component::Store store(*engine_);
    {
        std::lock_guard watch(watch_mutex_);
        store_ = &store;
        fired_ = false;
        if (timeout_) deadline_ = std::chrono::steady_clock::now() + *timeout_;
    }
    Result<std::optional<Val>> r = Error(ErrorKind::Other, "not run");
    auto inst = pre_->instantiate(store);
    if (!inst.ok()) {
        r = std::move(inst).error();
    } else if (auto b = instance_imports_->bind(store, **inst); !b.ok()) {
        r = std::move(b).error();
    } else if (component::Func* f = (*inst)->get_func(export_name_)) {
        std::vector<Val> args = {capabilities::broker_message_val(msg)};
        r = store.call(f, args);
        // What the capability providers queued for the guest (keyvalue watcher events).
        if (r.ok()) {
            if (auto pumped = instance_imports_->pump(store); !pumped.ok())
                r = std::move(pumped).error();
        }
    } else {
        r = Error(ErrorKind::Other, "the instance has no " + export_name_);
    }
    bool timed_out;
    {
        std::lock_guard watch(watch_mutex_);
        store_ = nullptr;
        timed_out = fired_;
    }
    if (!r.ok())
        return log_failure(msg, (timed_out ? "stopped at the deadline: " : "the handler failed: ") +
                                    r.error().to_string());
    if (*r && (*r)->case_index() != 0) {
        const auto& payload = (*r)->elems;
        return log_failure(msg,
                           "the handler returned an error: " +
                               (payload.empty() ? std::string("(none)") : payload[0].as_string()));
    }
    ++handled_;
}

} // namespace cirrus::host
