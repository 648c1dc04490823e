// Linking a component's imports to what the host provides: WASI (wasi::Host) and the
// capability providers (capabilities::Capabilities, each family on its linked backend or its
// embedded default). An import nothing satisfies is a start-up error that lists every such
// import. `cirrus run` (run_command below) and `cirrus serve` both link through ComponentImports.
#pragma once

#include "cirrus/capabilities/capabilities.h"
#include "cirrus/component/component.h"
#include "cirrus/support/result.h"
#include "cirrus/wasi/wasi.h"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cirrus::host {

// Everything one component is given.
struct ComponentOptions {
    wasi::Config wasi;
    capabilities::Options capabilities;
};

// The host side of one component instance: its WASI host and capability session. It must
// outlive the Store the instance lives in.
struct InstanceImports {
    std::unique_ptr<wasi::Host> wasi;
    std::unique_ptr<capabilities::Session> capabilities;
    // After instantiation: binds the exports the providers call (keyvalue watcher).
    Result<void> bind(component::Store& store, component::Instance& instance) {
        return capabilities->bind(store, instance);
    }
    // Between calls: delivers pending events to the guest's exports (keyvalue watcher).
    Result<void> pump(component::Store& store) { return capabilities->pump(store); }
};

// Made once per component: the capability backends (connections) are shared by every instance.
class ComponentImports {
public:
    // Fails on a bad link (unknown family or backend, malformed setting).
    static Result<std::unique_ptr<ComponentImports>> create(ComponentOptions options);

    // Defines in `linker` every import of `component` that WASI or a provider serves; the
    // imports named in `provided` the caller defines itself (e.g. serve's wasi:http). Fails
    // (Unlinkable) listing every import left unsatisfied, or when a granted directory cannot be
    // opened.
    Result<std::unique_ptr<InstanceImports>> link(component::Linker& linker,
                                                  const component::Component& component,
                                                  std::span<const std::string> provided = {});

    // The capability part alone, for a caller that made its own wasi::Host: defines what the
    // providers serve among `unserved` and returns the rest.
    std::vector<std::string> link_capabilities(capabilities::Session& session,
                                               component::Linker& linker,
                                               const component::Component& component,
                                               std::vector<std::string> unserved);

    // Runs a `wasi:cli/command` component (wasi::run_command) with `config` (this object's
    // WASI settings are not used) and these capabilities: backends and their connections are
    // the ones every run of this object shares.
    Result<int> run_command(std::span<const uint8_t> component_bytes, wasi::Config config,
                            std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    const ComponentOptions& options() const { return options_; }
    capabilities::Capabilities& capabilities() { return *capabilities_; }

private:
    ComponentImports() = default;
    ComponentOptions options_;
    std::shared_ptr<capabilities::Capabilities> capabilities_;
};

// The command-line forms `cirrus run` and `cirrus serve` share, as given.
struct CapabilityFlags {
    std::vector<std::string> links;   // --link INTERFACE=BACKEND[,key=value...]
    std::vector<std::string> config;  // --config KEY=VALUE
    std::vector<std::string> secrets; // --secret NAME=VALUE | NAME=@file:PATH | NAME=@env:VAR
    std::string log_level = "info";   // --log-level
    std::string data_dir;             // --data-dir: where embedded backends keep data
};
// Parses and checks them; the --config values form one named configuration, "cli".
Result<capabilities::Options> parse_capability_flags(const CapabilityFlags& flags);

// "the component imports what this host does not provide:" and the list, one a line.
Error unsatisfied_imports(const std::vector<std::string>& imports);

struct RunOptions {
    ComponentOptions component;
    std::optional<std::chrono::milliseconds> timeout;
};

// Runs a `wasi:cli/command` component (wasi::run_command) with its capability imports linked.
// Returns the exit status; a trap, an interruption or an unlinkable component is an Error.
Result<int> run_command(std::span<const uint8_t> component_bytes, RunOptions options);

} // namespace cirrus::host
