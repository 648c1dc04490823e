// A Resolve is a set of WIT packages with every name bound: the arenas of packages,
// interfaces, worlds and types, the sources they came from (for error messages), and the
// feature set used to evaluate `@unstable` gates. Load WIT into it from a file, a directory in
// the `wit/` + `wit/deps/` layout, or several sibling package folders; a failed load reports
// an error in wit-parser's form (`file:line:column`, the line, a caret) and leaves the Resolve
// as it was before the call.
#pragma once

#include "cirrus/support/result.h"
#include "cirrus/wit/types.h"

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus::wit {

// The text of every file loaded, addressed by global byte offsets (Span).
class SourceMap {
public:
    struct Source {
        uint32_t offset = 0;
        std::string path;
        std::string contents; // the file text plus a trailing '\n'
    };
    // Adds a file and returns the global offset its text starts at.
    uint32_t push(std::string path, std::string_view contents);
    const Source* source_for(uint32_t offset) const;
    const std::vector<Source>& sources() const { return sources_; }
    // `message`, then `--> file:line:col`, the source line and a caret under `span`.
    std::string render(Span span, std::string_view message) const;
    // `file:line:col` of a span's start.
    std::string location(Span span) const;
    size_t size() const { return sources_.size(); }
    void truncate(size_t n);

private:
    std::vector<Source> sources_;
    uint32_t next_offset_ = 0;
};

class Resolve {
public:
    Arena<Package, PackageId> packages;
    Arena<Interface, InterfaceId> interfaces;
    Arena<World, WorldId> worlds;
    Arena<TypeDef, TypeId> types;
    std::map<PackageName, PackageId> package_names;
    // Features enabled for `@unstable(feature = ...)` gates.
    std::set<std::string> features;
    bool all_features = false;

    // A file, or a directory (its `.wit` files are one package; `deps/` holds dependencies,
    // each a folder or a single `.wit` file). Returns the main package.
    Result<PackageId> push_path(const std::filesystem::path& path);
    Result<PackageId> push_dir(const std::filesystem::path& path);
    Result<PackageId> push_file(const std::filesystem::path& path);
    // WIT text under a display name; the text holds one main package and any nested ones.
    Result<PackageId> push_source(std::string_view path, std::string_view text);
    // Several package folders that depend on each other side by side (no `deps/`): all are
    // parsed, then resolved in dependency order. Returns the packages in the order given.
    Result<std::vector<PackageId>>
    push_package_dirs(const std::vector<std::filesystem::path>& dirs);
    // `path` (a file or a package folder) with the packages it needs taken from package
    // folders under the `search` roots (each root's subfolders, two levels deep, one package
    // a folder, as in ../shared/wit). Packages are matched by full name; when two folders hold
    // the same package, the first in path order wins. Packages already loaded are reused.
    Result<PackageId> push_path_searching(const std::filesystem::path& path,
                                          const std::vector<std::filesystem::path>& search);

    // A world of `package`: by name, or the only one when `name` is empty. `name` may also be
    // a full `ns:pkg/world@version` reference.
    Result<WorldId> select_world(PackageId package, std::string_view name) const;

    // `ns:pkg/iface@version` for a named interface of a package, empty otherwise.
    std::string id_of(InterfaceId id) const;
    std::string name_world_key(const WorldKey& key) const;
    // The interface a type defined by `use` comes from, when it is another interface.
    std::optional<InterfaceId> type_interface_dep(TypeId id) const;
    // The interfaces whose types `id` uses, in order of first use.
    std::vector<InterfaceId> interface_direct_deps(InterfaceId id) const;

    const SourceMap& source_map() const { return sources_; }
    SourceMap& source_map() { return sources_; }

private:
    SourceMap sources_;
};

// Error kinds used for WIT: Malformed for syntax, Invalid for name and type errors, Io.
} // namespace cirrus::wit
