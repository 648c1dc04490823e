// The message server (cirrus/host/messaging.h): one subscription per subject of the messaging
// link; each message gets a fresh Store and instance, linked like any other, and one call of
// handle-message. Deliveries are serialized: one instance at a time per component.
#include "cirrus/host/messaging.h"
#include "cirrus/capabilities/provider.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace cirrus::host {

using component::Sort;
using component::Val;

Result<std::unique_ptr<MessageServer>>
MessageServer::start(const wasm::Engine& engine, std::shared_ptr<const component::Component> comp,
                     ComponentImports& imports) {
    std::unique_ptr<MessageServer> s(new MessageServer());
    for (const auto& [name, ext] : comp->type().exports) {
        if (ext.sort == Sort::Instance && name.starts_with("wasmcloud:messaging/handler@0.2."))
            s->export_name_ = name + "#handle-message";
    }
    if (s->export_name_.empty())
        return Error(ErrorKind::Usage,
                     "the component does not export wasmcloud:messaging/handler@0.2.x");
    if (imports.capabilities().message_subjects().empty())
        return Error(ErrorKind::Usage,
                     "the messaging link subscribes to nothing: give "
                     "--link wasmcloud:messaging=BACKEND,subscriptions=SUBJECT[;SUBJECT...]");
    s->engine_ = &engine;
    s->component_ = std::move(comp);
    s->imports_ = &imports;
    MessageServer* self = s.get();
    CIRRUS_TRY_ASSIGN(s->subscription_,
                      imports.capabilities().subscribe_messages(
                          [self](capabilities::BrokerMessage m) { self->deliver(m); }));
    return s;
}

MessageServer::~MessageServer() {
    subscription_.reset(); // waits for a delivery in progress
}

void MessageServer::deliver(const capabilities::BrokerMessage& msg) {
    std::lock_guard lock(mutex_);
    auto fail = [&](const std::string& why) {
        ++failed_;
        const auto& log = imports_->options().capabilities.logger;
        std::string text =
            fmt::format("{}: message on `{}`: {}", imports_->options().capabilities.component,
                        capabilities::sanitize_text(msg.subject), capabilities::sanitize_text(why));
        if (log)
            log->warn(text);
        else
            spdlog::warn(text);
    };
    // The Linker and the imports first: the Store's destructor runs the host destructors of
    // handles the guest did not drop, which need both.
    component::Linker linker;
    auto linked = imports_->link(linker, *component_);
    if (!linked.ok()) return fail(linked.error().message);
    component::Store store(*engine_);
    auto inst = linker.instantiate(store, component_);
    if (!inst.ok()) return fail(inst.error().to_string());
    if (auto b = (*linked)->bind(store, **inst); !b.ok()) return fail(b.error().message);
    component::Func* f = (*inst)->get_func(export_name_);
    if (!f) return fail("no handle-message function");
    std::vector<Val> args = {capabilities::broker_message_val(msg)};
    auto r = store.call(f, args);
    if (!r.ok()) return fail(r.error().to_string());
    if (*r && (*r)->case_index() != 0) {
        const auto& payload = (*r)->elems;
        return fail(payload.empty() ? "error" : payload[0].as_string());
    }
    ++handled_;
}

} // namespace cirrus::host
