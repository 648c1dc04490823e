// wasi:blobstore@0.2.0-draft over a blob store backend (backends/blob.h): `blobstore`
// (containers by name, copy and move), `container` (objects: get-data, write-data, list with
// pagination through stream-object-names, metadata, delete, clear) and `types` (outgoing-value
// written through a wasi:io output-stream, incoming-value read whole or through a wasi:io
// input-stream; the streams are the WASI host's, see wasi::Host::input_stream). Backends: `fs`
// (the embedded default: a directory, --data-dir's blobstore/ or a temporary one) and `nats`
// (the JetStream object store). Every backend failure, a server that is down included, reaches
// the guest as the interface's `error` string; only a handle that is not live traps.
#include "blob.h"
#include "families.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>

namespace cirrus::capabilities {

using component::Field;
using component::TypeKind;
using component::Val;
using component::ValType;

namespace {

// The bytes an outgoing-value collects from its output-stream, shared with that stream.
struct OutgoingBody {
    std::vector<uint8_t> bytes;
    uint64_t limit = 0;
    bool stream_taken = false;
    bool finished = false;
    // write-data's target, written again at finish when more bytes came after it.
    std::optional<std::pair<std::string, std::string>> target;
    size_t written_size = 0;
};

class BodySink final : public wasi::StreamSink {
public:
    explicit BodySink(std::shared_ptr<OutgoingBody> body) : body_(std::move(body)) {}
    Result<void> write(std::span<const uint8_t> data) override {
        if (body_->finished) return Error(ErrorKind::Usage, "the outgoing-value is finished");
        if (body_->bytes.size() + data.size() > body_->limit)
            return Error(
                ErrorKind::Limit,
                fmt::format("blob value larger than the {} bytes the store takes", body_->limit));
        body_->bytes.insert(body_->bytes.end(), data.begin(), data.end());
        return {};
    }

private:
    std::shared_ptr<OutgoingBody> body_;
};

class ReaderSource final : public wasi::StreamSource {
public:
    explicit ReaderSource(std::unique_ptr<BlobReader> r) : reader_(std::move(r)) {}
    Result<std::vector<uint8_t>> read(size_t max) override {
        std::vector<uint8_t> buf(
            static_cast<size_t>(std::min<uint64_t>(max, reader_->remaining())));
        if (buf.empty()) return buf;
        CIRRUS_TRY_ASSIGN(size_t n, reader_->read(buf));
        buf.resize(n);
        return buf;
    }

private:
    std::unique_ptr<BlobReader> reader_;
};

struct Incoming {
    std::unique_ptr<BlobReader> reader;
    uint64_t size = 0;
};

struct NameStream {
    std::vector<std::string> names;
    size_t next = 0;
};

constexpr const char* types_iface = "wasi:blobstore/types";
constexpr const char* container_iface = "wasi:blobstore/container";
constexpr const char* blobstore_iface = "wasi:blobstore/blobstore";

class BlobstoreProvider : public Provider {
public:
    explicit BlobstoreProvider(std::unique_ptr<BlobStore> store) : store_(std::move(store)) {}
    std::unique_ptr<ProviderSession> session() override;
    BlobStore& store() { return *store_; }

private:
    std::unique_ptr<BlobStore> store_;
};

Val error_val(const Error& e) {
    return Val::err(Val::string(e.message));
}
Val error_val(std::string message) {
    return Val::err(Val::string(std::move(message)));
}
std::optional<Val> some(Val v) {
    return std::optional<Val>(std::move(v));
}
Val bytes_val(const std::vector<uint8_t>& b) {
    return Val::bytes(std::span<const uint8_t>(b));
}

class BlobstoreSession : public ProviderSession {
public:
    explicit BlobstoreSession(BlobstoreProvider& p) : p_(p) {}

    void define(component::Linker& linker, const std::string& import_name) override {
        component::TypeArena& a = linker.types();
        if (!types_) make_types(a);
        std::string_view iface = unversioned(import_name);
        if (iface == types_iface) {
            define_resources(linker, import_name, {&*outgoing_, &*incoming_});
            define_types(linker, import_name);
        } else if (iface == container_iface) {
            define_resources(linker, import_name,
                             {&*container_, &*names_, &*outgoing_, &*incoming_});
            define_container(linker, import_name);
        } else if (iface == blobstore_iface) {
            define_resources(linker, import_name, {&*container_});
            define_blobstore(linker, import_name);
        }
    }

private:
    struct Types {
        const ValType* string;
        const ValType* u64;
        const ValType* error;
        const ValType* container_metadata;
        const ValType* object_metadata;
        const ValType* object_id;
        const ValType* unit_result;
    };

