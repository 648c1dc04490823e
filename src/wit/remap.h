// Second resolution stage: an UnresolvedPackage is appended to a Resolve. Its foreign
// placeholders are bound to packages already loaded, `@unstable`/`@since` gates are evaluated,
// types and interfaces get their global ids, world `include`s are merged and every world is
// elaborated with the interfaces its imports and exports depend on.
#pragma once

#include "package_resolver.h"

#include "cirrus/wit/resolve.h"

namespace cirrus::wit::detail {

bool append_package(Resolve& resolve, UnresolvedPackage pkg, PackageId& out, Diag& err);

} // namespace cirrus::wit::detail
