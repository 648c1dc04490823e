// Loading WIT into a Resolve: reading files and directories, parsing each package group (a
// package's files plus the packages nested in them), ordering all packages so dependencies
// come first, and appending them one by one. A failure rolls the Resolve back.
#include "cirrus/support/utf8.h"
#include "cirrus/wit/resolve.h"

#include "parser.h"
#include "remap.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace cirrus::wit {

using namespace detail;

namespace {

// One parsed package group: the main package of some files and the packages nested in them.
struct Group {
    UnresolvedPackage main;
    std::vector<UnresolvedPackage> nested;
};

Error wit_error(const SourceMap& sources, const Diag& d, std::string_view context = {}) {
    std::string message = sources.render(d.span, d.message);
    if (!context.empty()) message = std::string(context) + message;
    return Error(ErrorKind::Invalid, std::move(message));
}

Result<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error(ErrorKind::Io, fmt::format("failed to read path for WIT [{}]", path.string()));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}


// Longest chain of packages depending on each other that is followed recursively.
constexpr size_t kMaxPackageChain = 1000;

class Loader {
public:
    explicit Loader(Resolve& r) : r_(r) {}

    // Parses the given (path, contents) files as one package group.
    Result<Group> parse_group(std::vector<std::pair<std::string, std::string>> files,
                              std::string_view context = {}) {
        std::sort(files.begin(), files.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        Group group;
        std::vector<AstPackageFile> main_files;
        for (auto& [path, contents] : files) {
            if (!valid_utf8(contents)) {
                return Error(ErrorKind::Malformed,
                             fmt::format("{}input file is not valid utf-8 [{}]", context, path));
            }
            uint32_t base = r_.source_map().push(path, contents);
            AstPackageFile file;
            Diag err;
            if (!parse_package_file(contents, base, file, err)) {
                return wit_error(r_.source_map(), err, context);
            }
            std::vector<AstItem> rest;
            for (AstItem& item : file.items) {
                if (item.kind != AstItem::Kind::Package) {
                    rest.push_back(std::move(item));
                    continue;
                }
                std::vector<AstPackageFile> nested;
                nested.push_back(std::move(*item.package));
                UnresolvedPackage pkg;
                if (!resolve_package(std::move(nested), pkg, err)) {
                    return wit_error(r_.source_map(), err, context);
                }
                group.nested.push_back(std::move(pkg));
            }
            file.items = std::move(rest);
            main_files.push_back(std::move(file));
        }
        Diag err;
        if (!resolve_package(std::move(main_files), group.main, err)) {
            return wit_error(r_.source_map(), err, context);
        }
        return group;
    }

    Result<std::vector<std::pair<std::string, std::string>>>
    read_dir_files(const std::filesystem::path& dir) {
        std::vector<std::pair<std::string, std::string>> files;
        std::error_code ec;
        std::filesystem::directory_iterator it(dir, ec);
        if (ec) {
            return Error(ErrorKind::Io, fmt::format("failed to read directory {}: {}", dir.string(),
                                                    ec.message()));
        }
        for (const auto& entry : it) {
            if (entry.is_directory(ec)) continue;
            if (entry.path().extension() != ".wit") continue;
            CIRRUS_TRY_ASSIGN(std::string text, read_file(entry.path()));
            files.emplace_back(entry.path().string(), std::move(text));
        }
        return files;
    }

    Result<Group> parse_dir(const std::filesystem::path& dir, std::string_view context) {
        CIRRUS_TRY_ASSIGN(auto files, read_dir_files(dir));
        std::string ctx = fmt::format("{}failed to parse package: {}: ", context, dir.string());
        return parse_group(std::move(files), ctx);
    }

    Result<Group> parse_file(const std::filesystem::path& path, std::string_view context) {
        CIRRUS_TRY_ASSIGN(std::string text, read_file(path));
        std::vector<std::pair<std::string, std::string>> files;
        files.emplace_back(path.string(), std::move(text));
        return parse_group(std::move(files), context);
    }

    // Orders every package of `groups` after its dependencies and appends them; returns the
    // id of each group's main package.
    Result<std::vector<PackageId>> push_groups(std::vector<Group> groups,
                                               std::string_view context) {
        struct Entry {
            UnresolvedPackage* pkg;
            size_t group;
            bool is_main;
        };
        std::map<PackageName, Entry> by_name;
        for (size_t g = 0; g < groups.size(); ++g) {
            std::vector<std::pair<UnresolvedPackage*, bool>> pkgs;
            for (auto& n : groups[g].nested) pkgs.emplace_back(&n, false);
            pkgs.emplace_back(&groups[g].main, true);
            for (auto [pkg, is_main] : pkgs) {
                auto [it, fresh] = by_name.emplace(pkg->name, Entry{pkg, g, is_main});
                if (!fresh) {
                    return Error(ErrorKind::Invalid,
                                 fmt::format("{}package `{}` is defined in two different "
                                             "locations:\n  * {}\n  * {}",
                                             context, pkg->name.to_string(),
                                             r_.source_map().location(pkg->name_span),
                                             r_.source_map().location(it->second.pkg->name_span)));
                }
            }
        }
        // Depth-first over each package's dependencies in the order it names them; a
        // dependency met again while it is being visited closes a cycle.
        std::vector<const PackageName*> order;
        std::set<PackageName> done, visiting;
        size_t depth = 0;
        std::function<Result<void>(const Entry&)> visit = [&](const Entry& e) -> Result<void> {
            if (done.count(e.pkg->name)) return {};
            if (depth >= kMaxPackageChain) {
                return Error(ErrorKind::Invalid,
                             fmt::format("{}package `{}` depends on a chain of more than {} "
                                         "packages",
                                         context, e.pkg->name.to_string(), kMaxPackageChain));
            }
            struct Deeper {
                size_t& d;
                explicit Deeper(size_t& x) : d(x) { ++d; }
                ~Deeper() { --d; }
            } deeper(depth);
            for (const ForeignPackage& dep : e.pkg->foreign_deps) {
                if (!visiting.insert(dep.name).second) {
                    Diag d{fmt::format("package `{}` creates a dependency cycle",
                                       dep.name.to_string()),
                           dep.span};
                    return wit_error(r_.source_map(), d, context);
                }
                auto it = by_name.find(dep.name);
                if (it != by_name.end()) CIRRUS_TRY(visit(it->second));
                visiting.erase(dep.name);
            }
            done.insert(e.pkg->name);
            order.push_back(&e.pkg->name);
            return {};
        };
        for (const auto& [name, entry] : by_name) CIRRUS_TRY(visit(entry));
        std::vector<PackageId> mains(groups.size());
        for (const PackageName* name : order) {
            Entry& e = by_name.at(*name);
            if (r_.package_names.count(*name)) {
                return Error(ErrorKind::Invalid, fmt::format("{}package `{}` is already loaded",
                                                             context, name->to_string()));
            }
            PackageId id;
            Diag err;
            if (!append_package(r_, std::move(*e.pkg), id, err)) {
                return wit_error(r_.source_map(), err, context);
            }
            if (e.is_main) mains[e.group] = id;
        }
        return mains;
    }

private:
    Resolve& r_;
};

// Runs `load` and restores the Resolve to its previous state when it fails.
template <typename T, typename F>
Result<T> transactional(Resolve& r, F&& load) {
    size_t packages = r.packages.size(), interfaces = r.interfaces.size(), worlds = r.worlds.size(),
           types = r.types.size(), sources = r.source_map().size();
    Result<T> result = load();
    if (!result.ok()) {
        r.packages.truncate(packages);
        r.interfaces.truncate(interfaces);
        r.worlds.truncate(worlds);
        r.types.truncate(types);
        r.source_map().truncate(sources);
        for (auto it = r.package_names.begin(); it != r.package_names.end();) {
            it = it->second.index >= packages ? r.package_names.erase(it) : std::next(it);
        }
    }
    return result;
}

} // namespace

