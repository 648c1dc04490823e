// The in-process message bus (messaging.h): subscriptions in a list, messages delivered in
// publish order by one dispatcher thread; request/reply through a private `_INBOX.` subject.
// Also the subject rules every backend shares.
#include "messaging.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

namespace cirrus::capabilities {

Result<void> check_subject(std::string_view subject, bool wildcards_allowed) {
    if (subject.empty()) return Error(ErrorKind::Usage, "subject is empty");
    if (subject.size() > 1024)
        return Error(ErrorKind::Usage,
                     fmt::format("subject is {} bytes, at most 1024", subject.size()));
    size_t pos = 0;
    for (;;) {
        size_t dot = subject.find('.', pos);
        std::string_view tok = subject.substr(pos, dot == std::string_view::npos ? dot : dot - pos);
        if (tok.empty())
            return Error(ErrorKind::Usage, fmt::format("subject `{}` has an empty token", subject));
        for (char c : tok) {
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
                return Error(
                    ErrorKind::Usage,
                    fmt::format("subject `{}` has whitespace or a control character", subject));
        }
        bool wild = tok == "*" || tok == ">";
        if (!wild &&
            (tok.find('*') != std::string_view::npos || tok.find('>') != std::string_view::npos) &&
            wildcards_allowed)
            return Error(ErrorKind::Usage,
                         fmt::format("subject `{}`: a wildcard must be a whole token", subject));
        if (wild && !wildcards_allowed)
            return Error(ErrorKind::Usage,
                         fmt::format("subject `{}` has a wildcard, which only subscriptions may "
                                     "have",
                                     subject));
        if (tok == ">" && dot != std::string_view::npos)
            return Error(ErrorKind::Usage,
                         fmt::format("subject `{}`: `>` must be the last token", subject));
        if (dot == std::string_view::npos) break;
        pos = dot + 1;
    }
    return {};
}

bool subject_matches(std::string_view pattern, std::string_view subject) {
    size_t p = 0, s = 0;
    for (;;) {
        size_t pd = pattern.find('.', p), sd = subject.find('.', s);
        std::string_view pt = pattern.substr(p, pd == std::string_view::npos ? pd : pd - p);
        std::string_view st = subject.substr(s, sd == std::string_view::npos ? sd : sd - s);
        if (pt == ">") return s <= subject.size() && !st.empty();
        if (pt != "*" && pt != st) return false;
        bool pe = pd == std::string_view::npos, se = sd == std::string_view::npos;
        if (pe || se) return pe && se;
        p = pd + 1;
        s = sd + 1;
    }
}

namespace {

class MemoryBus;

struct Sub {
    std::string pattern;
    MessageBus::Handler handler;
    bool active = true;
};

class MemorySubscription final : public BusSubscription {
public:
    MemorySubscription(MemoryBus* bus, std::list<Sub>::iterator it) : bus_(bus), it_(it) {}
    ~MemorySubscription() override;

private:
    MemoryBus* bus_;
    std::list<Sub>::iterator it_;
};

class MemoryBus final : public MessageBus {
public:
    MemoryBus() : thread_([this] { run(); }) {}
    ~MemoryBus() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    Result<void> publish(const BusMessage& msg) override {
        CIRRUS_TRY(check_subject(msg.subject, false));
        if (msg.reply_to) CIRRUS_TRY(check_subject(*msg.reply_to, false));
        if (msg.body.size() > max_payload)
            return Error(ErrorKind::Limit,
                         fmt::format("message body is {} bytes, more than the bus takes ({})",
                                     msg.body.size(), max_payload));
        std::lock_guard lock(mutex_);
        queue_.push_back(msg);
        cv_.notify_all();
        return {};
    }

    Result<BusMessage> request(std::string_view subject, std::vector<uint8_t> body,
                               std::chrono::milliseconds timeout) override {
        CIRRUS_TRY(check_subject(subject, false));
        {
            std::lock_guard lock(mutex_);
            bool any = false;
            for (const auto& s : subs_)
                any = any || (s.active && subject_matches(s.pattern, subject));
            if (!any) return Error(ErrorKind::Io, fmt::format("no responders on `{}`", subject));
        }
        struct Reply {
            std::mutex m;
            std::condition_variable cv;
            std::optional<BusMessage> msg;
        };
        auto reply = std::make_shared<Reply>();
        std::string inbox = fmt::format("_INBOX.{}", next_inbox_++);
        CIRRUS_TRY_ASSIGN(auto sub, subscribe(inbox, [reply](BusMessage m) {
                              std::lock_guard lock(reply->m);
                              if (!reply->msg) reply->msg = std::move(m);
                              reply->cv.notify_all();
                          }));
        CIRRUS_TRY(publish(BusMessage{std::string(subject), std::move(body), inbox}));
        std::unique_lock lock(reply->m);
        if (!reply->cv.wait_for(lock, timeout, [&] { return reply->msg.has_value(); }))
            return Error(ErrorKind::Io, fmt::format("request to `{}` timed out after {} ms",
                                                    subject, timeout.count()));
        return std::move(*reply->msg);
    }

    Result<std::unique_ptr<BusSubscription>> subscribe(std::string_view subject,
                                                       Handler handler) override {
        CIRRUS_TRY(check_subject(subject, true));
        std::lock_guard lock(mutex_);
        subs_.push_back(Sub{std::string(subject), std::move(handler)});
        return std::unique_ptr<BusSubscription>(
            std::make_unique<MemorySubscription>(this, std::prev(subs_.end())));
    }

    void unsubscribe(std::list<Sub>::iterator it) {
        std::unique_lock lock(mutex_);
        it->active = false;
        // Wait for a delivery to this subscription in progress on the dispatcher thread.
        // (The dispatcher erases it between messages: it may hold a pointer to it now.)
        if (std::this_thread::get_id() != thread_.get_id())
            cv_.wait(lock, [&] { return delivering_ != &*it; });
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            subs_.remove_if([](const Sub& s) { return !s.active; });
            BusMessage msg = std::move(queue_.front());
            queue_.pop_front();
            std::vector<Sub*> targets;
            for (auto& s : subs_) {
                if (s.active && subject_matches(s.pattern, msg.subject)) targets.push_back(&s);
            }
            for (Sub* s : targets) {
                if (!s->active) continue;
                delivering_ = s;
                lock.unlock();
                s->handler(msg);
                lock.lock();
                delivering_ = nullptr;
                cv_.notify_all();
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::list<Sub> subs_;
    std::deque<BusMessage> queue_;
    Sub* delivering_ = nullptr;
    bool stop_ = false;
    std::atomic<uint64_t> next_inbox_{1};
    std::thread thread_;
};

MemorySubscription::~MemorySubscription() {
    bus_->unsubscribe(it_);
}

} // namespace

std::unique_ptr<MessageBus> open_memory_bus() {
    return std::make_unique<MemoryBus>();
}

} // namespace cirrus::capabilities
