// The backend API of the capability layer: what a provider (one interface family, e.g.
// wasi:keyvalue, served by one backend) implements, the table of families and their backends,
// and small helpers every provider needs to define WIT interfaces on a component::Linker
// (types, host resources, handle tables).
//
// Adding an interface family: write a Family (interfaces served, backends with the settings
// each accepts, a factory) in src/capabilities/, and list it in families() (registry.cpp).
#pragma once

#include "cirrus/capabilities/capabilities.h"
#include "cirrus/component/component.h"
#include "cirrus/wasi/wasi.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cirrus::capabilities {

// The per-instance side of a provider: defines the interfaces on a Linker, holds the handles
// of one Store. Used by one thread at a time (as its Store is).
class ProviderSession {
public:
    virtual ~ProviderSession() = default;
    // Defines interface `import_name` (one of the Family's `interfaces`, as the component
    // imports it) in `linker`.
    virtual void define(component::Linker& linker, const std::string& import_name) = 0;
    // After instantiation: the component's exports, for providers that call into the guest.
    virtual Result<void> bind(component::Store&, component::Instance&) { return {}; }
    // Delivers what is pending for the guest (keyvalue watcher events) by calling its exports;
    // called by the Store's owner between calls, never while the guest runs.
    virtual Result<void> pump(component::Store&) { return {}; }
    // How many host objects the guest's handles stand for now (buckets, secrets, ...).
    virtual size_t live_handles() const { return 0; }

    // The instance's WASI host, for interfaces that hand the guest wasi:io streams (blob store
    // values); null when the caller linked no WASI host. Set before define.
    wasi::Host* wasi = nullptr;
};

// A provider: one family served by one backend. Shared by every instance of a component, so
// everything it holds (connections, stores) must be safe to use from several threads.
class Provider {
public:
    virtual ~Provider() = default;
    virtual std::unique_ptr<ProviderSession> session() = 0;
};

struct BackendInfo {
    std::string name;                  // as `--link` names it: "redis"
    std::vector<std::string> settings; // the setting keys it accepts
    std::string about;                 // one line for error messages and help
};

struct Family {
    std::string name; // as `--link` names it: "wasi:keyvalue"
    // The imports served, with their version: "wasi:keyvalue/store@0.2.0-draft".
    std::vector<std::string> interfaces;
    // The first is the embedded default.
    std::vector<BackendInfo> backends;
    // Settings whose value is a comma-separated list, as wasmCloud writes them
    // (`subscriptions=a.b,c.d`): in `--link`, a piece without `=` after one of them is one more
    // item of its list, not a setting of its own.
    std::vector<std::string> list_settings;
    // Makes the provider for `link` (a link the table accepted: family, backend and setting
    // names are known). May still refuse a malformed setting value.
    std::function<Result<std::unique_ptr<Provider>>(const Link& link, const Options& options)> make;
};

// Every family cirrus serves (registry.cpp).
const std::vector<Family>& families();
const Family* find_family(std::string_view name);

// ---------------------------------------------------------------- helpers for providers

// Builds WIT types in a Linker's arena.
struct TypeBuilder {
    component::TypeArena& a;
    explicit TypeBuilder(component::TypeArena& arena) : a(arena) {}
    static const component::ValType* prim(component::TypeKind k) {
        return component::ValType::primitive(k);
    }
    const component::ValType* string() const { return prim(component::TypeKind::String); }
    const component::ValType* bytes() const { return a.list(prim(component::TypeKind::U8)); }
    const component::FuncType*
    func(std::vector<std::pair<std::string, const component::ValType*>> params,
         const component::ValType* result) const {
        component::FuncType ft;
        ft.params = std::move(params);
        ft.result = result;
        return a.func(std::move(ft));
    }
};

// A host resource type (a keyvalue bucket, a secret) as one session defines it. A component
// imports it from the interface that declares it and from every interface that `use`s it, and
// the linker needs a definition under each; the guest binds the type to the declaring
// interface's (wit-component aliases it from there), so handles the host returns carry that
// one, or the guest could not drop them.
class HostResource {
public:
    // `declaring_interface` without version: "wasi:keyvalue/store".
    HostResource(component::TypeArena& arena, std::string name, std::string declaring_interface);
    // Defines the resource under import `instance`; `dtor` runs when the guest drops a handle.
    void define(component::Linker& linker, const std::string& instance,
                std::function<void(uint32_t rep)> dtor);
    // An own handle for the host object `rep`.
    component::Val own(uint32_t rep) const;
    const component::ValType* own_type() const { return own_; }
    const component::ValType* borrow_type() const { return borrow_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    std::string declaring_;
    const component::ValType* own_ = nullptr;
    const component::ValType* borrow_ = nullptr;
    component::ResourceImpl* handle_impl_ = nullptr;
    bool from_declaring_ = false;
};

// Host objects behind resource handles (rep -> object).
template <typename T>
class HandleTable {
public:
    uint32_t insert(T value) {
        uint32_t rep = next_++;
        objects_.emplace(rep, std::move(value));
        return rep;
    }
    T* get(uint32_t rep) {
        auto it = objects_.find(rep);
        return it == objects_.end() ? nullptr : &it->second;
    }
    void erase(uint32_t rep) { objects_.erase(rep); }
    size_t size() const { return objects_.size(); }

private:
    std::unordered_map<uint32_t, T> objects_;
    uint32_t next_ = 1;
};

// Named configurations merged in order: for a key in several, the last value wins; keys keep
// the order they first appeared in.
std::vector<std::pair<std::string, std::string>>
merge_configs(const std::vector<NamedConfig>& configs);

// "wasi:keyvalue/store@0.2.0-draft" -> "wasi:keyvalue/store".
std::string_view unversioned(std::string_view import_name);

// Replaces control characters and invalid UTF-8 in text from a guest (log lines, error
// messages) so it cannot forge log lines or break a terminal.
std::string sanitize_text(std::string_view text);

} // namespace cirrus::capabilities
