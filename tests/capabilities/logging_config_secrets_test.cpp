// wasi:logging, wasi:config and wasmcloud:secrets end to end: the C guest (caps_guest.c) calls
// them through the canonical ABI, in-process and through `cirrus run`.
#include "cirrus/capabilities/provider.h"
#include "guest_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cirrus::testing {
namespace {

using capabilities::LogLevel;
using capabilities::Options;

TEST(Logging, GuestMessagesGoToTheHostLogWithLevelAndContext) {
    Options o;
    o.component = "greeter";
    GuestRun r = run_guest("caps_guest", {"log", "3", "db", "connection slow"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(*r.status, 0) << r.err;
    EXPECT_EQ(r.out, "logged\n");
    EXPECT_EQ(r.log, "warning component=\"greeter\" context=\"db\" message=\"connection slow\"\n");
}

TEST(Logging, ThePerComponentLevelDropsWhatIsBelowIt) {
    Options o;
    o.log_level = LogLevel::Error;
    EXPECT_EQ(run_guest("caps_guest", {"log", "3", "c", "warned"}, o).log, "");
    EXPECT_NE(
        run_guest("caps_guest", {"log", "4", "c", "failed"}, o).log.find("message=\"failed\""),
        std::string::npos);
    o.log_level = LogLevel::Trace;
    EXPECT_EQ(run_guest("caps_guest", {"log", "0", "c", "t"}, o).log.substr(0, 6), "trace ");
    o.log_level = LogLevel::Off;
    EXPECT_EQ(run_guest("caps_guest", {"log", "5", "c", "critical"}, o).log, "");
}

TEST(Logging, AGuestCannotForgeLogLines) {
    GuestRun r = run_guest("caps_guest", {"log", "2", "x\" level=\"error", "one\nerror fake line"});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.log, "info component=\"component\" context=\"x\\\" level=\\\"error\" "
                     "message=\"one\\nerror fake line\"\n");
}

TEST(Logging, TheUnversionedInterfaceIsServedToo) {
    Options o;
    o.log_level = LogLevel::Debug;
    GuestRun r = run_guest("caps_guest_legacy", {"log", "1", "old", "still here"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.log, "debug component=\"component\" context=\"old\" message=\"still here\"\n");
}

TEST(Config, StoreGetAndGetAllSeeMergedConfigurations) {
    Options o;
    o.configs = {{"defaults", {{"greeting", "hello"}, {"port", "80"}}},
                 {"site", {{"port", "8080"}, {"name", "ünï"}}}};
    GuestRun r = run_guest("caps_guest", {"config", "port", "greeting", "missing", "name"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.out, "get port: 8080\n"
                     "get greeting: hello\n"
                     "get missing: none\n"
                     "get name: ünï\n"
                     "get-all: 3\n"
                     "  greeting=hello\n"
                     "  port=8080\n"
                     "  name=ünï\n");
}

TEST(Config, TheLegacyRuntimeInterfaceServesTheSameValues) {
    Options o;
    o.configs = {{"cli", {{"k", "v"}}}};
    GuestRun r = run_guest("caps_guest_legacy", {"config", "k", "nope"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.out, "get k: v\nget nope: none\nget-all: 1\n  k=v\n");
}

TEST(Config, EmptyWhenNothingIsGiven) {
    GuestRun r = run_guest("caps_guest", {"config", "any"});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.out, "get any: none\nget-all: 0\n");
}

TEST(Secrets, GetRevealsStringsAndBytesAndNotFound) {
    Options o;
    o.secrets = {{"api", "hunter2", false}, {"blob", std::string("\xff\x01", 2), true}};
    GuestRun r = run_guest("caps_guest", {"secret", "api", "blob", "nope"}, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error().to_string();
    EXPECT_EQ(r.out, "secret api: string of 7 bytes\n"
                     "secret blob: bytes of 2 bytes\n"
                     "secret nope: not-found\n");
    GuestRun show = run_guest("caps_guest", {"secret-show", "api"}, o);
    EXPECT_EQ(show.out, "secret api: string hunter2\n");
}

TEST(Secrets, EnvAndFileBackends) {
    ::setenv("CIRRUS_T_db", "pw-from-env", 1);
    Options env;
    env.links = {*capabilities::parse_link("wasmcloud:secrets=env,prefix=CIRRUS_T_")};
    EXPECT_EQ(run_guest("caps_guest", {"secret-show", "db", "other"}, env).out,
              "secret db: string pw-from-env\nsecret other: not-found\n");

    std::string dir = ::testing::TempDir() + "/cirrus-secrets";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/tls") << "cert";
    std::ofstream(::testing::TempDir() + "/outside") << "not a secret";
    Options file;
    file.links = {*capabilities::parse_link("wasmcloud:secrets=file,dir=" + dir)};
    // A name is one path component: no way out of the folder.
    EXPECT_EQ(
        run_guest("caps_guest", {"secret-show", "tls", "../outside", "/etc/passwd", ".."}, file)
            .out,
        "secret tls: string cert\nsecret ../outside: not-found\n"
        "secret /etc/passwd: not-found\nsecret ..: not-found\n");
    std::filesystem::remove_all(dir);
    std::filesystem::remove(::testing::TempDir() + "/outside");
}

TEST(Secrets, NeverInTheLogOrInErrors) {
    // The host logs every level, the guest uses the secret and logs about it, a link fails
    // and the CLI reports errors: the value appears nowhere but where the guest printed it.
    Options o;
    o.log_level = LogLevel::Trace;
    o.secrets = {{"api", "hunter2", false}};
    GuestRun r = run_guest("caps_guest", {"secret", "api"}, o);
    EXPECT_EQ(r.log.find("hunter2"), std::string::npos);
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos);

    std::string wasm = caps_component("caps_guest");
    CliRun bad_link = run_cli({"run", "--secret", "api=hunter2", "--link", "wasmcloud:secrets=file",
                               wasm, "secret", "api"});
    EXPECT_EQ(bad_link.status, 1);
    EXPECT_NE(bad_link.err.find("dir=DIRECTORY"), std::string::npos) << bad_link.err;
    CliRun bad_secret = run_cli({"run", "--secret", "hunter2", wasm});
    EXPECT_EQ(bad_secret.status, 1);
    CliRun bad_file = run_cli({"run", "--secret", "x=@file:/nonexistent/secret", wasm});
    EXPECT_EQ(bad_file.status, 1);
    CliRun ok =
        run_cli({"run", "--log-level", "trace", "--secret", "api=hunter2", wasm, "secret", "api"});
    EXPECT_EQ(ok.status, 0) << ok.err;
    EXPECT_EQ(ok.out, "secret api: string of 7 bytes\n");
    for (const CliRun* c : {&bad_link, &bad_secret, &ok}) {
        EXPECT_EQ(c->err.find("hunter2"), std::string::npos) << c->err;
        EXPECT_EQ(c->out.find("hunter2"), std::string::npos) << c->out;
    }
    EXPECT_NE(bad_file.err.find("--secret x: cannot read file"), std::string::npos);
}

TEST(Run, CliFlagsReachTheGuest) {
    std::string wasm = caps_component("caps_guest");
    CliRun r = run_cli({"run", "--config", "a=1", "--config", "a=2", wasm, "config", "a"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "get a: 2\nget-all: 1\n  a=2\n");
    CliRun log = run_cli({"run", wasm, "log", "4", "ctx", "to stderr"});
    EXPECT_EQ(log.status, 0);
    EXPECT_EQ(log.out, "logged\n");
    EXPECT_NE(log.err.find("component=\"caps_guest\" context=\"ctx\" message=\"to stderr\""),
              std::string::npos)
        << log.err;
}

TEST(Run, UnservedImportsAreRefusedWithTheList) {
    GuestRun r = run_guest("unlinked", {});
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().kind, ErrorKind::Unlinkable);
    EXPECT_EQ(r.status.error().message, "the component imports what this host does not provide:\n"
                                        "  wasi:logging/logging@0.2.0\n"
                                        "  wasi:keyvalue/store@0.1.0");
}

} // namespace
} // namespace cirrus::testing
