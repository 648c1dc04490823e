// A component's type as WIT: its imports and exports become a world in the resolved WIT model
// (include/cirrus/wit), as wit-component decodes a component. Instances named by an interface
// name (`ns:pkg/iface@version`) become interfaces of package `ns:pkg@version`; a type an
// interface shares with another (a resource or a named value type aliased from an imported
// instance) becomes a `use` of the interface that defines it, so the printed text resolves to
// the same graph as the WIT the component was built from.
#pragma once

#include "cirrus/component/types.h"
#include "cirrus/wit/resolve.h"

#include <string>
#include <string_view>
#include <vector>

namespace cirrus::component {

struct WitWorld {
    wit::PackageId package; // root:component
    wit::WorldId world;
    // Items WIT cannot express (nested components, core modules, resources exported from the
    // root), one line each naming the item.
    std::vector<std::string> unrepresentable;
};

// Adds the packages, interfaces and the world of `type` to `resolve`, which should not hold
// any of these packages yet (a fresh Resolve: the component's view of an interface may be a
// subset of its WIT definition, as a component only carries what it uses).
WitWorld add_wit_world(wit::Resolve& resolve, const ComponentType& type,
                       std::string_view world_name = "root");

} // namespace cirrus::component
