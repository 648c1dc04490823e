// The message bus backend API behind wasmcloud:messaging: publish, request/reply with a timeout,
// and subscriptions that hand each message to a callback. Subjects are NATS subjects (tokens
// separated by `.`; in subscriptions `*` matches one token and a final `>` the rest), for every
// backend alike. Backends: an in-process bus (the embedded default) and NATS (libnats).
// Callbacks run on the backend's own thread, never inside publish, so a subscriber that
// publishes cannot recurse into itself.
#pragma once

#include "cirrus/support/result.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus::capabilities {

struct BusMessage {
    std::string subject;
    std::vector<uint8_t> body;
    std::optional<std::string> reply_to;
};

// A live subscription; destroying it unsubscribes (and waits for a callback in progress).
class BusSubscription {
public:
    virtual ~BusSubscription() = default;
};

class MessageBus {
public:
    using Handler = std::function<void(BusMessage)>;
    virtual ~MessageBus() = default;
    // Fails when the subject or body is not acceptable or the bus cannot take the message.
    virtual Result<void> publish(const BusMessage& msg) = 0;
    // Publishes with a fresh reply subject and waits for the first reply.
    virtual Result<BusMessage> request(std::string_view subject, std::vector<uint8_t> body,
                                       std::chrono::milliseconds timeout) = 0;
    virtual Result<std::unique_ptr<BusSubscription>> subscribe(std::string_view subject,
                                                               Handler handler) = 0;

    // Largest message body accepted.
    size_t max_payload = 1u << 20;
};

// Subject checks, with an error that names the subject and what is wrong. A publish subject has
// no wildcards; a subscription may have them.
Result<void> check_subject(std::string_view subject, bool wildcards_allowed);
// Whether `subject` matches the subscription `pattern`.
bool subject_matches(std::string_view pattern, std::string_view subject);

std::unique_ptr<MessageBus> open_memory_bus();

// NATS core messaging. `url` as nats.c takes it (nats://host:port). Reconnects forever in the
// background; while disconnected, publish and request fail at once rather than buffer.
Result<std::unique_ptr<MessageBus>> open_nats_bus(const std::string& url);

} // namespace cirrus::capabilities
