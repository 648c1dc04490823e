// wasi:http/types, incoming-handler's host side and outgoing-handler, as the WIT of
// wasi-http@0.2.12 spells them: fields with their immutability and validation rules, request
// and response heads, bodies as wasi:io streams with trailers through future-trailers,
// request-options, future-incoming-response and the error-code variant. The server side of an
// incoming request is an HttpExchange (the host's server); outgoing requests run on client
// threads (http_client.cpp) and are refused unless their host is allowed.
#include "http_state.h"
#include "interface_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <poll.h>

namespace cirrus::wasi {

using component::Case;
using component::Field;

namespace {

constexpr const char* error_names[] = {
    "DNS-timeout",
    "DNS-error",
    "destination-not-found",
    "destination-unavailable",
    "destination-IP-prohibited",
    "destination-IP-unroutable",
    "connection-refused",
    "connection-terminated",
    "connection-timeout",
    "connection-read-timeout",
    "connection-write-timeout",
    "connection-limit-reached",
    "TLS-protocol-error",
    "TLS-certificate-error",
    "TLS-alert-received",
    "HTTP-request-denied",
    "HTTP-request-length-required",
    "HTTP-request-body-size",
    "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid",
    "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size",
    "HTTP-request-header-size",
    "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size",
    "HTTP-response-incomplete",
    "HTTP-response-header-section-size",
    "HTTP-response-header-size",
    "HTTP-response-body-size",
    "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding",
    "HTTP-response-content-coding",
    "HTTP-response-timeout",
    "HTTP-upgrade-failed",
    "HTTP-protocol-error",
    "loop-detected",
    "configuration-error",
    "internal-error",
};
static_assert(std::size(error_names) == size_t(HttpErrorCase::InternalError) + 1);

constexpr const char* method_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// Hop-by-hop and connection-specific headers a guest may not set (as wasmtime forbids them).
constexpr const char* forbidden_headers[] = {
    "connection",          "keep-alive",       "proxy-authenticate",
    "proxy-authorization", "proxy-connection", "te",
    "transfer-encoding",   "upgrade",          "http2-settings"};

bool is_tchar(unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// RFC 9110 token (field names, methods).
bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(c); });
}

// A field value: no control characters but HTAB.
bool is_field_value(std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c == '\t' || (c >= 0x20 && c != 0x7f);
    });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_forbidden(const std::string& lowered) {
    for (const char* f : forbidden_headers) {
        if (lowered == f) return true;
    }
    return false;
}

// header-error: invalid-syntax (0), forbidden (1), immutable (2); ok when valid.
std::optional<uint32_t> check_field(const std::string& name, std::string_view value) {
    if (!is_token(name) || !is_field_value(value)) return 0;
    if (is_forbidden(lower(name))) return 1;
    return std::nullopt;
}

std::string val_string_bytes(const Val& list) {
    return list.to_bytes();
}

Val string_bytes_val(const std::string& s) {
    return Val::bytes(s);
}

Val method_val(const std::string& m) {
    for (uint32_t i = 0; i < std::size(method_names); ++i) {
        if (m == method_names[i]) return Val::variant(i, std::nullopt);
    }
    return Val::variant(9, Val::string(m));
}

std::string method_text(const Val& v) {
    if (v.case_index() < 9) return method_names[v.case_index()];
    return v.payload()->as_string();
}

Val scheme_val(const std::string& s) {
    if (s == "http") return Val::variant(0, std::nullopt);
    if (s == "https") return Val::variant(1, std::nullopt);
    return Val::variant(2, Val::string(s));
}

std::string scheme_text(const Val& v) {
    if (v.case_index() == 0) return "http";
    if (v.case_index() == 1) return "https";
    return v.payload()->as_string();
}

// path-with-query: what may follow the authority in a URI: no whitespace or control
// characters, and it starts with '/' or '*' or is empty.
bool valid_path(std::string_view p) {
    if (!p.empty() && p[0] != '/' && p[0] != '*' && p[0] != '?') return false;
    return std::all_of(p.begin(), p.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c != 0x7f && c != '#';
    });
}

// authority: host[:port] (or [v6]:port) without userinfo, whitespace or path.
bool valid_authority(std::string_view a) {
    if (a.empty()) return true;
    return std::all_of(a.begin(), a.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c != 0x7f && c != '/' && c != '?' && c != '#' && c != '@';
    });
}

HeaderList lowered(const HeaderList& in) {
    HeaderList out;
    out.reserve(in.size());
    for (const auto& [n, v] : in) out.emplace_back(lower(n), v);
    return out;
}

std::optional<uint64_t> content_length_of(const FieldList& f) {
    for (const auto& [n, v] : f.entries) {
        if (n != "content-length") continue;
        uint64_t len = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), len);
        if (ec == std::errc() && end == v.data() + v.size()) return len;
    }
    return std::nullopt;
}

HeaderList without_length(const FieldList& f) {
    HeaderList out;
    for (const auto& e : f.entries) {
        if (e.first != "content-length" && e.first != "transfer-encoding") out.push_back(e);
    }
    return out;
}

Object http_object(Kind kind, std::shared_ptr<HttpObject> h) {
    Object o;
    o.kind = kind;
    o.http = std::move(h);
    return o;
}

Val new_fields(const Call& c, std::shared_ptr<FieldList> list, bool immutable) {
    auto h = std::make_shared<HttpObject>();
    h->fields = std::move(list);
    h->immutable = immutable;
    return c.own(http_object(Kind::Fields, std::move(h)));
}

// The fields behind an own<fields> passed to a constructor: taken out of the host table.
Result<std::shared_ptr<FieldList>> take_fields(const Call& c, const Val& handle) {
    CIRRUS_TRY_ASSIGN(Object * o, c.state.get(handle, Kind::Fields));
    auto copy = std::make_shared<FieldList>(*o->http->fields);
    c.state.objects.erase(handle.rep());
    return copy;
}

// ---------------------------------------------------------------- bodies

