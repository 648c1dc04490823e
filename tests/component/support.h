// Shared by the component tests: loading the test components built into the build folder.
#pragma once

#include "cirrus/component/component.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::component::test {

std::vector<uint8_t> read_test_file(const std::string& name);
// Compiles build/.../components/NAME.wasm; fails the test on an error.
std::shared_ptr<const Component> load(const wasm::Engine& engine, const std::string& name);

// Parses `text` as WAVE of `type` (the test fails when it does not parse).
Val wave(const ValType* type, const std::string& text);

} // namespace cirrus::component::test
