// The WIT syntax tree, as written: one PackageFile per source file (with any nested
// `package a:b { ... }` blocks), names and spans kept so the resolver can report errors at the
// right place. Nothing is bound here; see package_resolver.cpp.
#pragma once

#include "cirrus/wit/types.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cirrus::wit::detail {

struct AstId {
    std::string name;
    Span span;
};

struct AstDocs {
    std::vector<std::string> comments; // raw comment text, `//`, `///` or `/* */` included
    Span span;
};

struct AstAttribute {
    enum class Kind { Since, Unstable, Deprecated, ExternalId };
    Kind kind = Kind::Since;
    Span span;
    Version version;     // Since, Deprecated
    std::string feature; // Unstable; ExternalId's string
};
using AstAttributes = std::vector<AstAttribute>;

struct AstType {
    enum class Kind {
        Primitive,
        Name,
        List,
        FixedList,
        Map,
        Own,
        Borrow,
        Tuple,
        Option,
        Result,
        Future,
        Stream,
    };
    Kind kind = Kind::Primitive;
    Primitive primitive = Primitive::Bool;
    Span span;
    AstId name;                           // Name, Own, Borrow
    std::vector<AstType> args;            // element types; Result: ok then err as flagged below
    bool has_ok = false, has_err = false; // Result; Future/Stream use has_ok for "has a type"
    uint32_t size = 0;                    // FixedList
};

struct AstField {
    AstDocs docs;
    AstId name;
    AstType type;
};

struct AstCase {
    AstDocs docs;
    AstId name;
    std::optional<AstType> type;
};

struct AstFunc {
    Span span;
    bool is_async = false;
    std::vector<std::pair<AstId, AstType>> params;
    std::optional<AstType> result;
};

struct AstNamedFunc {
    AstDocs docs;
    AstAttributes attributes;
    AstId name;
    AstFunc func;
};

struct AstResourceFunc {
    enum class Kind { Method, Static, Constructor };
    Kind kind = Kind::Method;
    AstNamedFunc func;
};

struct AstTypeDef {
    enum class Kind { Alias, Record, Flags, Variant, Enum, Resource };
    Kind kind = Kind::Alias;
    AstDocs docs;
    AstAttributes attributes;
    AstId name;
    AstType alias;                      // Alias
    std::vector<AstField> fields;       // Record
    std::vector<AstCase> cases;         // Variant (typed), Flags and Enum (untyped)
    std::vector<AstResourceFunc> funcs; // Resource
};

struct AstPackageName {
    AstDocs docs;
    Span span;
    PackageName name;
};

// `name` or `ns:pkg/name@version`.
struct AstUsePath {
    std::optional<AstPackageName> package;
    AstId name;
};

struct AstUseName {
    AstId name;
    std::optional<AstId> as;
};

struct AstUse {
    AstAttributes attributes;
    AstUsePath from;
    std::vector<AstUseName> names;
};

struct AstInterfaceItem {
    enum class Kind { TypeDef, Func, Use };
    Kind kind = Kind::TypeDef;
    AstTypeDef type;
    AstNamedFunc func;
    AstUse use;
};

struct AstInterface {
    AstDocs docs;
    AstAttributes attributes;
    AstId name;
    std::vector<AstInterfaceItem> items;
};

// What follows `import` or `export`.
struct AstExtern {
    enum class Kind { Interface, Path, Func, NamedPath };
    Kind kind = Kind::Path;
    AstId id;                            // Interface, Func, NamedPath
    std::vector<AstInterfaceItem> items; // Interface
    AstUsePath path;                     // Path, NamedPath
    AstFunc func;                        // Func
    Span span() const {
        if (kind == Kind::Path) return path.package ? path.package->span : path.name.span;
        return id.span;
    }
};

struct AstInclude {
    AstAttributes attributes;
    AstUsePath from;
    std::vector<std::pair<AstId, AstId>> names;
};

struct AstWorldItem {
    enum class Kind { Import, Export, Use, Type, Include };
    Kind kind = Kind::Import;
    AstDocs docs;
    AstAttributes attributes;
    AstExtern ext;
    AstUse use;
    AstTypeDef type;
    AstInclude include;
};

struct AstWorld {
    AstDocs docs;
    AstAttributes attributes;
    AstId name;
    std::vector<AstWorldItem> items;
};

struct AstToplevelUse {
    Span span;
    AstAttributes attributes;
    AstUsePath item;
    std::optional<AstId> as;
};

struct AstPackageFile;

struct AstItem {
    enum class Kind { Interface, World, Use, Package };
    Kind kind = Kind::Interface;
    AstInterface interface;
    AstWorld world;
    AstToplevelUse use;
    std::unique_ptr<AstPackageFile> package;
};

struct AstPackageFile {
    std::optional<AstPackageName> package_id;
    std::vector<AstItem> items;
};

} // namespace cirrus::wit::detail