Result<PackageId> Resolve::push_path(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return push_dir(path);
    return push_file(path);
}

Result<PackageId> Resolve::push_dir(const std::filesystem::path& path) {
    return transactional<PackageId>(*this, [&]() -> Result<PackageId> {
        Loader loader(*this);
        std::string ctx = fmt::format("failed to resolve directory while parsing WIT for path "
                                      "[{}]: ",
                                      path.string());
        std::vector<Group> groups;
        CIRRUS_TRY_ASSIGN(Group main, loader.parse_dir(path, ctx));
        groups.push_back(std::move(main));
        std::filesystem::path deps = path / "deps";
        std::error_code ec;
        if (std::filesystem::exists(deps, ec)) {
            std::vector<std::filesystem::directory_entry> entries;
            for (const auto& entry : std::filesystem::directory_iterator(deps, ec)) {
                entries.push_back(entry);
            }
            std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
                return a.path().filename() < b.path().filename();
            });
            for (const auto& entry : entries) {
                if (entry.is_directory(ec)) {
                    CIRRUS_TRY_ASSIGN(Group g, loader.parse_dir(entry.path(), ctx));
                    groups.push_back(std::move(g));
                } else if (entry.path().extension() == ".wit") {
                    CIRRUS_TRY_ASSIGN(Group g, loader.parse_file(entry.path(), ctx));
                    groups.push_back(std::move(g));
                } else if (entry.path().extension() == ".wat" ||
                           entry.path().extension() == ".wasm") {
                    return Error(ErrorKind::Malformed,
                                 fmt::format("{}WIT packages encoded as components are not "
                                             "supported: {}",
                                             ctx, entry.path().string()));
                }
            }
        }
        CIRRUS_TRY_ASSIGN(auto mains, loader.push_groups(std::move(groups), ctx));
        return mains[0];
    });
}

