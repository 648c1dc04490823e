// wasi:http/types through the host API (Host::call, Host::incoming_request), as a guest would
// call it: fields and their validation and immutability rules, request and response heads,
// request-options, bodies as streams with trailers, the response a guest sets, and
// outgoing-handler's refusal of hosts that are not allowed.
#include "cirrus/wasi/wasi.h"

#include <gtest/gtest.h>

namespace cirrus::wasi {
namespace {

using component::Val;

Val bytes(std::string_view s) {
    std::vector<Val> out;
    for (char c : s) out.push_back(Val::u8(static_cast<uint8_t>(c)));
    return Val::list(std::move(out));
}

std::string text(const Val& list) {
    return list.to_bytes();
}

struct Http {
    Host host{Config{}};
    Val call(std::string_view iface, std::string_view func, std::vector<Val> args) {
        auto r = host.call(iface, func, args);
        EXPECT_TRUE(r.ok()) << func << ": " << (r.ok() ? "" : r.error().to_string());
        return r.ok() && *r ? **r : Val();
    }
    Val types(std::string_view func, std::vector<Val> args = {}) {
        return call("wasi:http/types", func, std::move(args));
    }
    Val fields() { return types("[constructor]fields"); }
    static Val borrow(const Val& own) { return Val::borrow(own.resource, own.rep()); }
};

// header-error cases
constexpr uint32_t invalid_syntax = 0, forbidden = 1, immutable = 2;

uint32_t header_error(const Val& result) {
    EXPECT_EQ(result.case_index(), 1u);
    return result.payload() ? result.payload()->case_index() : 99;
}

TEST(HttpTypes, FieldsKeepOrderAndCompareNamesCaseInsensitively) {
    Http h;
    Val f = h.fields();
    EXPECT_EQ(h.types("[method]fields.append",
                      {Http::borrow(f), Val::string("Content-Type"), bytes("text/plain")})
                  .case_index(),
              0u);
    h.types("[method]fields.append", {Http::borrow(f), Val::string("x-a"), bytes("1")});
    h.types("[method]fields.append", {Http::borrow(f), Val::string("X-A"), bytes("2")});
    Val got = h.types("[method]fields.get", {Http::borrow(f), Val::string("x-A")});
    ASSERT_EQ(got.elems.size(), 2u);
    EXPECT_EQ(text(got.elems[0]), "1");
    EXPECT_EQ(text(got.elems[1]), "2");
    Val entries = h.types("[method]fields.entries", {Http::borrow(f)});
    ASSERT_EQ(entries.elems.size(), 3u);
    EXPECT_EQ(entries.elems[0].elems[0].as_string(), "content-type");
    EXPECT_EQ(text(entries.elems[0].elems[1]), "text/plain");

    h.types("[method]fields.set",
            {Http::borrow(f), Val::string("x-a"), Val::list({bytes("only")})});
    got = h.types("[method]fields.get", {Http::borrow(f), Val::string("x-a")});
    ASSERT_EQ(got.elems.size(), 1u);
    EXPECT_EQ(text(got.elems[0]), "only");
    h.types("[method]fields.delete", {Http::borrow(f), Val::string("X-a")});
    EXPECT_FALSE(h.types("[method]fields.has", {Http::borrow(f), Val::string("x-a")}).as_bool());
    EXPECT_TRUE(
        h.types("[method]fields.has", {Http::borrow(f), Val::string("content-type")}).as_bool());
}

TEST(HttpTypes, FieldsRejectInvalidAndForbiddenHeaders) {
    Http h;
    Val f = h.fields();
    auto append = [&](std::string name, std::string value) {
        return h.types("[method]fields.append",
                       {Http::borrow(f), Val::string(std::move(name)), bytes(value)});
    };
    EXPECT_EQ(header_error(append("bad name", "v")), invalid_syntax);
    EXPECT_EQ(header_error(append("", "v")), invalid_syntax);
    EXPECT_EQ(header_error(append("x-injected", "a\r\nset-cookie: b")), invalid_syntax);
    EXPECT_EQ(header_error(append("Connection", "close")), forbidden);
    EXPECT_EQ(header_error(append("transfer-encoding", "chunked")), forbidden);
    EXPECT_EQ(h.types("[method]fields.entries", {Http::borrow(f)}).elems.size(), 0u);

    Val list = Val::list({Val::tuple({Val::string("ok"), bytes("1")}),
                          Val::tuple({Val::string("upgrade"), bytes("h2c")})});
    EXPECT_EQ(header_error(h.types("[static]fields.from-list", {list})), forbidden);
    Val good = Val::list({Val::tuple({Val::string("A"), bytes("1")})});
    Val r = h.types("[static]fields.from-list", {good});
    ASSERT_EQ(r.case_index(), 0u);
    EXPECT_EQ(h.types("[method]fields.entries", {Http::borrow(*r.payload())})
                  .elems[0]
                  .elems[0]
                  .as_string(),
              "a");
}

TEST(HttpTypes, HeadersOfAMessageAreImmutableButTheirCloneIsNot) {
    Http h;
    Val f = h.fields();
    h.types("[method]fields.append", {Http::borrow(f), Val::string("x"), bytes("1")});
    Val req = h.types("[constructor]outgoing-request", {f});
    Val headers = h.types("[method]outgoing-request.headers", {Http::borrow(req)});
    EXPECT_EQ(header_error(h.types("[method]fields.append",
                                   {Http::borrow(headers), Val::string("y"), bytes("2")})),
              immutable);
    EXPECT_EQ(
        header_error(h.types("[method]fields.delete", {Http::borrow(headers), Val::string("x")})),
        immutable);
    Val copy = h.types("[method]fields.clone", {Http::borrow(headers)});
    EXPECT_EQ(h.types("[method]fields.append", {Http::borrow(copy), Val::string("y"), bytes("2")})
                  .case_index(),
              0u);
    EXPECT_EQ(
        text(h.types("[method]fields.get", {Http::borrow(headers), Val::string("x")}).elems.at(0)),
        "1");
}

TEST(HttpTypes, OutgoingRequestDefaultsAndValidatedSetters) {
    Http h;
    Val req = h.types("[constructor]outgoing-request", {h.fields()});
    auto m = [&](std::string_view name, std::vector<Val> more = {}) {
        more.insert(more.begin(), Http::borrow(req));
        return h.types(std::string("[method]outgoing-request.") + std::string(name), more);
    };
    EXPECT_EQ(m("method").case_index(), 0u);          // get
    EXPECT_EQ(m("path-with-query").case_index(), 0u); // none
    EXPECT_EQ(m("scheme").case_index(), 0u);
    EXPECT_EQ(m("set-method", {Val::variant(9, Val::string("PURGE"))}).case_index(), 0u);
    EXPECT_EQ(m("method").payload()->as_string(), "PURGE");
    EXPECT_EQ(m("set-method", {Val::variant(9, Val::string("BAD METHOD"))}).case_index(), 1u);
    EXPECT_EQ(m("set-path-with-query", {Val::some(Val::string("/a?b=c"))}).case_index(), 0u);
    EXPECT_EQ(m("set-path-with-query", {Val::some(Val::string("/a b"))}).case_index(), 1u);
    EXPECT_EQ(m("path-with-query").payload()->as_string(), "/a?b=c");
    EXPECT_EQ(m("set-authority", {Val::some(Val::string("example.com:8080"))}).case_index(), 0u);
    EXPECT_EQ(m("set-authority", {Val::some(Val::string("user@evil"))}).case_index(), 1u);
    EXPECT_EQ(m("set-scheme", {Val::some(Val::variant(1, std::nullopt))}).case_index(), 0u);
    EXPECT_EQ(m("scheme").payload()->case_index(), 1u); // HTTPS
    // The body is handed out once.
    EXPECT_EQ(m("body").case_index(), 0u);
    EXPECT_EQ(m("body").case_index(), 1u);
}

TEST(HttpTypes, RequestOptionsAndResponseStatus) {
    Http h;
    Val o = h.types("[constructor]request-options");
    EXPECT_EQ(h.types("[method]request-options.connect-timeout", {Http::borrow(o)}).case_index(),
              0u);
    h.types("[method]request-options.set-connect-timeout",
            {Http::borrow(o), Val::some(Val::u64(5000000))});
    EXPECT_EQ(
        h.types("[method]request-options.connect-timeout", {Http::borrow(o)}).payload()->as_u64(),
        5000000u);
    Val resp = h.types("[constructor]outgoing-response", {h.fields()});
    EXPECT_EQ(h.types("[method]outgoing-response.status-code", {Http::borrow(resp)}).bits, 200u);
    EXPECT_EQ(
        h.types("[method]outgoing-response.set-status-code", {Http::borrow(resp), Val::u16(42)})
            .case_index(),
        1u);
    EXPECT_EQ(
        h.types("[method]outgoing-response.set-status-code", {Http::borrow(resp), Val::u16(201)})
            .case_index(),
        0u);
    EXPECT_EQ(h.types("[method]outgoing-response.status-code", {Http::borrow(resp)}).bits, 201u);
}

TEST(HttpTypes, OutgoingHandlerDeniesHostsNotAllowed) {
    Config config;
    config.allow_http = {"allowed.example:8080"};
    Host host(config);
    auto call = [&](std::string_view iface, std::string_view func, std::vector<Val> args) {
        auto r = host.call(iface, func, args);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
        return **r;
    };
    auto request = [&](std::string authority) {
        Val req = call("wasi:http/types", "[constructor]outgoing-request",
                       {call("wasi:http/types", "[constructor]fields", {})});
        call("wasi:http/types", "[method]outgoing-request.set-authority",
             {Http::borrow(req), Val::some(Val::string(std::move(authority)))});
        call("wasi:http/types", "[method]outgoing-request.set-scheme",
             {Http::borrow(req), Val::some(Val::variant(0, std::nullopt))});
        return call("wasi:http/outgoing-handler", "handle", {req, Val::none()});
    };
    for (const char* denied :
         {"denied.example", "allowed.example:8081", "allowed.example", "127.0.0.1:8080"}) {
        Val r = request(denied);
        ASSERT_EQ(r.case_index(), 1u) << denied;
        EXPECT_EQ(r.payload()->case_index(), 15u) << denied; // HTTP-request-denied
    }
    // No authority at all: HTTP-request-URI-invalid.
    Val req = call("wasi:http/types", "[constructor]outgoing-request",
                   {call("wasi:http/types", "[constructor]fields", {})});
    Val r = call("wasi:http/outgoing-handler", "handle", {req, Val::none()});
    EXPECT_EQ(r.payload()->case_index(), 19u);
}

// A server side that hands out a body in pieces and records the response.
struct FakeExchange : HttpExchange {
    std::vector<std::string> pieces;
    HeaderList request_trailers;
    uint16_t status = 0;
    HeaderList headers;
    std::optional<uint64_t> length;
    std::string body;
    HeaderList trailers_sent;
    bool finished = false;

