// wasi:config@0.2.0-draft: `store` and the earlier `runtime` (wasi-runtime-config, wasmCloud's
// config-legacy), both `get` and `get-all` over the component's named configurations merged
// in order (last wins); `cirrus run --config KEY=VALUE` values are one such configuration.
#include "cirrus/support/utf8.h"
#include "families.h"

namespace cirrus::capabilities {

using component::Case;
using component::TypeKind;
using component::Val;

namespace {

class ConfigProvider : public Provider, public ProviderSession {
public:
    explicit ConfigProvider(const Options& o) : values_(merge_configs(o.configs)) {}

    // The values never change: one object serves every session.
    std::unique_ptr<ProviderSession> session() override {
        struct Forward : ProviderSession {
            ConfigProvider* p;
            explicit Forward(ConfigProvider* provider) : p(provider) {}
            void define(component::Linker& l, const std::string& n) override { p->define(l, n); }
        };
        return std::make_unique<Forward>(this);
    }

    void define(component::Linker& linker, const std::string& import_name) override {
        TypeBuilder t(linker.types());
        // store's `error` and runtime's `config-error` have the same cases.
        const component::ValType* error =
            t.a.variant({Case{"upstream", t.string()}, Case{"io", t.string()}});
        linker.define_func(import_name, "get",
                           t.func({{"key", t.string()}}, t.a.result(t.a.option(t.string()), error)),
                           [this](component::CallContext&,
                                  std::span<const Val> args) -> Result<std::optional<Val>> {
                               for (const auto& [k, v] : values_) {
                                   if (k == args[0].as_string())
                                       return std::optional(Val::ok(Val::some(Val::string(v))));
                               }
                               return std::optional(Val::ok(Val::none()));
                           });
        linker.define_func(
            import_name, "get-all",
            t.func({}, t.a.result(t.a.list(t.a.tuple({t.string(), t.string()})), error)),
            [this](component::CallContext&, std::span<const Val>) -> Result<std::optional<Val>> {
                std::vector<Val> all;
                for (const auto& [k, v] : values_)
                    all.push_back(Val::tuple({Val::string(k), Val::string(v)}));
                return std::optional(Val::ok(Val::list(std::move(all))));
            });
    }

private:
    std::vector<std::pair<std::string, std::string>> values_;
};

} // namespace

Family config_family() {
    Family f;
    f.name = "wasi:config";
    f.interfaces = {"wasi:config/store@0.2.0-draft", "wasi:config/runtime@0.2.0-draft"};
    f.backends = {{"local", {}, "the component's named configurations and --config values"}};
    f.make = [](const Link&, const Options& o) -> Result<std::unique_ptr<Provider>> {
        for (const auto& named : o.configs) {
            for (const auto& [k, v] : named.values) {
                if (!valid_utf8(k) || !valid_utf8(v))
                    return Error(ErrorKind::Usage, "configuration " + sanitize_text(named.name) +
                                                       ": key `" + sanitize_text(k) +
                                                       "` or its value is not valid UTF-8");
            }
        }
        return std::unique_ptr<Provider>(std::make_unique<ConfigProvider>(o));
    };
    return f;
}

} // namespace cirrus::capabilities
