#include "files.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

namespace cirrus::cli {

std::optional<std::vector<uint8_t>> read_input_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fmt::print(stderr, "error: cannot read {}\n", path);
        return std::nullopt;
    }
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
}

} // namespace cirrus::cli
