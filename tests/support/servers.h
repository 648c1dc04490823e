// Real servers for integration tests: redis-server, nats-server with JetStream, and PostgreSQL,
// each started as a child process on 127.0.0.1 and a free port with its data in a fresh
// temporary folder, stoppable and restartable on the same port with the same data (for fault
// tests), and stopped and removed when the object goes. Nothing needs to be running before.
//
//   auto redis = cirrus::testing::start_redis();   // Result<std::unique_ptr<Server>>
//   ASSERT_TRUE(redis.ok()) << redis.error().message;
//   (*redis)->url();                               // "redis://127.0.0.1:PORT"
//   (*redis)->stop();  ...  (*redis)->start();
//
// Redis keeps an append-only file synced on every write and JetStream stores on disk, so what
// a server acknowledged survives stop() and start(). PostgreSQL runs as user `postgres` when
// the tests run as root (it refuses root), with trust authentication for user `postgres`.
#pragma once

#include "cirrus/support/result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::testing {

struct ServerSpec {
    std::string name;
    std::string dir;
    uint16_t port = 0;
    std::vector<std::string> argv;
    bool as_postgres = false;
};

class Server {
public:
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    const std::string& name() const { return name_; }
    uint16_t port() const { return port_; }
    // redis://127.0.0.1:PORT, nats://127.0.0.1:PORT, or
    // postgresql://postgres@127.0.0.1:PORT/postgres
    std::string url() const;
    // The server's data and log folder.
    const std::string& dir() const { return dir_; }
    bool running() const { return pid_ > 0; }

    // Stops the server: a clean shutdown, or SIGKILL when `kill` (a crash). Waits until the
    // process is gone.
    Result<void> stop(bool kill = false);
    // Starts it again on the same port with the same data; returns when it accepts clients.
    Result<void> start();
    // The server's output so far (for a failing test's message).
    std::string log() const;

private:
    friend Result<std::unique_ptr<Server>> make_server(ServerSpec spec);
    Server() = default;
    std::string name_;
    std::string dir_;
    uint16_t port_ = 0;
    std::vector<std::string> argv_;
    bool as_postgres_ = false;
    int pid_ = -1;
};

// `durable`: the append-only file is synced on every write (what the fault tests need); false
// for benchmarks that measure the client rather than the disk.
Result<std::unique_ptr<Server>> start_redis(bool durable = true);
Result<std::unique_ptr<Server>> start_nats();
Result<std::unique_ptr<Server>> start_postgres();

// A TCP port on 127.0.0.1 nothing listens on now.
uint16_t free_port();

} // namespace cirrus::testing