    void make_types(component::TypeArena& a) {
        TypeBuilder t(a);
        Types ty;
        ty.string = t.string();
        ty.u64 = TypeBuilder::prim(TypeKind::U64);
        ty.error = t.string();
        ty.container_metadata = a.record({Field{"name", ty.string}, Field{"created-at", ty.u64}});
        ty.object_metadata = a.record({Field{"name", ty.string}, Field{"container", ty.string},
                                       Field{"created-at", ty.u64}, Field{"size", ty.u64}});
        ty.object_id = a.record({Field{"container", ty.string}, Field{"object", ty.string}});
        ty.unit_result = a.result(nullptr, ty.error);
        types_ = ty;
        outgoing_.emplace(a, "outgoing-value", types_iface);
        incoming_.emplace(a, "incoming-value", types_iface);
        container_.emplace(a, "container", container_iface);
        names_.emplace(a, "stream-object-names", container_iface);
        // Declared by wasi:io/streams (the WASI host's); only named here so the interfaces that
        // `use` them can be defined. Handles of them come from the WASI host.
        input_stream_.emplace(a, "input-stream", "wasi:io/streams");
        output_stream_.emplace(a, "output-stream", "wasi:io/streams");
        async_body_.emplace(a, "incoming-value-async-body", "wasi:io/streams");
    }

    void define_resources(component::Linker& linker, const std::string& instance,
                          std::initializer_list<HostResource*> own) {
        for (HostResource* r : own) {
            r->define(linker, instance, [this, r](uint32_t rep) { drop(r, rep); });
        }
        input_stream_->define(linker, instance, {});
        output_stream_->define(linker, instance, {});
        // types' `type incoming-value-async-body = input-stream` is one more name for it.
        if (unversioned(instance) == types_iface) async_body_->define(linker, instance, {});
    }

    void drop(HostResource* r, uint32_t rep) {
        if (r == &*outgoing_) outgoing_values_.erase(rep);
        if (r == &*incoming_) incoming_values_.erase(rep);
        if (r == &*container_) containers_.erase(rep);
        if (r == &*names_) name_streams_.erase(rep);
    }

    template <typename T>
    Result<T*> get(HandleTable<T>& table, const Val& handle, const char* what) {
        T* obj = table.get(handle.rep());
        if (!obj)
            return Error(ErrorKind::Trap,
                         fmt::format("wasi:blobstore: handle is not a live `{}`", what));
        return obj;
    }

    using Impl = std::function<Result<std::optional<Val>>(std::span<const Val>)>;
    void def(component::Linker& linker, const std::string& instance, const char* name,
             const component::FuncType* type, Impl impl) {
        linker.define_func(
            instance, name, type,
            [impl = std::move(impl)](component::CallContext&, std::span<const Val> args) {
                return impl(args);
            });
    }

