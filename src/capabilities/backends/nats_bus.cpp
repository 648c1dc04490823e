// The NATS backends' connection (nats_conn.h) and the NATS message bus (messaging.h) on it:
// core publish (flushed, so an accepted publish has reached the server), request/reply with the
// library's inbox, and subscriptions whose callbacks run on libnats' delivery threads.
#include "messaging.h"
#include "nats_conn.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>

namespace cirrus::capabilities {

Error nats_error(std::string_view what, natsStatus s) {
    std::string detail = natsStatus_GetText(s);
    if (s == NATS_TIMEOUT) return Error(ErrorKind::Io, fmt::format("{}: timed out", what));
    if (s == NATS_NO_RESPONDERS)
        return Error(ErrorKind::Io, fmt::format("{}: no responders", what));
    if (s == NATS_INVALID_SUBJECT || s == NATS_INVALID_ARG || s == NATS_MAX_PAYLOAD)
        return Error(ErrorKind::Usage, fmt::format("{}: {}", what, detail));
    return Error(ErrorKind::Io, fmt::format("{}: {}", what, detail));
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::open(const std::string& url) {
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) return Error(ErrorKind::Io, "NATS: out of memory");
    struct OptsGuard {
        natsOptions* o;
        ~OptsGuard() { natsOptions_Destroy(o); }
    } guard{opts};
    natsStatus s = natsOptions_SetURL(opts, url.c_str());
    if (s != NATS_OK) return nats_error(fmt::format("NATS URL `{}`", url), s);
    natsOptions_SetTimeout(opts, 2000);
    natsOptions_SetAllowReconnect(opts, true);
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 100);
    natsOptions_SetFailRequestsOnDisconnect(opts, true);
    natsOptions_SetPingInterval(opts, 2000);
    natsOptions_SetMaxPingsOut(opts, 2);
    // A callback makes the first connection attempt non-blocking: a server that is down now is
    // connected to when it comes up.
    natsOptions_SetRetryOnFailedConnect(
        opts, true, [](natsConnection*, void*) {}, nullptr);
    natsConnection* nc = nullptr;
    s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
        return nats_error(fmt::format("NATS: cannot connect to {}", url), s);
    return std::unique_ptr<NatsConnection>(new NatsConnection(nc, url));
}

NatsConnection::~NatsConnection() {
    natsConnection_Destroy(nc_);
}

Result<void> NatsConnection::check_connected(std::string_view what) const {
    if (natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED) return {};
    return Error(ErrorKind::Io, fmt::format("{}: NATS server {} unavailable", what, url_));
}

namespace {

struct MsgGuard {
    natsMsg* m = nullptr;
    ~MsgGuard() { natsMsg_Destroy(m); }
};

BusMessage from_nats(natsMsg* m) {
    BusMessage out;
    out.subject = natsMsg_GetSubject(m);
    const char* data = natsMsg_GetData(m);
    int len = natsMsg_GetDataLength(m);
    if (data && len > 0) out.body.assign(data, data + len);
    if (const char* r = natsMsg_GetReply(m); r && *r) out.reply_to = r;
    return out;
}

class NatsSubscription final : public BusSubscription {
public:
    explicit NatsSubscription(MessageBus::Handler h) : handler(std::move(h)) {}
    ~NatsSubscription() override {
        if (!sub) return;
        // Unsubscribe, then wait until a callback in progress has returned (the completion
        // callback runs after the last one), so the handler can be destroyed safely.
        bool wait =
            natsSubscription_SetOnCompleteCB(sub, &NatsSubscription::completed, this) == NATS_OK;
        natsSubscription_Unsubscribe(sub);
        if (wait) {
            std::unique_lock lock(mutex);
            cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; });
        }
        natsSubscription_Destroy(sub);
    }
    static void on_msg(natsConnection*, natsSubscription*, natsMsg* m, void* self) {
        MsgGuard g{m};
        static_cast<NatsSubscription*>(self)->handler(from_nats(m));
    }
    static void completed(void* self) {
        auto* s = static_cast<NatsSubscription*>(self);
        std::lock_guard lock(s->mutex);
        s->done = true;
        s->cv.notify_all();
    }

    MessageBus::Handler handler;
    natsSubscription* sub = nullptr;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
};

