// Helpers shared by the WIT tests: where the conformance data lives, the reviewed list of
// known mismatches, and a structural form of a wit-parser `Resolve` JSON that does not depend
// on the order arenas were filled in.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace cirrus::wit::testing {

std::filesystem::path shared_dir();

// `case-name -> reason` from tests/wit/known_mismatches.txt.
const std::map<std::string, std::string>& known_mismatches();

// Packages, interfaces, worlds, types and functions with every type reference replaced by
// its name and owner (named types) or its structure (anonymous ones).
nlohmann::json canonical_resolve(const nlohmann::json& resolve);

// First line of an error without wit-parser's context prefixes ("failed to resolve directory
// ...: ", "failed to parse package: ...: ").
std::string error_core(const std::string& message);
// `line:col` of the first "--> path:line:col" (or "path:line:col: ") in an error, or "".
std::string error_location(const std::string& message);

} // namespace cirrus::wit::testing
