// The capability layer's frame: links (parsing and checking them against the family table),
// secret sources, merging named configurations, making one provider per family, and the
// per-instance Session that defines the served imports on a Linker.
#include "cirrus/capabilities/provider.h"
#include "cirrus/support/utf8.h"
#include "families.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace cirrus::capabilities {

using component::Val;

// ---------------------------------------------------------------- log levels

namespace {
constexpr const char* level_names[] = {"trace", "debug",    "info", "warn",
                                       "error", "critical", "off"};
} // namespace

const char* log_level_name(LogLevel level) {
    return level_names[static_cast<size_t>(level)];
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
    for (size_t i = 0; i < std::size(level_names); ++i) {
        if (text == level_names[i]) return static_cast<LogLevel>(i);
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- links

std::optional<std::string> Link::setting(std::string_view key) const {
    std::optional<std::string> v;
    for (const auto& [k, value] : settings) {
        if (k == key) v = value;
    }
    return v;
}

namespace {

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

std::vector<std::string> family_names() {
    std::vector<std::string> out;
    for (const auto& f : families()) out.push_back(f.name);
    return out;
}

} // namespace

Result<Link> parse_link(std::string_view text) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return Error(ErrorKind::Usage,
                     fmt::format("--link `{}`: expected INTERFACE=BACKEND[,key=value...]",
                                 sanitize_text(text)));
    Link link;
    link.interface = std::string(text.substr(0, eq));
    // `wasi:keyvalue/store` or a version names the same family as `wasi:keyvalue`.
    if (size_t slash = link.interface.find('/'); slash != std::string::npos)
        link.interface.resize(slash);
    if (size_t at = link.interface.find('@'); at != std::string::npos) link.interface.resize(at);
    const Family* family = find_family(link.interface);
    if (!family)
        return Error(ErrorKind::Usage,
                     fmt::format("--link: unknown interface `{}` (known: {})",
                                 sanitize_text(link.interface), join_names(family_names())));
    std::string_view rest = text.substr(eq + 1);
    size_t comma = rest.find(',');
    link.backend = std::string(rest.substr(0, comma));
    const BackendInfo* backend = nullptr;
    std::vector<std::string> backend_names;
    for (const auto& b : family->backends) {
        backend_names.push_back(b.name);
        if (b.name == link.backend) backend = &b;
    }
    if (!backend)
        return Error(ErrorKind::Usage,
                     fmt::format("--link {}: unknown backend `{}` (known: {})", link.interface,
                                 sanitize_text(link.backend), join_names(backend_names)));
    while (comma != std::string_view::npos) {
        rest = rest.substr(comma + 1);
        comma = rest.find(',');
        std::string_view kv = rest.substr(0, comma);
        size_t e = kv.find('=');
        bool continues_list =
            e == std::string_view::npos && !kv.empty() && !link.settings.empty() &&
            std::ranges::find(family->list_settings, link.settings.back().first) !=
                family->list_settings.end();
        if (continues_list) {
            std::string& list = link.settings.back().second;
            list.push_back(',');
            list.append(kv);
            continue;
        }
        if (e == std::string_view::npos || e == 0)
            return Error(ErrorKind::Usage,
                         fmt::format("--link {}={}: expected key=value, got `{}`", link.interface,
                                     link.backend, sanitize_text(kv)));
        std::string key(kv.substr(0, e));
        bool known = false;
        for (const auto& s : backend->settings) known = known || s == key;
        if (!known)
            return Error(ErrorKind::Usage,
                         fmt::format("--link {}={}: unknown setting `{}` (known: {})",
                                     link.interface, link.backend, sanitize_text(key),
                                     join_names(backend->settings)));
        link.settings.emplace_back(std::move(key), std::string(kv.substr(e + 1)));
    }
    return link;
}

// ---------------------------------------------------------------- secrets

Result<Secret> parse_secret(std::string_view text) {
    size_t eq = text.find('=');
    // The text holds the value: only the name may appear in an error.
    if (eq == std::string_view::npos || eq == 0)
        return Error(ErrorKind::Usage,
                     "--secret: expected NAME=VALUE, NAME=@file:PATH or NAME=@env:VAR");
    Secret s;
    s.name = std::string(text.substr(0, eq));
    if (!valid_utf8(s.name))
        return Error(ErrorKind::Usage, "--secret: the name is not valid UTF-8");
    std::string_view source = text.substr(eq + 1);
    if (source.starts_with("@file:")) {
        std::string path(source.substr(6));
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return Error(ErrorKind::Io, fmt::format("--secret {}: cannot read file {}",
                                                    sanitize_text(s.name), sanitize_text(path)));
        s.value.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else if (source.starts_with("@env:")) {
        std::string var(source.substr(5));
        const char* v = std::getenv(var.c_str());
        if (!v)
            return Error(ErrorKind::Usage,
                         fmt::format("--secret {}: environment variable {} is not set",
                                     sanitize_text(s.name), sanitize_text(var)));
        s.value = v;
    } else {
        s.value = std::string(source);
    }
    s.binary = !valid_utf8(s.value);
    return s;
}

// ---------------------------------------------------------------- Capabilities

struct Capabilities::Entry {
    const Family* family = nullptr;
    std::string backend;
    std::unique_ptr<Provider> provider;
};

Result<std::shared_ptr<Capabilities>> Capabilities::create(Options options) {
    std::shared_ptr<Capabilities> caps(new Capabilities());
    for (size_t i = 0; i < options.links.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (options.links[i].interface == options.links[j].interface)
                return Error(ErrorKind::Usage,
                             fmt::format("{} is linked twice", options.links[i].interface));
        }
        if (!find_family(options.links[i].interface))
            return Error(ErrorKind::Usage,
                         fmt::format("unknown interface `{}`", options.links[i].interface));
    }
    caps->config_ = merge_configs(options.configs);
    caps->options_ = std::move(options);
    for (const Family& f : families()) {
        Link link;
        link.interface = f.name;
        link.backend = f.backends.at(0).name;
        for (const auto& l : caps->options_.links) {
            if (l.interface == f.name) link = l;
        }
        auto provider = f.make(link, caps->options_);
        if (!provider.ok()) {
            Error e = std::move(provider).error();
            e.message = fmt::format("{} on {}: {}", f.name, link.backend, e.message);
            return e;
        }
        auto entry = std::make_unique<Entry>();
        entry->family = &f;
        entry->backend = link.backend;
        entry->provider = std::move(provider).value();
        caps->providers_.push_back(std::move(entry));
    }
    return caps;
}

Capabilities::~Capabilities() = default;

bool Capabilities::serves(std::string_view import_name) const {
    for (const auto& e : providers_) {
        for (const auto& i : e->family->interfaces) {
            if (i == import_name) return true;
        }
    }
    return false;
}

std::string Capabilities::backend_of(std::string_view interface) const {
    for (const auto& e : providers_) {
        if (e->family->name == interface) return e->backend;
    }
    return "";
}

std::unique_ptr<Session> Capabilities::session() {
    std::unique_ptr<Session> s(new Session());
    for (const auto& e : providers_) {
        s->parts_.push_back({e->family, e->provider->session()});
    }
    return s;
}

Session::~Session() = default;

std::vector<std::string> Session::add_to_linker(component::Linker& linker,
                                                const component::Component& component) {
    std::vector<std::string> missing;
    for (const auto& [name, ext] : component.type().imports) {
        if (ext.sort != component::Sort::Instance || !define(linker, name)) missing.push_back(name);
    }
    return missing;
}

bool Session::define(component::Linker& linker, const std::string& import_name) {
    for (auto& part : parts_) {
        for (const auto& i : part.family->interfaces) {
            if (i != import_name) continue;
            part.session->define(linker, import_name);
            return true;
        }
    }
    return false;
}

std::vector<std::string> Capabilities::message_subjects() const {
    for (const auto& e : providers_) {
        if (auto* m = dynamic_cast<MessageSource*>(e->provider.get())) return m->subjects();
    }
    return {};
}

Result<std::unique_ptr<MessageSubscription>>
Capabilities::subscribe_messages(std::function<void(BrokerMessage)> deliver) {
    for (const auto& e : providers_) {
        if (auto* m = dynamic_cast<MessageSource*>(e->provider.get()))
            return m->subscribe(std::move(deliver));
    }
    return Error(ErrorKind::Usage, "no messaging provider");
}

void Session::set_wasi(wasi::Host* host) {
    for (auto& part : parts_) part.session->wasi = host;
}

Result<void> Session::bind(component::Store& store, component::Instance& instance) {
    for (auto& part : parts_) CIRRUS_TRY(part.session->bind(store, instance));
    return {};
}

Result<void> Session::pump(component::Store& store) {
    for (auto& part : parts_) CIRRUS_TRY(part.session->pump(store));
    return {};
}

size_t Session::live_handles() const {
    size_t n = 0;
    for (const auto& part : parts_) n += part.session->live_handles();
    return n;
}

// ---------------------------------------------------------------- helpers

HostResource::HostResource(component::TypeArena& arena, std::string name,
                           std::string declaring_interface)
    : name_(std::move(name)), declaring_(std::move(declaring_interface)) {
    component::ResourceType* r = arena.resource(name_);
    own_ = arena.own(r);
    borrow_ = arena.borrow(r);
}

void HostResource::define(component::Linker& linker, const std::string& instance,
                          std::function<void(uint32_t rep)> dtor) {
    component::ResourceImpl* impl = linker.define_resource(instance, name_, std::move(dtor));
    bool declaring = unversioned(instance) == declaring_;
    if (declaring || (!from_declaring_ && !handle_impl_)) handle_impl_ = impl;
    from_declaring_ = from_declaring_ || declaring;
}

Val HostResource::own(uint32_t rep) const {
    return Val::own(handle_impl_, rep);
}

std::vector<std::pair<std::string, std::string>>
merge_configs(const std::vector<NamedConfig>& configs) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unordered_map<std::string, size_t> index;
    for (const auto& named : configs) {
        for (const auto& [k, v] : named.values) {
            auto [it, fresh] = index.emplace(k, out.size());
            if (fresh)
                out.emplace_back(k, v);
            else
                out[it->second].second = v;
        }
    }
    return out;
}

std::string_view unversioned(std::string_view import_name) {
    return import_name.substr(0, import_name.find('@'));
}

std::string sanitize_text(std::string_view text) {
    std::vector<uint32_t> cps;
    std::string out;
    if (!decode_utf8(text, &cps)) {
        // Invalid UTF-8: keep printable ASCII, escape every other byte.
        for (unsigned char c : text) {
            if (c >= 0x20 && c < 0x7f)
                out += static_cast<char>(c);
            else
                out += fmt::format("\\x{:02x}", c);
        }
        return out;
    }
    for (uint32_t cp : cps) {
        if (cp == '\n')
            out += "\\n";
        else if (cp == '\r')
            out += "\\r";
        else if (cp == '\t')
            out += "\\t";
        else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
            out += fmt::format("\\u{{{:x}}}", cp);
        else
            append_utf8(out, cp);
    }
    return out;
}

} // namespace cirrus::capabilities
