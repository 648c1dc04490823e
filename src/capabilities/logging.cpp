// wasi:logging/logging (@0.1.0-draft and the unversioned form wasmCloud 1.x still accepts):
// a guest's log calls go to the host's log (spdlog) as one line with the component's name,
// the context and the message as fields; levels below the component's log level are dropped.
// Guest text is escaped, so a guest cannot forge log lines.
#include "families.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace cirrus::capabilities {

using component::TypeKind;
using component::Val;

namespace {

spdlog::level::level_enum spdlog_level(LogLevel l) {
    switch (l) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
    case LogLevel::Critical: return spdlog::level::critical;
    case LogLevel::Off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

// A field value in double quotes: control characters escaped, and `"` and `\` too.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : sanitize_text(text)) {
        if (c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

class LoggingProvider : public Provider, public ProviderSession {
public:
    explicit LoggingProvider(const Options& o)
        : component_(o.component), level_(o.log_level),
          logger_(o.logger ? o.logger : spdlog::default_logger()) {}

    // Logging keeps no state per instance: one object serves every session.
    std::unique_ptr<ProviderSession> session() override {
        struct Forward : ProviderSession {
            LoggingProvider* p;
            explicit Forward(LoggingProvider* provider) : p(provider) {}
            void define(component::Linker& l, const std::string& n) override { p->define(l, n); }
        };
        return std::make_unique<Forward>(this);
    }

    void define(component::Linker& linker, const std::string& import_name) override {
        TypeBuilder t(linker.types());
        const component::ValType* level =
            t.a.enumeration({"trace", "debug", "info", "warn", "error", "critical"});
        linker.define_func(
            import_name, "log",
            t.func({{"level", level}, {"context", t.string()}, {"message", t.string()}}, nullptr),
            [this](component::CallContext&,
                   std::span<const Val> args) -> Result<std::optional<Val>> {
                log(static_cast<LogLevel>(args[0].case_index()), args[1].as_string(),
                    args[2].as_string());
                return std::optional<Val>();
            });
    }

    void log(LogLevel level, std::string_view context, std::string_view message) const {
        if (level < level_ || level >= LogLevel::Off) return;
        logger_->log(spdlog_level(level), "component={} context={} message={}", quoted(component_),
                     quoted(context), quoted(message));
    }

private:
    std::string component_;
    LogLevel level_;
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace

Family logging_family() {
    Family f;
    f.name = "wasi:logging";
    f.interfaces = {"wasi:logging/logging@0.1.0-draft", "wasi:logging/logging"};
    f.backends = {{"host", {}, "the host's log (stderr)"}};
    f.make = [](const Link&, const Options& o) -> Result<std::unique_ptr<Provider>> {
        return std::unique_ptr<Provider>(std::make_unique<LoggingProvider>(o));
    };
    return f;
}

} // namespace cirrus::capabilities