// The request body of a server exchange.
class ExchangeSource : public BodySource {
public:
    explicit ExchangeSource(std::shared_ptr<ServerCtx> ctx) : ctx_(std::move(ctx)) {}
    Status read(std::string& out, size_t max, std::string& error) override {
        if (ended_) return failed_ ? Status::Failed : Status::End;
        if (!ctx_->ex) {
            error = "the request is over";
            return Status::Failed;
        }
        switch (ctx_->ex->read_body(out, max, error)) {
        case HttpExchange::ReadStatus::Data: return Status::Data;
        case HttpExchange::ReadStatus::Empty: return Status::Empty;
        case HttpExchange::ReadStatus::End:
            ended_ = true;
            trailers_ = lowered(ctx_->ex->trailers());
            return Status::End;
        case HttpExchange::ReadStatus::Failed:
            ended_ = failed_ = true;
            error_ = error;
            return Status::Failed;
        }
        return Status::Failed;
    }
    Readiness readiness() override {
        Readiness r;
        if (ended_ || !ctx_->ex || ctx_->ex->body_readable()) {
            r.ready = true;
            return r;
        }
        r.fd = ctx_->ex->body_fd();
        r.events = POLLIN;
        return r;
    }
    bool ended() override { return ended_; }
    std::optional<HttpError> failure() const override {
        if (!failed_) return std::nullopt;
        return HttpError{HttpErrorCase::HttpProtocolError, error_, {}};
    }
    HeaderList trailers() override { return trailers_; }

private:
    std::shared_ptr<ServerCtx> ctx_;
    bool ended_ = false, failed_ = false;
    std::string error_;
    HeaderList trailers_;
};

// The response body of a server exchange: buffered until the response is set and then sent as
// it is flushed (or fills 64 KiB); a body finished before anything was sent goes out with its
// length, not chunked.
class ResponseBody : public BodySink {
public:
    explicit ResponseBody(std::shared_ptr<ServerCtx> ctx) : ctx_(std::move(ctx)) {}

    uint64_t check_write() override {
        if (failed_ || finished) return 0;
        size_t cap = attached() ? max_chunk : 16 * max_chunk;
        return buf_.size() >= cap ? 0 : cap - buf_.size();
    }
    Status write(std::span<const uint8_t> data, std::string& error) override {
        if (failed_) {
            error = error_;
            return Status::Failed;
        }
        if (finished) return Status::Closed;
        if (data.empty()) return Status::Ok;
        if (expected_length && written + data.size() > *expected_length) {
            fail("the response body is longer than its content-length");
            error = error_;
            return Status::Failed;
        }
        written += data.size();
        buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
        if (attached() && buf_.size() >= 64 * 1024 && !push()) {
            error = error_;
            return Status::Failed;
        }
        return Status::Ok;
    }
    Status flush(std::string& error) override {
        if (failed_) {
            error = error_;
            return Status::Failed;
        }
        if (attached() && !buf_.empty() && !push()) {
            error = error_;
            return Status::Failed;
        }
        return Status::Ok;
    }
    Readiness readiness() override { return Readiness{true}; }
    std::optional<Val> http_error() const override {
        if (!failed_) return std::nullopt;
        return http_error_val({HttpErrorCase::HttpResponseBodySize, {}, written});
    }
    std::optional<HttpError> finish(const HeaderList& trailers) override {
        if (expected_length && written != *expected_length) {
            fail("the response body is shorter than its content-length");
            return HttpError{HttpErrorCase::HttpResponseBodySize, {}, written};
        }
        finished = true;
        trailers_ = trailers;
        if (attached()) complete();
        return std::nullopt;
    }
    void abandon() override {}

    // response-outparam.set gave this body's response to the server.
    void attach(uint16_t status, std::shared_ptr<FieldList> headers) {
        attached_ = true;
        status_ = status;
        headers_ = std::move(headers);
        if (finished) complete();
    }

private:
    bool attached() const { return attached_ && ctx_->ex; }
    void fail(std::string why) {
        failed_ = true;
        error_ = std::move(why);
    }
    bool send_head(std::optional<uint64_t> length) {
        if (ctx_->outcome.head_sent) return true;
        ctx_->outcome.head_sent = true;
        auto r = ctx_->ex->send_head(status_, without_length(*headers_), length);
        if (!r.ok()) fail(r.error().to_string());
        return r.ok();
    }
    bool push() {
        if (!send_head(expected_length)) return false;
        auto r = ctx_->ex->send_body(
            std::span(reinterpret_cast<const uint8_t*>(buf_.data()), buf_.size()));
        buf_.clear();
        if (!r.ok()) fail(r.error().to_string());
        return r.ok();
    }
    void complete() {
        if (!ctx_->ex) return;
        std::optional<uint64_t> length = expected_length;
        if (!ctx_->outcome.head_sent && trailers_.empty()) length = buf_.size();
        if (!send_head(length)) return;
        if (!buf_.empty() && !push()) return;
        auto r = ctx_->ex->finish(trailers_);
        if (!r.ok()) {
            fail(r.error().to_string());
            return;
        }
        ctx_->outcome.state = HttpOutcome::State::Complete;
    }

    std::shared_ptr<ServerCtx> ctx_;
    bool attached_ = false;
    uint16_t status_ = 200;
    std::shared_ptr<FieldList> headers_;
    std::string buf_;
    HeaderList trailers_;
    bool failed_ = false;
    std::string error_;
};

// ---------------------------------------------------------------- channels (client side)

