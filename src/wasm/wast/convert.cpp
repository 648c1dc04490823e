// Runs wabt's wast2json as a child process (posix_spawn, no shell, so paths need no quoting).
#include "convert.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <vector>

extern char** environ;

namespace cirrus::wasm::wast {

namespace fs = std::filesystem;

Result<TempDir> TempDir::create(const std::string& prefix) {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / (prefix + "-XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data()))
        return make_error(ErrorKind::Io, fmt::format("cannot create a temporary folder {}: {}",
                                                     pattern, std::strerror(errno)));
    return TempDir(fs::path(buffer.data()));
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

Result<fs::path> convert_script(const std::string& wast2json, const fs::path& script,
                                const fs::path& dir) {
    fs::path json = dir / (script.stem().string() + ".json");
    fs::path errors = dir / "wast2json.stderr";

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);

    std::string script_arg = script.string();
    std::string json_arg = json.string();
    std::vector<char*> argv = {const_cast<char*>(wast2json.c_str()), script_arg.data(),
                               const_cast<char*>("-o"), json_arg.data(), nullptr};
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, wast2json.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return make_error(ErrorKind::Io,
                          fmt::format("cannot run {}: {}", wast2json, std::strerror(rc)));

    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return make_error(ErrorKind::Io,
                              fmt::format("waiting for {}: {}", wast2json, std::strerror(errno)));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string why = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                            : fmt::format("killed by signal {}", WTERMSIG(status));
        std::string stderr_text = read_text(errors);
        while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
        return make_error(ErrorKind::Malformed,
                          fmt::format("{} could not convert {} ({}){}{}", wast2json,
                                      script.string(), why, stderr_text.empty() ? "" : ":\n",
                                      stderr_text));
    }
    return json;
}

} // namespace cirrus::wasm::wast
