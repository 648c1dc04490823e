// The JIT tier next to the interpreter: a module whose long functions are left to the
// interpreter (a low jit_max_function_words) while the short ones are compiled, so every call
// between the tiers, traps and backtraces across them, memory growth seen by both, and
// interruption of compiled loops are exercised. (The whole runtime suite and the spec suite
// also run under the JIT: wasm_tests.jit and spec.core.jit.* in CMakeLists.txt.)
#include "cirrus/wasm/engine.h"

#include "test_modules.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cirrus::wasm {
namespace {

using testing::compile_test_module;

EngineConfig mixed_tiers() {
    EngineConfig config;
    config.tier = Tier::Jit;
    config.jit_max_function_words = 40;
    return config;
}

class JitTiers : public ::testing::Test {
protected:
    void SetUp() override {
        module_ = compile_test_module(engine_, "tiers");
        ASSERT_TRUE(module_);
        Func* twice = store_.create_host_func(FuncType{{ValType::I32}, {ValType::I32}},
                                              [this](Caller& caller, std::span<const Value> args,
                                                     std::span<Value> results) -> Result<void> {
                                                  host_saw_ = caller.instance();
                                                  results[0] = Value::i32(args[0].as_i32() * 2);
                                                  return {};
                                              });
        Linker linker;
        linker.define("host", "twice", Extern::of(twice));
        auto instance = linker.instantiate(store_, module_);
        ASSERT_TRUE(instance.ok()) << instance.error().to_string();
        instance_ = *instance;
    }

    Result<std::vector<Value>> call(std::string_view name, std::vector<Value> args) {
        Func* f = instance_->get_func(name);
        EXPECT_NE(f, nullptr) << name;
        if (!f) return make_error(ErrorKind::Usage, "no such export");
        return store_.call(f, args);
    }
    int32_t call_i32(std::string_view name, std::vector<Value> args) {
        auto r = call(name, std::move(args));
        EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
        return r.ok() && r->size() == 1 ? (*r)[0].as_i32() : -1;
    }

    Engine engine_{mixed_tiers()};
    Store store_{engine_};
    std::shared_ptr<const Module> module_;
    Instance* instance_ = nullptr;
    Instance* host_saw_ = nullptr;
};

TEST_F(JitTiers, LongFunctionsAreLeftToTheInterpreter) {
    auto stats = module_->jit_stats();
    ASSERT_TRUE(stats.has_value());
    // interp_add_two, interp_middle, interp_pong, interp_size.
    EXPECT_EQ(stats->interpreted_functions, 4u);
    EXPECT_EQ(stats->compiled_functions, 10u);
    EXPECT_NE(stats->fallback_reason.find("more than the limit of 40"), std::string::npos)
        << stats->fallback_reason;

    Engine interpreter_only(EngineConfig{.tier = Tier::Interpreter});
    auto plain = compile_test_module(interpreter_only, "tiers");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->jit_stats().has_value());
}

TEST_F(JitTiers, CallsGoBothWaysAndReachTheHost) {
    EXPECT_EQ(call_i32("jit_add_one", {Value::i32(41)}), 42);
    // compiled → interpreted → compiled, host; (5 + 1) * 2 + 2 + 1
    EXPECT_EQ(call_i32("jit_calls_interp", {Value::i32(5)}), 15);
    EXPECT_EQ(host_saw_, instance_);
    // The interpreted function called directly from the host.
    EXPECT_EQ(call_i32("interp_add_two", {Value::i32(5)}), 14);
    EXPECT_EQ(instance_->get_global("count")->get().as_i32(), 12);
}

