// Malformed and invalid binaries, built byte by byte: each must be refused with an Error of
// kind Malformed or Invalid whose message names the byte offset ("... (at offset N)") at or
// near the fault. The binary format is spec section 5, validation section 3.
#include "cirrus/wasm/engine.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <regex>
#include <string>
#include <vector>

namespace cirrus::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t type_section = 1, import_section = 2, function_section = 3, table_section = 4,
                  memory_section = 5, global_section = 6, export_section = 7, start_section = 8,
                  code_section = 10;
constexpr uint8_t i32 = 0x7f, i64 = 0x7e;

// Opcodes used below.
constexpr uint8_t op_unreachable = 0x00, op_end = 0x0b, op_br = 0x0c, op_call = 0x10,
                  op_drop = 0x1a, op_local_get = 0x20, op_global_get = 0x23, op_global_set = 0x24,
                  op_i32_const = 0x41, op_i64_const = 0x42, op_i32_add = 0x6a;

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

Bytes leb(uint32_t value) {
    Bytes out;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        out.push_back(value != 0 ? byte | 0x80 : byte);
    } while (value != 0);
    return out;
}

Bytes header() {
    return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
}

Bytes section(uint8_t id, const Bytes& content) {
    return cat({{id}, leb(static_cast<uint32_t>(content.size())), content});
}

Bytes vec(std::initializer_list<Bytes> items) {
    Bytes out = leb(static_cast<uint32_t>(items.size()));
    for (const Bytes& item : items) out.insert(out.end(), item.begin(), item.end());
    return out;
}

Bytes func_type(const Bytes& params, const Bytes& results) {
    return cat({{0x60},
                leb(static_cast<uint32_t>(params.size())),
                params,
                leb(static_cast<uint32_t>(results.size())),
                results});
}

// A code section entry: size, no locals unless given, then the body (ending with `end`).
Bytes code_entry(const Bytes& body, const Bytes& locals = {0x00}) {
    Bytes content = cat({locals, body});
    return cat({leb(static_cast<uint32_t>(content.size())), content});
}

// A module with one function of type `type` and the given body, plus extra sections placed
// between the function and code sections (globals, say).
Bytes one_function(const Bytes& type, const Bytes& body, const Bytes& middle = {}) {
    return cat({header(), section(type_section, vec({type})), section(function_section, vec({{0}})),
                middle, section(code_section, vec({code_entry(body)}))});
}

// Checks that compiling fails with Malformed or Invalid and that the message names an offset
// in [lo, hi].
::testing::AssertionResult refused_at(const Bytes& bytes, size_t lo, size_t hi) {
    Engine engine;
    auto module = Module::compile(engine, bytes);
    if (module.ok()) return ::testing::AssertionFailure() << "compiled without error";
    const Error& error = module.error();
    if (error.kind != ErrorKind::Malformed && error.kind != ErrorKind::Invalid)
        return ::testing::AssertionFailure()
               << "kind " << error_kind_name(error.kind) << ": " << error.message;
    std::smatch match;
    static const std::regex offset_pattern("offset ([0-9]+)");
    if (!std::regex_search(error.message, match, offset_pattern))
        return ::testing::AssertionFailure() << "no offset in \"" << error.message << '"';
    size_t offset = std::stoul(match[1].str());
    if (offset < lo || offset > hi)
        return ::testing::AssertionFailure()
               << "offset " << offset << " not in [" << lo << ", " << hi << "]: " << error.message;
    return ::testing::AssertionSuccess() << error.message;
}

// The fault is somewhere in the last `tail` bytes of the module.
::testing::AssertionResult refused_near_end(const Bytes& bytes, size_t tail) {
    return refused_at(bytes, bytes.size() >= tail ? bytes.size() - tail : 0, bytes.size());
}

const Bytes void_type = func_type({}, {});
const Bytes i32_result = func_type({}, {i32});

TEST(DecodeErrors, ValidModuleCompiles) {
    Engine engine;
    Bytes bytes = one_function(i32_result, {op_i32_const, 1, op_i32_const, 2, op_i32_add, op_end});
    auto module = Module::compile(engine, bytes);
    EXPECT_TRUE(module.ok()) << module.error().to_string();
    EXPECT_TRUE(Module::compile(engine, header()).ok());
}

TEST(DecodeErrors, EmptyInput) {
    EXPECT_TRUE(refused_at({}, 0, 0));
}

TEST(DecodeErrors, TruncatedHeader) {
    EXPECT_TRUE(refused_at({0x00, 0x61, 0x73}, 0, 3));
    EXPECT_TRUE(refused_at({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00}, 4, 6));
}