class ChannelSink : public BodySink {
public:
    ChannelSink(std::shared_ptr<Channel> ch, bool is_request)
        : ch_(std::move(ch)), request_(is_request) {}
    ~ChannelSink() override { abandon(); }
    uint64_t check_write() override {
        std::lock_guard lock(ch_->m);
        if (ch_->abandoned || ch_->error || finished) return 0;
        return ch_->data.size() >= ch_->capacity ? 0 : ch_->capacity - ch_->data.size();
    }
    Status write(std::span<const uint8_t> data, std::string& error) override {
        std::lock_guard lock(ch_->m);
        if (ch_->error) {
            error = http_error_name(ch_->error->code);
            return Status::Failed;
        }
        if (ch_->abandoned || finished) return Status::Closed;
        if (expected_length && written + data.size() > *expected_length) {
            ch_->error = HttpError{request_ ? HttpErrorCase::HttpRequestBodySize
                                            : HttpErrorCase::HttpResponseBodySize,
                                   {},
                                   written + data.size()};
            error = "the body is longer than its content-length";
            ch_->cv.notify_all();
            return Status::Failed;
        }
        written += data.size();
        ch_->data.append(reinterpret_cast<const char*>(data.data()), data.size());
        ch_->cv.notify_all();
        return Status::Ok;
    }
    Status flush(std::string&) override { return Status::Ok; }
    Readiness readiness() override {
        Readiness r;
        std::lock_guard lock(ch_->m);
        r.ready = ch_->abandoned || ch_->error || ch_->data.size() < ch_->capacity;
        return r;
    }
    std::optional<Val> http_error() const override {
        std::lock_guard lock(ch_->m);
        if (!ch_->error) return std::nullopt;
        return http_error_val(*ch_->error);
    }
    std::optional<HttpError> finish(const HeaderList& trailers) override {
        std::lock_guard lock(ch_->m);
        if (expected_length && written != *expected_length) {
            HttpError e{HttpErrorCase::HttpRequestBodySize, {}, written};
            ch_->error = e;
            ch_->cv.notify_all();
            return e;
        }
        if (ch_->error) return ch_->error;
        finished = true;
        ch_->end = true;
        ch_->trailers = trailers;
        ch_->cv.notify_all();
        return std::nullopt;
    }
    void abandon() override {
        std::lock_guard lock(ch_->m);
        if (!finished) ch_->abandoned = true;
        ch_->cv.notify_all();
    }

private:
    std::shared_ptr<Channel> ch_;
    bool request_;
};

class ChannelSource : public BodySource {
public:
    explicit ChannelSource(std::shared_ptr<Channel> ch) : ch_(std::move(ch)) {}
    ~ChannelSource() override {
        std::lock_guard lock(ch_->m);
        ch_->abandoned = true;
        ch_->cv.notify_all();
    }
    Status read(std::string& out, size_t max, std::string& error) override {
        std::lock_guard lock(ch_->m);
        if (!ch_->data.empty()) {
            size_t n = std::min(max, ch_->data.size());
            out.append(ch_->data, 0, n);
            ch_->data.erase(0, n);
            ch_->cv.notify_all();
            return Status::Data;
        }
        if (ch_->error) {
            error = http_error_name(ch_->error->code);
            return Status::Failed;
        }
        return ch_->end ? Status::End : Status::Empty;
    }
    Readiness readiness() override {
        std::lock_guard lock(ch_->m);
        return Readiness{!ch_->data.empty() || ch_->end || ch_->error.has_value()};
    }
    bool ended() override {
        std::lock_guard lock(ch_->m);
        return (ch_->end && ch_->data.empty()) || ch_->error.has_value();
    }
    std::optional<HttpError> failure() const override {
        std::lock_guard lock(ch_->m);
        return ch_->error;
    }
    HeaderList trailers() override {
        std::lock_guard lock(ch_->m);
        return lowered(ch_->trailers);
    }

private:
    std::shared_ptr<Channel> ch_;
};

// ---------------------------------------------------------------- definitions

struct HttpTypes {
    const ValType* duration;
    const ValType* method;
    const ValType* scheme;
    const ValType* error_code;
    const ValType* header_error;
    const ValType* field_name;
    const ValType* field_value;
    const ValType* entries;
    explicit HttpTypes(Types& t) {
        auto& a = t.a;
        duration = t.u64;
        std::vector<Case> methods;
        for (const char* m :
             {"get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"})
            methods.push_back(Case{m, nullptr});
        methods.push_back(Case{"other", t.string});
        method = a.variant(methods);
        scheme =
            a.variant({Case{"HTTP", nullptr}, Case{"HTTPS", nullptr}, Case{"other", t.string}});
        const ValType* dns_payload =
            a.record({Field{"rcode", a.option(t.string)}, Field{"info-code", a.option(t.u16)}});
        const ValType* tls_payload = a.record(
            {Field{"alert-id", a.option(t.u8)}, Field{"alert-message", a.option(t.string)}});
        const ValType* size_payload = a.record(
            {Field{"field-name", a.option(t.string)}, Field{"field-size", a.option(t.u32)}});
        const ValType* opt_u64 = a.option(t.u64);
        const ValType* opt_u32 = a.option(t.u32);
        const ValType* opt_string = a.option(t.string);
        std::vector<Case> cases;
        for (uint32_t i = 0; i < std::size(error_names); ++i) {
            const ValType* payload = nullptr;
            switch (HttpErrorCase(i)) {
            case HttpErrorCase::DnsError: payload = dns_payload; break;
            case HttpErrorCase::TlsAlertReceived: payload = tls_payload; break;
            case HttpErrorCase::HttpRequestBodySize:
            case HttpErrorCase::HttpResponseBodySize: payload = opt_u64; break;
            case HttpErrorCase::HttpRequestHeaderSectionSize:
            case HttpErrorCase::HttpRequestTrailerSectionSize:
            case HttpErrorCase::HttpResponseHeaderSectionSize:
            case HttpErrorCase::HttpResponseTrailerSectionSize: payload = opt_u32; break;
            case HttpErrorCase::HttpRequestHeaderSize: payload = a.option(size_payload); break;
            case HttpErrorCase::HttpRequestTrailerSize:
            case HttpErrorCase::HttpResponseHeaderSize:
            case HttpErrorCase::HttpResponseTrailerSize: payload = size_payload; break;
            case HttpErrorCase::HttpResponseTransferCoding:
            case HttpErrorCase::HttpResponseContentCoding:
            case HttpErrorCase::InternalError: payload = opt_string; break;
            default: break;
            }
            cases.push_back(Case{error_names[i], payload});
        }
        error_code = a.variant(cases);
        header_error = a.variant({Case{"invalid-syntax", nullptr}, Case{"forbidden", nullptr},
                                  Case{"immutable", nullptr}});
        field_name = t.string;
        field_value = t.bytes;
        entries = a.list(a.tuple({field_name, field_value}));
    }
};