Result<PackageId> Resolve::push_file(const std::filesystem::path& path) {
    return transactional<PackageId>(*this, [&]() -> Result<PackageId> {
        Loader loader(*this);
        std::vector<Group> groups;
        CIRRUS_TRY_ASSIGN(Group g, loader.parse_file(path, ""));
        groups.push_back(std::move(g));
        CIRRUS_TRY_ASSIGN(auto mains, loader.push_groups(std::move(groups), ""));
        return mains[0];
    });
}

Result<PackageId> Resolve::push_source(std::string_view path, std::string_view text) {
    return transactional<PackageId>(*this, [&]() -> Result<PackageId> {
        Loader loader(*this);
        std::vector<std::pair<std::string, std::string>> files;
        files.emplace_back(std::string(path), std::string(text));
        std::vector<Group> groups;
        CIRRUS_TRY_ASSIGN(Group g, loader.parse_group(std::move(files)));
        groups.push_back(std::move(g));
        CIRRUS_TRY_ASSIGN(auto mains, loader.push_groups(std::move(groups), ""));
        return mains[0];
    });
}

Result<std::vector<PackageId>>
Resolve::push_package_dirs(const std::vector<std::filesystem::path>& dirs) {
    return transactional<std::vector<PackageId>>(*this, [&]() -> Result<std::vector<PackageId>> {
        Loader loader(*this);
        std::vector<Group> groups;
        for (const auto& dir : dirs) {
            CIRRUS_TRY_ASSIGN(Group g, loader.parse_dir(dir, ""));
            groups.push_back(std::move(g));
        }
        return loader.push_groups(std::move(groups), "");
    });
}

namespace {

// The package a folder holds and the packages it names, found by parsing it on its own.
struct FolderInfo {
    std::filesystem::path dir;
    std::vector<PackageName> provides;
    std::vector<PackageName> needs;
};

std::optional<FolderInfo> inspect_folder(const std::filesystem::path& dir, bool is_file) {
    Resolve scratch;
    Loader loader(scratch);
    Result<Group> group = is_file ? loader.parse_file(dir, "") : loader.parse_dir(dir, "");
    if (!group.ok()) return std::nullopt;
    FolderInfo info{dir, {}, {}};
    std::vector<const UnresolvedPackage*> pkgs{&group->main};
    for (const auto& n : group->nested) pkgs.push_back(&n);
    for (const UnresolvedPackage* p : pkgs) info.provides.push_back(p->name);
    for (const UnresolvedPackage* p : pkgs) {
        for (const ForeignPackage& dep : p->foreign_deps) info.needs.push_back(dep.name);
    }
    return info;
}

void collect_package_folders(const std::filesystem::path& root, int depth,
                             std::vector<std::filesystem::path>& out) {
    std::error_code ec;
    std::vector<std::filesystem::path> subdirs;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
        if (e.is_directory(ec)) subdirs.push_back(e.path());
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& dir : subdirs) {
        bool has_wit = false;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            if (e.path().extension() == ".wit") has_wit = true;
        }
        if (has_wit) out.push_back(dir);
        if (depth > 1) collect_package_folders(dir, depth - 1, out);
    }
}

} // namespace

