// The private side of the WASI host: the table of host objects behind resource handles
// (streams, pollables, errors), the registry of interface definitions (name, WIT type, C++
// implementation) that add_to_linker defines once per imported version, and the bookkeeping
// that gives every returned handle the resource identity the guest has bound.
#pragma once

#include "cirrus/wasi/wasi.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/socket.h>

namespace cirrus::wasi {

using component::FuncType;
using component::ResourceImpl;
using component::Val;
using component::ValType;

// One enumerator per WASI resource type; the WIT name is in resource_name().
enum class Kind : uint8_t {
    Error,
    Pollable,
    InputStream,
    OutputStream,
    Descriptor,
    DirectoryEntryStream,
    TerminalInput,
    TerminalOutput,
    Network,
    TcpSocket,
    UdpSocket,
    IncomingDatagramStream,
    OutgoingDatagramStream,
    ResolveAddressStream,
    // wasi:http/types
    Fields,
    IncomingRequest,
    OutgoingRequest,
    RequestOptions,
    ResponseOutparam,
    IncomingResponse,
    IncomingBody,
    FutureTrailers,
    OutgoingResponse,
    OutgoingBody,
    FutureIncomingResponse,
};
constexpr size_t kind_count = static_cast<size_t>(Kind::FutureIncomingResponse) + 1;
const char* resource_name(Kind kind);

// A host file descriptor closed with the object that owns it.
class OwnedFd {
public:
    OwnedFd() = default;
    explicit OwnedFd(int fd) : fd_(fd) {}
    OwnedFd(OwnedFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    OwnedFd& operator=(OwnedFd&& o) noexcept {
        reset();
        fd_ = std::exchange(o.fd_, -1);
        return *this;
    }
    ~OwnedFd() { reset(); }
    int get() const { return fd_; }
    void reset();

private:
    int fd_ = -1;
};

struct NetSocket; // sockets.cpp
// Wakes a guest blocked in a host wait (poll, blocking reads) from another thread: an HTTP
// client thread when data arrives, the deadline watchdog when the request's time is up.
class Waker {
public:
    Waker();
    ~Waker();
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;
    void wake();
    void drain();
    int fd() const { return fd_; }
    // After cancel() every wait traps, so a guest blocked in the host is stopped as a guest
    // spinning in wasm is by the epoch deadline.
    void cancel() {
        cancelled_.store(true);
        wake();
    }
    bool cancelled() const { return cancelled_.load(); }
    void reset() { cancelled_.store(false); }

private:
    int fd_ = -1;
    std::atomic<bool> cancelled_{false};
};

// When a pollable is ready, or what to wait on until it is: a descriptor becoming readable or
// writable, a point in monotonic time, or (neither) a wake from another thread.
struct Readiness {
    bool ready = false;
    int fd = -1;
    short events = 0;
    uint64_t deadline_ns = UINT64_MAX;
};

// A byte stream a guest reads (an HTTP body) behind an input-stream.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    enum class Status { Data, Empty, End, Failed };
    // Never blocks: appends at most `max` bytes to `out` (Data), or says why it did not.
    virtual Status read(std::string& out, size_t max, std::string& error) = 0;
    virtual Readiness readiness() = 0;
    // The wasi:http error-code of the last failure, if it has one.
    virtual std::optional<Val> http_error() const { return std::nullopt; }
};

// A byte stream a guest writes (an HTTP body) behind an output-stream.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    enum class Status { Ok, Closed, Failed };
    // Bytes that may be written now without blocking.
    virtual uint64_t check_write() = 0;
    virtual Status write(std::span<const uint8_t> data, std::string& error) = 0;
    virtual Status flush(std::string& error) = 0;
    virtual Readiness readiness() = 0;
    virtual std::optional<Val> http_error() const { return std::nullopt; }
};

// The wasi:http side of an object (http_types.cpp).
struct HttpObject;
struct ClientCall;

