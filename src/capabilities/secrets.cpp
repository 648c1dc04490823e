// wasmcloud:secrets@0.1.0-draft: `store.get` hands out a `secret` handle and `reveal.reveal`
// gives its value. Backends: `local` (the --secret values: literal, @file:, @env:), `env` (host
// environment variables NAME, or PREFIX+NAME), `file` (one file per secret in a directory; the
// name is a single path component). A value is never logged nor put into an error message.
#include "cirrus/support/utf8.h"
#include "families.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace cirrus::capabilities {

using component::Case;
using component::TypeKind;
using component::Val;

namespace {

// What a lookup found: the secret, none (not-found), or an error (io) that names no value.
struct Lookup {
    std::optional<Secret> secret;
    std::string io_error;
};

class SecretsProvider : public Provider {
public:
    SecretsProvider(const Link& link, const Options& o) : backend_(link.backend) {
        secrets_ = o.secrets;
        prefix_ = link.setting("prefix").value_or("");
        dir_ = link.setting("dir").value_or("");
    }

    Lookup lookup(const std::string& name) const {
        Lookup l;
        if (backend_ == "local") {
            for (const auto& s : secrets_) {
                if (s.name == name) l.secret = s;
            }
        } else if (backend_ == "env") {
            if (const char* v = std::getenv((prefix_ + name).c_str())) {
                l.secret = Secret{name, v, !valid_utf8(v)};
            }
        } else if (backend_ == "file") {
            // One path component: no way out of the directory.
            if (name.empty() || name == "." || name == ".." ||
                name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
                return l;
            std::ifstream in(dir_ + "/" + name, std::ios::binary);
            if (in) {
                std::string v((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
                if (in.bad())
                    l.io_error = "cannot read the secret's file";
                else
                    l.secret = Secret{name, std::move(v), false};
                if (l.secret) l.secret->binary = !valid_utf8(l.secret->value);
            }
        }
        return l;
    }

    std::unique_ptr<ProviderSession> session() override;

private:
    std::string backend_;
    std::vector<Secret> secrets_;
    std::string prefix_;
    std::string dir_;
};

class SecretsSession : public ProviderSession {
public:
    explicit SecretsSession(const SecretsProvider& p) : provider_(p) {}

    void define(component::Linker& linker, const std::string& import_name) override {
        TypeBuilder t(linker.types());
        if (!secret_) secret_.emplace(linker.types(), "secret", "wasmcloud:secrets/store");
        secret_->define(linker, import_name, [this](uint32_t rep) { handles_.erase(rep); });
        if (unversioned(import_name) == "wasmcloud:secrets/store") {
            const component::ValType* error = t.a.variant(
                {Case{"upstream", t.string()}, Case{"io", t.string()}, Case{"not-found", nullptr}});
            linker.define_func(
                import_name, "get",
                t.func({{"key", t.string()}}, t.a.result(secret_->own_type(), error)),
                [this](component::CallContext&,
                       std::span<const Val> args) -> Result<std::optional<Val>> {
                    Lookup l = provider_.lookup(args[0].as_string());
                    if (!l.io_error.empty())
                        return std::optional(Val::err(Val::variant(1, Val::string(l.io_error))));
                    if (!l.secret) return std::optional(Val::err(Val::variant(2, std::nullopt)));
                    return std::optional(Val::ok(secret_->own(handles_.insert(*l.secret))));
                });
        } else {
            const component::ValType* value =
                t.a.variant({Case{"string", t.string()}, Case{"bytes", t.bytes()}});
            linker.define_func(
                import_name, "reveal", t.func({{"s", secret_->borrow_type()}}, value),
                [this](component::CallContext&,
                       std::span<const Val> args) -> Result<std::optional<Val>> {
                    const Secret* s = handles_.get(args[0].rep());
                    if (!s)
                        return Error(ErrorKind::Trap,
                                     "wasmcloud:secrets: handle is not a live `secret`");
                    if (!s->binary) return std::optional(Val::variant(0, Val::string(s->value)));
                    return std::optional(Val::variant(1, Val::bytes(s->value)));
                });
        }
    }

    size_t live_handles() const override { return handles_.size(); }

private:
    const SecretsProvider& provider_;
    std::optional<HostResource> secret_;
    HandleTable<Secret> handles_;
};

std::unique_ptr<ProviderSession> SecretsProvider::session() {
    return std::make_unique<SecretsSession>(*this);
}

} // namespace

Family secrets_family() {
    Family f;
    f.name = "wasmcloud:secrets";
    f.interfaces = {"wasmcloud:secrets/store@0.1.0-draft", "wasmcloud:secrets/reveal@0.1.0-draft"};
    f.backends = {
        {"local", {}, "the --secret values"},
        {"env", {"prefix"}, "host environment variables PREFIX+NAME"},
        {"file", {"dir"}, "one file per secret in directory DIR"},
    };
    f.make = [](const Link& link, const Options& o) -> Result<std::unique_ptr<Provider>> {
        if (link.backend == "file" && link.setting("dir").value_or("").empty())
            return Error(ErrorKind::Usage, "the file backend needs dir=DIRECTORY");
        return std::unique_ptr<Provider>(std::make_unique<SecretsProvider>(link, o));
    };
    return f;
}

} // namespace cirrus::capabilities
