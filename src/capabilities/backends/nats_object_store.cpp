// The NATS JetStream object store as a blob store (blob.h), speaking the object store's own
// layout (NATS ADR-20) so `nats object` tools see the same buckets: a container is the stream
// OBJ_<container> with subjects $O.<container>.C.> (chunks) and $O.<container>.M.> (one
// metadata message per object, subject suffix base64url(name), replaced by rollup). An object
// is written as chunks under a fresh id, then its metadata; chunks of the version it replaced
// are purged after. Every publish is acknowledged by the server (js_Publish) before write
// returns, so an object a guest was told is stored survives a server restart.
#include "blob.h"
#include "nats_conn.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <ctime>
#include <mutex>

#include <sys/random.h>

namespace cirrus::capabilities {

namespace {

constexpr size_t chunk_size = 128 * 1024;

std::string base64url(std::span<const uint8_t> in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += abc[(v >> s) & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t v = in[i] << 16;
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += abc[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string encode_name(std::string_view name) {
    return base64url({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
}

std::string new_nuid() {
    static const char* abc = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint8_t raw[22];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n > 0) got += static_cast<size_t>(n);
    }
    std::string out;
    for (uint8_t b : raw) out += abc[b % 62];
    return out;
}

std::string sha256_digest(std::span<const uint8_t> data) {
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return "SHA-256=" + base64url({md, len});
}

std::string rfc3339_now() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

uint64_t rfc3339_seconds(const std::string& s) {
    std::tm tm{};
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : static_cast<uint64_t>(t);
}

struct Meta {
    std::string name, nuid, mtime;
    uint64_t size = 0, chunks = 0;
    bool deleted = false;
};

struct MsgPtr {
    natsMsg* m = nullptr;
    ~MsgPtr() { natsMsg_Destroy(m); }
};
struct SubPtr {
    natsSubscription* s = nullptr;
    ~SubPtr() {
        if (s) {
            natsSubscription_Unsubscribe(s);
            natsSubscription_Destroy(s);
        }
    }
};

class NatsObjectStore final : public BlobStore {
public:
    NatsObjectStore(std::unique_ptr<NatsConnection> conn, jsCtx* js)
        : conn_(std::move(conn)), js_(js) {}
    ~NatsObjectStore() override { jsCtx_Destroy(js_); }

    Result<void> create_container(std::string_view name) override {
        CIRRUS_TRY(check_name(name));
        CIRRUS_TRY(up("create container"));
        CIRRUS_TRY_ASSIGN(bool exists, container_exists(name));
        if (exists)
            return Error(ErrorKind::Usage, fmt::format("container `{}` already exists", name));
        std::string stream = stream_of(name);
        std::string chunks = fmt::format("$O.{}.C.>", name), metas = fmt::format("$O.{}.M.>", name);
        const char* subjects[] = {chunks.c_str(), metas.c_str()};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = stream.c_str();
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 2;
        cfg.Storage = js_FileStorage;
        cfg.Discard = js_DiscardNew;
        cfg.AllowRollup = true;
        cfg.AllowDirect = true;
        jsStreamInfo* si = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK) return js_error(fmt::format("create container `{}`", name), s);
        return {};
    }

    Result<bool> container_exists(std::string_view name) override {
        CIRRUS_TRY(check_name(name));
        CIRRUS_TRY(up("container exists"));
        jsStreamInfo* si = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_GetStreamInfo(&si, js_, stream_of(name).c_str(), nullptr, &jerr);
        jsStreamInfo_Destroy(si);
        if (s == NATS_NOT_FOUND) return false;
        if (s != NATS_OK) return js_error(fmt::format("container `{}`", name), s);
        return true;
    }

    Result<ContainerInfo> container_info(std::string_view name) override {
        CIRRUS_TRY(check_name(name));
        CIRRUS_TRY(up("container info"));
        jsStreamInfo* si = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_GetStreamInfo(&si, js_, stream_of(name).c_str(), nullptr, &jerr);
        if (s == NATS_NOT_FOUND) return no_container(name);
        if (s != NATS_OK) return js_error(fmt::format("container `{}`", name), s);
        uint64_t created = si->Created > 0 ? static_cast<uint64_t>(si->Created) / 1000000000 : 0;
        jsStreamInfo_Destroy(si);
        return ContainerInfo{std::string(name), created};
    }

    Result<void> delete_container(std::string_view name) override {
        CIRRUS_TRY(check_name(name));
        CIRRUS_TRY(up("delete container"));
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_DeleteStream(js_, stream_of(name).c_str(), nullptr, &jerr);
        if (s == NATS_NOT_FOUND) return no_container(name);
        if (s != NATS_OK) return js_error(fmt::format("delete container `{}`", name), s);
        return {};
    }

    Result<std::vector<std::string>> list_objects(std::string_view container) override {
        CIRRUS_TRY(require_container(container));
        std::vector<std::string> names;
        CIRRUS_TRY(each_meta(container, [&](const Meta& m) { names.push_back(m.name); }));
        return names;
    }

    Result<void> write_object(std::string_view container, std::string_view name,
                              std::span<const uint8_t> data) override {
        CIRRUS_TRY(check_object_name(name));
        if (data.size() > max_object_size)
            return Error(ErrorKind::Limit,
                         fmt::format("object `{}` is {} bytes, more than the {} this store takes",
                                     name, data.size(), max_object_size));
        CIRRUS_TRY(require_container(container));
        auto old = get_meta(container, name);
        std::string nuid = new_nuid();
        std::string chunk_subject = fmt::format("$O.{}.C.{}", container, nuid);
        uint64_t chunks = 0;
        for (size_t off = 0; off < data.size(); off += chunk_size) {
            size_t n = std::min(chunk_size, data.size() - off);
            CIRRUS_TRY(publish(chunk_subject, data.subspan(off, n), false, name));
            ++chunks;
        }
        nlohmann::json meta = {
            {"name", std::string(name)},
            {"bucket", std::string(container)},
            {"nuid", nuid},
            {"size", data.size()},
            {"mtime", rfc3339_now()},
            {"chunks", chunks},
            {"digest", sha256_digest(data)},
            {"options", {{"max_chunk_size", chunk_size}}},
        };
        std::string text = meta.dump();
        auto wrote =
            publish(meta_subject(container, name),
                    {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, true, name);
        if (!wrote.ok()) {
            purge(container, chunk_subject);
            return wrote;
        }
        if (old.ok() && !old->deleted && !old->nuid.empty())
            purge(container, fmt::format("$O.{}.C.{}", container, old->nuid));
        return {};
    }

    Result<std::unique_ptr<BlobReader>> read_object(std::string_view container,
                                                    std::string_view name, uint64_t start,
                                                    uint64_t end) override {
        if (start > end)
            return Error(ErrorKind::Usage,
                         fmt::format("range start {} is after its end {}", start, end));
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY_ASSIGN(Meta m, live_meta(container, name));
        if (m.size > max_object_size)
            return Error(ErrorKind::Limit, fmt::format("object `{}` is too large to read", name));
        std::vector<uint8_t> all;
        all.reserve(m.size);
        if (m.chunks > 0) {
            std::string subject = fmt::format("$O.{}.C.{}", container, m.nuid);
            CIRRUS_TRY(consume(container, subject, false, m.chunks, [&](natsMsg* msg) {
                const char* d = natsMsg_GetData(msg);
                int n = natsMsg_GetDataLength(msg);
                if (d && n > 0) all.insert(all.end(), d, d + n);
            }));
        }
        if (all.size() != m.size)
            return Error(ErrorKind::Io, fmt::format("object `{}` is incomplete in the store "
                                                    "({} of {} bytes)",
                                                    name, all.size(), m.size));
        if (start >= all.size()) return memory_reader({});
        uint64_t last = std::min<uint64_t>(end, all.size() - 1);
        std::vector<uint8_t> part(all.begin() + static_cast<ptrdiff_t>(start),
                                  all.begin() + static_cast<ptrdiff_t>(last + 1));
        return memory_reader(std::move(part));
    }

    Result<ObjectInfo> object_info(std::string_view container, std::string_view name) override {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY_ASSIGN(Meta m, live_meta(container, name));
        return ObjectInfo{m.name, std::string(container), rfc3339_seconds(m.mtime), m.size};
    }

    Result<bool> has_object(std::string_view container, std::string_view name) override {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY(require_container(container));
        auto m = get_meta(container, name);
        if (!m.ok()) {
            if (m.error().kind == ErrorKind::Usage) return false;
            return std::move(m).error();
        }
        return !m->deleted;
    }

    Result<void> delete_object(std::string_view container, std::string_view name) override {
        CIRRUS_TRY(check_object_name(name));
        CIRRUS_TRY(require_container(container));
        auto m = get_meta(container, name);
        if (!m.ok()) {
            if (m.error().kind == ErrorKind::Usage) return {};
            return std::move(m).error();
        }
        if (m->deleted) return {};
        nlohmann::json meta = {{"name", std::string(name)},
                               {"bucket", std::string(container)},
                               {"nuid", m->nuid},
                               {"size", 0},
                               {"mtime", rfc3339_now()},
                               {"chunks", 0},
                               {"deleted", true}};
        std::string text = meta.dump();
        CIRRUS_TRY(publish(meta_subject(container, name),
                           {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, true,
                           name));
        purge(container, fmt::format("$O.{}.C.{}", container, m->nuid));
        return {};
    }

    Result<void> clear(std::string_view container) override {
        CIRRUS_TRY(require_container(container));
        jsOptions o;
        jsOptions_Init(&o);
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_PurgeStream(js_, stream_of(container).c_str(), &o, &jerr);
        if (s != NATS_OK) return js_error(fmt::format("clear `{}`", container), s);
        return {};
    }

private:
    static std::string stream_of(std::string_view container) {
        return fmt::format("OBJ_{}", container);
    }
    static std::string meta_subject(std::string_view container, std::string_view name) {
        return fmt::format("$O.{}.M.{}", container, encode_name(name));
    }

    // Container names become stream names and subject tokens: JetStream allows less than the
    // filesystem store.
    static Result<void> check_name(std::string_view name) {
        CIRRUS_TRY(check_container_name(name));
        for (char c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
                return Error(ErrorKind::Usage,
                             fmt::format("container name `{}`: the NATS object store takes only "
                                         "letters, digits, `-` and `_`",
                                         name));
        }
        return {};
    }

    Result<void> up(std::string_view what) const { return conn_->check_connected(what); }

    Error js_error(std::string what, natsStatus s) const {
        if (natsConnection_Status(conn_->get()) != NATS_CONN_STATUS_CONNECTED)
            return Error(ErrorKind::Io,
                         fmt::format("{}: NATS server {} unavailable", what, conn_->url()));
        return nats_error(what, s);
    }

    Error no_container(std::string_view name) const {
        return Error(ErrorKind::Usage, fmt::format("no container `{}`", name));
    }

    Result<void> require_container(std::string_view container) {
        CIRRUS_TRY_ASSIGN(bool exists, container_exists(container));
        if (!exists) return no_container(container);
        return {};
    }

    Result<void> publish(const std::string& subject, std::span<const uint8_t> data, bool rollup,
                         std::string_view object) {
        natsMsg* raw = nullptr;
        natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr,
                                      reinterpret_cast<const char*>(data.data()),
                                      static_cast<int>(data.size()));
        MsgPtr msg{raw};
        if (s == NATS_OK && rollup) s = natsMsgHeader_Set(raw, "Nats-Rollup", "sub");
        jsPubAck* ack = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        if (s == NATS_OK) s = js_PublishMsg(&ack, js_, raw, nullptr, &jerr);
        jsPubAck_Destroy(ack);
        if (s != NATS_OK) return js_error(fmt::format("write `{}`", object), s);
        return {};
    }

    void purge(std::string_view container, const std::string& subject) {
        jsOptions o;
        jsOptions_Init(&o);
        o.Stream.Purge.Subject = subject.c_str();
        jsErrCode jerr = static_cast<jsErrCode>(0);
        (void)js_PurgeStream(js_, stream_of(container).c_str(), &o, &jerr);
    }

    // The newest metadata of an object; a Usage error when it never existed.
    Result<Meta> get_meta(std::string_view container, std::string_view name) {
        CIRRUS_TRY(up("object info"));
        natsMsg* raw = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_GetLastMsg(&raw, js_, stream_of(container).c_str(),
                                     meta_subject(container, name).c_str(), nullptr, &jerr);
        MsgPtr msg{raw};
        if (s == NATS_NOT_FOUND)
            return Error(ErrorKind::Usage,
                         fmt::format("no object `{}` in container `{}`", name, container));
        if (s != NATS_OK) return js_error(fmt::format("object `{}`", name), s);
        return parse_meta(raw);
    }

    Result<Meta> live_meta(std::string_view container, std::string_view name) {
        CIRRUS_TRY(require_container(container));
        CIRRUS_TRY_ASSIGN(Meta m, get_meta(container, name));
        if (m.deleted)
            return Error(ErrorKind::Usage,
                         fmt::format("no object `{}` in container `{}`", name, container));
        return m;
    }

    static Result<Meta> parse_meta(natsMsg* msg) {
        const char* d = natsMsg_GetData(msg);
        int n = natsMsg_GetDataLength(msg);
        auto j = nlohmann::json::parse(d ? d : "", d ? d + n : nullptr, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return Error(ErrorKind::Io, "object store: metadata is not JSON");
        Meta m;
        m.name = j.value("name", "");
        m.nuid = j.value("nuid", "");
        m.mtime = j.value("mtime", "");
        m.size = j.value("size", uint64_t{0});
        m.chunks = j.value("chunks", uint64_t{0});
        m.deleted = j.value("deleted", false);
        return m;
    }

    template <typename F>
    Result<void> each_meta(std::string_view container, F&& fn) {
        return consume(container, fmt::format("$O.{}.M.>", container), true, 0, [&](natsMsg* msg) {
            auto m = parse_meta(msg);
            if (m.ok() && !m->deleted) fn(*m);
        });
    }

    // Reads the messages on `subject` from an ephemeral consumer: all of them (`last_per_subject`
    // false, `count` known) or the newest per subject (count taken from the consumer).
    template <typename F>
    Result<void> consume(std::string_view container, const std::string& subject,
                         bool last_per_subject, uint64_t count, F&& fn) {
        CIRRUS_TRY(up("read"));
        std::string stream = stream_of(container);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = stream.c_str();
        so.Config.DeliverPolicy = last_per_subject ? js_DeliverLastPerSubject : js_DeliverAll;
        so.Config.AckPolicy = js_AckNone;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        SubPtr sub;
        natsStatus s = js_SubscribeSync(&sub.s, js_, subject.c_str(), nullptr, &so, &jerr);
        if (s != NATS_OK) return js_error("read", s);
        if (last_per_subject) {
            jsConsumerInfo* ci = nullptr;
            s = natsSubscription_GetConsumerInfo(&ci, sub.s, nullptr, &jerr);
            if (s != NATS_OK) return js_error("read", s);
            // Counted at one instant by the server: what was pushed to us already and what is
            // still to come.
            count = ci->Delivered.Consumer + ci->NumPending;
            jsConsumerInfo_Destroy(ci);
        }
        for (uint64_t i = 0; i < count; ++i) {
            natsMsg* raw = nullptr;
            s = natsSubscription_NextMsg(&raw, sub.s, 2000);
            MsgPtr msg{raw};
            if (s != NATS_OK) return js_error("read", s);
            fn(raw);
        }
        return {};
    }

    std::unique_ptr<NatsConnection> conn_;
    jsCtx* js_;
};

} // namespace

Result<std::unique_ptr<BlobStore>> open_nats_object_store(const std::string& url) {
    CIRRUS_TRY_ASSIGN(auto conn, NatsConnection::open(url));
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = 2000;
    jsCtx* js = nullptr;
    natsStatus s = natsConnection_JetStream(&js, conn->get(), &o);
    if (s != NATS_OK) return nats_error("NATS JetStream", s);
    return std::unique_ptr<BlobStore>(std::make_unique<NatsObjectStore>(std::move(conn), js));
}

} // namespace cirrus::capabilities
