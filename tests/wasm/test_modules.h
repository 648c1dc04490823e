// Loading the test modules that tests/wasm/CMakeLists.txt builds from modules/*.wat.
#pragma once

#include "cirrus/wasm/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::wasm::testing {

inline std::vector<uint8_t> read_test_module(const std::string& name) {
    std::ifstream in(std::string(CIRRUS_TEST_MODULES_DIR) + "/" + name + ".wasm", std::ios::binary);
    EXPECT_TRUE(in.good()) << "missing test module " << name << ".wasm";
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
}

// Compiles modules/<name>.wat (as built by wat2wasm); fails the test when it does not compile.
inline std::shared_ptr<const Module> compile_test_module(const Engine& engine,
                                                         const std::string& name) {
    auto module = Module::compile(engine, read_test_module(name));
    EXPECT_TRUE(module.ok()) << name << ": " << (module.ok() ? "" : module.error().to_string());
    return module.ok() ? *module : nullptr;
}

} // namespace cirrus::wasm::testing
