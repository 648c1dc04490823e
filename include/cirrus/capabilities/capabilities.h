// The wasmCloud capability interfaces for components: which backend serves each interface
// family (a Link, from `--link INTERFACE=BACKEND[,key=value...]` or the embedded default), the
// values a component is given (named configurations, secrets, its log level), and the objects
// that define the interfaces on a component::Linker.
//
//   Capabilities  one per component: the providers and their backends (connections), the
//                 merged configuration and the secrets. Thread-safe; shared by every instance.
//   Session       one per component instance (per Store): the handles the guest holds
//                 (buckets, secrets, ...); defines the imports it serves on a Linker and,
//                 after instantiation, binds the exports the host calls (keyvalue watcher).
//
// The interface families and their backends are one table (provider.h, families()).
#pragma once

#include "cirrus/component/component.h"
#include "cirrus/support/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cirrus::wasi {
class Host;
}

namespace spdlog {
class logger;
}

namespace cirrus::capabilities {

// wasi:logging's levels, in order, and Off (nothing is logged).
enum class LogLevel : uint8_t { Trace, Debug, Info, Warn, Error, Critical, Off };
const char* log_level_name(LogLevel level);
// "trace", "debug", "info", "warn", "error", "critical" or "off".
std::optional<LogLevel> parse_log_level(std::string_view text);

// One interface family linked to one backend, with the backend's settings.
struct Link {
    std::string interface; // the family as `--link` names it: "wasi:keyvalue"
    std::string backend;   // "redis"
    std::vector<std::pair<std::string, std::string>> settings;

    // The value of setting `key`, if given (the last one given wins).
    std::optional<std::string> setting(std::string_view key) const;
};

// Parses `INTERFACE=BACKEND[,key=value...]` (e.g. `wasi:keyvalue=redis,url=redis://host:6379`)
// and checks the interface family, the backend and the setting names against the providers
// cirrus has; the error names what was wrong and what would be accepted.
Result<Link> parse_link(std::string_view text);

// A secret the component may read through wasmcloud:secrets. The value is never logged nor
// put in an error message.
struct Secret {
    std::string name;
    std::string value;
    bool binary = false; // not valid UTF-8: revealed as `bytes`, else as `string`
};

// Parses `--secret NAME=VALUE`, `NAME=@file:PATH` (the file's contents) or `NAME=@env:VAR`
// (the host environment variable). Errors name the secret and the source, never the value.
Result<Secret> parse_secret(std::string_view text);

// A named configuration (a manifest's config entry); `cirrus run --config K=V` values form one.
struct NamedConfig {
    std::string name;
    std::vector<std::pair<std::string, std::string>> values;
};

struct Options {
    // The component's name in the host log.
    std::string component = "component";
    // Links given; every family without one gets its embedded default backend.
    std::vector<Link> links;
    // Merged in order: for a key in several, the last wins.
    std::vector<NamedConfig> configs;
    std::vector<Secret> secrets;
    // wasi:logging messages below this level are dropped.
    LogLevel log_level = LogLevel::Info;
    // Where embedded backends keep data (the filesystem blob store under blobstore/); empty:
    // temporary storage that goes with the host.
    std::string data_dir;
    // Where logs go; null: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
};

class Session;
class Provider;
struct Family;

// A message for a component that exports wasmcloud:messaging/handler.
struct BrokerMessage {
    std::string subject;
    std::vector<uint8_t> body;
    std::optional<std::string> reply_to;
};
// Live subscriptions; destroying this unsubscribes and waits for deliveries in progress.
class MessageSubscription {
public:
    virtual ~MessageSubscription() = default;
};
// wasmcloud:messaging's broker-message record, as a type and as a value.
const component::ValType* broker_message_type(component::TypeArena& arena);
component::Val broker_message_val(const BrokerMessage& message);

class Capabilities {
public:
    // Makes the providers: the linked backend for each family linked, the embedded default for
    // the others. Fails on a link naming an unknown family or backend, a family linked twice,
    // or settings a backend refuses (a malformed URL). A server that is down is not an error
    // here: the guest gets the interface's error value until it is up.
    static Result<std::shared_ptr<Capabilities>> create(Options options);
    ~Capabilities();
    Capabilities(const Capabilities&) = delete;
    Capabilities& operator=(const Capabilities&) = delete;

    const Options& options() const { return options_; }
    // The configuration values after merging (key order of first appearance).
    const std::vector<std::pair<std::string, std::string>>& config() const { return config_; }
    // True when a provider serves import `import_name` ("wasi:keyvalue/store@0.2.0-draft").
    bool serves(std::string_view import_name) const;
    // The backend serving family `interface` ("wasi:keyvalue" -> "memory").
    std::string backend_of(std::string_view interface) const;

    // The subjects the messaging link subscribes to (subscriptions=...; none by default).
    std::vector<std::string> message_subjects() const;
    // Subscribes to them: `deliver` is called for each message, on the bus's thread.
    Result<std::unique_ptr<MessageSubscription>>
    subscribe_messages(std::function<void(BrokerMessage)> deliver);

    // State for one component instance; it must outlive the Store it is linked into.
    std::unique_ptr<Session> session();

private:
    Capabilities() = default;
    struct Entry;
    Options options_;
    std::vector<std::pair<std::string, std::string>> config_;
    std::vector<std::unique_ptr<Entry>> providers_;
};

class ProviderSession;

class Session {
public:
    ~Session();
    // Defines in `linker` every import of `component` a provider serves, under the exact name
    // imported. Returns the imports it does not serve, in import order.
    std::vector<std::string> add_to_linker(component::Linker& linker,
                                           const component::Component& component);
    // Defines import `import_name` if a provider serves it; false if none does.
    bool define(component::Linker& linker, const std::string& import_name);
    // After instantiation: lets the providers find the exports they call (keyvalue watcher).
    Result<void> bind(component::Store& store, component::Instance& instance);
    // Calls the guest's exports for what is pending (keyvalue watcher events), on the Store's
    // thread and never while the guest runs (`cirrus run`: after `run` returns).
    Result<void> pump(component::Store& store);
    // The instance's WASI host, through which providers hand out wasi:io streams; call before
    // add_to_linker / define.
    void set_wasi(wasi::Host* host);
    // How many host objects behind resource handles the providers hold for the guest now: a
    // session that serves one Store after another must come back to what it started with.
    size_t live_handles() const;

private:
    friend class Capabilities;
    Session() = default;
    struct Part {
        const Family* family;
        std::unique_ptr<ProviderSession> session;
    };
    std::vector<Part> parts_;
};

} // namespace cirrus::capabilities