Val header_err(uint32_t which) {
    return Val::err(Val::variant(which, std::nullopt));
}

void define_fields(InterfaceDef& types, Types& t, const HttpTypes& h) {
    const Kind F = Kind::Fields;
    const ValType* r_unit_header = t.a.result(nullptr, h.header_error);
    types.funcs.push_back({"[constructor]fields", t.func({}, t.own(F)),
                           [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
                               return some(new_fields(c, std::make_shared<FieldList>(), false));
                           }});
    types.funcs.push_back({"[static]fields.from-list",
                           t.func({{"entries", h.entries}}, t.a.result(t.own(F), h.header_error)),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               auto list = std::make_shared<FieldList>();
                               for (const Val& e : a[0].elems) {
                                   const std::string& name = e.elems[0].as_string();
                                   std::string value = val_string_bytes(e.elems[1]);
                                   if (auto bad = check_field(name, value))
                                       return some(header_err(*bad));
                                   list->entries.emplace_back(lower(name), std::move(value));
                               }
                               return some(Val::ok(new_fields(c, std::move(list), false)));
                           }});
    add_method(types, t, F, "get", {{"name", h.field_name}}, t.a.list(h.field_value),
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   std::string name = lower(a[1].as_string());
                   std::vector<Val> out;
                   for (const auto& [n, v] : o.http->fields->entries) {
                       if (n == name) out.push_back(string_bytes_val(v));
                   }
                   return some(Val::list(std::move(out)));
               });
    add_method(types, t, F, "has", {{"name", h.field_name}}, t.boolean,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   std::string name = lower(a[1].as_string());
                   const auto& e = o.http->fields->entries;
                   bool found = std::any_of(e.begin(), e.end(),
                                            [&](const auto& kv) { return kv.first == name; });
                   return some(Val::boolean(found));
               });
    add_method(types, t, F, "set", {{"name", h.field_name}, {"value", t.a.list(h.field_value)}},
               r_unit_header,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (o.http->immutable) return some(header_err(2));
                   const std::string& name = a[1].as_string();
                   std::vector<std::string> values;
                   for (const Val& v : a[2].elems) {
                       values.push_back(val_string_bytes(v));
                       if (auto bad = check_field(name, values.back()))
                           return some(header_err(*bad));
                   }
                   if (auto bad = check_field(name, "")) return some(header_err(*bad));
                   std::string key = lower(name);
                   auto& e = o.http->fields->entries;
                   std::erase_if(e, [&](const auto& kv) { return kv.first == key; });
                   for (auto& v : values) e.emplace_back(key, std::move(v));
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, F, "delete", {{"name", h.field_name}}, r_unit_header,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (o.http->immutable) return some(header_err(2));
                   const std::string& name = a[1].as_string();
                   if (auto bad = check_field(name, "")) return some(header_err(*bad));
                   std::string key = lower(name);
                   std::erase_if(o.http->fields->entries,
                                 [&](const auto& kv) { return kv.first == key; });
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, F, "append", {{"name", h.field_name}, {"value", h.field_value}},
               r_unit_header,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (o.http->immutable) return some(header_err(2));
                   const std::string& name = a[1].as_string();
                   std::string value = val_string_bytes(a[2]);
                   if (auto bad = check_field(name, value)) return some(header_err(*bad));
                   o.http->fields->entries.emplace_back(lower(name), std::move(value));
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, F, "entries", {}, h.entries,
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   std::vector<Val> out;
                   for (const auto& [n, v] : o.http->fields->entries)
                       out.push_back(Val::tuple({Val::string(n), string_bytes_val(v)}));
                   return some(Val::list(std::move(out)));
               });
    add_method(types, t, F, "clone", {}, t.own(F),
               [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   // A clone is mutable, whatever the original was.
                   return some(new_fields(c, std::make_shared<FieldList>(*o.http->fields), false));
               });
}

// The accessors of a request head (incoming or outgoing; setters for outgoing only).
void define_request_head(InterfaceDef& types, Types& t, const HttpTypes& h, Kind k) {
    add_method(types, t, k, "method", {}, h.method,
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   return some(method_val(o.http->method));
               });
    add_method(types, t, k, "path-with-query", {}, t.a.option(t.string),
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   const auto& p = o.http->path_with_query;
                   return some(p ? Val::some(Val::string(*p)) : Val::none());
               });
    add_method(types, t, k, "scheme", {}, t.a.option(h.scheme),
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   const auto& s = o.http->scheme;
                   return some(s ? Val::some(scheme_val(*s)) : Val::none());
               });
    add_method(types, t, k, "authority", {}, t.a.option(t.string),
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   const auto& a = o.http->authority;
                   return some(a ? Val::some(Val::string(*a)) : Val::none());
               });
    // headers: a child handle to the same fields; immutable for incoming messages and for
    // outgoing ones alike once they are the message's (types.wit: "immutable" headers of a
    // request; the guest changes them before constructing, or through this child for outgoing).
    add_method(types, t, k, "headers", {}, t.own(Kind::Fields),
               [k](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   return some(new_fields(c, o.http->headers, true));
                   (void)k;
               });
    if (k != Kind::OutgoingRequest) return;
    const ValType* r_unit = t.a.result(nullptr, nullptr);
    add_method(types, t, k, "set-method", {{"method", h.method}}, r_unit,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   std::string m = method_text(a[1]);
                   if (!is_token(m)) return some(Val::err(std::nullopt));
                   o.http->method = m;
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, k, "set-path-with-query", {{"path-with-query", t.a.option(t.string)}},
               r_unit,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (!a[1].payload()) {
                       o.http->path_with_query.reset();
                   } else {
                       const std::string& p = a[1].payload()->as_string();
                       if (!valid_path(p)) return some(Val::err(std::nullopt));
                       o.http->path_with_query = p;
                   }
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, k, "set-scheme", {{"scheme", t.a.option(h.scheme)}}, r_unit,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (!a[1].payload()) {
                       o.http->scheme.reset();
                   } else {
                       std::string s = scheme_text(*a[1].payload());
                       bool ok = !s.empty() && std::isalpha(static_cast<unsigned char>(s[0])) &&
                                 std::all_of(s.begin(), s.end(), [](char ch) {
                                     return std::isalnum(static_cast<unsigned char>(ch)) ||
                                            ch == '+' || ch == '-' || ch == '.';
                                 });
                       if (!ok) return some(Val::err(std::nullopt));
                       o.http->scheme = lower(s);
                   }
                   return some(Val::ok(std::nullopt));
               });
    add_method(types, t, k, "set-authority", {{"authority", t.a.option(t.string)}}, r_unit,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   if (!a[1].payload()) {
                       o.http->authority.reset();
                   } else {
                       const std::string& s = a[1].payload()->as_string();
                       if (!valid_authority(s)) return some(Val::err(std::nullopt));
                       o.http->authority = s;
                   }
                   return some(Val::ok(std::nullopt));
               });
}

