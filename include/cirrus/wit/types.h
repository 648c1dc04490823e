// The resolved WIT type model: packages, interfaces, worlds and type definitions, each kept in
// an arena and referred to by a typed index. This is the form the component layer maps
// component value types to and from; it follows the shape of the component-model
// `design/mvp/WIT.md` and of wit-parser's `Resolve`, so the two can be compared entry by entry.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cirrus::wit {

// A byte range in the sources a Resolve has loaded (global offsets into its SourceMap).
struct Span {
    uint32_t start = UINT32_MAX;
    uint32_t end = UINT32_MAX;
    bool known() const { return start != UINT32_MAX; }
};

// A typed index into one arena of a Resolve.
template <typename Tag>
struct Id {
    uint32_t index = UINT32_MAX;
    constexpr Id() = default;
    constexpr explicit Id(uint32_t i) : index(i) {}
    bool valid() const { return index != UINT32_MAX; }
    friend bool operator==(Id, Id) = default;
    friend auto operator<=>(Id, Id) = default;
};
using TypeId = Id<struct TypeTag>;
using InterfaceId = Id<struct InterfaceTag>;
using WorldId = Id<struct WorldTag>;
using PackageId = Id<struct PackageTag>;

template <typename T, typename IdT>
class Arena {
public:
    IdT alloc(T value) {
        items_.push_back(std::move(value));
        return IdT(static_cast<uint32_t>(items_.size() - 1));
    }
    T& operator[](IdT id) { return items_[id.index]; }
    const T& operator[](IdT id) const { return items_[id.index]; }
    size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    void truncate(size_t n) {
        if (n < items_.size())
            items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(n), items_.end());
    }
    IdT id_at(size_t i) const { return IdT(static_cast<uint32_t>(i)); }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.end(); }
    auto begin() { return items_.begin(); }
    auto end() { return items_.end(); }

private:
    std::vector<T> items_;
};

// An insertion-ordered map, as WIT keeps items in source order.
template <typename K, typename V>
class IndexMap {
public:
    using Entry = std::pair<K, V>;
    // Inserts when absent; returns false (and keeps the old value) when the key exists.
    bool insert(K key, V value) {
        auto [it, fresh] = index_.try_emplace(key, entries_.size());
        if (!fresh) return false;
        entries_.emplace_back(std::move(key), std::move(value));
        return true;
    }
    // Inserts, or replaces the value while keeping the key's original position.
    void assign(K key, V value) {
        auto it = index_.find(key);
        if (it != index_.end()) {
            entries_[it->second].second = std::move(value);
            return;
        }
        insert(std::move(key), std::move(value));
    }
    // Removes and returns the value of `key` (order of the rest kept; O(n)).
    std::optional<V> remove(const K& key) {
        auto it = index_.find(key);
        if (it == index_.end()) return std::nullopt;
        size_t pos = it->second;
        std::optional<V> out = std::move(entries_[pos].second);
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(pos));
        index_.erase(it);
        for (auto& [k, i] : index_) {
            if (i > pos) --i;
        }
        return out;
    }
    V* find(const K& key) {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &entries_[it->second].second;
    }
    const V* find(const K& key) const {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &entries_[it->second].second;
    }
    bool contains(const K& key) const { return index_.count(key) != 0; }
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    void clear() {
        entries_.clear();
        index_.clear();
    }
    const Entry& at(size_t i) const { return entries_[i]; }
    Entry& at(size_t i) { return entries_[i]; }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }
    auto begin() { return entries_.begin(); }
    auto end() { return entries_.end(); }

private:
    std::vector<Entry> entries_;
    std::map<K, size_t> index_;
};

// A semantic version (semver 2.0.0), as used by package names and feature gates.
struct Version {
    uint64_t major = 0, minor = 0, patch = 0;
    std::string pre;   // dot-separated pre-release identifiers, empty when none
    std::string build; // build metadata, ignored in comparisons
    std::string to_string() const;
    static std::optional<Version> parse(std::string_view text, std::string* error = nullptr);
    friend bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }
    friend bool operator<(const Version& a, const Version& b) { return compare(a, b) < 0; }
    friend bool operator>(const Version& a, const Version& b) { return compare(a, b) > 0; }
    static int compare(const Version& a, const Version& b);
};

struct PackageName {
    std::string ns;
    std::string name;
    std::optional<Version> version;
    std::string to_string() const;
    friend bool operator==(const PackageName& a, const PackageName& b) {
        return a.ns == b.ns && a.name == b.name && a.version.has_value() == b.version.has_value() &&
               (!a.version || a.version->to_string() == b.version->to_string());
    }
    friend bool operator<(const PackageName& a, const PackageName& b);
};

struct Docs {
    std::optional<std::string> contents;
};

// Feature gates (`@since`, `@unstable`, `@deprecated`).
struct Stability {
    enum class Kind { Unknown, Stable, Unstable };
    Kind kind = Kind::Unknown;
    Version since;       // Stable
    std::string feature; // Unstable
    std::optional<Version> deprecated;
};

// The primitive value types; anything else is a TypeDef referred to by id.
enum class Primitive : uint8_t {
    Bool,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F32,
    F64,
    Char,
    String,
    ErrorContext,
};
const char* primitive_name(Primitive p);

// A use of a type: a primitive or a reference to a TypeDef.
struct Type {
    bool is_id = false;
    Primitive primitive = Primitive::Bool;
    TypeId id;
    static Type prim(Primitive p) { return Type{false, p, {}}; }
    static Type ref(TypeId i) { return Type{true, Primitive::Bool, i}; }
    friend bool operator==(const Type& a, const Type& b) {
        return a.is_id == b.is_id && (a.is_id ? a.id == b.id : a.primitive == b.primitive);
    }
    friend bool operator<(const Type& a, const Type& b) {
        if (a.is_id != b.is_id) return a.is_id < b.is_id;
        return a.is_id ? a.id < b.id : a.primitive < b.primitive;
    }
};