class NatsBus final : public MessageBus {
public:
    explicit NatsBus(std::unique_ptr<NatsConnection> c) : conn_(std::move(c)) {}

    Result<void> publish(const BusMessage& msg) override {
        CIRRUS_TRY(check_subject(msg.subject, false));
        if (msg.reply_to) CIRRUS_TRY(check_subject(*msg.reply_to, false));
        CIRRUS_TRY(check_size(msg.body.size()));
        CIRRUS_TRY(conn_->check_connected(fmt::format("publish to `{}`", msg.subject)));
        int len = static_cast<int>(msg.body.size());
        natsStatus s =
            msg.reply_to
                ? natsConnection_PublishRequest(conn_->get(), msg.subject.c_str(),
                                                msg.reply_to->c_str(), msg.body.data(), len)
                : natsConnection_Publish(conn_->get(), msg.subject.c_str(), msg.body.data(), len);
        if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_->get(), 2000);
        if (s != NATS_OK) return nats_error(fmt::format("publish to `{}`", msg.subject), s);
        return {};
    }

    Result<BusMessage> request(std::string_view subject, std::vector<uint8_t> body,
                               std::chrono::milliseconds timeout) override {
        CIRRUS_TRY(check_subject(subject, false));
        CIRRUS_TRY(check_size(body.size()));
        std::string subj(subject);
        CIRRUS_TRY(conn_->check_connected(fmt::format("request to `{}`", subj)));
        natsMsg* reply = nullptr;
        int64_t ms = std::max<int64_t>(1, timeout.count());
        natsStatus s = natsConnection_Request(&reply, conn_->get(), subj.c_str(), body.data(),
                                              static_cast<int>(body.size()), ms);
        MsgGuard g{reply};
        if (s == NATS_TIMEOUT)
            return Error(ErrorKind::Io,
                         fmt::format("request to `{}` timed out after {} ms", subj, ms));
        if (s == NATS_NO_RESPONDERS)
            return Error(ErrorKind::Io, fmt::format("no responders on `{}`", subj));
        if (s != NATS_OK) return nats_error(fmt::format("request to `{}`", subj), s);
        return from_nats(reply);
    }

    Result<std::unique_ptr<BusSubscription>> subscribe(std::string_view subject,
                                                       Handler handler) override {
        CIRRUS_TRY(check_subject(subject, true));
        auto sub = std::make_unique<NatsSubscription>(std::move(handler));
        std::string subj(subject);
        natsStatus s = natsConnection_Subscribe(&sub->sub, conn_->get(), subj.c_str(),
                                                &NatsSubscription::on_msg, sub.get());
        if (s != NATS_OK) return nats_error(fmt::format("subscribe to `{}`", subj), s);
        // Once the server has the subscription, a message published after this returns reaches
        // it (when the server is up; else the subscription is made on reconnect).
        (void)natsConnection_FlushTimeout(conn_->get(), 2000);
        return std::unique_ptr<BusSubscription>(std::move(sub));
    }

private:
    Result<void> check_size(size_t n) {
        size_t limit = max_payload;
        int64_t server = natsConnection_GetMaxPayload(conn_->get());
        if (server > 0) limit = std::min(limit, static_cast<size_t>(server));
        if (n > limit)
            return Error(
                ErrorKind::Limit,
                fmt::format("message body is {} bytes, more than NATS takes ({})", n, limit));
        return {};
    }

    std::unique_ptr<NatsConnection> conn_;
};

} // namespace

Result<std::unique_ptr<MessageBus>> open_nats_bus(const std::string& url) {
    CIRRUS_TRY_ASSIGN(auto conn, NatsConnection::open(url));
    return std::unique_ptr<MessageBus>(std::make_unique<NatsBus>(std::move(conn)));
}

} // namespace cirrus::capabilities