// consume / body: the body resource of a message, handed out once.
Val incoming_body(const Call& c, const std::shared_ptr<BodySource>& src) {
    auto b = std::make_shared<HttpObject>();
    b->in_body = src;
    return c.own(http_object(Kind::IncomingBody, std::move(b)));
}

Val outgoing_body(const Call& c, const std::shared_ptr<BodySink>& sink) {
    auto b = std::make_shared<HttpObject>();
    b->out_body = sink;
    Object o = http_object(Kind::OutgoingBody, std::move(b));
    return c.own(std::move(o));
}

void define_bodies(InterfaceDef& types, Types& t, const HttpTypes& h) {
    const ValType* r_unit = t.a.result(nullptr, nullptr);
    for (Kind k : {Kind::IncomingRequest, Kind::IncomingResponse}) {
        add_method(
            types, t, k, "consume", {}, t.a.result(t.own(Kind::IncomingBody), nullptr),
            [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                if (o.http->consumed || !o.http->in_body) return some(Val::err(std::nullopt));
                o.http->consumed = true;
                return some(Val::ok(incoming_body(c, o.http->in_body)));
            });
    }
    add_method(types, t, Kind::IncomingBody, "stream", {},
               t.a.result(t.own(Kind::InputStream), nullptr),
               [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   if (o.http->stream_taken) return some(Val::err(std::nullopt));
                   o.http->stream_taken = true;
                   Object s;
                   s.kind = Kind::InputStream;
                   s.source = o.http->in_body;
                   return some(Val::ok(c.own(std::move(s))));
               });
    types.funcs.push_back(
        {"[static]incoming-body.finish",
         t.func({{"this", t.own(Kind::IncomingBody)}}, t.own(Kind::FutureTrailers)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * o, c.state.get(a[0], Kind::IncomingBody));
             auto f = std::make_shared<HttpObject>();
             f->in_body = o->http->in_body;
             c.state.objects.erase(a[0].rep());
             return some(c.own(http_object(Kind::FutureTrailers, std::move(f))));
         }});
    // future-trailers: ready once the rest of the body has been read (and dropped).
    auto pump = [](BodySource& src) {
        std::string sink, error;
        while (!src.ended()) {
            sink.clear();
            auto st = src.read(sink, max_chunk, error);
            if (st == ByteSource::Status::Empty) break;
        }
        return src.ended();
    };
    add_method(
        types, t, Kind::FutureTrailers, "subscribe", {}, t.own(Kind::Pollable),
        [pump](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
            std::shared_ptr<BodySource> src = o.http->in_body;
            Object p;
            p.kind = Kind::Pollable;
            p.check = [src, pump] {
                if (pump(*src)) return Readiness{true};
                return src->readiness();
            };
            return some(c.own(std::move(p)));
        });
    const ValType* trailers_result =
        t.a.option(t.a.result(t.a.result(t.a.option(t.own(Kind::Fields)), h.error_code), nullptr));
    add_method(
        types, t, Kind::FutureTrailers, "get", {}, trailers_result,
        [pump](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
            if (o.http->taken) return some(Val::some(Val::err(std::nullopt)));
            if (!pump(*o.http->in_body)) return some(Val::none());
            o.http->taken = true;
            if (auto f = o.http->in_body->failure())
                return some(Val::some(Val::ok(Val::err(http_error_val(*f)))));
            HeaderList tr = o.http->in_body->trailers();
            if (tr.empty()) return some(Val::some(Val::ok(Val::ok(Val::none()))));
            auto list = std::make_shared<FieldList>();
            list->entries = std::move(tr);
            return some(Val::some(Val::ok(Val::ok(Val::some(new_fields(c, list, true))))));
        });
    for (Kind k : {Kind::OutgoingRequest, Kind::OutgoingResponse}) {
        add_method(
            types, t, k, "body", {}, t.a.result(t.own(Kind::OutgoingBody), nullptr),
            [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                if (o.http->body_taken) return some(Val::err(std::nullopt));
                o.http->body_taken = true;
                o.http->out_body->expected_length = content_length_of(*o.http->headers);
                return some(Val::ok(outgoing_body(c, o.http->out_body)));
            });
    }
    add_method(types, t, Kind::OutgoingBody, "write", {},
               t.a.result(t.own(Kind::OutputStream), nullptr),
               [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   if (o.http->stream_taken) return some(Val::err(std::nullopt));
                   o.http->stream_taken = true;
                   Object s;
                   s.kind = Kind::OutputStream;
                   s.sink = o.http->out_body;
                   return some(Val::ok(c.own(std::move(s))));
               });
    types.funcs.push_back({"[static]outgoing-body.finish",
                           t.func({{"this", t.own(Kind::OutgoingBody)},
                                   {"trailers", t.a.option(t.own(Kind::Fields))}},
                                  t.a.result(nullptr, h.error_code)),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(Object * o, c.state.get(a[0], Kind::OutgoingBody));
                               std::shared_ptr<BodySink> sink = o->http->out_body;
                               HeaderList trailers;
                               if (const Val* tr = a[1].payload()) {
                                   CIRRUS_TRY_ASSIGN(auto fields, take_fields(c, *tr));
                                   trailers = fields->entries;
                               }
                               sink->finished = true;
                               c.state.objects.erase(a[0].rep());
                               if (auto e = sink->finish(trailers))
                                   return some(Val::err(http_error_val(*e)));
                               return some(Val::ok(std::nullopt));
                           }});
    (void)r_unit;
}