    ReadStatus read_body(std::string& out, size_t max, std::string&) override {
        if (pieces.empty()) return ReadStatus::End;
        std::string& p = pieces.front();
        size_t n = std::min(max, p.size());
        out.append(p, 0, n);
        p.erase(0, n);
        if (p.empty()) pieces.erase(pieces.begin());
        return ReadStatus::Data;
    }
    bool body_readable() override { return true; }
    int body_fd() const override { return -1; }
    HeaderList trailers() const override { return request_trailers; }
    Result<void> send_head(uint16_t s, const HeaderList& h, std::optional<uint64_t> l) override {
        status = s;
        headers = h;
        length = l;
        return {};
    }
    Result<void> send_body(std::span<const uint8_t> d) override {
        body.append(reinterpret_cast<const char*>(d.data()), d.size());
        return {};
    }
    Result<void> finish(const HeaderList& t) override {
        trailers_sent = t;
        finished = true;
        return {};
    }
};

TEST(HttpTypes, IncomingRequestBodyTrailersAndTheResponseSet) {
    Http h;
    FakeExchange ex;
    ex.pieces = {"hello ", "world"};
    ex.request_trailers = {{"X-Sum", "7"}};
    HttpRequestHead head;
    head.method = "POST";
    head.path_with_query = "/p?q=1";
    head.authority = "example.com";
    head.headers = {{"Content-Type", "text/plain"}};
    auto args = h.host.incoming_request(head, ex);
    ASSERT_TRUE(args.ok());
    Val req = (*args)[0], out = (*args)[1];
    auto m = [&](std::string_view name) {
        return h.types(std::string("[method]incoming-request.") + std::string(name),
                       {Http::borrow(req)});
    };
    EXPECT_EQ(m("method").case_index(), 2u); // post
    EXPECT_EQ(m("path-with-query").payload()->as_string(), "/p?q=1");
    EXPECT_EQ(m("authority").payload()->as_string(), "example.com");
    EXPECT_EQ(m("scheme").payload()->case_index(), 0u);
    Val headers = m("headers");
    EXPECT_EQ(
        text(h.types("[method]fields.get", {Http::borrow(headers), Val::string("content-type")})
                 .elems.at(0)),
        "text/plain");
    EXPECT_EQ(header_error(h.types("[method]fields.append",
                                   {Http::borrow(headers), Val::string("x"), bytes("1")})),
              immutable);
    Val body = *m("consume").payload();
    EXPECT_EQ(m("consume").case_index(), 1u); // once only
    Val stream = *h.types("[method]incoming-body.stream", {Http::borrow(body)}).payload();
    std::string got;
    for (;;) {
        Val r = h.call("wasi:io/streams", "[method]input-stream.blocking-read",
                       {Http::borrow(stream), Val::u64(4)});
        if (r.case_index() != 0) break;
        got += text(*r.payload());
    }
    EXPECT_EQ(got, "hello world");
    Val trailers_future = h.types("[static]incoming-body.finish", {body});
    Val tr = h.types("[method]future-trailers.get", {Http::borrow(trailers_future)});
    ASSERT_EQ(tr.case_index(), 1u); // some
    const Val& fields = *tr.payload()->payload()->payload()->payload();
    EXPECT_EQ(text(h.types("[method]fields.get", {Http::borrow(fields), Val::string("x-sum")})
                       .elems.at(0)),
              "7");

    // The response: headers, a body written through the stream, trailers.
    Val rh = h.fields();
    h.types("[method]fields.append", {Http::borrow(rh), Val::string("X-Reply"), bytes("yes")});
    Val resp = h.types("[constructor]outgoing-response", {rh});
    h.types("[method]outgoing-response.set-status-code", {Http::borrow(resp), Val::u16(201)});
    Val ob = *h.types("[method]outgoing-response.body", {Http::borrow(resp)}).payload();
    Val os = *h.types("[method]outgoing-body.write", {Http::borrow(ob)}).payload();
    h.types("[static]response-outparam.set", {out, Val::ok(resp)});
    h.call("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
           {Http::borrow(os), bytes("reply")});
    EXPECT_EQ(ex.status, 201); // flushed: the head went out
    Val t = h.fields();
    h.types("[method]fields.append", {Http::borrow(t), Val::string("x-end"), bytes("1")});
    EXPECT_EQ(h.types("[static]outgoing-body.finish", {ob, Val::some(t)}).case_index(), 0u);
    EXPECT_TRUE(ex.finished);
    EXPECT_EQ(ex.body, "reply");
    EXPECT_EQ(ex.headers, (HeaderList{{"x-reply", "yes"}}));
    EXPECT_EQ(ex.trailers_sent, (HeaderList{{"x-end", "1"}}));
    EXPECT_EQ(h.host.finish_incoming_request().state, HttpOutcome::State::Complete);
}

TEST(HttpTypes, ABodyShorterThanItsContentLengthFails) {
    Http h;
    FakeExchange ex;
    auto args = h.host.incoming_request(HttpRequestHead{"GET", "/", "http", "x", {}}, ex);
    ASSERT_TRUE(args.ok());
    Val rh = h.fields();
    h.types("[method]fields.append",
            {Http::borrow(rh), Val::string("content-length"), bytes("10")});
    Val resp = h.types("[constructor]outgoing-response", {rh});
    Val ob = *h.types("[method]outgoing-response.body", {Http::borrow(resp)}).payload();
    Val os = *h.types("[method]outgoing-body.write", {Http::borrow(ob)}).payload();
    h.types("[static]response-outparam.set", {(*args)[1], Val::ok(resp)});
    h.call("wasi:io/streams", "[method]output-stream.write", {Http::borrow(os), bytes("short")});
    Val r = h.types("[static]outgoing-body.finish", {ob, Val::none()});
    ASSERT_EQ(r.case_index(), 1u);
    EXPECT_EQ(r.payload()->case_index(), 28u); // HTTP-response-body-size
    EXPECT_NE(h.host.finish_incoming_request().state, HttpOutcome::State::Complete);
}

} // namespace
} // namespace cirrus::wasi
