// wasmcloud:messaging@0.2.0 over a message bus backend (backends/messaging.h): `consumer`
// (publish, request with a timeout) for components that import it, and the subscriptions the
// link names (subscriptions=a.b,c.>) for components that export `handler`, whose messages the
// host delivers to handle-message (subscribe_messages). Backends: `memory` (the embedded
// default: one in-process bus shared by every component of this host) and `nats`. A bus
// failure, a server that is down included, is the interface's error string, never a trap.
#include "messaging.h"
#include "families.h"

#include <fmt/format.h>

#include <algorithm>

namespace cirrus::capabilities {

using component::Field;
using component::TypeKind;
using component::Val;
using component::ValType;

namespace {

// Longest a guest's request may wait, whatever timeout-ms it asks for: a host thread waits
// with it.
constexpr uint32_t max_request_ms = 60000;

MessageBus& process_bus() {
    static std::unique_ptr<MessageBus> bus = open_memory_bus();
    return *bus;
}

std::vector<uint8_t> bytes_of(const Val& list) {
    std::string b = list.to_bytes();
    return std::vector<uint8_t>(b.begin(), b.end());
}

Val bytes_val(const std::vector<uint8_t>& b) {
    return Val::bytes(std::span<const uint8_t>(b));
}

class MessagingProvider : public Provider, public MessageSource {
public:
    MessagingProvider(std::unique_ptr<MessageBus> owned, MessageBus* bus,
                      std::vector<std::string> subscriptions)
        : owned_(std::move(owned)), bus_(bus), subscriptions_(std::move(subscriptions)) {}

    std::unique_ptr<ProviderSession> session() override;

    MessageBus& bus() { return *bus_; }

    const std::vector<std::string>& subjects() const override { return subscriptions_; }

    Result<std::unique_ptr<MessageSubscription>>
    subscribe(std::function<void(BrokerMessage)> deliver) override {
        struct Subs : MessageSubscription {
            std::vector<std::unique_ptr<BusSubscription>> list;
        };
        auto subs = std::make_unique<Subs>();
        for (const auto& subject : subscriptions_) {
            CIRRUS_TRY_ASSIGN(auto s, bus_->subscribe(subject, [deliver](BusMessage m) {
                deliver(
                    BrokerMessage{std::move(m.subject), std::move(m.body), std::move(m.reply_to)});
            }));
            subs->list.push_back(std::move(s));
        }
        return std::unique_ptr<MessageSubscription>(std::move(subs));
    }

private:
    std::unique_ptr<MessageBus> owned_;
    MessageBus* bus_;
    std::vector<std::string> subscriptions_;
};

class MessagingSession : public ProviderSession {
public:
    explicit MessagingSession(MessagingProvider& p) : p_(p) {}

    void define(component::Linker& linker, const std::string& import_name) override {
        // `types` has only the broker-message record: nothing to define but the instance.
        if (unversioned(import_name) != "wasmcloud:messaging/consumer")
            return linker.declare_instance(import_name);
        TypeBuilder t(linker.types());
        const ValType* msg = broker_message_type(linker.types());
        const ValType* err = t.string();
        MessageBus& bus = p_.bus();
        linker.define_func(
            import_name, "request",
            t.func({{"subject", t.string()},
                    {"body", t.bytes()},
                    {"timeout-ms", TypeBuilder::prim(TypeKind::U32)}},
                   t.a.result(msg, err)),
            [&bus](component::CallContext&, std::span<const Val> a) -> Result<std::optional<Val>> {
                uint32_t ms = std::min(static_cast<uint32_t>(a[2].bits), max_request_ms);
                auto r =
                    bus.request(a[0].as_string(), bytes_of(a[1]), std::chrono::milliseconds(ms));
                if (!r.ok()) return std::optional(Val::err(Val::string(r.error().message)));
                return std::optional(Val::ok(message_val(*r)));
            });
        linker.define_func(
            import_name, "publish", t.func({{"msg", msg}}, t.a.result(nullptr, err)),
            [&bus](component::CallContext&, std::span<const Val> a) -> Result<std::optional<Val>> {
                const Val& m = a[0];
                BusMessage out{m.elems.at(0).as_string(), bytes_of(m.elems.at(1)), std::nullopt};
                if (m.elems.at(2).case_index() == 1)
                    out.reply_to = m.elems.at(2).elems.at(0).as_string();
                auto r = bus.publish(out);
                if (!r.ok()) return std::optional(Val::err(Val::string(r.error().message)));
                return std::optional(Val::ok(std::nullopt));
            });
    }

    static Val message_val(const BusMessage& m) {
        return Val::record({Val::string(m.subject), bytes_val(m.body),
                            m.reply_to ? Val::some(Val::string(*m.reply_to)) : Val::none()});
    }

private:
    MessagingProvider& p_;
};

std::unique_ptr<ProviderSession> MessagingProvider::session() {
    return std::make_unique<MessagingSession>(*this);
}

std::vector<std::string> split_subjects(const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find_first_of(",;", pos);
        std::string s = text.substr(pos, comma == std::string::npos ? comma : comma - pos);
        if (!s.empty()) out.push_back(s);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

} // namespace

const ValType* broker_message_type(component::TypeArena& a) {
    TypeBuilder t(a);
    return a.record({Field{"subject", t.string()}, Field{"body", t.bytes()},
                     Field{"reply-to", a.option(t.string())}});
}

Val broker_message_val(const BrokerMessage& m) {
    return MessagingSession::message_val(BusMessage{m.subject, m.body, m.reply_to});
}

Family messaging_family() {
    Family f;
    f.name = "wasmcloud:messaging";
    f.interfaces = {"wasmcloud:messaging/consumer@0.2.0", "wasmcloud:messaging/types@0.2.0"};
    // `subscriptions` is a list of subjects: `subscriptions=a.b,c.>` as wasmCloud writes it (the
    // link parser keeps the pieces after it that have no `=` in its value), repeated
    // `subscriptions=` settings, or subjects separated by `;`.
    f.list_settings = {"subscriptions"};
    f.backends = {
        {"memory", {"subscriptions"}, "the in-process bus shared by this host's components"},
        {"nats", {"url", "subscriptions"}, "NATS at url=nats://..."},
    };
    f.make = [](const Link& link, const Options&) -> Result<std::unique_ptr<Provider>> {
        std::vector<std::string> subs;
        for (const auto& [key, value] : link.settings) {
            if (key != "subscriptions") continue;
            for (auto& s : split_subjects(value)) {
                // A subject named twice would deliver each of its messages twice.
                if (std::ranges::find(subs, s) == subs.end()) subs.push_back(std::move(s));
            }
        }
        for (const auto& s : subs) {
            auto ok = check_subject(s, true);
            if (!ok.ok())
                return Error(ErrorKind::Usage,
                             fmt::format("subscriptions: {}", sanitize_text(ok.error().message)));
        }
        if (link.backend == "nats") {
            CIRRUS_TRY_ASSIGN(auto bus,
                              open_nats_bus(link.setting("url").value_or("nats://127.0.0.1:4222")));
            MessageBus* raw = bus.get();
            return std::unique_ptr<Provider>(
                std::make_unique<MessagingProvider>(std::move(bus), raw, std::move(subs)));
        }
        return std::unique_ptr<Provider>(
            std::make_unique<MessagingProvider>(nullptr, &process_bus(), std::move(subs)));
    };
    return f;
}

} // namespace cirrus::capabilities
