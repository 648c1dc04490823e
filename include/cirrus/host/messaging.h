// Serving a component that exports wasmcloud:messaging/handler: the host subscribes to the
// subjects of the component's messaging link (subscriptions=...) and, for each message, makes a
// fresh instance of the component (as wasmCloud does; componentize-js components need it) and
// calls handle-message. A handler's error result or trap is counted and logged; the host keeps
// serving.
#pragma once

#include "cirrus/host/imports.h"

#include <atomic>
#include <memory>
#include <mutex>

namespace cirrus::host {

class MessageServer {
public:
    // Fails when the component does not export wasmcloud:messaging/handler@0.2.x, when the
    // messaging link names no subscriptions, or when subscribing fails.
    static Result<std::unique_ptr<MessageServer>>
    start(const wasm::Engine& engine, std::shared_ptr<const component::Component> component,
          ComponentImports& imports);
    ~MessageServer();

    uint64_t handled() const { return handled_; }
    uint64_t failed() const { return failed_; }

private:
    MessageServer() = default;
    void deliver(const capabilities::BrokerMessage& msg);

    const wasm::Engine* engine_ = nullptr;
    std::shared_ptr<const component::Component> component_;
    ComponentImports* imports_ = nullptr;
    std::string export_name_;
    std::mutex mutex_;
    std::atomic<uint64_t> handled_{0}, failed_{0};
    std::unique_ptr<capabilities::MessageSubscription> subscription_;
};

} // namespace cirrus::host
