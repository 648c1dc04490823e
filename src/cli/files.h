// Reading the files a subcommand is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cirrus::cli {

// The bytes of file `path`; when it cannot be read, prints "error: cannot read PATH" to stderr
// and returns nullopt.
std::optional<std::vector<uint8_t>> read_input_file(const std::string& path);

} // namespace cirrus::cli
