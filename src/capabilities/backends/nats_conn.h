// One NATS connection as the NATS backends use it (messaging, JetStream object store): made
// with retry-on-failed-connect and endless reconnects, so a server that is down when the host
// starts, or goes down later, is picked up again by itself. Private to backends/.
#pragma once

#include "cirrus/support/result.h"

#include <memory>
#include <string>
#include <string_view>

#include <nats/nats.h>

namespace cirrus::capabilities {

class NatsConnection {
public:
    static Result<std::unique_ptr<NatsConnection>> open(const std::string& url);
    ~NatsConnection();
    natsConnection* get() const { return nc_; }
    // An Io error naming `what` when the connection is not up now.
    Result<void> check_connected(std::string_view what) const;
    const std::string& url() const { return url_; }

private:
    NatsConnection(natsConnection* nc, std::string url) : nc_(nc), url_(std::move(url)) {}
    natsConnection* nc_;
    std::string url_;
};

// A libnats status as an Error (Io for transport trouble, Usage for what the caller got wrong).
Error nats_error(std::string_view what, natsStatus s);

} // namespace cirrus::capabilities