    void define_types(component::Linker& linker, const std::string& in) {
        TypeBuilder t(linker.types());
        const Types& ty = *types_;
        def(linker, in, "[static]outgoing-value.new-outgoing-value",
            t.func({}, outgoing_->own_type()), [this](std::span<const Val>) {
                auto body = std::make_shared<OutgoingBody>();
                body->limit = p_.store().max_object_size;
                return Result<std::optional<Val>>(
                    some(outgoing_->own(outgoing_values_.insert(std::move(body)))));
            });
        def(linker, in, "[method]outgoing-value.outgoing-value-write-body",
            t.func({{"self", outgoing_->borrow_type()}},
                   t.a.result(output_stream_->own_type(), nullptr)),
            [this](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(auto* body, get(outgoing_values_, a[0], "outgoing-value"));
                // At most once, and only with a WASI host to serve the stream.
                if ((*body)->stream_taken || !wasi) return some(Val::err(std::nullopt));
                (*body)->stream_taken = true;
                return some(Val::ok(wasi->output_stream(std::make_unique<BodySink>(*body))));
            });
        def(linker, in, "[static]outgoing-value.finish",
            t.func({{"this", outgoing_->own_type()}}, ty.unit_result),
            [this](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(auto* slot, get(outgoing_values_, a[0], "outgoing-value"));
                std::shared_ptr<OutgoingBody> body = *slot;
                outgoing_values_.erase(a[0].rep());
                body->finished = true;
                if (body->target && body->bytes.size() != body->written_size) {
                    auto w = p_.store().write_object(body->target->first, body->target->second,
                                                     body->bytes);
                    if (!w.ok()) return some(error_val(w.error()));
                }
                return some(Val::ok(std::nullopt));
            });
        def(linker, in, "[static]incoming-value.incoming-value-consume-sync",
            t.func({{"this", incoming_->own_type()}}, t.a.result(t.bytes(), ty.error)),
            [this](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(Incoming * v, get(incoming_values_, a[0], "incoming-value"));
                Incoming in = std::move(*v);
                incoming_values_.erase(a[0].rep());
                if (in.size > p_.store().max_object_size)
                    return some(error_val(fmt::format(
                        "the value is {} bytes, more than the {} a list may take; read it "
                        "through incoming-value-consume-async",
                        in.size, p_.store().max_object_size)));
                std::vector<uint8_t> all(static_cast<size_t>(in.size));
                size_t got = 0;
                while (got < all.size()) {
                    auto n = in.reader->read(std::span(all).subspan(got));
                    if (!n.ok()) return some(error_val(n.error()));
                    if (*n == 0) break;
                    got += *n;
                }
                all.resize(got);
                return some(Val::ok(bytes_val(all)));
            });
        def(linker, in, "[static]incoming-value.incoming-value-consume-async",
            t.func({{"this", incoming_->own_type()}},
                   t.a.result(input_stream_->own_type(), ty.error)),
            [this](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(Incoming * v, get(incoming_values_, a[0], "incoming-value"));
                Incoming in = std::move(*v);
                incoming_values_.erase(a[0].rep());
                if (!wasi) return some(error_val("no wasi:io host to serve the stream"));
                return some(Val::ok(
                    wasi->input_stream(std::make_unique<ReaderSource>(std::move(in.reader)))));
            });
        def(linker, in, "[method]incoming-value.size",
            t.func({{"self", incoming_->borrow_type()}}, ty.u64),
            [this](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(Incoming * v, get(incoming_values_, a[0], "incoming-value"));
                return some(Val::u64(v->size));
            });
    }

    // A container method: checks the handle and passes the container's name.
    using ContainerImpl =
        std::function<Result<std::optional<Val>>(const std::string& c, std::span<const Val>)>;
    void method(component::Linker& linker, const std::string& in, const char* name,
                std::vector<std::pair<std::string, const ValType*>> params, const ValType* result,
                ContainerImpl impl) {
        TypeBuilder t(linker.types());
        params.insert(params.begin(), {"self", container_->borrow_type()});
        def(linker, in, name, t.func(std::move(params), result),
            [this, impl = std::move(impl)](std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(std::string * c, get(containers_, a[0], "container"));
                return impl(*c, a);
            });
    }

