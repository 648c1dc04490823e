// The assembly of a component's imports: WASI first, then the capability providers, then the
// list of what is left; and `cirrus run`'s command runner over it.
#include "cirrus/host/imports.h"
#include "cirrus/capabilities/provider.h"

#include <fmt/format.h>

#include <algorithm>

namespace cirrus::host {

Result<std::unique_ptr<ComponentImports>> ComponentImports::create(ComponentOptions options) {
    std::unique_ptr<ComponentImports> ci(new ComponentImports());
    CIRRUS_TRY_ASSIGN(ci->capabilities_, capabilities::Capabilities::create(options.capabilities));
    ci->options_ = std::move(options);
    return ci;
}

std::vector<std::string> ComponentImports::link_capabilities(capabilities::Session& session,
                                                             component::Linker& linker,
                                                             const component::Component& component,
                                                             std::vector<std::string> unserved) {
    std::vector<std::string> left;
    for (const auto& name : unserved) {
        bool instance = false;
        for (const auto& [n, ext] : component.type().imports) {
            if (n == name) instance = ext.sort == component::Sort::Instance;
        }
        if (!instance || !session.define(linker, name)) left.push_back(name);
    }
    return left;
}

Result<std::unique_ptr<InstanceImports>>
ComponentImports::link(component::Linker& linker, const component::Component& component,
                       std::span<const std::string> provided) {
    auto inst = std::make_unique<InstanceImports>();
    inst->wasi = std::make_unique<wasi::Host>(options_.wasi);
    CIRRUS_TRY(inst->wasi->ready());
    inst->capabilities = capabilities_->session();
    inst->capabilities->set_wasi(inst->wasi.get());
    std::vector<std::string> unserved = inst->wasi->add_to_linker(linker, component);
    std::erase_if(unserved, [&](const std::string& name) {
        return std::find(provided.begin(), provided.end(), name) != provided.end();
    });
    unserved = link_capabilities(*inst->capabilities, linker, component, std::move(unserved));
    if (!unserved.empty()) return unsatisfied_imports(unserved);
    return inst;
}

Result<capabilities::Options> parse_capability_flags(const CapabilityFlags& flags) {
    capabilities::Options o;
    for (const auto& text : flags.links) {
        CIRRUS_TRY_ASSIGN(capabilities::Link link, capabilities::parse_link(text));
        o.links.push_back(std::move(link));
    }
    capabilities::NamedConfig cli{"cli", {}};
    for (const auto& kv : flags.config) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            return Error(ErrorKind::Usage, fmt::format("--config takes KEY=VALUE, got `{}`",
                                                       capabilities::sanitize_text(kv)));
        cli.values.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (!cli.values.empty()) o.configs.push_back(std::move(cli));
    for (const auto& text : flags.secrets) {
        CIRRUS_TRY_ASSIGN(capabilities::Secret s, capabilities::parse_secret(text));
        o.secrets.push_back(std::move(s));
    }
    auto level = capabilities::parse_log_level(flags.log_level);
    if (!level)
        return Error(ErrorKind::Usage,
                     fmt::format("--log-level: `{}` is not one of trace, debug, info, warn, error, "
                                 "critical, off",
                                 capabilities::sanitize_text(flags.log_level)));
    o.log_level = *level;
    o.data_dir = flags.data_dir;
    return o;
}

Error unsatisfied_imports(const std::vector<std::string>& imports) {
    std::string msg = "the component imports what this host does not provide:";
    for (const auto& m : imports) msg += "\n  " + m;
    return Error(ErrorKind::Unlinkable, msg);
}

Result<int> ComponentImports::run_command(std::span<const uint8_t> bytes, wasi::Config config,
                                          std::optional<std::chrono::milliseconds> timeout) {
    std::unique_ptr<capabilities::Session> session = capabilities_->session();
    wasi::RunOptions run;
    run.config = std::move(config);
    run.timeout = timeout;
    run.link_more = [&](wasi::Host& wasi, component::Linker& linker,
                        const component::Component& component, std::vector<std::string> unserved) {
        session->set_wasi(&wasi);
        return link_capabilities(*session, linker, component, std::move(unserved));
    };
    run.instantiated = [&](component::Store& store, component::Instance& instance) {
        return session->bind(store, instance);
    };
    run.finished = [&](component::Store& store) { return session->pump(store); };
    return wasi::run_command(bytes, std::move(run));
}

Result<int> run_command(std::span<const uint8_t> bytes, RunOptions options) {
    wasi::Config config = std::move(options.component.wasi);
    CIRRUS_TRY_ASSIGN(auto imports, ComponentImports::create(std::move(options.component)));
    return imports->run_command(bytes, std::move(config), options.timeout);
}

} // namespace cirrus::host