void define_messages(InterfaceDef& types, Types& t, const HttpTypes& h) {
    define_request_head(types, t, h, Kind::IncomingRequest);
    define_request_head(types, t, h, Kind::OutgoingRequest);
    types.funcs.push_back({"[constructor]outgoing-request",
                           t.func({{"headers", t.own(Kind::Fields)}}, t.own(Kind::OutgoingRequest)),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               auto r = std::make_shared<HttpObject>();
                               CIRRUS_TRY_ASSIGN(r->headers, take_fields(c, a[0]));
                               auto ch = std::make_shared<Channel>();
                               ch->waker = c.state.waker;
                               r->out_body = channel_sink(ch, true);
                               r->channel = ch;
                               return some(c.own(http_object(Kind::OutgoingRequest, std::move(r))));
                           }});

    const ValType* r_unit = t.a.result(nullptr, nullptr);
    types.funcs.push_back(
        {"[constructor]request-options", t.func({}, t.own(Kind::RequestOptions)),
         [](const Call& c, std::span<const Val>) -> Result<std::optional<Val>> {
             return some(c.own(http_object(Kind::RequestOptions, std::make_shared<HttpObject>())));
         }});
    using Timeout = std::optional<uint64_t> HttpObject::*;
    for (auto [name, member] :
         {std::pair<const char*, Timeout>{"connect-timeout", &HttpObject::connect_timeout},
          std::pair<const char*, Timeout>{"first-byte-timeout", &HttpObject::first_byte_timeout},
          std::pair<const char*, Timeout>{"between-bytes-timeout",
                                          &HttpObject::between_bytes_timeout}}) {
        add_method(
            types, t, Kind::RequestOptions, name, {}, t.a.option(h.duration),
            [member](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                const auto& v = o.http.get()->*member;
                return some(v ? Val::some(Val::u64(*v)) : Val::none());
            });
        add_method(
            types, t, Kind::RequestOptions, std::string("set-") + name,
            {{"duration", t.a.option(h.duration)}}, r_unit,
            [member](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                auto& v = o.http.get()->*member;
                if (a[1].payload())
                    v = a[1].payload()->as_u64();
                else
                    v.reset();
                return some(Val::ok(std::nullopt));
            });
    }

    types.funcs.push_back(
        {"[constructor]outgoing-response",
         t.func({{"headers", t.own(Kind::Fields)}}, t.own(Kind::OutgoingResponse)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             auto r = std::make_shared<HttpObject>();
             CIRRUS_TRY_ASSIGN(r->headers, take_fields(c, a[0]));
             if (!c.state.exchange) {
                 // Not serving a request: the body has nowhere to go but may still be written.
                 c.state.exchange = std::make_shared<HttpObject>();
             }
             if (!c.state.exchange->server)
                 c.state.exchange->server = std::make_shared<ServerCtx>();
             r->out_body = std::make_shared<ResponseBody>(c.state.exchange->server);
             return some(c.own(http_object(Kind::OutgoingResponse, std::move(r))));
         }});
    add_method(types, t, Kind::OutgoingResponse, "status-code", {}, t.u16,
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   return some(Val::u16(o.http->status));
               });
    add_method(types, t, Kind::OutgoingResponse, "set-status-code", {{"status-code", t.u16}},
               r_unit,
               [](const Call&, Object& o, std::span<const Val> a) -> Result<std::optional<Val>> {
                   auto s = static_cast<uint16_t>(a[1].bits);
                   if (s < 100 || s > 999) return some(Val::err(std::nullopt));
                   o.http->status = s;
                   return some(Val::ok(std::nullopt));
               });
    for (Kind k : {Kind::OutgoingResponse, Kind::IncomingResponse}) {
        add_method(
            types, t, k, "headers", {}, t.own(Kind::Fields),
            [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                return some(new_fields(c, o.http->headers, true));
            });
    }
    add_method(types, t, Kind::IncomingResponse, "status", {}, t.u16,
               [](const Call&, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   return some(Val::u16(o.http->status));
               });

    types.funcs.push_back(
        {"[static]response-outparam.set",
         t.func({{"param", t.own(Kind::ResponseOutparam)},
                 {"response", t.a.result(t.own(Kind::OutgoingResponse), h.error_code)}},
                nullptr),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * param, c.state.get(a[0], Kind::ResponseOutparam));
             std::shared_ptr<ServerCtx> ctx = param->http->server;
             c.state.objects.erase(a[0].rep());
             const Val& response = a[1];
             if (response.case_index() == 1) {
                 ctx->outcome.state = HttpOutcome::State::GuestError;
                 const Val* e = response.payload();
                 ctx->outcome.error =
                     error_names[std::min<uint32_t>(e->case_index(), std::size(error_names) - 1)];
                 return std::optional<Val>();
             }
             CIRRUS_TRY_ASSIGN(Object * resp,
                               c.state.get(*response.payload(), Kind::OutgoingResponse));
             std::shared_ptr<HttpObject> r = resp->http;
             c.state.objects.erase(response.payload()->rep());
             r->attached = true;
             ctx->outcome.state = HttpOutcome::State::Incomplete;
             auto& body = static_cast<ResponseBody&>(*r->out_body);
             if (r->body_taken) {
                 body.attach(r->status, r->headers);
                 return std::optional<Val>();
             }
             // No body was asked for: an empty one, finished now.
             r->body_taken = true;
             body.expected_length = content_length_of(*r->headers);
             if (body.expected_length.value_or(0) != 0)
                 return std::optional<Val>(); // promised a body it can no longer write
             body.attach(r->status, r->headers);
             body.finished = true;
             body.finish({});
             return std::optional<Val>();
         }});

    // future-incoming-response
    add_method(types, t, Kind::FutureIncomingResponse, "subscribe", {}, t.own(Kind::Pollable),
               [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   std::shared_ptr<ClientCall> call = o.http->call;
                   Object p;
                   p.kind = Kind::Pollable;
                   p.check = [call] { return Readiness{client_call_result(*call).has_value()}; };
                   return some(c.own(std::move(p)));
               });
    const ValType* fir =
        t.a.option(t.a.result(t.a.result(t.own(Kind::IncomingResponse), h.error_code), nullptr));
    add_method(types, t, Kind::FutureIncomingResponse, "get", {}, fir,
               [](const Call& c, Object& o, std::span<const Val>) -> Result<std::optional<Val>> {
                   if (o.http->taken) return some(Val::some(Val::err(std::nullopt)));
                   auto res = client_call_result(*o.http->call);
                   if (!res) return some(Val::none());
                   o.http->taken = true;
                   if (auto* e = std::get_if<HttpError>(&*res))
                       return some(Val::some(Val::ok(Val::err(http_error_val(*e)))));
                   auto& resp = std::get<ClientResponse>(*res);
                   auto r = std::make_shared<HttpObject>();
                   r->status = resp.status;
                   r->headers = std::make_shared<FieldList>();
                   r->headers->entries = lowered(resp.headers);
                   r->in_body = channel_source(resp.body);
                   return some(
                       Val::some(Val::ok(Val::ok(c.own(http_object(Kind::IncomingResponse, r))))));
               });
}