    void define_container(component::Linker& linker, const std::string& in) {
        TypeBuilder t(linker.types());
        const Types& ty = *types_;
        BlobStore& s = p_.store();
        const ValType* bool_t = TypeBuilder::prim(TypeKind::Bool);
        method(linker, in, "[method]container.name", {}, t.a.result(ty.string, ty.error),
               [](const std::string& c, std::span<const Val>) -> Result<std::optional<Val>> {
                   return some(Val::ok(Val::string(c)));
               });
        method(linker, in, "[method]container.info", {},
               t.a.result(ty.container_metadata, ty.error),
               [&s](const std::string& c, std::span<const Val>) -> Result<std::optional<Val>> {
                   auto info = s.container_info(c);
                   if (!info.ok()) return some(error_val(info.error()));
                   return some(
                       Val::ok(Val::record({Val::string(info->name), Val::u64(info->created_at)})));
               });
        method(
            linker, in, "[method]container.get-data",
            {{"name", ty.string}, {"start", ty.u64}, {"end", ty.u64}},
            t.a.result(incoming_->own_type(), ty.error),
            [this, &s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                auto r = s.read_object(c, a[1].as_string(), a[2].as_u64(), a[3].as_u64());
                if (!r.ok()) return some(error_val(r.error()));
                uint64_t size = (*r)->remaining();
                uint32_t rep = incoming_values_.insert(Incoming{std::move(*r), size});
                return some(Val::ok(incoming_->own(rep)));
            });
        method(
            linker, in, "[method]container.write-data",
            {{"name", ty.string}, {"data", outgoing_->borrow_type()}}, ty.unit_result,
            [this, &s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                CIRRUS_TRY_ASSIGN(auto* slot, get(outgoing_values_, a[2], "outgoing-value"));
                OutgoingBody& body = **slot;
                std::string name = a[1].as_string();
                auto w = s.write_object(c, name, body.bytes);
                if (!w.ok()) return some(error_val(w.error()));
                body.target = {c, name};
                body.written_size = body.bytes.size();
                return some(Val::ok(std::nullopt));
            });
        method(
            linker, in, "[method]container.list-objects", {},
            t.a.result(names_->own_type(), ty.error),
            [this, &s](const std::string& c, std::span<const Val>) -> Result<std::optional<Val>> {
                auto names = s.list_objects(c);
                if (!names.ok()) return some(error_val(names.error()));
                std::sort(names->begin(), names->end());
                uint32_t rep = name_streams_.insert(NameStream{std::move(*names), 0});
                return some(Val::ok(names_->own(rep)));
            });
        method(linker, in, "[method]container.delete-object", {{"name", ty.string}}, ty.unit_result,
               [&s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                   auto r = s.delete_object(c, a[1].as_string());
                   return some(r.ok() ? Val::ok(std::nullopt) : error_val(r.error()));
               });
        method(linker, in, "[method]container.delete-objects", {{"names", t.a.list(ty.string)}},
               ty.unit_result,
               [&s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                   for (const auto& n : a[1].elems) {
                       auto r = s.delete_object(c, n.as_string());
                       if (!r.ok()) return some(error_val(r.error()));
                   }
                   return some(Val::ok(std::nullopt));
               });
        method(linker, in, "[method]container.has-object", {{"name", ty.string}},
               t.a.result(bool_t, ty.error),
               [&s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                   auto r = s.has_object(c, a[1].as_string());
                   return some(r.ok() ? Val::ok(Val::boolean(*r)) : error_val(r.error()));
               });
        method(linker, in, "[method]container.object-info", {{"name", ty.string}},
               t.a.result(ty.object_metadata, ty.error),
               [&s](const std::string& c, std::span<const Val> a) -> Result<std::optional<Val>> {
                   auto r = s.object_info(c, a[1].as_string());
                   if (!r.ok()) return some(error_val(r.error()));
                   return some(Val::ok(Val::record({Val::string(r->name), Val::string(r->container),
                                                    Val::u64(r->created_at), Val::u64(r->size)})));
               });
        method(linker, in, "[method]container.clear", {}, ty.unit_result,
               [&s](const std::string& c, std::span<const Val>) -> Result<std::optional<Val>> {
                   auto r = s.clear(c);
                   return some(r.ok() ? Val::ok(std::nullopt) : error_val(r.error()));
               });

        auto names_method = [&](const char* name, const char* param, bool skip) {
            const ValType* first = skip ? ty.u64 : t.a.list(ty.string);
            def(linker, in, name,
                t.func({{"self", names_->borrow_type()}, {param, ty.u64}},
                       t.a.result(t.a.tuple({first, bool_t}), ty.error)),
                [this, skip](std::span<const Val> a) -> Result<std::optional<Val>> {
                    CIRRUS_TRY_ASSIGN(NameStream * ns,
                                      get(name_streams_, a[0], "stream-object-names"));
                    uint64_t want = a[1].as_u64();
                    size_t n =
                        static_cast<size_t>(std::min<uint64_t>(want, ns->names.size() - ns->next));
                    std::vector<Val> out;
                    if (!skip) {
                        for (size_t i = 0; i < n; ++i)
                            out.push_back(Val::string(ns->names[ns->next + i]));
                    }
                    ns->next += n;
                    bool end = ns->next == ns->names.size();
                    Val first = skip ? Val::u64(n) : Val::list(std::move(out));
                    return some(Val::ok(Val::tuple({std::move(first), Val::boolean(end)})));
                });
        };
        names_method("[method]stream-object-names.read-stream-object-names", "len", false);
        names_method("[method]stream-object-names.skip-stream-object-names", "num", true);
    }