TEST(DecodeErrors, BadMagic) {
    EXPECT_TRUE(refused_at({0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00}, 0, 4));
    EXPECT_TRUE(refused_at({'\\', 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}, 0, 4));
}

TEST(DecodeErrors, BadVersion) {
    EXPECT_TRUE(refused_at({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, 4, 8));
    EXPECT_TRUE(refused_at({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x01, 0x00}, 4, 8));
}

TEST(DecodeErrors, TruncatedSection) {
    // A type section that promises 5 bytes and holds 2.
    Bytes bytes = cat({header(), {type_section, 5, 0x01, 0x60}});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
    // A section id with no size at all.
    Bytes no_size = cat({header(), {type_section}});
    EXPECT_TRUE(refused_at(no_size, 8, no_size.size()));
}

TEST(DecodeErrors, OverlongLeb128) {
    // The section size takes 6 bytes; a u32 may take at most 5.
    Bytes bytes = cat({header(), {type_section, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00}});
    EXPECT_TRUE(refused_at(bytes, 9, bytes.size()));
}

TEST(DecodeErrors, OverlargeLeb128) {
    // 5 bytes, but the last sets bits beyond the 32nd.
    Bytes bytes = cat({header(), {type_section, 0x06, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00}});
    EXPECT_TRUE(refused_at(bytes, 10, bytes.size()));
    // An i32.const whose signed LEB128 overflows 32 bits.
    Bytes body = {op_i32_const, 0xff, 0xff, 0xff, 0xff, 0x4f, op_end};
    Bytes constant = one_function(i32_result, body);
    EXPECT_TRUE(refused_near_end(constant, body.size()));
}

TEST(DecodeErrors, SectionsOutOfOrder) {
    Bytes function = section(function_section, vec({}));
    Bytes types = section(type_section, vec({void_type}));
    Bytes bytes = cat({header(), function, types});
    EXPECT_TRUE(refused_at(bytes, 8 + function.size(), bytes.size()));
}

TEST(DecodeErrors, DuplicateSection) {
    Bytes types = section(type_section, vec({void_type}));
    Bytes bytes = cat({header(), types, types});
    EXPECT_TRUE(refused_at(bytes, 8 + types.size(), bytes.size()));
}

TEST(DecodeErrors, UnknownSectionId) {
    Bytes bytes = cat({header(), {0x0e, 0x00}});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, SectionSizeMismatch) {
    // The type section's one entry takes 4 bytes, the size says 5.
    Bytes bytes = cat({header(), {type_section, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00}});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, FunctionAndCodeCountsDiffer) {
    Bytes body = code_entry({op_end});
    Bytes two_declared =
        cat({header(), section(type_section, vec({void_type})),
             section(function_section, vec({{0}, {0}})), section(code_section, vec({body}))});
    EXPECT_TRUE(refused_at(two_declared, 8, two_declared.size()));
    Bytes no_code = cat(
        {header(), section(type_section, vec({void_type})), section(function_section, vec({{0}}))});
    EXPECT_TRUE(refused_at(no_code, 8, no_code.size()));
}

TEST(DecodeErrors, UnknownTypeIndex) {
    Bytes bytes = cat({header(), section(type_section, vec({void_type})),
                       section(function_section, vec({{5}})),
                       section(code_section, vec({code_entry({op_end})}))});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, UnknownOpcode) {
    Bytes body = {0xff, op_end};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size()));
}

TEST(DecodeErrors, MissingEnd) {
    Bytes body = {op_i32_const, 0x00, op_drop};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size() + 2));
}

TEST(DecodeErrors, OperandTypeMismatch) {
    // i32.add on two i64 operands.
    Bytes body = {op_i64_const, 0x01, op_i64_const, 0x02, op_i32_add, op_end};
    Bytes bytes = one_function(i32_result, body);
    EXPECT_TRUE(refused_near_end(bytes, 2));
}

TEST(DecodeErrors, StackUnderflow) {
    Bytes body = {op_i32_const, 0x01, op_i32_add, op_end};
    EXPECT_TRUE(refused_near_end(one_function(i32_result, body), 2));
}

TEST(DecodeErrors, WrongResultType) {
    Bytes body = {op_i64_const, 0x00, op_end};
    EXPECT_TRUE(refused_near_end(one_function(i32_result, body), 1));
    Bytes too_many = {op_i32_const, 0x00, op_i32_const, 0x00, op_end};
    EXPECT_TRUE(refused_near_end(one_function(i32_result, too_many), 1));
    Bytes missing = {op_end};
    EXPECT_TRUE(refused_near_end(one_function(i32_result, missing), 1));
}