// A host object a guest holds a handle to.
struct Object {
    Kind kind = Kind::Error;
    int fd = -1;   // streams, descriptors: the host file descriptor
    OwnedFd owned; // set when the object owns `fd` (files, directories)
    // Pollables are ready at a monotonic time (deadline_ns; 0: ready now), or, when wait_fd is
    // not -1, when poll(2) reports one of wait_events on wait_fd (a descriptor some other
    // object owns and outlives the pollable by the WASI child-resource rules; an eventfd
    // serves readiness that no descriptor has).
    uint64_t deadline_ns = 0;
    int wait_fd = -1;
    short wait_events = 0;
    std::string message; // errors: to-debug-string
    int error_errno = 0; // errors: the errno behind it, if any
    // File streams read or write at `offset` (pread/pwrite); `append` writes at the end.
    std::optional<uint64_t> offset;
    bool append = false;
    // Descriptors: granted read-only, and the descriptor-flags it was opened with.
    bool read_only = false;
    uint32_t flags = 0;
    // Directory entry streams: (name, descriptor-type) and the next to hand out.
    std::vector<std::pair<std::string, uint32_t>> entries;
    size_t next_entry = 0;
    // Sockets, the streams made from them and resolve-address streams: the shared socket state
    // (which owns the descriptor); datagram streams: which `stream` call made them, and how
    // many datagrams check-send permitted.
    std::shared_ptr<NetSocket> net;
    uint32_t generation = 0;
    uint64_t permits = 0;
    // Streams not on a descriptor: HTTP bodies, and streams served by layers below WASI
    // (Host::input_stream / output_stream).
    std::shared_ptr<ByteSource> source;
    std::shared_ptr<ByteSink> sink;
    // Pollables that are not timers: asked each time whether they are ready.
    std::function<Readiness()> check;
    // Errors: the wasi:http error-code behind a failed body read or write.
    std::optional<Val> http_error;
    // Resources of wasi:http/types.
    std::shared_ptr<HttpObject> http;
};

// A directory granted to the guest (cirrus run --dir), opened when the host is made.
struct Preopen {
    OwnedFd fd;
    std::string guest_path;
    bool read_only = false;
};

// What an implementation gets: the host state and the instance name it was called under
// (which decides the resource identity of the handles it returns).
struct Call {
    Host::State& state;
    const std::string& instance;
    // A new own handle for `obj`.
    Val own(Object obj) const;
};

using Impl = std::function<Result<std::optional<Val>>(const Call& call, std::span<const Val> args)>;

struct FuncDef {
    std::string name; // "get-stdout", "[method]output-stream.write"
    const FuncType* type = nullptr;
    Impl impl;
};

// One WASI interface: the functions and the resource types it exports (its own and those it
// `use`s, which a component's instance type lists too).
struct InterfaceDef {
    std::string name; // "wasi:io/streams" (no version)
    std::vector<FuncDef> funcs;
    std::vector<Kind> resources;
    // Second names of those resources (`type headers = fields`, `error as io-error`).
    std::vector<std::pair<std::string, Kind>> aliases = {};
};

// An outbound socket grant with the addresses its host resolved to when the host started.
struct SocketGrant {
    bool tcp = true;
    std::string host;
    std::optional<uint16_t> port;
    std::vector<struct sockaddr_storage> addresses;
};

struct Host::State {
    Config config;
    std::vector<SocketGrant> socket_grants;
    std::optional<int> exit_status;
    component::TypeArena types;
    std::vector<InterfaceDef> interfaces;

    std::shared_ptr<Waker> waker = std::make_shared<Waker>();
    // Request-scoped wasi:http state (http_types.cpp): the incoming request being served, the
    // response the guest set.
    std::shared_ptr<HttpObject> exchange;
    // Outgoing requests under way, abandoned when the host is reset.
    std::vector<std::shared_ptr<ClientCall>> calls;

    std::vector<Preopen> preopens;
    std::vector<std::string> config_errors;
    std::unordered_map<uint32_t, Object> objects;
    uint32_t next_rep = 1;

    // Resource identities: every ResourceImpl the host defined and its kind, and the one to
    // put in handles returned under an instance name (the guest binds a resource type to the
    // last import that exports it; handles must carry that one to be dropped by the guest).
    std::unordered_map<const ResourceImpl*, Kind> kinds;
    std::map<std::pair<std::string, Kind>, ResourceImpl*> handle_resource;
    std::vector<std::unique_ptr<ResourceImpl>> direct_resources; // for Host::call

    // The object behind a handle of kind `kind`, or a Trap error (a guest passing a handle of
    // another resource type, or a handle already dropped).
    Result<Object*> get(const Val& handle, Kind kind);
    ResourceImpl* resource_for(const std::string& instance, Kind kind);
};

// Waits until at least one of `pollables` is ready and returns their indices; traps when the
// waker is cancelled (the guest's deadline passed).
Result<std::vector<uint32_t>> wait_ready(Host::State& state, std::span<Object* const> pollables);
Readiness readiness_of(const Object& pollable);

// Builds the interface definitions (interfaces.cpp, http_types.cpp).
void define_interfaces(Host::State& state);

// The addresses of a grant's host: an IP literal as is, a name through the resolver.
Result<std::vector<struct sockaddr_storage>> resolve_grant_host(const std::string& host);

} // namespace cirrus::wasi
