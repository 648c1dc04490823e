// Serving a component that exports wasmcloud:messaging/handler: the host subscribes to the
// subjects of the component's messaging link (subscriptions=...) and, for each message, makes a
// fresh instance of the component (as wasmCloud does; componentize-js components need it) and
// calls handle-message. A handler's error result, trap or overrun of its timeout is counted and
// logged; the host keeps serving. `cirrus serve` runs one beside the HTTP server, or alone.
#pragma once

#include "cirrus/host/imports.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace cirrus::host {

class MessageServer {
public:
    // True when `component` exports wasmcloud:messaging/handler@0.2.x.
    static bool exports_handler(const component::Component& component);

    // Fails when the component does not export wasmcloud:messaging/handler@0.2.x, imports what
    // the host does not provide (the list), when the messaging link names no subscriptions, or
    // when subscribing fails. A handler still running after `timeout` is stopped (a trap for
    // that message). `engine` (the one `component` was compiled with) and `imports` must
    // outlive the server.
    static Result<std::unique_ptr<MessageServer>>
    start(const wasm::Engine& engine, std::shared_ptr<const component::Component> component,
          ComponentImports& imports,
          std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // Unsubscribes; a message being handled is finished first.
    ~MessageServer();

    // Blocks until stop(), or until SIGINT or SIGTERM when `handle_signals`; `ready` is called
    // once the signals are handled. Messages are delivered from start() on, whether run() is
    // called or not.
    void run(bool handle_signals, const std::function<void()>& ready = {});
    // Makes run() return. Thread-safe.
    void stop();

    // The subjects subscribed to.
    const std::vector<std::string>& subjects() const { return subjects_; }
    uint64_t handled() const { return handled_; }
    uint64_t failed() const { return failed_; }

private:
    MessageServer() = default;
    void deliver(const capabilities::BrokerMessage& msg);
    void log_failure(const capabilities::BrokerMessage& msg, const std::string& why);
    void watchdog();

    const wasm::Engine* engine_ = nullptr;
    ComponentImports* imports_ = nullptr;
    std::string export_name_;
    std::vector<std::string> subjects_;
    std::optional<std::chrono::milliseconds> timeout_;
    // Deliveries are serialized: one instance at a time, from the component resolved once
    // against `linker_` (as an HTTP worker does).
    std::mutex mutex_;
    component::Linker linker_;
    std::unique_ptr<InstanceImports> instance_imports_;
    std::shared_ptr<const component::InstancePre> pre_;
    std::atomic<uint64_t> handled_{0}, failed_{0};
    // For the watchdog: the store of the message being handled and its deadline.
    std::mutex watch_mutex_;
    component::Store* store_ = nullptr;
    std::chrono::steady_clock::time_point deadline_;
    bool fired_ = false;
    std::atomic<bool> closing_{false};
    std::thread watchdog_;
    struct Waiter;
    std::unique_ptr<Waiter> waiter_;
    std::unique_ptr<capabilities::MessageSubscription> subscription_;
};

} // namespace cirrus::host