// Is `host:port` in the --allow-http list ("HOST" allows any port)?
bool allowed(const Config& config, const std::string& host, uint16_t port) {
    std::string h = lower(host);
    for (const std::string& entry : config.allow_http) {
        std::string e = lower(entry);
        size_t colon = e.rfind(':');
        bool has_port = colon != std::string::npos && e.find(']', colon) == std::string::npos &&
                        e.find(':') == colon;
        if (e.starts_with('[')) has_port = e.find("]:") != std::string::npos;
        std::string eh = has_port ? e.substr(0, colon) : e;
        if (eh.size() > 1 && eh.front() == '[' && eh.back() == ']')
            eh = eh.substr(1, eh.size() - 2);
        if (eh != h) continue;
        if (!has_port || e.substr(colon + 1) == std::to_string(port)) return true;
    }
    return false;
}

void define_outgoing_handler(Host::State& st, Types& t, const HttpTypes& h) {
    InterfaceDef out{"wasi:http/outgoing-handler",
                     {},
                     {Kind::OutgoingRequest, Kind::RequestOptions, Kind::FutureIncomingResponse}};
    out.funcs.push_back(
        {"handle",
         t.func({{"request", t.own(Kind::OutgoingRequest)},
                 {"options", t.a.option(t.own(Kind::RequestOptions))}},
                t.a.result(t.own(Kind::FutureIncomingResponse), h.error_code)),
         [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
             CIRRUS_TRY_ASSIGN(Object * ro, c.state.get(a[0], Kind::OutgoingRequest));
             std::shared_ptr<HttpObject> req = ro->http;
             c.state.objects.erase(a[0].rep());
             std::shared_ptr<HttpObject> opts;
             if (const Val* o = a[1].payload()) {
                 CIRRUS_TRY_ASSIGN(Object * oo, c.state.get(*o, Kind::RequestOptions));
                 opts = oo->http;
                 c.state.objects.erase(o->rep());
             }
             auto fail = [](HttpErrorCase code, std::optional<std::string> text = {}) {
                 return some(Val::err(http_error_val({code, std::move(text), {}})));
             };
             std::string scheme = req->scheme.value_or("https");
             if (scheme != "http" && scheme != "https")
                 return fail(HttpErrorCase::HttpProtocolError, "unsupported scheme " + scheme);
             if (!req->authority || req->authority->empty())
                 return fail(HttpErrorCase::HttpRequestUriInvalid);
             ClientRequest cr;
             cr.method = req->method;
             cr.tls = scheme == "https";
             cr.authority = *req->authority;
             std::string_view auth = cr.authority;
             std::string port_text;
             if (auth.starts_with('[')) {
                 size_t close = auth.find(']');
                 if (close == std::string_view::npos)
                     return fail(HttpErrorCase::HttpRequestUriInvalid);
                 cr.host = std::string(auth.substr(1, close - 1));
                 if (close + 1 < auth.size()) {
                     if (auth[close + 1] != ':') return fail(HttpErrorCase::HttpRequestUriInvalid);
                     port_text = std::string(auth.substr(close + 2));
                 }
             } else {
                 size_t colon = auth.rfind(':');
                 cr.host = std::string(auth.substr(0, colon));
                 if (colon != std::string_view::npos)
                     port_text = std::string(auth.substr(colon + 1));
             }
             cr.port = cr.tls ? 443 : 80;
             if (!port_text.empty()) {
                 unsigned p = 0;
                 auto [end, ec] =
                     std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
                 if (ec != std::errc() || end != port_text.data() + port_text.size() || p == 0 ||
                     p > 65535)
                     return fail(HttpErrorCase::HttpRequestUriInvalid);
                 cr.port = static_cast<uint16_t>(p);
             }
             if (cr.host.empty()) return fail(HttpErrorCase::HttpRequestUriInvalid);
             if (!allowed(c.state.config, cr.host, cr.port))
                 return fail(HttpErrorCase::HttpRequestDenied);
             cr.target = req->path_with_query.value_or("/");
             if (cr.target.empty()) cr.target = "/";
             cr.headers = req->headers->entries;
             cr.expected_length = content_length_of(*req->headers);
             if (opts) {
                 cr.connect_timeout_ns = opts->connect_timeout;
                 cr.first_byte_timeout_ns = opts->first_byte_timeout;
                 cr.between_bytes_timeout_ns = opts->between_bytes_timeout;
             }
             // The request's body: the channel its sink writes to. A body never asked for is
             // empty.
             auto sink = std::static_pointer_cast<BodySink>(req->out_body);
             if (!req->body_taken) {
                 sink->expected_length = cr.expected_length;
                 if (cr.expected_length.value_or(0) != 0)
                     return fail(HttpErrorCase::HttpRequestBodySize, std::nullopt);
                 sink->finished = true;
                 sink->finish({});
             }
             auto call = start_client_call(std::move(cr), req->channel, c.state.waker);
             c.state.calls.push_back(call);
             auto f = std::make_shared<HttpObject>();
             f->call = std::move(call);
             return some(Val::ok(c.own(http_object(Kind::FutureIncomingResponse, std::move(f)))));
         }});
    st.interfaces.push_back(std::move(out));
}

} // namespace