struct Field {
    std::string name;
    Type type;
    Docs docs;
    Span span;
};
struct Flag {
    std::string name;
    Docs docs;
};
struct Case {
    std::string name;
    std::optional<Type> type;
    Docs docs;
};
struct EnumCase {
    std::string name;
    Docs docs;
};

struct AliasKind {
    Type target;
};
struct RecordKind {
    std::vector<Field> fields;
};
struct ResourceKind {};
struct HandleKind {
    bool borrow = false;
    TypeId resource;
};
struct FlagsKind {
    std::vector<Flag> flags;
};
struct TupleKind {
    std::vector<Type> types;
};
struct VariantKind {
    std::vector<Case> cases;
};
struct EnumKind {
    std::vector<EnumCase> cases;
};
struct OptionKind {
    Type type;
};
struct ResultKind {
    std::optional<Type> ok, err;
};
struct ListKind {
    Type element;
};
struct FixedListKind {
    Type element;
    uint32_t size = 0;
};
struct MapKind {
    Type key, value;
};
struct FutureKind {
    std::optional<Type> type;
};
struct StreamKind {
    std::optional<Type> type;
};
// A type named by a `use` from another package, before that package is mapped in.
struct UnknownKind {};

using TypeDefKind = std::variant<AliasKind, RecordKind, ResourceKind, HandleKind, FlagsKind,
                                 TupleKind, VariantKind, EnumKind, OptionKind, ResultKind, ListKind,
                                 FixedListKind, MapKind, FutureKind, StreamKind, UnknownKind>;

struct TypeOwner {
    enum class Kind { None, Interface, World };
    Kind kind = Kind::None;
    uint32_t index = 0;
    static TypeOwner interface(InterfaceId id) { return {Kind::Interface, id.index}; }
    static TypeOwner world(WorldId id) { return {Kind::World, id.index}; }
    friend bool operator==(const TypeOwner&, const TypeOwner&) = default;
};

struct TypeDef {
    std::optional<std::string> name;
    TypeDefKind kind;
    TypeOwner owner;
    Docs docs;
    Stability stability;
    Span span;
};

enum class FunctionKind {
    Freestanding,
    AsyncFreestanding,
    Method,
    AsyncMethod,
    Static,
    AsyncStatic,
    Constructor,
};
bool function_kind_has_resource(FunctionKind k);
bool function_kind_is_async(FunctionKind k);

struct Param {
    std::string name;
    Type type;
};

struct Function {
    std::string name; // for resource functions: `[method]r.f`, `[static]r.f`, `[constructor]r`
    FunctionKind kind = FunctionKind::Freestanding;
    TypeId resource; // for methods, statics and constructors
    std::vector<Param> params;
    std::optional<Type> result;
    Docs docs;
    Stability stability;
    Span span;
    // The name as written (`f` for `[method]r.f`).
    std::string item_name() const;
};

struct Interface {
    std::optional<std::string> name; // none for an inline `import x: interface { ... }`
    IndexMap<std::string, TypeId> types;
    IndexMap<std::string, Function> functions;
    Docs docs;
    Stability stability;
    std::optional<PackageId> package;
    Span span;
};

// How a world names an import or export: by a plain name or by an interface's id.
struct WorldKey {
    bool is_interface = false;
    std::string name;
    InterfaceId interface;
    static WorldKey named(std::string n) { return WorldKey{false, std::move(n), {}}; }
    static WorldKey of(InterfaceId id) { return WorldKey{true, {}, id}; }
    friend bool operator==(const WorldKey& a, const WorldKey& b) {
        return a.is_interface == b.is_interface &&
               (a.is_interface ? a.interface == b.interface : a.name == b.name);
    }
    friend bool operator<(const WorldKey& a, const WorldKey& b) {
        if (a.is_interface != b.is_interface) return a.is_interface < b.is_interface;
        return a.is_interface ? a.interface < b.interface : a.name < b.name;
    }
};

struct WorldItem {
    enum class Kind { Interface, Function, Type };
    Kind kind = Kind::Interface;
    InterfaceId interface; // Interface
    Function function;     // Function
    TypeId type;           // Type
    Stability stability;   // Interface
    Docs docs;             // Interface
    Span span;
    static WorldItem of_interface(InterfaceId id, Stability s, Docs d = {}, Span sp = {}) {
        WorldItem item;
        item.kind = Kind::Interface;
        item.interface = id;
        item.stability = std::move(s);
        item.docs = std::move(d);
        item.span = sp;
        return item;
    }
    static WorldItem of_function(Function f) {
        WorldItem item;
        item.kind = Kind::Function;
        item.span = f.span;
        item.function = std::move(f);
        return item;
    }
    static WorldItem of_type(TypeId id, Span sp = {}) {
        WorldItem item;
        item.kind = Kind::Type;
        item.type = id;
        item.span = sp;
        return item;
    }
};

struct IncludeName {
    std::string name;
    std::string as;
};

struct WorldInclude {
    Stability stability;
    WorldId id;
    std::vector<IncludeName> names;
    Span span;
};

struct World {
    std::string name;
    IndexMap<WorldKey, WorldItem> imports;
    IndexMap<WorldKey, WorldItem> exports;
    std::optional<PackageId> package;
    Docs docs;
    Stability stability;
    std::vector<WorldInclude> includes; // consumed when the world is elaborated
    Span span;
};

struct Package {
    PackageName name;
    Docs docs;
    IndexMap<std::string, InterfaceId> interfaces;
    IndexMap<std::string, WorldId> worlds;
};

} // namespace cirrus::wit
