// Printing resolved WIT back as text. The output parses to the same graph: worlds are printed
// elaborated (implicit imports written out), uses as `use` statements, gates as attributes.
#pragma once

#include "cirrus/wit/resolve.h"

#include <string>

namespace cirrus::wit {

// One package in file form: `package ns:name@version;` and its interfaces and worlds.
std::string print_package(const Resolve& resolve, PackageId package);

// `main` in file form followed by every other package of the Resolve as a nested
// `package ns:name { ... }` block, dependencies first: one self-contained WIT text.
std::string print_resolve(const Resolve& resolve, PackageId main);

// One world's definition (`world name { ... }`), as it would appear in its package.
std::string print_world(const Resolve& resolve, WorldId world);

} // namespace cirrus::wit
