// Links, secret sources and configuration merging: what `--link`, `--secret` and `--config`
// accept, and the errors for what they do not.
#include "cirrus/capabilities/provider.h"
#include "cirrus/host/imports.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace cirrus::capabilities {
namespace {

TEST(Links, ParsesFamilyBackendAndSettings) {
    auto link = parse_link("wasmcloud:secrets=file,dir=/run/secrets");
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_EQ(link->interface, "wasmcloud:secrets");
    EXPECT_EQ(link->backend, "file");
    EXPECT_EQ(link->setting("dir"), "/run/secrets");
    EXPECT_EQ(link->setting("prefix"), std::nullopt);
}

TEST(Links, AnInterfaceOrVersionNamesItsFamily) {
    auto link = parse_link("wasmcloud:secrets/store@0.1.0-draft=env,prefix=APP_");
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_EQ(link->interface, "wasmcloud:secrets");
    EXPECT_EQ(link->setting("prefix"), "APP_");
}

TEST(Links, ErrorsSayWhatWasWrongAndWhatIsKnown) {
    auto unknown = parse_link("wasi:nothing=memory");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("unknown interface `wasi:nothing`"), std::string::npos);
    EXPECT_NE(unknown.error().message.find("wasi:logging"), std::string::npos);

    auto backend = parse_link("wasi:logging=syslog");
    ASSERT_FALSE(backend.ok());
    EXPECT_EQ(backend.error().message,
              "--link wasi:logging: unknown backend `syslog` (known: host)");

    auto setting = parse_link("wasmcloud:secrets=env,prefix=A,colour=blue");
    ASSERT_FALSE(setting.ok());
    EXPECT_EQ(setting.error().message,
              "--link wasmcloud:secrets=env: unknown setting `colour` (known: prefix)");

    auto shape = parse_link("wasmcloud:secrets=env,prefix");
    ASSERT_FALSE(shape.ok());
    EXPECT_NE(shape.error().message.find("expected key=value"), std::string::npos);

    for (const char* bad : {"", "=memory", "wasi:logging"}) {
        auto r = parse_link(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("INTERFACE=BACKEND"), std::string::npos);
    }
}

TEST(Links, HostileTextIsEscapedInErrors) {
    auto r = parse_link("wasi:\x1b[31mred\n=x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
}

TEST(Links, AFamilyLinkedTwiceIsRefused) {
    Options o;
    o.links = {*parse_link("wasmcloud:secrets=env"), *parse_link("wasmcloud:secrets=local")};
    auto caps = Capabilities::create(o);
    ASSERT_FALSE(caps.ok());
    EXPECT_EQ(caps.error().message, "wasmcloud:secrets is linked twice");
}

TEST(Links, UnlinkedFamiliesGetTheirEmbeddedDefault) {
    Options o;
    o.links = {*parse_link("wasmcloud:secrets=env")};
    auto caps = Capabilities::create(o);
    ASSERT_TRUE(caps.ok()) << caps.error().message;
    EXPECT_EQ((*caps)->backend_of("wasmcloud:secrets"), "env");
    EXPECT_EQ((*caps)->backend_of("wasi:logging"), "host");
    EXPECT_EQ((*caps)->backend_of("wasi:config"), "local");
    EXPECT_TRUE((*caps)->serves("wasi:logging/logging"));
    EXPECT_TRUE((*caps)->serves("wasi:config/runtime@0.2.0-draft"));
    EXPECT_FALSE((*caps)->serves("wasi:config/store@0.3.0"));
}

TEST(Secrets, SourcesAreLiteralFileOrEnvironment) {
    auto lit = parse_secret("api=s3cr3t=x");
    ASSERT_TRUE(lit.ok());
    EXPECT_EQ(lit->name, "api");
    EXPECT_EQ(lit->value, "s3cr3t=x");
    EXPECT_FALSE(lit->binary);

    std::string path = testing::TempDir() + "/cirrus-secret";
    std::ofstream(path, std::ios::binary) << std::string("\xff\x00\x01", 3);
    auto file = parse_secret("key=@file:" + path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_EQ(file->value, std::string("\xff\x00\x01", 3));
    EXPECT_TRUE(file->binary);
    std::remove(path.c_str());

    ::setenv("CIRRUS_TEST_SECRET", "from-env", 1);
    auto env = parse_secret("tok=@env:CIRRUS_TEST_SECRET");
    ASSERT_TRUE(env.ok());
    EXPECT_EQ(env->value, "from-env");
}

TEST(Secrets, ErrorsNeverContainTheValue) {
    auto no_name = parse_secret("=hunter2");
    ASSERT_FALSE(no_name.ok());
    EXPECT_EQ(no_name.error().message.find("hunter2"), std::string::npos);
    auto no_eq = parse_secret("hunter2");
    ASSERT_FALSE(no_eq.ok());
    EXPECT_EQ(no_eq.error().message.find("hunter2"), std::string::npos);
    auto missing = parse_secret("db=@file:/nonexistent/hunter2");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("secret db: cannot read file"), std::string::npos);
    ::unsetenv("CIRRUS_NO_SUCH_VAR");
    auto unset = parse_secret("db=@env:CIRRUS_NO_SUCH_VAR");
    ASSERT_FALSE(unset.ok());
    EXPECT_NE(unset.error().message.find("CIRRUS_NO_SUCH_VAR is not set"), std::string::npos);
}

TEST(Config, NamedConfigurationsMergeInOrderLastWins) {
    auto merged = merge_configs({{"base", {{"a", "1"}, {"b", "2"}}},
                                 {"override", {{"b", "3"}, {"c", "4"}}},
                                 {"last", {{"a", "5"}}}});
    std::vector<std::pair<std::string, std::string>> want = {{"a", "5"}, {"b", "3"}, {"c", "4"}};
    EXPECT_EQ(merged, want);
}

TEST(Flags, CommandLineFormsBecomeOptions) {
    host::CapabilityFlags f;
    f.links = {"wasmcloud:secrets=env,prefix=X_"};
    f.config = {"a=1", "b=x=y", "a=2"};
    f.secrets = {"s=v"};
    f.log_level = "warn";
    auto o = host::parse_capability_flags(f);
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_EQ(o->links.size(), 1u);
    ASSERT_EQ(o->configs.size(), 1u);
    EXPECT_EQ(merge_configs(o->configs),
              (std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"b", "x=y"}}));
    EXPECT_EQ(o->secrets.at(0).value, "v");
    EXPECT_EQ(o->log_level, LogLevel::Warn);

    f.config = {"novalue"};
    auto bad = host::parse_capability_flags(f);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "--config takes KEY=VALUE, got `novalue`");
}

TEST(Text, SanitizeEscapesControlsAndInvalidUtf8) {
    EXPECT_EQ(sanitize_text("plain ünïcode"), "plain ünïcode");
    EXPECT_EQ(sanitize_text("a\nb\tc\x1b"), "a\\nb\\tc\\u{1b}");
    EXPECT_EQ(sanitize_text("\xff"
                            "ok"),
              "\\xffok");
}

} // namespace
} // namespace cirrus::capabilities
