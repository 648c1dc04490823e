// The filesystem blob store (blob.h): containers are directories beneath one root, objects are
// files. Names are checked (check_*_name) and then opened only relative to the root's
// descriptor with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so the kernel, not string
// handling alone, keeps every access inside the root. Writes go to a hidden temporary file that
// is renamed over the object, so a reader never sees half an object.
#include "blob.h"

#include "cirrus/support/utf8.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cirrus::capabilities {

namespace {

Error io_error(std::string what) {
    return Error(ErrorKind::Io, fmt::format("{}: {}", what, std::strerror(errno)));
}

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            if (fd_ >= 0) ::close(fd_);
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_ = -1;
};

// Opens `path` beneath `dir` without leaving it and without following any symbolic link.
int open_beneath(int dir, const std::string& path, int flags, mode_t mode = 0) {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return static_cast<int>(fd);
}

// One file name for any object name: `%`, `/` and a leading `.` are percent-encoded, so an
// object name never reaches the filesystem as a path and hidden names stay free for the
// store's own temporary files.
std::string file_name_of(std::string_view object) {
    std::string out;
    out.reserve(object.size());
    for (size_t i = 0; i < object.size(); ++i) {
        char c = object[i];
        if (c == '%' || c == '/' || (i == 0 && c == '.'))
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

std::string object_name_of(std::string_view file) {
    std::string out;
    for (size_t i = 0; i < file.size(); ++i) {
        if (file[i] == '%') {
            auto hex = [](char h) -> int {
                if (h >= '0' && h <= '9') return h - '0';
                if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                return -1;
            };
            int hi = i + 1 < file.size() ? hex(file[i + 1]) : -1;
            int lo = i + 2 < file.size() ? hex(file[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += file[i];
    }
    return out;
}

uint64_t created_seconds(int dir, const char* name) {
    struct statx sx;
    if (::statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_BTIME | STATX_MTIME, &sx) !=
        0)
        return 0;
    if (sx.stx_mask & STATX_BTIME) return static_cast<uint64_t>(sx.stx_btime.tv_sec);
    return static_cast<uint64_t>(sx.stx_mtime.tv_sec);
}

class FdReader final : public BlobReader {
public:
    FdReader(Fd fd, uint64_t offset, uint64_t length)
        : fd_(std::move(fd)), offset_(offset), left_(length) {}
    Result<size_t> read(std::span<uint8_t> buf) override {
        size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), left_));
        if (want == 0) return size_t{0};
        ssize_t n;
        do {
            n = ::pread(fd_.get(), buf.data(), want, static_cast<off_t>(offset_));
        } while (n < 0 && errno == EINTR);
        if (n < 0) return io_error("blob store: read");
        // The file was replaced by rename, so this descriptor's bytes cannot shrink; a short
        // read here means the end.
        if (n == 0) left_ = 0;
        offset_ += static_cast<uint64_t>(n);
        left_ -= std::min<uint64_t>(left_, static_cast<uint64_t>(n));
        return static_cast<size_t>(n);
    }
    uint64_t remaining() const override { return left_; }

private:
    Fd fd_;
    uint64_t offset_;
    uint64_t left_;
};

class FsBlobStore final : public BlobStore {
public:
    FsBlobStore(Fd root, std::string temp_root)
        : root_(std::move(root)), temp_(std::move(temp_root)) {}
    ~FsBlobStore() override {
        if (!temp_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(temp_, ec);
        }
    }

    Result<void> create_container(std::string_view name) override {
        CIRRUS_TRY(check_container_name(name));
        std::string n(name);
        if (::mkdirat(root_.get(), n.c_str(), 0755) != 0) {
            if (errno == EEXIST)
                return Error(ErrorKind::Usage, fmt::format("container `{}` already exists", name));
            return io_error(fmt::format("blob store: create container `{}`", name));
        }
        return {};
    }

    Result<bool> container_exists(std::string_view name) override {
        CIRRUS_TRY(check_container_name(name));
        Fd d(open_beneath(root_.get(), std::string(name), O_RDONLY | O_DIRECTORY));
        if (d.get() >= 0) return true;
        if (errno == ENOENT) return false;
        return container_error(name);
    }

    Result<ContainerInfo> container_info(std::string_view name) override {
        CIRRUS_TRY_ASSIGN(Fd d, open_container(name));
        return ContainerInfo{std::string(name), created_seconds(d.get(), "")};
    }

    Result<void> delete_container(std::string_view name) override {
        CIRRUS_TRY_ASSIGN(Fd d, open_container(name));
        CIRRUS_TRY(remove_all_files(d.get(), name));
        if (::unlinkat(root_.get(), std::string(name).c_str(), AT_REMOVEDIR) != 0)
            return io_error(fmt::format("blob store: delete container `{}`", name));
        return {};
    }

    Result<std::vector<std::string>> list_objects(std::string_view container) override {
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        std::vector<std::string> names;
        CIRRUS_TRY(each_file(d.get(), container, [&](const char* file) {
            names.push_back(object_name_of(file));
            return Result<void>();
        }));
        return names;
    }

    Result<void> write_object(std::string_view container, std::string_view name,
                              std::span<const uint8_t> data) override {
        CIRRUS_TRY(check_object_name(name));
        if (data.size() > max_object_size)
            return Error(ErrorKind::Limit,
                         fmt::format("object `{}` is {} bytes, more than the {} this store takes",
                                     name, data.size(), max_object_size));
        CIRRUS_TRY_ASSIGN(std::string file, file_for(name));
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        static std::atomic<uint64_t> counter{0};
        std::string tmp = fmt::format(".w{}-{}", ::getpid(), counter++);
        Fd f(open_beneath(d.get(), tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
        if (f.get() < 0) return io_error(fmt::format("blob store: write `{}`", name));
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::write(f.get(), data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                Error e = io_error(fmt::format("blob store: write `{}`", name));
                ::unlinkat(d.get(), tmp.c_str(), 0);
                return e;
            }
            done += static_cast<size_t>(n);
        }
        if (::renameat(d.get(), tmp.c_str(), d.get(), file.c_str()) != 0) {
            Error e = io_error(fmt::format("blob store: write `{}`", name));
            ::unlinkat(d.get(), tmp.c_str(), 0);
            return e;
        }
        return {};
    }

    Result<std::unique_ptr<BlobReader>> read_object(std::string_view container,
                                                    std::string_view name, uint64_t start,
                                                    uint64_t end) override {
        if (start > end)
            return Error(ErrorKind::Usage,
                         fmt::format("range start {} is after its end {}", start, end));
        CIRRUS_TRY_ASSIGN(Fd f, open_object(container, name));
        struct stat st;
        if (::fstat(f.get(), &st) != 0) return io_error("blob store: stat");
        uint64_t size = static_cast<uint64_t>(st.st_size);
        uint64_t len = start >= size ? 0 : std::min(end, size - 1) - start + 1;
        return std::unique_ptr<BlobReader>(std::make_unique<FdReader>(std::move(f), start, len));
    }

    Result<ObjectInfo> object_info(std::string_view container, std::string_view name) override {
        CIRRUS_TRY_ASSIGN(Fd f, open_object(container, name));
        struct stat st;
        if (::fstat(f.get(), &st) != 0) return io_error("blob store: stat");
        return ObjectInfo{std::string(name), std::string(container),
                          static_cast<uint64_t>(st.st_mtim.tv_sec),
                          static_cast<uint64_t>(st.st_size)};
    }

    Result<bool> has_object(std::string_view container, std::string_view name) override {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY_ASSIGN(std::string file, file_for(name));
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        struct stat st;
        if (::fstatat(d.get(), file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
            return S_ISREG(st.st_mode);
        if (errno == ENOENT) return false;
        return io_error(fmt::format("blob store: object `{}`", name));
    }

    Result<void> delete_object(std::string_view container, std::string_view name) override {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY_ASSIGN(std::string file, file_for(name));
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        if (::unlinkat(d.get(), file.c_str(), 0) != 0 && errno != ENOENT)
            return io_error(fmt::format("blob store: delete `{}`", name));
        return {};
    }

    Result<void> clear(std::string_view container) override {
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        return remove_all_files(d.get(), container);
    }

    Result<void> move_object(std::string_view src_container, std::string_view src,
                             std::string_view dest_container, std::string_view dest) override {
        CIRRUS_TRY(check_object_name(src));
        CIRRUS_TRY(check_object_name(dest));
        CIRRUS_TRY_ASSIGN(std::string from, file_for(src));
        CIRRUS_TRY_ASSIGN(std::string to, file_for(dest));
        CIRRUS_TRY_ASSIGN(Fd s, open_container(src_container));
        CIRRUS_TRY_ASSIGN(Fd d, open_container(dest_container));
        struct stat st;
        if (::fstatat(s.get(), from.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            return no_object(src_container, src);
        if (::renameat(s.get(), from.c_str(), d.get(), to.c_str()) != 0)
            return io_error(fmt::format("blob store: move `{}`", src));
        return {};
    }

private:
    Error container_error(std::string_view name) {
        if (errno == ENOENT || errno == ENOTDIR)
            return Error(ErrorKind::Usage, fmt::format("no container `{}`", name));
        if (errno == ELOOP || errno == EXDEV)
            return Error(ErrorKind::Usage,
                         fmt::format("container `{}` is a link that leads out of the store", name));
        return io_error(fmt::format("blob store: container `{}`", name));
    }

    Error no_object(std::string_view container, std::string_view name) {
        return Error(ErrorKind::Usage,
                     fmt::format("no object `{}` in container `{}`", name, container));
    }

    Result<Fd> open_container(std::string_view name) {
        CIRRUS_TRY(check_container_name(name));
        Fd d(open_beneath(root_.get(), std::string(name), O_RDONLY | O_DIRECTORY));
        if (d.get() < 0) return container_error(name);
        return d;
    }

    Result<std::string> file_for(std::string_view object) {
        std::string file = file_name_of(object);
        if (file.size() > 255)
            return Error(ErrorKind::Usage,
                         fmt::format("object name is {} bytes once encoded for the filesystem "
                                     "store, more than 255",
                                     file.size()));
        return file;
    }

    Result<Fd> open_object(std::string_view container, std::string_view name) {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY_ASSIGN(std::string file, file_for(name));
        CIRRUS_TRY_ASSIGN(Fd d, open_container(container));
        Fd f(open_beneath(d.get(), file, O_RDONLY));
        if (f.get() < 0) {
            if (errno == ENOENT) return no_object(container, name);
            if (errno == ELOOP)
                return Error(
                    ErrorKind::Usage,
                    fmt::format("object `{}` is a link, which the store does not follow", name));
            return io_error(fmt::format("blob store: object `{}`", name));
        }
        struct stat st;
        if (::fstat(f.get(), &st) != 0) return io_error("blob store: stat");
        if (!S_ISREG(st.st_mode)) return no_object(container, name);
        return f;
    }

    template <typename F>
    Result<void> each_file(int dir, std::string_view container, F&& fn) {
        int dup = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup < 0) return io_error(fmt::format("blob store: list `{}`", container));
        DIR* dp = ::fdopendir(dup);
        if (!dp) {
            ::close(dup);
            return io_error(fmt::format("blob store: list `{}`", container));
        }
        Result<void> r;
        while (struct dirent* e = ::readdir(dp)) {
            if (e->d_name[0] == '.') continue; // ., .. and the store's temporary files
            if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
            r = fn(e->d_name);
            if (!r.ok()) break;
        }
        ::closedir(dp);
        return r;
    }

    Result<void> remove_all_files(int dir, std::string_view container) {
        std::vector<std::string> files;
        int dup = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup < 0) return io_error(fmt::format("blob store: clear `{}`", container));
        DIR* dp = ::fdopendir(dup);
        if (!dp) {
            ::close(dup);
            return io_error(fmt::format("blob store: clear `{}`", container));
        }
        while (struct dirent* e = ::readdir(dp)) {
            std::string_view n = e->d_name;
            if (n == "." || n == "..") continue;
            files.emplace_back(n);
        }
        ::closedir(dp);
        for (const auto& f : files) {
            if (::unlinkat(dir, f.c_str(), 0) != 0 && errno != ENOENT)
                return io_error(fmt::format("blob store: clear `{}`", container));
        }
        return {};
    }

    Fd root_;
    std::string temp_;
};

} // namespace

Result<void> check_container_name(std::string_view name) {
    if (name.empty()) return Error(ErrorKind::Usage, "container name is empty");
    if (name.size() > 255)
        return Error(ErrorKind::Usage,
                     fmt::format("container name is {} bytes, at most 255", name.size()));
    if (name == "." || name == "..")
        return Error(ErrorKind::Usage, fmt::format("container name `{}` is not allowed", name));
    for (char c : name) {
        if (c == '/' || c == '\\')
            return Error(ErrorKind::Usage,
                         fmt::format("container name `{}` has a path separator", name));
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return Error(ErrorKind::Usage, "container name has a control character");
    }
    if (!valid_utf8(name)) return Error(ErrorKind::Usage, "container name is not UTF-8");
    return {};
}

Result<void> check_object_name(std::string_view name) {
    if (name.empty()) return Error(ErrorKind::Usage, "object name is empty");
    if (name.size() > 1024)
        return Error(ErrorKind::Usage,
                     fmt::format("object name is {} bytes, at most 1024", name.size()));
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return Error(ErrorKind::Usage, "object name has a control character");
    }
    if (!valid_utf8(name)) return Error(ErrorKind::Usage, "object name is not UTF-8");
    if (name.front() == '/')
        return Error(ErrorKind::Usage, fmt::format("object name `{}` is an absolute path", name));
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t slash = name.find('/', pos);
        std::string_view seg = name.substr(
            pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (seg.empty() || seg == "." || seg == "..")
            return Error(ErrorKind::Usage, fmt::format("object name `{}` has a `{}` path segment",
                                                       name, seg.empty() ? "" : seg));
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return {};
}

namespace {

class MemoryReader final : public BlobReader {
public:
    explicit MemoryReader(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
    Result<size_t> read(std::span<uint8_t> buf) override {
        size_t n = std::min(buf.size(), bytes_.size() - pos_);
        std::memcpy(buf.data(), bytes_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    uint64_t remaining() const override { return bytes_.size() - pos_; }

private:
    std::vector<uint8_t> bytes_;
    size_t pos_ = 0;
};

} // namespace

std::unique_ptr<BlobReader> memory_reader(std::vector<uint8_t> bytes) {
    return std::make_unique<MemoryReader>(std::move(bytes));
}

Result<void> BlobStore::copy_object(std::string_view src_container, std::string_view src,
                                    std::string_view dest_container, std::string_view dest) {
    CIRRUS_TRY_ASSIGN(ObjectInfo info, object_info(src_container, src));
    if (info.size > max_object_size)
        return Error(ErrorKind::Limit, fmt::format("object `{}` is too large to copy", src));
    CIRRUS_TRY(container_info(dest_container));
    CIRRUS_TRY_ASSIGN(auto reader, read_object(src_container, src, 0, UINT64_MAX));
    std::vector<uint8_t> bytes(reader->remaining());
    size_t got = 0;
    while (got < bytes.size()) {
        CIRRUS_TRY_ASSIGN(size_t n, reader->read(std::span(bytes).subspan(got)));
        if (n == 0) break;
        got += n;
    }
    bytes.resize(got);
    return write_object(dest_container, dest, bytes);
}

Result<void> BlobStore::move_object(std::string_view src_container, std::string_view src,
                                    std::string_view dest_container, std::string_view dest) {
    if (src_container == dest_container && src == dest) {
        CIRRUS_TRY(object_info(src_container, src));
        return {};
    }
    CIRRUS_TRY(copy_object(src_container, src, dest_container, dest));
    return delete_object(src_container, src);
}

Result<std::unique_ptr<BlobStore>> open_fs_blob_store(const std::string& root) {
    std::string dir = root;
    std::string temp;
    if (dir.empty()) {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "cirrus-blobs-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) return io_error("blob store: temporary directory");
        dir = temp = tmpl;
    } else {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec)
            return Error(ErrorKind::Io,
                         fmt::format("blob store: cannot create {}: {}", dir, ec.message()));
    }
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return io_error(fmt::format("blob store: cannot open {}", dir));
    return std::unique_ptr<BlobStore>(std::make_unique<FsBlobStore>(std::move(fd), temp));
}

} // namespace cirrus::capabilities
