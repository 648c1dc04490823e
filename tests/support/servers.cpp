// Child-process servers for integration tests (servers.h): fork + exec with the server's output
// in a log file in its folder, the parent-death signal set so a crashed test leaves no server
// behind, readiness checked by speaking each server's protocol (Redis PING, NATS INFO,
// pg_isready).
#include "servers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cirrus::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Error fail(std::string message) {
    return Error(ErrorKind::Io, std::move(message));
}

// The processes whose parent is `parent` (from /proc/PID/stat: "pid (comm) state ppid ...").
std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        size_t close = stat.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
            out.push_back(static_cast<pid_t>(std::stoi(name)));
    }
    return out;
}

// True while process `pid` exists and has not exited (a zombie has).
bool alive(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
           stat[close + 2] != 'X';
}

// A connected socket to 127.0.0.1:port with a short receive timeout, or -1.
int connect_local(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{0, 500000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Sends `request` (if any) and reads what comes back within the timeout.
std::string exchange(uint16_t port, std::string_view request) {
    int fd = connect_local(port);
    if (fd < 0) return "";
    if (!request.empty() && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
        ::close(fd);
        return "";
    }
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string postgres_bin_dir() {
    std::string best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        std::string bin = (e.path() / "bin").string();
        if (fs::exists(bin + "/postgres") && bin > best) best = bin;
    }
    return best;
}

// The uid and gid of user `postgres` when running as root (PostgreSQL refuses root).
struct Account {
    bool switch_user = false;
    uid_t uid = 0;
    gid_t gid = 0;
};
Account postgres_account() {
    Account a;
    if (::geteuid() != 0) return a;
    if (passwd* pw = ::getpwnam("postgres")) {
        a.switch_user = true;
        a.uid = pw->pw_uid;
        a.gid = pw->pw_gid;
    }
    return a;
}

// Runs argv as a child with output appended to `log`; returns its pid.
Result<int> spawn(const std::vector<std::string>& argv, const std::string& log, const Account& as) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return fail(fmt::format("cannot open {}: {}", log, std::strerror(errno)));
    if (as.switch_user && ::fchown(fd, as.uid, as.gid) != 0) {
        ::close(fd);
        return fail(fmt::format("cannot chown {}: {}", log, std::strerror(errno)));
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fd);
        return fail(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::setpgid(0, 0); // a terminal's ^C goes to the test, which stops the server itself
        if (as.switch_user) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0)
                ::_exit(126);
        }
        // After the uid change, which clears it: the server dies with the test process.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(125);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(fd);
    return static_cast<int>(pid);
}

// Runs argv to completion (initdb); its output goes to `log`.
Result<void> run_to_end(const std::vector<std::string>& argv, const std::string& log,
                        const Account& as) {
    CIRRUS_TRY_ASSIGN(int pid, spawn(argv, log, as));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail(fmt::format("{} failed (status {})", argv[0], status));
    return {};
}

Result<std::string> make_dir(std::string_view name) {
    std::string tmpl = (fs::temp_directory_path() / fmt::format("cirrus-{}-XXXXXX", name)).string();
    if (!::mkdtemp(tmpl.data())) return fail(fmt::format("mkdtemp: {}", std::strerror(errno)));
    return tmpl;
}

} // namespace

uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    uint16_t port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0) ::close(fd);
    return port;
}

