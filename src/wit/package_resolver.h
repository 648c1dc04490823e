// First resolution stage: the files of one package (and, separately, each nested package)
// become an UnresolvedPackage whose arenas are local to it. Names inside the package are bound
// here; items of other packages are placeholders (foreign interfaces, worlds and types of
// UnknownKind) that Resolve::push maps onto packages already loaded.
#pragma once

#include "ast.h"
#include "lexer.h"

namespace cirrus::wit::detail {

using Diag = SyntaxError;

struct ForeignItem {
    bool is_world = false;
    uint32_t id = 0; // local interface or world index
    std::vector<Stability> stabilities;
};

struct ForeignPackage {
    PackageName name;
    Span span;
    IndexMap<std::string, ForeignItem> items;
};

struct UnresolvedPackage {
    PackageName name;
    Span name_span;
    Docs docs;
    Arena<TypeDef, TypeId> types;
    Arena<Interface, InterfaceId> interfaces;
    Arena<World, WorldId> worlds;
    std::vector<ForeignPackage> foreign_deps;
    std::vector<bool> foreign_interface; // by local interface index
    std::vector<bool> foreign_world;     // by local world index
    std::vector<std::pair<TypeId, Span>> required_resource_types;
};

// Resolves the files of one package. `files` have had their nested packages taken out.
bool resolve_package(std::vector<AstPackageFile> files, UnresolvedPackage& out, Diag& err);

// Toposorts `deps` (name -> names it depends on, in source order). On a missing name or a
// cycle, reports "{kind} `name` does not exist" / "{kind} `name` depends on itself".
bool toposort(const char* kind, const IndexMap<std::string, std::vector<AstId>>& deps,
              std::vector<std::string>& order, Diag& err);

} // namespace cirrus::wit::detail
