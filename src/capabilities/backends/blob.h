// The blob store backend API behind wasi:blobstore: named containers of named objects, each
// object a byte string. Backends: a filesystem directory (the embedded default, confined to its
// root) and the NATS JetStream object store. Every name a guest gives is checked here, by
// check_container_name / check_object_name, before any backend sees it; a backend is shared by
// all instances of a link and is safe to call from several threads.
#pragma once

#include "cirrus/support/result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus::capabilities {

struct ContainerInfo {
    std::string name;
    uint64_t created_at = 0; // seconds since the Unix epoch
};

struct ObjectInfo {
    std::string name;
    std::string container;
    uint64_t created_at = 0; // seconds since the Unix epoch (of the last write)
    uint64_t size = 0;
};

// The bytes of one object (or a range of it), read in pieces. The bytes are held for the life
// of the reader even if the object is deleted or replaced meanwhile (wasi:blobstore get-data).
class BlobReader {
public:
    virtual ~BlobReader() = default;
    // Up to buf.size() bytes; 0 at the end.
    virtual Result<size_t> read(std::span<uint8_t> buf) = 0;
    // Bytes left to read.
    virtual uint64_t remaining() const = 0;
};

// A reader over bytes in memory.
std::unique_ptr<BlobReader> memory_reader(std::vector<uint8_t> bytes);

class BlobStore {
public:
    virtual ~BlobStore() = default;
    // Fails when the container already exists.
    virtual Result<void> create_container(std::string_view name) = 0;
    virtual Result<bool> container_exists(std::string_view name) = 0;
    virtual Result<ContainerInfo> container_info(std::string_view name) = 0;
    // Deletes the container and everything in it; fails when there is no such container.
    virtual Result<void> delete_container(std::string_view name) = 0;

    // Object names in the container, in no particular order.
    virtual Result<std::vector<std::string>> list_objects(std::string_view container) = 0;
    // Creates or replaces the object.
    virtual Result<void> write_object(std::string_view container, std::string_view name,
                                      std::span<const uint8_t> data) = 0;
    // Bytes start..end of the object, both inclusive, end clamped to the object's last byte.
    virtual Result<std::unique_ptr<BlobReader>> read_object(std::string_view container,
                                                            std::string_view name, uint64_t start,
                                                            uint64_t end) = 0;
    virtual Result<ObjectInfo> object_info(std::string_view container, std::string_view name) = 0;
    virtual Result<bool> has_object(std::string_view container, std::string_view name) = 0;
    // Not an error when the object does not exist.
    virtual Result<void> delete_object(std::string_view container, std::string_view name) = 0;
    // Deletes every object, keeps the container.
    virtual Result<void> clear(std::string_view container) = 0;
    // Copies or moves an object, replacing the destination; fails when either container or the
    // source object does not exist.
    virtual Result<void> copy_object(std::string_view src_container, std::string_view src,
                                     std::string_view dest_container, std::string_view dest);
    virtual Result<void> move_object(std::string_view src_container, std::string_view src,
                                     std::string_view dest_container, std::string_view dest);

    // Largest object write_object accepts (a guest cannot make the host buffer without bound).
    uint64_t max_object_size = 64ull << 20;
};

// Container names: 1 to 255 bytes of UTF-8, no `/`, `\`, NUL or control characters, not `.` or
// `..`. Object names: 1 to 1024 bytes of UTF-8, no NUL or control characters, and, read as a
// path, no empty, `.` or `..` segment and no leading `/` (such names are how a traversal is
// attempted; no store needs them). The error names the offending name and what is wrong.
Result<void> check_container_name(std::string_view name);
Result<void> check_object_name(std::string_view name);

// The filesystem blob store: a container is a directory beneath `root`, an object a file in it
// (object names are encoded into one file name, so `a/b` is a file too). Every path is opened
// relative to the root's descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so
// neither a name nor a symbolic link planted in the tree leads outside the root.
// With an empty `root` the store lives in a new temporary directory removed with the store.
Result<std::unique_ptr<BlobStore>> open_fs_blob_store(const std::string& root);

// The NATS JetStream object store at `url` (nats://host:port): a container is an object store
// bucket (names of letters, digits, `-` and `_`). A server that is down makes each call fail
// (Io) until it is back.
Result<std::unique_ptr<BlobStore>> open_nats_object_store(const std::string& url);

} // namespace cirrus::capabilities