Val http_error_val(const HttpError& e) {
    auto idx = static_cast<uint32_t>(e.code);
    switch (e.code) {
    case HttpErrorCase::DnsError:
        return Val::variant(
            idx,
            Val::record({e.text ? Val::some(Val::string(*e.text)) : Val::none(), Val::none()}));
    case HttpErrorCase::TlsAlertReceived:
        return Val::variant(idx, Val::record({Val::none(), e.text ? Val::some(Val::string(*e.text))
                                                                  : Val::none()}));
    case HttpErrorCase::HttpRequestBodySize:
    case HttpErrorCase::HttpResponseBodySize:
        return Val::variant(idx, e.size ? Val::some(Val::u64(*e.size)) : Val::none());
    case HttpErrorCase::HttpRequestHeaderSectionSize:
    case HttpErrorCase::HttpRequestTrailerSectionSize:
    case HttpErrorCase::HttpResponseHeaderSectionSize:
    case HttpErrorCase::HttpResponseTrailerSectionSize:
    case HttpErrorCase::HttpRequestHeaderSize: return Val::variant(idx, Val::none());
    case HttpErrorCase::HttpRequestTrailerSize:
    case HttpErrorCase::HttpResponseHeaderSize:
    case HttpErrorCase::HttpResponseTrailerSize:
        return Val::variant(idx, Val::record({Val::none(), Val::none()}));
    case HttpErrorCase::HttpResponseTransferCoding:
    case HttpErrorCase::HttpResponseContentCoding:
    case HttpErrorCase::InternalError:
        return Val::variant(idx, e.text ? Val::some(Val::string(*e.text)) : Val::none());
    default: return Val::variant(idx, std::nullopt);
    }
}

std::string http_error_name(HttpErrorCase code) {
    return error_names[static_cast<uint32_t>(code)];
}

std::shared_ptr<BodySink> channel_sink(std::shared_ptr<Channel> ch, bool is_request) {
    return std::make_shared<ChannelSink>(std::move(ch), is_request);
}

std::shared_ptr<BodySource> channel_source(std::shared_ptr<Channel> ch) {
    return std::make_shared<ChannelSource>(std::move(ch));
}

void define_http(Host::State& st, Types& t) {
    HttpTypes h(t);
    InterfaceDef types{
        "wasi:http/types",
        {},
        {Kind::InputStream, Kind::OutputStream, Kind::Error, Kind::Pollable, Kind::Fields,
         Kind::IncomingRequest, Kind::OutgoingRequest, Kind::RequestOptions, Kind::ResponseOutparam,
         Kind::IncomingResponse, Kind::IncomingBody, Kind::FutureTrailers, Kind::OutgoingResponse,
         Kind::OutgoingBody, Kind::FutureIncomingResponse},
        {{"io-error", Kind::Error}, {"headers", Kind::Fields}, {"trailers", Kind::Fields}}};
    types.funcs.push_back({"http-error-code",
                           t.func({{"err", t.borrow(Kind::Error)}}, t.a.option(h.error_code)),
                           [](const Call& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                               CIRRUS_TRY_ASSIGN(Object * e, c.state.get(a[0], Kind::Error));
                               return some(e->http_error ? Val::some(*e->http_error) : Val::none());
                           }});
    define_fields(types, t, h);
    define_messages(types, t, h);
    define_bodies(types, t, h);
    st.interfaces.push_back(std::move(types));
    define_outgoing_handler(st, t, h);
}

// ---------------------------------------------------------------- the server's side

Result<std::vector<Val>> Host::incoming_request(HttpRequestHead head, HttpExchange& exchange) {
    State& st = *state_;
    std::string types_import;
    for (const auto& [key, resource] : st.handle_resource) {
        if (key.second == Kind::IncomingRequest && key.first.starts_with("wasi:http/types@"))
            types_import = key.first;
    }
    auto ctx = std::make_shared<ServerCtx>();
    ctx->ex = &exchange;
    st.exchange = std::make_shared<HttpObject>();
    st.exchange->server = ctx;

    auto req = std::make_shared<HttpObject>();
    req->method = std::move(head.method);
    req->path_with_query = std::move(head.path_with_query);
    req->scheme = std::move(head.scheme);
    if (!head.authority.empty()) req->authority = std::move(head.authority);
    req->headers = std::make_shared<FieldList>();
    req->headers->entries = lowered(head.headers);
    req->in_body = std::make_shared<ExchangeSource>(ctx);
    auto param = std::make_shared<HttpObject>();
    param->server = ctx;

    Call call{st, types_import};
    std::vector<Val> args;
    args.push_back(call.own(http_object(Kind::IncomingRequest, std::move(req))));
    args.push_back(call.own(http_object(Kind::ResponseOutparam, std::move(param))));
    return args;
}

HttpOutcome Host::finish_incoming_request() {
    State& st = *state_;
    if (!st.exchange || !st.exchange->server) return {};
    std::shared_ptr<ServerCtx> ctx = st.exchange->server;
    ctx->ex = nullptr;
    return ctx->outcome;
}

} // namespace cirrus::wasi
