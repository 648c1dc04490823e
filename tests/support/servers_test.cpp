// The test-server fixture itself: each server starts on a free port, answers, keeps what it
// acknowledged across a stop (clean or killed) and a start, and leaves nothing behind.
#include "servers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using cirrus::testing::Server;

// One request, one reply (up to 4 KiB) over TCP to 127.0.0.1.
std::string roundtrip(uint16_t port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        if (!request.empty()) (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) out.assign(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

TEST(Servers, RedisKeepsAcknowledgedWritesAcrossAKill) {
    auto redis = cirrus::testing::start_redis();
    ASSERT_TRUE(redis.ok()) << redis.error().message;
    Server& s = **redis;
    EXPECT_EQ((*redis)->url(), "redis://127.0.0.1:" + std::to_string(s.port()));
    EXPECT_EQ(roundtrip(s.port(), "SET k v1\r\n"), "+OK\r\n");
    ASSERT_TRUE(s.stop(/*kill=*/true).ok());
    EXPECT_FALSE(s.running());
    EXPECT_EQ(roundtrip(s.port(), "PING\r\n"), "");
    ASSERT_TRUE(s.start().ok()) << s.log();
    EXPECT_EQ(roundtrip(s.port(), "GET k\r\n"), "$2\r\nv1\r\n");
    std::string dir = s.dir();
    redis.value().reset();
    EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(Servers, NatsRunsJetStreamAndRestarts) {
    auto nats = cirrus::testing::start_nats();
    ASSERT_TRUE(nats.ok()) << nats.error().message;
    Server& s = **nats;
    std::string info = roundtrip(s.port(), "");
    EXPECT_NE(info.find("\"jetstream\":true"), std::string::npos) << info;
    ASSERT_TRUE(s.stop().ok());
    EXPECT_EQ(roundtrip(s.port(), ""), "");
    ASSERT_TRUE(s.start().ok()) << s.log();
    EXPECT_EQ(roundtrip(s.port(), "").substr(0, 4), "INFO");
}

TEST(Servers, PostgresAcceptsClientsAndRestarts) {
    auto pg = cirrus::testing::start_postgres();
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    Server& s = **pg;
    EXPECT_EQ(s.url(), "postgresql://postgres@127.0.0.1:" + std::to_string(s.port()) + "/postgres");
    ASSERT_TRUE(s.stop(/*kill=*/true).ok());
    ASSERT_TRUE(s.start().ok()) << s.log();
    ASSERT_TRUE(s.stop().ok());
    ASSERT_TRUE(s.start().ok()) << s.log();
    EXPECT_TRUE(s.running());
}

} // namespace
