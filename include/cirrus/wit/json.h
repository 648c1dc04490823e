// A Resolve as JSON, in the form wit-parser serializes its own `Resolve` (the `.wit.json`
// files of its test suite): four arenas (worlds, interfaces, types, packages) that refer to
// each other by index. Useful to compare with wit-parser and to inspect a resolve by hand.
#pragma once

#include "cirrus/wit/resolve.h"

#include <string>

namespace cirrus::wit {

// Pretty-printed JSON (two-space indent).
std::string to_json(const Resolve& resolve);

} // namespace cirrus::wit