TEST(DecodeErrors, BranchToBadDepth) {
    Bytes body = {op_br, 0x05, op_end};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size()));
}

TEST(DecodeErrors, UnknownLocal) {
    Bytes body = {op_local_get, 0x03, op_drop, op_end};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size()));
}

TEST(DecodeErrors, LocalOfWrongType) {
    // One declared local of type i64, returned where the result is i32.
    Bytes body = {op_local_get, 0x00, op_end};
    Bytes bytes = cat({header(), section(type_section, vec({i32_result})),
                       section(function_section, vec({{0}})),
                       section(code_section, vec({code_entry(body, {0x01, 0x01, i64})}))});
    EXPECT_TRUE(refused_near_end(bytes, 1));
}

TEST(DecodeErrors, UnknownGlobal) {
    Bytes body = {op_global_get, 0x00, op_drop, op_end};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size()));
}

TEST(DecodeErrors, UnknownFunction) {
    Bytes body = {op_call, 0x07, op_end};
    EXPECT_TRUE(refused_near_end(one_function(void_type, body), body.size()));
}

TEST(DecodeErrors, SetOfImmutableGlobal) {
    Bytes immutable_global =
        section(global_section, vec({{i32, 0x00, op_i32_const, 0x00, op_end}}));
    Bytes body = {op_i32_const, 0x01, op_global_set, 0x00, op_end};
    Bytes bytes = one_function(void_type, body, immutable_global);
    EXPECT_TRUE(refused_near_end(bytes, body.size()));
    // The same body with a mutable global is fine.
    Bytes mutable_global = section(global_section, vec({{i32, 0x01, op_i32_const, 0x00, op_end}}));
    Engine engine;
    auto module = Module::compile(engine, one_function(void_type, body, mutable_global));
    EXPECT_TRUE(module.ok()) << module.error().to_string();
}

TEST(DecodeErrors, GlobalInitializerOfWrongType) {
    Bytes global = section(global_section, vec({{i32, 0x00, op_i64_const, 0x00, op_end}}));
    Bytes bytes = cat({header(), global});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, UnreachableCodeIsStillTyped) {
    // After `unreachable` the stack is polymorphic, but i64 operands still cannot feed i32.add.
    Bytes body = {op_unreachable, op_i64_const, 0x00, op_i32_add, op_end};
    EXPECT_TRUE(refused_near_end(one_function(i32_result, body), 2));
}

TEST(DecodeErrors, TwoMemories) {
    Bytes memories = section(memory_section, vec({{0x00, 0x01}, {0x00, 0x01}}));
    Bytes bytes = cat({header(), memories});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, MemoryLimitsAboveFourGiB) {
    Bytes memory = section(memory_section, vec({cat({{0x00}, leb(65537)})}));
    Bytes bytes = cat({header(), memory});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
    Bytes min_over_max = cat({header(), section(memory_section, vec({{0x01, 0x02, 0x01}}))});
    EXPECT_TRUE(refused_at(min_over_max, 8, min_over_max.size()));
}

TEST(DecodeErrors, TableOfBadElementType) {
    Bytes table = section(table_section, vec({{i32, 0x00, 0x01}}));
    Bytes bytes = cat({header(), table});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, DuplicateExportName) {
    Bytes name = {0x01, 'f'};
    Bytes exports =
        section(export_section, vec({cat({name, {0x00, 0x00}}), cat({name, {0x00, 0x00}})}));
    Bytes bytes = cat({header(), section(type_section, vec({void_type})),
                       section(function_section, vec({{0}})), exports,
                       section(code_section, vec({code_entry({op_end})}))});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, StartFunctionWithParameters) {
    Bytes bytes = cat({header(), section(type_section, vec({func_type({i32}, {})})),
                       section(function_section, vec({{0}})), section(start_section, {0x00}),
                       section(code_section, vec({code_entry({op_end})}))});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, ImportOfUnknownKind) {
    Bytes import = cat({{0x01, 'm', 0x01, 'f'}, {0x05, 0x00}});
    Bytes bytes = cat({header(), section(import_section, vec({import}))});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

TEST(DecodeErrors, InvalidUtf8Name) {
    Bytes import = cat({{0x01, 0xff, 0x01, 'f'}, {0x00, 0x00}});
    Bytes bytes = cat({header(), section(type_section, vec({void_type})),
                       section(import_section, vec({import}))});
    EXPECT_TRUE(refused_at(bytes, 8, bytes.size()));
}

} // namespace
} // namespace cirrus::wasm