    void define_blobstore(component::Linker& linker, const std::string& in) {
        TypeBuilder t(linker.types());
        const Types& ty = *types_;
        BlobStore& s = p_.store();
        const ValType* r_container = t.a.result(container_->own_type(), ty.error);
        def(linker, in, "create-container", t.func({{"name", ty.string}}, r_container),
            [this, &s](std::span<const Val> a) -> Result<std::optional<Val>> {
                std::string name = a[0].as_string();
                auto r = s.create_container(name);
                if (!r.ok()) return some(error_val(r.error()));
                return some(Val::ok(container_->own(containers_.insert(name))));
            });
        def(linker, in, "get-container", t.func({{"name", ty.string}}, r_container),
            [this, &s](std::span<const Val> a) -> Result<std::optional<Val>> {
                std::string name = a[0].as_string();
                auto r = s.container_exists(name);
                if (!r.ok()) return some(error_val(r.error()));
                if (!*r) return some(error_val(fmt::format("no container `{}`", name)));
                return some(Val::ok(container_->own(containers_.insert(name))));
            });
        def(linker, in, "delete-container", t.func({{"name", ty.string}}, ty.unit_result),
            [&s](std::span<const Val> a) -> Result<std::optional<Val>> {
                auto r = s.delete_container(a[0].as_string());
                return some(r.ok() ? Val::ok(std::nullopt) : error_val(r.error()));
            });
        def(linker, in, "container-exists",
            t.func({{"name", ty.string}}, t.a.result(TypeBuilder::prim(TypeKind::Bool), ty.error)),
            [&s](std::span<const Val> a) -> Result<std::optional<Val>> {
                auto r = s.container_exists(a[0].as_string());
                return some(r.ok() ? Val::ok(Val::boolean(*r)) : error_val(r.error()));
            });
        for (bool move : {false, true}) {
            def(linker, in, move ? "move-object" : "copy-object",
                t.func({{"src", ty.object_id}, {"dest", ty.object_id}}, ty.unit_result),
                [&s, move](std::span<const Val> a) -> Result<std::optional<Val>> {
                    std::string sc = a[0].elems.at(0).as_string(),
                                so = a[0].elems.at(1).as_string();
                    std::string dc = a[1].elems.at(0).as_string(),
                                dobj = a[1].elems.at(1).as_string();
                    auto r =
                        move ? s.move_object(sc, so, dc, dobj) : s.copy_object(sc, so, dc, dobj);
                    return some(r.ok() ? Val::ok(std::nullopt) : error_val(r.error()));
                });
        }
    }

public:
    size_t live_handles() const override {
        return outgoing_values_.size() + incoming_values_.size() + containers_.size() +
               name_streams_.size();
    }

private:
    BlobstoreProvider& p_;
    std::optional<Types> types_;
    std::optional<HostResource> outgoing_, incoming_, container_, names_, input_stream_,
        output_stream_, async_body_;
    HandleTable<std::shared_ptr<OutgoingBody>> outgoing_values_;
    HandleTable<Incoming> incoming_values_;
    HandleTable<std::string> containers_;
    HandleTable<NameStream> name_streams_;
};

std::unique_ptr<ProviderSession> BlobstoreProvider::session() {
    return std::make_unique<BlobstoreSession>(*this);
}

Result<uint64_t> size_setting(const Link& link) {
    auto text = link.setting("max_object_size");
    if (!text) return uint64_t{64} << 20;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v == 0)
        return Error(ErrorKind::Usage,
                     fmt::format("max_object_size `{}` is not a positive number of bytes",
                                 sanitize_text(*text)));
    return v;
}

} // namespace

Family blobstore_family() {
    Family f;
    f.name = "wasi:blobstore";
    f.interfaces = {"wasi:blobstore/types@0.2.0-draft", "wasi:blobstore/container@0.2.0-draft",
                    "wasi:blobstore/blobstore@0.2.0-draft"};
    f.backends = {
        {"fs",
         {"root", "max_object_size"},
         "a directory: root=DIR, else --data-dir's blobstore/, else a temporary one"},
        {"nats", {"url", "max_object_size"}, "the NATS JetStream object store at url=nats://..."},
    };
    f.make = [](const Link& link, const Options& o) -> Result<std::unique_ptr<Provider>> {
        CIRRUS_TRY_ASSIGN(uint64_t limit, size_setting(link));
        std::unique_ptr<BlobStore> store;
        if (link.backend == "nats") {
            CIRRUS_TRY_ASSIGN(store, open_nats_object_store(
                                         link.setting("url").value_or("nats://127.0.0.1:4222")));
        } else {
            std::string root = link.setting("root").value_or("");
            if (root.empty() && !o.data_dir.empty())
                root = (std::filesystem::path(o.data_dir) / "blobstore").string();
            CIRRUS_TRY_ASSIGN(store, open_fs_blob_store(root));
        }
        store->max_object_size = limit;
        return std::unique_ptr<Provider>(std::make_unique<BlobstoreProvider>(std::move(store)));
    };
    return f;
}

} // namespace cirrus::capabilities