Result<PackageId> Resolve::push_path_searching(const std::filesystem::path& path,
                                               const std::vector<std::filesystem::path>& search) {
    std::error_code ec;
    bool is_dir = std::filesystem::is_directory(path, ec);
    std::optional<FolderInfo> target = inspect_folder(path, !is_dir);
    // A target that does not parse reports its error through the normal path.
    if (!target) return push_path(path);
    std::vector<std::filesystem::path> folders;
    for (const auto& root : search) collect_package_folders(root, 2, folders);
    std::vector<FolderInfo> candidates;
    for (const auto& dir : folders) {
        if (std::filesystem::equivalent(dir, path, ec)) continue;
        if (auto info = inspect_folder(dir, false)) candidates.push_back(std::move(*info));
    }
    // Breadth-first over needed packages; each folder at most once.
    std::vector<std::filesystem::path> chosen;
    std::set<PackageName> have(target->provides.begin(), target->provides.end());
    for (const auto& [name, id] : package_names) have.insert(name);
    std::vector<PackageName> queue = target->needs;
    for (size_t i = 0; i < queue.size(); ++i) {
        if (have.count(queue[i])) continue;
        for (const FolderInfo& c : candidates) {
            if (std::find(c.provides.begin(), c.provides.end(), queue[i]) == c.provides.end()) {
                continue;
            }
            chosen.push_back(c.dir);
            have.insert(c.provides.begin(), c.provides.end());
            queue.insert(queue.end(), c.needs.begin(), c.needs.end());
            break;
        }
    }
    return transactional<PackageId>(*this, [&]() -> Result<PackageId> {
        if (!chosen.empty()) CIRRUS_TRY(push_package_dirs(chosen));
        return push_path(path);
    });
}

Result<WorldId> Resolve::select_world(PackageId package, std::string_view name) const {
    const Package& pkg = packages[package];
    if (name.empty()) {
        if (pkg.worlds.size() == 1) return pkg.worlds.at(0).second;
        if (pkg.worlds.empty()) {
            return Error(ErrorKind::Usage, fmt::format("The main package `{}` contains no worlds",
                                                       pkg.name.to_string()));
        }
        return Error(ErrorKind::Usage,
                     fmt::format("multiple worlds in package `{}`; pick one with its name",
                                 pkg.name.to_string()));
    }
    std::string_view world_name = name;
    const Package* target = &pkg;
    if (size_t slash = name.find('/'); slash != std::string_view::npos) {
        // `ns:pkg/world@version`
        std::string pkg_part(name.substr(0, slash));
        world_name = name.substr(slash + 1);
        std::string version;
        if (size_t at = world_name.find('@'); at != std::string_view::npos) {
            version = std::string(world_name.substr(at + 1));
            world_name = world_name.substr(0, at);
        }
        target = nullptr;
        for (const auto& [pname, pid] : package_names) {
            std::string full = pname.ns + ":" + pname.name;
            std::string ver = pname.version ? pname.version->to_string() : "";
            if (full == pkg_part && (version.empty() || version == ver)) target = &packages[pid];
        }
        if (!target) {
            return Error(ErrorKind::Usage, fmt::format("unknown package `{}`", pkg_part));
        }
    }
    if (const WorldId* id = target->worlds.find(std::string(world_name))) return *id;
    return Error(ErrorKind::Usage, fmt::format("World `{}` not found in package `{}`", world_name,
                                               target->name.to_string()));
}

std::string Resolve::id_of(InterfaceId id) const {
    const Interface& iface = interfaces[id];
    if (!iface.name || !iface.package) return {};
    const PackageName& pn = packages[*iface.package].name;
    std::string out = fmt::format("{}:{}/{}", pn.ns, pn.name, *iface.name);
    if (pn.version) out += "@" + pn.version->to_string();
    return out;
}

std::string Resolve::name_world_key(const WorldKey& key) const {
    if (!key.is_interface) return key.name;
    std::string id = id_of(key.interface);
    return id.empty() ? "<unnamed>" : id;
}

std::optional<InterfaceId> Resolve::type_interface_dep(TypeId id) const {
    const TypeDef& ty = types[id];
    const AliasKind* alias = std::get_if<AliasKind>(&ty.kind);
    if (!alias || !alias->target.is_id) return std::nullopt;
    const TypeDef& other = types[alias->target.id];
    if (other.owner == ty.owner || other.owner.kind != TypeOwner::Kind::Interface) {
        return std::nullopt;
    }
    return InterfaceId(other.owner.index);
}

std::vector<InterfaceId> Resolve::interface_direct_deps(InterfaceId id) const {
    std::vector<InterfaceId> out;
    for (const auto& [name, tid] : interfaces[id].types) {
        if (auto dep = type_interface_dep(tid)) out.push_back(*dep);
    }
    return out;
}

} // namespace cirrus::wit