Server::~Server() {
    if (running()) (void)stop(true);
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string Server::url() const {
    if (name_ == "redis") return fmt::format("redis://127.0.0.1:{}", port_);
    if (name_ == "nats") return fmt::format("nats://127.0.0.1:{}", port_);
    return fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", port_);
}

std::string Server::log() const {
    std::ifstream in(dir_ + "/server.log");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<void> Server::stop(bool kill) {
    if (!running()) return {};
    // PostgreSQL: SIGINT is its fast shutdown (SIGTERM waits for clients to leave).
    int sig = kill ? SIGKILL : name_ == "postgres" ? SIGINT : SIGTERM;
    // A crash takes the whole server: PostgreSQL's backends are each a session of their own
    // (setsid), out of reach of the process group, and one left alive would keep answering
    // its client after the "crash". Found before the postmaster goes (they are reparented).
    std::vector<pid_t> children = kill ? children_of(pid_) : std::vector<pid_t>{};
    ::kill(pid_, sig); // first: a dead postmaster starts no new backend
    for (pid_t c : children) ::kill(c, SIGKILL);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    int status = 0;
    while (true) {
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD)) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    // PostgreSQL's children (checkpointer, ...) leave with the postmaster; a SIGKILLed
    // postmaster leaves them, and they hold the port: the process group goes too.
    if (kill) ::kill(-pid_, SIGKILL);
    // Killed ones that are not our children are reaped elsewhere: wait until they are dead.
    for (pid_t c : children) {
        while (alive(c) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
    }
    pid_ = -1;
    return {};
}

Result<void> Server::start() {
    if (running()) return {};
    Account as = as_postgres_ ? postgres_account() : Account{};
    auto deadline = std::chrono::steady_clock::now() + 20s;
    // A server restarted right after a kill may find its port still held for a moment.
    while (true) {
        CIRRUS_TRY_ASSIGN(pid_, spawn(argv_, dir_ + "/server.log", as));
        bool up = false;
        while (!up && std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) break; // exited: try again
            if (name_ == "redis") {
                up = exchange(port_, "PING\r\n").starts_with("+PONG");
            } else if (name_ == "nats") {
                up = exchange(port_, "").starts_with("INFO");
            } else {
                std::string isready = postgres_bin_dir() + "/pg_isready";
                std::string cmd =
                    fmt::format("{} -q -h 127.0.0.1 -p {} -U postgres", isready, port_);
                up = std::system(cmd.c_str()) == 0;
            }
            if (!up) std::this_thread::sleep_for(20ms);
        }
        if (up) return {};
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(
                fmt::format("{} did not start on port {}; its log:\n{}", name_, port_, log()));
        std::this_thread::sleep_for(100ms);
    }
}

Result<std::unique_ptr<Server>> make_server(ServerSpec spec) {
    std::unique_ptr<Server> s(new Server());
    s->name_ = std::move(spec.name);
    s->dir_ = std::move(spec.dir);
    s->port_ = spec.port;
    s->argv_ = std::move(spec.argv);
    s->as_postgres_ = spec.as_postgres;
    CIRRUS_TRY(s->start());
    return s;
}

Result<std::unique_ptr<Server>> start_redis(bool durable) {
    if (!fs::exists("/usr/bin/redis-server"))
        return fail("redis-server is not installed (scripts/setup.sh installs it)");
    CIRRUS_TRY_ASSIGN(std::string dir, make_dir("redis"));
    uint16_t port = free_port();
    // Durable: every acknowledged write is in the append-only file before the reply.
    return make_server({"redis",
                        dir,
                        port,
                        {"/usr/bin/redis-server", "--port", std::to_string(port), "--bind",
                         "127.0.0.1", "--dir", dir, "--save", "", "--appendonly",
                         durable ? "yes" : "no", "--appendfsync", "always", "--daemonize", "no"},
                        false});
}

Result<std::unique_ptr<Server>> start_nats() {
    std::string bin =
        fs::exists("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "/usr/bin/nats-server";
    if (!fs::exists(bin))
        return fail("nats-server is not installed (scripts/setup.sh installs it)");
    CIRRUS_TRY_ASSIGN(std::string dir, make_dir("nats"));
    uint16_t port = free_port();
    return make_server(
        {"nats",
         dir,
         port,
         {bin, "-js", "-a", "127.0.0.1", "-p", std::to_string(port), "-sd", dir + "/jetstream"},
         false});
}

Result<std::unique_ptr<Server>> start_postgres() {
    std::string bin = postgres_bin_dir();
    if (bin.empty()) return fail("PostgreSQL is not installed (scripts/setup.sh installs it)");
    CIRRUS_TRY_ASSIGN(std::string dir, make_dir("postgres"));
    Account as = postgres_account();
    if (as.switch_user && ::chown(dir.c_str(), as.uid, as.gid) != 0)
        return fail(fmt::format("cannot chown {}: {}", dir, std::strerror(errno)));
    std::string data = dir + "/data";
    CIRRUS_TRY(run_to_end({bin + "/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                           "--no-sync", "-E", "UTF8", "--locale=C"},
                          dir + "/initdb.log", as));
    uint16_t port = free_port();
    // The Unix socket goes into the server's folder, not /var/run/postgresql.
    return make_server({"postgres",
                        dir,
                        port,
                        {bin + "/postgres", "-D", data, "-p", std::to_string(port), "-h",
                         "127.0.0.1", "-k", dir, "-c", "fsync=off"},
                        true});
}

} // namespace cirrus::testing
