// The private side of the WASI host: the table of host objects behind resource handles
// (streams, pollables, errors), the registry of interface definitions (name, WIT type, C++
// implementation) that add_to_linker defines once per imported version, and the bookkeeping
// that gives every returned handle the resource identity the guest has bound.
#pragma once

#include "cirrus/wasi/wasi.h"

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
};
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

// Builds the interface definitions (interfaces.cpp).
void define_interfaces(Host::State& state);

// The addresses of a grant's host: an IP literal as is, a name through the resolver.
Result<std::vector<struct sockaddr_storage>> resolve_grant_host(const std::string& host);

} // namespace cirrus::wasi
