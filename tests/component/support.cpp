#include "support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace cirrus::component::test {

std::vector<uint8_t> read_test_file(const std::string& name) {
    std::ifstream in(std::string(CIRRUS_TEST_COMPONENTS) + "/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << "missing test component " << name;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<const Component> load(const wasm::Engine& engine, const std::string& name) {
    auto bytes = read_test_file(name + ".wasm");
    auto c = Component::compile(engine, bytes);
    EXPECT_TRUE(c.ok()) << name << ": " << (c.ok() ? "" : c.error().to_string());
    return c.ok() ? *c : nullptr;
}

Val wave(const ValType* type, const std::string& text) {
    WaveError err;
    auto v = wave_parse(text, type, &err);
    EXPECT_TRUE(v.has_value()) << text << ": " << err.message << " at " << err.offset;
    return v ? *v : Val();
}

} // namespace cirrus::component::test