TEST_F(JitTiers, IndirectCallsFromCompiledCode) {
    EXPECT_EQ(call_i32("jit_call_indirect", {Value::i32(0), Value::i32(9)}), 10);
    EXPECT_EQ(call_i32("jit_call_indirect", {Value::i32(1), Value::i32(9)}), 22);
    auto uninitialized = call("jit_call_indirect", {Value::i32(2), Value::i32(9)});
    ASSERT_FALSE(uninitialized.ok());
    EXPECT_EQ(uninitialized.error().message, "uninitialized element");
    auto undefined = call("jit_call_indirect", {Value::i32(7), Value::i32(9)});
    ASSERT_FALSE(undefined.ok());
    EXPECT_EQ(undefined.error().message, "undefined element");
    ASSERT_FALSE(undefined.error().backtrace.empty());
    EXPECT_NE(undefined.error().backtrace[0].find("jit_call_indirect"), std::string::npos);
}

TEST_F(JitTiers, TrapBacktraceCrossesTheTiers) {
    EXPECT_EQ(call_i32("jit_outer", {Value::i32(1)}), 1);
    auto r = call("jit_outer", {Value::i32(0)});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Trap);
    EXPECT_EQ(r.error().message, "integer divide by zero");
    ASSERT_EQ(r.error().backtrace.size(), 3u) << r.error().to_string();
    EXPECT_NE(r.error().backtrace[0].find("jit_inner"), std::string::npos);
    EXPECT_NE(r.error().backtrace[1].find("interp_middle"), std::string::npos);
    EXPECT_NE(r.error().backtrace[2].find("jit_outer"), std::string::npos);
    // The store is usable after the trap.
    EXPECT_EQ(call_i32("jit_add_one", {Value::i32(1)}), 2);
}

TEST_F(JitTiers, EndlessRecursionAcrossTiersIsExhaustion) {
    auto r = call("jit_ping", {Value::i32(0)});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Exhaustion) << r.error().to_string();
    EXPECT_EQ(r.error().message, "call stack exhausted");
    EXPECT_EQ(call_i32("jit_add_one", {Value::i32(1)}), 2);
}

TEST_F(JitTiers, MemoryGrownByCompiledCodeIsSeenByBothTiers) {
    EXPECT_EQ(call_i32("interp_size", {}), 1);
    auto oob = call("jit_store", {Value::i32(70000), Value::i32(5)});
    ASSERT_FALSE(oob.ok());
    EXPECT_EQ(oob.error().message, "out of bounds memory access");
    EXPECT_EQ(call_i32("jit_grow", {Value::i32(1)}), 1);
    EXPECT_EQ(call_i32("interp_size", {}), 2);
    ASSERT_TRUE(call("jit_store", {Value::i32(70000), Value::i32(5)}).ok());
    EXPECT_EQ(call_i32("jit_load", {Value::i32(70000)}), 5);
    EXPECT_EQ(instance_->get_memory("memory")->data()[70000], 5);
    // The type's maximum is 4 pages: growing past it gives -1, and nothing changes.
    EXPECT_EQ(call_i32("jit_grow", {Value::i32(3)}), -1);
    EXPECT_EQ(call_i32("interp_size", {}), 2);
    auto end = call("jit_load", {Value::i32(2 * 65536 - 2)});
    ASSERT_FALSE(end.ok());
    EXPECT_EQ(end.error().message, "out of bounds memory access");
}

TEST_F(JitTiers, FuelStopsACompiledLoop) {
    store_.set_fuel(5000);
    auto r = call("jit_spin", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "all fuel consumed");
    EXPECT_EQ(store_.fuel(), 0u);
    store_.set_fuel(std::nullopt);
}

TEST_F(JitTiers, DeadlineStopsACompiledLoopFromAnotherThread) {
    store_.set_epoch_deadline(1);
    std::thread ticker([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        engine_.increment_epoch();
    });
    auto r = call("jit_spin", {});
    ticker.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "interrupted: the guest ran past its deadline");
    ASSERT_FALSE(r.error().backtrace.empty());
    EXPECT_NE(r.error().backtrace[0].find("jit_spin"), std::string::npos);
}

} // namespace
} // namespace cirrus::wasm
