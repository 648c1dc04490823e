// Turning a .wast script into wast2json's JSON + .wasm files in a private temporary folder.
#pragma once

#include "cirrus/support/result.h"

#include <filesystem>
#include <string>

namespace cirrus::wasm::wast {

// A fresh folder under the system's temporary directory, made with mkdtemp so that parallel
// runs never share one; removed with everything in it when the owner goes away.
class TempDir {
public:
    static Result<TempDir> create(const std::string& prefix);
    TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const { return path_; }

private:
    explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

// Runs `wast2json SCRIPT -o DIR/<stem>.json` and returns the JSON file's path. A non-zero exit
// is an Error carrying wast2json's stderr; with exit 0 its stderr is ignored (1.0.32 prints
// spurious errors for some valid scripts, e.g. core/elem.wast).
Result<std::filesystem::path> convert_script(const std::string& wast2json,
                                             const std::filesystem::path& script,
                                             const std::filesystem::path& dir);

} // namespace cirrus::wasm::wast
