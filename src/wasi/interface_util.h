// Pieces shared by the files that define WASI interfaces (interfaces.cpp, sockets.cpp, ...):
// the WIT types built once in the host's arena, value helpers, and the wasi:io stream
// operations over host file descriptors that other interfaces hand out (files, sockets).
#pragma once

#include "host_state.h"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cirrus::wasi {

// Largest buffer a single read, write or random call moves; a guest asking for more gets less
// (streams) or traps (random), so a guest cannot make the host allocate without bound.
constexpr uint64_t max_chunk = 1u << 20;

uint64_t monotonic_now_ns();
void sleep_until_ns(uint64_t deadline);

// A Trap error with `message`.
Error trap(std::string message);
std::optional<Val> some(Val v);

// list<u8> values from and to bytes.
Val bytes_val(const uint8_t* data, size_t n);
std::vector<uint8_t> val_bytes(const Val& list);

Result<std::vector<uint8_t>> random_bytes(uint64_t len);
Result<uint64_t> random_u64();

// "[method]<resource>.<name>"
std::string method_name(Kind k, std::string_view name);

// The types of the WIT definitions, built once in the host's arena; one resource type per Kind,
// made on first use.
struct Types {
    component::TypeArena& a;
    const ValType* u8 = ValType::primitive(component::TypeKind::U8);
    const ValType* u16 = ValType::primitive(component::TypeKind::U16);
    const ValType* u32 = ValType::primitive(component::TypeKind::U32);
    const ValType* u64 = ValType::primitive(component::TypeKind::U64);
    const ValType* boolean = ValType::primitive(component::TypeKind::Bool);
    const ValType* string = ValType::primitive(component::TypeKind::String);
    const ValType* bytes = a.list(u8);
    std::map<Kind, component::ResourceType*> resources;

    explicit Types(component::TypeArena& arena) : a(arena) {}
    component::ResourceType* resource(Kind k) {
        auto& r = resources[k];
        if (!r) r = a.resource(resource_name(k));
        return r;
    }
    const ValType* own(Kind k) { return a.own(resource(k)); }
    const ValType* borrow(Kind k) { return a.borrow(resource(k)); }
    const FuncType* func(std::vector<std::pair<std::string, const ValType*>> params,
                         const ValType* result) {
        FuncType ft;
        ft.params = std::move(params);
        ft.result = result;
        return a.func(std::move(ft));
    }
    // A method: `self: borrow<kind>` first.
    const FuncType* method(Kind k, std::vector<std::pair<std::string, const ValType*>> params,
                           const ValType* result) {
        params.insert(params.begin(), {"self", borrow(k)});
        return func(std::move(params), result);
    }
};

// wasi:io/streams stream-error values: err(closed), err(last-operation-failed(error)).
Val stream_closed();
// `error_errno`, when not 0, is the errno behind the failure (wasi:sockets'
// network-error-code and wasi:filesystem's filesystem-error-code read it).
Val stream_failed(const Call& c, std::string message, int error_errno = 0);
// The same with the wasi:http error-code behind it (wasi:http/types.http-error-code reads it).
Val stream_failed_http(const Call& c, std::string message, std::optional<Val> http_error);
// A pollable that is ready now.
Val ready_pollable(const Call& c);
// A pollable that is ready when `fd` has one of the poll(2) `events`.
Val fd_pollable(const Call& c, int fd, short events);

// Reads at most `len` bytes (capped at max_chunk) from an input stream's descriptor: ok(bytes)
// (ok(count) when `discard`), or err(closed) at end of input. Unless `blocking`, returns what
// is there now, possibly nothing; blocking, waits for at least one byte.
Result<std::optional<Val>> stream_read(const Call& c, const Val& self, uint64_t len, bool discard,
                                       bool blocking);
// Streams that are HTTP bodies (Object::source) answer without a descriptor.
// Writes all of `data` to an output stream's descriptor (waiting for room on a non-blocking
// one).
std::optional<Val> stream_write(const Call& c, Object* s, const std::vector<uint8_t>& data);

// Adds a method of `kind` to `iface`: the handle is checked, then `body` runs on its object.
using Body = std::function<Result<std::optional<Val>>(const Call&, Object&, std::span<const Val>)>;
void add_method(InterfaceDef& iface, Types& t, Kind k, std::string_view name,
                std::vector<std::pair<std::string, const ValType*>> params, const ValType* result,
                Body body);

// wasi:sockets (sockets.cpp).
void define_sockets(Host::State& st, Types& t);
// wasi:http/types and wasi:http/outgoing-handler (http_types.cpp).
void define_http(Host::State& st, Types& t);

} // namespace cirrus::wasi
