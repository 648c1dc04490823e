// The in-process message bus and the subject rules all buses share.
#include "messaging.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace cap = cirrus::capabilities;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

// Collects messages from a subscription callback, for tests to wait on.
struct Inbox {
    std::mutex m;
    std::condition_variable cv;
    std::vector<cap::BusMessage> got;
    cap::MessageBus::Handler handler() {
        return [this](cap::BusMessage msg) {
            std::lock_guard lock(m);
            got.push_back(std::move(msg));
            cv.notify_all();
        };
    }
    bool wait_for(size_t n, std::chrono::milliseconds t = 2000ms) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, t, [&] { return got.size() >= n; });
    }
};

TEST(Subjects, Rules) {
    EXPECT_TRUE(cap::check_subject("a.b.c", false).ok());
    EXPECT_FALSE(cap::check_subject("", false).ok());
    EXPECT_FALSE(cap::check_subject("a..b", false).ok());
    EXPECT_FALSE(cap::check_subject(".a", false).ok());
    EXPECT_FALSE(cap::check_subject("a b", false).ok());
    EXPECT_FALSE(cap::check_subject("a.*", false).ok());
    EXPECT_TRUE(cap::check_subject("a.*", true).ok());
    EXPECT_TRUE(cap::check_subject("a.>", true).ok());
    EXPECT_FALSE(cap::check_subject("a.>.b", true).ok());
    EXPECT_FALSE(cap::check_subject("a.b*", true).ok());
    EXPECT_FALSE(cap::check_subject(std::string(2000, 'a'), false).ok());
    EXPECT_TRUE(cap::subject_matches("a.*.c", "a.b.c"));
    EXPECT_FALSE(cap::subject_matches("a.*.c", "a.b.d"));
    EXPECT_FALSE(cap::subject_matches("a.*", "a.b.c"));
    EXPECT_TRUE(cap::subject_matches("a.>", "a.b.c"));
    EXPECT_FALSE(cap::subject_matches("a.>", "a"));
    EXPECT_TRUE(cap::subject_matches("a.b", "a.b"));
    EXPECT_FALSE(cap::subject_matches("a.b", "a.b.c"));
    EXPECT_FALSE(cap::subject_matches("a.b.c", "a.b"));
}

TEST(MemoryBus, PublishReachesMatchingSubscriptions) {
    auto bus = cap::open_memory_bus();
    Inbox all, one;
    auto s1 = bus->subscribe("orders.>", all.handler());
    auto s2 = bus->subscribe("orders.*.created", one.handler());
    ASSERT_TRUE(s1.ok() && s2.ok());
    ASSERT_TRUE(bus->publish({"orders.eu.created", bytes("1"), std::nullopt}).ok());
    ASSERT_TRUE(bus->publish({"orders.eu.paid", bytes("2"), "reply.here"}).ok());
    ASSERT_TRUE(bus->publish({"other", bytes("3"), std::nullopt}).ok());
    ASSERT_TRUE(all.wait_for(2));
    ASSERT_TRUE(one.wait_for(1));
    std::this_thread::sleep_for(50ms);
    std::lock_guard lock(all.m);
    ASSERT_EQ(all.got.size(), 2u);
    EXPECT_EQ(all.got[0].subject, "orders.eu.created");
    EXPECT_EQ(all.got[1].body, bytes("2"));
    EXPECT_EQ(all.got[1].reply_to, std::optional<std::string>("reply.here"));
    EXPECT_EQ(one.got.size(), 1u);
}

TEST(MemoryBus, UnsubscribedGetsNothing) {
    auto bus = cap::open_memory_bus();
    Inbox inbox;
    auto sub = bus->subscribe("x", inbox.handler());
    ASSERT_TRUE(bus->publish({"x", bytes("a"), std::nullopt}).ok());
    ASSERT_TRUE(inbox.wait_for(1));
    sub->reset();
    ASSERT_TRUE(bus->publish({"x", bytes("b"), std::nullopt}).ok());
    EXPECT_FALSE(inbox.wait_for(2, 100ms));
}

TEST(MemoryBus, RequestReply) {
    auto bus = cap::open_memory_bus();
    cap::MessageBus* b = bus.get();
    auto echo = bus->subscribe("echo", [b](cap::BusMessage m) {
        std::vector<uint8_t> body = bytes("re: ");
        body.insert(body.end(), m.body.begin(), m.body.end());
        (void)b->publish({*m.reply_to, body, std::nullopt});
    });
    auto r = bus->request("echo", bytes("hi"), 1000ms);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, bytes("re: hi"));
    auto none = bus->request("nobody.home", bytes("hi"), 1000ms);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("no responders"), std::string::npos);
    auto silent = bus->subscribe("silent", [](cap::BusMessage) {});
    auto t0 = std::chrono::steady_clock::now();
    auto slow = bus->request("silent", bytes("hi"), 100ms);
    ASSERT_FALSE(slow.ok());
    EXPECT_NE(slow.error().message.find("timed out"), std::string::npos);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 100ms);
}

TEST(MemoryBus, HostileInput) {
    auto bus = cap::open_memory_bus();
    EXPECT_FALSE(bus->publish({"a.*", bytes("x"), std::nullopt}).ok());
    EXPECT_FALSE(bus->publish({"", bytes("x"), std::nullopt}).ok());
    EXPECT_FALSE(bus->publish({"ok", bytes("x"), "bad reply"}).ok());
    EXPECT_FALSE(bus->subscribe("a..b", [](cap::BusMessage) {}).ok());
    bus->max_payload = 10;
    auto big = bus->publish({"x", std::vector<uint8_t>(11), std::nullopt});
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().kind, cirrus::ErrorKind::Limit);
}

} // namespace
