// The engine's embedding API as a host program uses it: host functions, traps with backtraces,
// store limits on memory, interruption from another thread, fuel, call depth, export lookup.
#include "cirrus/wasm/engine.h"

#include "test_modules.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cirrus::wasm {
namespace {

using testing::compile_test_module;

std::string joined_backtrace(const Error& error) {
    std::string text;
    for (const std::string& frame : error.backtrace) text += frame + "\n";
    return text;
}

// Instantiates a module that imports nothing.
Instance* instantiate(Store& store, const std::shared_ptr<const Module>& module) {
    if (!module) return nullptr;
    auto instance = Linker().instantiate(store, module);
    EXPECT_TRUE(instance.ok()) << (instance.ok() ? "" : instance.error().to_string());
    return instance.ok() ? *instance : nullptr;
}

TEST(Runtime, HostFunctionIsCalledWithArgumentsAndCaller) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "host_calls");
    ASSERT_TRUE(module);

    Instance* seen_instance = nullptr;
    Memory* seen_memory = nullptr;
    Func* add = store.create_host_func(
        FuncType{{ValType::I32, ValType::I32}, {ValType::I32}},
        [&](Caller& caller, std::span<const Value> args, std::span<Value> results) -> Result<void> {
            seen_instance = caller.instance();
            seen_memory = caller.memory();
            results[0] = Value::i32(args[0].as_i32() + args[1].as_i32());
            return {};
        });
    Func* fail = store.create_host_func(
        FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
            return make_error(ErrorKind::Trap, "host says no");
        });
    Linker linker;
    linker.define("host", "add", Extern::of(add));
    linker.define("host", "fail", Extern::of(fail));
    auto instance = linker.instantiate(store, module);
    ASSERT_TRUE(instance.ok()) << instance.error().to_string();

    Value args[] = {Value::i32(40), Value::i32(2)};
    auto results = store.call((*instance)->get_func("call_add"), args);
    ASSERT_TRUE(results.ok()) << results.error().to_string();
    ASSERT_EQ(results->size(), 1u);
    EXPECT_EQ((*results)[0].type, ValType::I32);
    EXPECT_EQ((*results)[0].as_i32(), 42);
    EXPECT_EQ(seen_instance, *instance);
    EXPECT_EQ(seen_memory, (*instance)->get_memory("memory"));

    auto failed = store.call((*instance)->get_func("call_fail"), {});
    ASSERT_FALSE(failed.ok());
    EXPECT_TRUE(failed.error().is_trap()) << failed.error().to_string();
    EXPECT_NE(failed.error().message.find("host says no"), std::string::npos)
        << failed.error().message;

    // The host function can be called from the host too.
    auto direct = store.call(add, args);
    ASSERT_TRUE(direct.ok()) << direct.error().to_string();
    EXPECT_EQ((*direct)[0].as_i32(), 42);
}

TEST(Runtime, MissingImportIsUnlinkableAndNamed) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "host_calls");
    ASSERT_TRUE(module);
    auto instance = Linker().instantiate(store, module);
    ASSERT_FALSE(instance.ok());
    EXPECT_EQ(instance.error().kind, ErrorKind::Unlinkable);
    EXPECT_NE(instance.error().message.find("add"), std::string::npos) << instance.error().message;
}

TEST(Runtime, ImportOfTheWrongTypeIsUnlinkable) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "host_calls");
    ASSERT_TRUE(module);
    auto noop = [](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
        return {};
    };
    Linker linker;
    linker.define("host", "add",
                  Extern::of(store.create_host_func(FuncType{{ValType::I64}, {}}, noop)));
    linker.define("host", "fail", Extern::of(store.create_host_func(FuncType{}, noop)));
    auto instance = linker.instantiate(store, module);
    ASSERT_FALSE(instance.ok());
    EXPECT_EQ(instance.error().kind, ErrorKind::Unlinkable) << instance.error().to_string();
}

TEST(Runtime, TrapCarriesReasonAndNamedBacktrace) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "traps");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);

    auto result = store.call(instance->get_func("outer"), {});
    ASSERT_FALSE(result.ok());
    const Error& error = result.error();
    EXPECT_EQ(error.kind, ErrorKind::Trap);
    EXPECT_NE(error.message.find("unreachable"), std::string::npos) << error.message;

    // Innermost first: inner, middle, outer, each named from the name section.
    std::string trace = joined_backtrace(error);
    ASSERT_GE(error.backtrace.size(), 3u) << trace;
    EXPECT_NE(error.backtrace[0].find("inner"), std::string::npos) << trace;
    EXPECT_NE(error.backtrace[1].find("middle"), std::string::npos) << trace;
    EXPECT_NE(error.backtrace[2].find("outer"), std::string::npos) << trace;
    EXPECT_NE(error.to_string().find("middle"), std::string::npos) << error.to_string();

    // The store stays usable after a trap.
    Value args[] = {Value::i32(7), Value::i32(0)};
    auto divided = store.call(instance->get_func("divide"), args);
    ASSERT_FALSE(divided.ok());
    EXPECT_NE(divided.error().message.find("integer divide by zero"), std::string::npos)
        << divided.error().message;
    Value good[] = {Value::i32(7), Value::i32(2)};
    auto ok = store.call(instance->get_func("divide"), good);
    ASSERT_TRUE(ok.ok()) << ok.error().to_string();
    EXPECT_EQ((*ok)[0].as_i32(), 3);
}

TEST(Runtime, FunctionNamesComeFromTheNameSection) {
    Engine engine;
    auto module = compile_test_module(engine, "traps");
    ASSERT_TRUE(module);
    EXPECT_EQ(module->function_name(0), "inner");
    EXPECT_EQ(module->function_name(1), "middle");
    EXPECT_EQ(module->function_name(2), "outer");
    EXPECT_EQ(module->function_name(1000), "");
}

TEST(Runtime, DeepRecursionIsExhaustion) {
    EngineConfig config;
    config.max_call_depth = 1000;
    Engine engine(config);
    Store store(engine);
    auto module = compile_test_module(engine, "traps");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    Value args[] = {Value::i32(0)};
    auto result = store.call(instance->get_func("recurse"), args);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Exhaustion) << result.error().to_string();
    EXPECT_NE(result.error().message.find("call stack exhausted"), std::string::npos)
        << result.error().message;
}

TEST(Runtime, MemoryGrowStopsAtTheStoreLimit) {
    Engine engine;
    StoreLimits limits;
    limits.max_memory_pages = 3;
    Store store(engine, limits);
    auto module = compile_test_module(engine, "memory");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    Func* grow = instance->get_func("grow");
    auto grow_by = [&](int32_t pages) {
        Value args[] = {Value::i32(pages)};
        auto result = store.call(grow, args);
        EXPECT_TRUE(result.ok()) << result.error().to_string();
        return result.ok() ? (*result)[0].as_i32() : -2;
    };
    EXPECT_EQ(grow_by(1), 1);
    EXPECT_EQ(grow_by(1), 2);
    EXPECT_EQ(grow_by(1), -1); // 4 pages would pass the store's limit of 3
    EXPECT_EQ(grow_by(0), 3);

    Memory* memory = instance->get_memory("memory");
    ASSERT_TRUE(memory);
    EXPECT_EQ(memory->pages(), 3u);
    EXPECT_EQ(memory->size_bytes(), 3 * Memory::page_size);
    EXPECT_FALSE(memory->grow(1).ok());
    EXPECT_EQ(memory->pages(), 3u);

    // Growing makes the new pages addressable, zeroed.
    Value last_word[] = {Value::i32(3 * 65536 - 4)};
    auto loaded = store.call(instance->get_func("load"), last_word);
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_EQ((*loaded)[0].as_i32(), 0);
    Value past_end[] = {Value::i32(3 * 65536 - 3)};
    auto out_of_bounds = store.call(instance->get_func("load"), past_end);
    ASSERT_FALSE(out_of_bounds.ok());
    EXPECT_NE(out_of_bounds.error().message.find("out of bounds memory access"), std::string::npos);
}

TEST(Runtime, MemoryGrowStopsAtTheTypeMaximum) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "memory");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    Value ten[] = {Value::i32(10)};
    auto refused = store.call(instance->get_func("grow"), ten);
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ((*refused)[0].as_i32(), -1);
    Value nine[] = {Value::i32(9)};
    auto grown = store.call(instance->get_func("grow"), nine);
    ASSERT_TRUE(grown.ok());
    EXPECT_EQ((*grown)[0].as_i32(), 1);
}

bool is_interruption(const Error& error) {
    return error.kind == ErrorKind::Trap || error.kind == ErrorKind::Limit;
}

TEST(Runtime, InterruptStopsAnEndlessLoopFromAnotherThread) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "loops");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        store.interrupt();
    });
    auto result = store.call(instance->get_func("spin"), {});
    interrupter.join();
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(is_interruption(result.error())) << result.error().to_string();
}

TEST(Runtime, EpochDeadlineStopsAnEndlessLoop) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "loops");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    store.set_epoch_deadline(1);
    std::thread ticker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        engine.increment_epoch();
    });
    auto result = store.call(instance->get_func("spin"), {});
    ticker.join();
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(is_interruption(result.error())) << result.error().to_string();
    EXPECT_NE(result.error().message.find("deadline"), std::string::npos) << result.error().message;

    // Without a deadline the store runs again.
    store.clear_epoch_deadline();
    engine.increment_epoch();
    Value args[] = {Value::i32(100)};
    auto counted = store.call(instance->get_func("count"), args);
    ASSERT_TRUE(counted.ok()) << counted.error().to_string();
    EXPECT_EQ((*counted)[0].as_i32(), 100);
}

TEST(Runtime, FuelRunsOut) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "loops");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);
    EXPECT_FALSE(store.fuel().has_value());

    store.set_fuel(10000);
    Value args[] = {Value::i32(100)};
    auto counted = store.call(instance->get_func("count"), args);
    ASSERT_TRUE(counted.ok()) << counted.error().to_string();
    EXPECT_EQ((*counted)[0].as_i32(), 100);
    ASSERT_TRUE(store.fuel().has_value());
    EXPECT_LT(*store.fuel(), 10000u - 100u); // at least one unit per iteration
    EXPECT_GT(*store.fuel(), 0u);

    store.set_fuel(1000);
    auto result = store.call(instance->get_func("spin"), {});
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(is_interruption(result.error())) << result.error().to_string();
    EXPECT_NE(result.error().message.find("fuel"), std::string::npos) << result.error().message;
    EXPECT_EQ(store.fuel(), std::optional<uint64_t>(0));

    store.set_fuel(std::nullopt);
    EXPECT_FALSE(store.fuel().has_value());
}

TEST(Runtime, ExportsAreFoundByNameAndKind) {
    Engine engine;
    Store store(engine);
    auto module = compile_test_module(engine, "exports");
    Instance* instance = instantiate(store, module);
    ASSERT_TRUE(instance);

    const auto& descs = module->exports();
    ASSERT_EQ(descs.size(), 5u);
    EXPECT_EQ(descs[0].name, "f");
    EXPECT_EQ(descs[0].kind, ExternKind::Func);
    EXPECT_EQ(descs[0].type.func, (FuncType{{ValType::I32}, {ValType::I32}}));
    EXPECT_EQ(descs[1].kind, ExternKind::Table);
    EXPECT_EQ(descs[1].type.table.limits.min, 2u);
    EXPECT_EQ(descs[2].kind, ExternKind::Memory);
    EXPECT_EQ(descs[3].kind, ExternKind::Global);
    EXPECT_TRUE(descs[3].type.global.mutable_);
    EXPECT_EQ(descs[4].name, "constant");

    ASSERT_EQ(instance->exports().size(), 5u);
    EXPECT_EQ(instance->exports()[2].first, "memory");
    EXPECT_NE(instance->get_func("f"), nullptr);
    EXPECT_EQ(instance->get_func("memory"), nullptr);
    EXPECT_EQ(instance->get_func("missing"), nullptr);
    EXPECT_FALSE(instance->get_export("missing").has_value());
    ASSERT_TRUE(instance->get_export("table").has_value());
    EXPECT_EQ(instance->get_export("table")->kind, ExternKind::Table);
    EXPECT_EQ(instance->get_table("table")->size(), 2u);
    EXPECT_EQ(instance->get_memory("memory")->pages(), 1u);

    Global* counter = instance->get_global("counter");
    ASSERT_TRUE(counter);
    EXPECT_EQ(counter->get().as_i64(), 7);
    EXPECT_TRUE(counter->set(Value::i64(8)).ok());
    EXPECT_EQ(counter->get().as_i64(), 8);
    EXPECT_FALSE(counter->set(Value::i32(8)).ok());
    Global* constant = instance->get_global("constant");
    ASSERT_TRUE(constant);
    EXPECT_EQ(constant->get().as_f32(), 1.5f);
    EXPECT_FALSE(constant->set(Value::f32(2.0f)).ok());

    // Wrong arguments are the caller's mistake, not a trap.
    Func* f = instance->get_func("f");
    auto no_args = store.call(f, {});
    ASSERT_FALSE(no_args.ok());
    EXPECT_EQ(no_args.error().kind, ErrorKind::Usage);
    Value wrong_type[] = {Value::i64(1)};
    auto wrong = store.call(f, wrong_type);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().kind, ErrorKind::Usage);
    Value right[] = {Value::i32(-5)};
    auto echoed = store.call(f, right);
    ASSERT_TRUE(echoed.ok());
    EXPECT_EQ((*echoed)[0].as_i32(), -5);
}

// Memory images (memory_image.h): every instance starts from the module's data, sees none of
// another instance's writes, and a memory slot reused from the pool comes back as new.
struct ImageInstance {
    Store store;
    Instance* instance = nullptr;
    ImageInstance(Engine& engine, const std::shared_ptr<const Module>& module) : store(engine) {
        auto table = store.create_table(TableType{ValType::FuncRef, {2, std::nullopt}},
                                        Value::null(ValType::FuncRef));
        EXPECT_TRUE(table.ok());
        Linker linker;
        linker.define("env", "table", Extern::of(*table));
        auto inst = linker.instantiate(store, module);
        EXPECT_TRUE(inst.ok()) << (inst.ok() ? "" : inst.error().to_string());
        if (inst.ok()) instance = *inst;
    }
    int32_t call(const char* name, std::initializer_list<int32_t> args) {
        std::vector<Value> values;
        for (int32_t a : args) values.push_back(Value::i32(a));
        auto r = store.call(instance->get_func(name), values);
        if (!r.ok()) return -1000;
        return r->empty() ? 0 : (*r)[0].as_i32();
    }
    std::string text(uint32_t at, size_t n) {
        std::string s;
        for (size_t i = 0; i < n; ++i)
            s.push_back(static_cast<char>(call("load8", {int32_t(at + i)})));
        return s;
    }
};

TEST(Runtime, InstancesStartFromTheDataAndDoNotShareWrites) {
    Engine engine;
    auto module = compile_test_module(engine, "image");
    ASSERT_TRUE(module);
    auto a = std::make_unique<ImageInstance>(engine, module);
    ASSERT_TRUE(a->instance);
    EXPECT_EQ(a->text(16, 13), "FIRST segment");
    EXPECT_EQ(a->text(65540, 11), "second page");
    EXPECT_EQ(a->call("load8", {100}), 0);
    a->call("store8", {16, 'x'});
    a->call("store8", {65540, 'y'});
    a->call("store8", {100, 'z'});
    EXPECT_EQ(a->call("grow", {1}), 2);
    a->call("store8", {2 * 65536 + 5, 'w'});
    EXPECT_EQ(a->text(16, 5), "xIRST");
    EXPECT_EQ(a->call("load8", {2 * 65536 + 5}), 'w');

    ImageInstance b(engine, module);
    ASSERT_TRUE(b.instance);
    EXPECT_EQ(b.text(16, 13), "FIRST segment");
    EXPECT_EQ(b.text(65540, 11), "second page");
    EXPECT_EQ(b.call("load8", {100}), 0);

    // A's memory goes back to the engine's pool; the next instance may get its slot.
    a.reset();
    for (int i = 0; i < 3; ++i) {
        ImageInstance c(engine, module);
        ASSERT_TRUE(c.instance);
        EXPECT_EQ(c.instance->get_memory("memory")->pages(), 2u);
        EXPECT_EQ(c.text(16, 13), "FIRST segment");
        EXPECT_EQ(c.text(65540, 11), "second page");
        EXPECT_EQ(c.call("load8", {100}), 0);
        EXPECT_EQ(c.call("load8", {2 * 65536 + 5}), -1000); // the page A grew is gone
        c.call("store8", {17, 'q'});
        EXPECT_EQ(c.call("grow", {2}), 2);
        c.call("store8", {3 * 65536, 'g'});
    }
    EXPECT_EQ(b.text(16, 5), "FIRST");
}

TEST(Runtime, DataIsNotAppliedWhenAnElementSegmentTrapsFirst) {
    Engine engine;
    auto module = compile_test_module(engine, "image");
    ASSERT_TRUE(module);
    // Warm the pool with a slot holding the image.
    { ImageInstance warm(engine, module); }
    Store store(engine);
    auto table = store.create_table(TableType{ValType::FuncRef, {1, std::nullopt}},
                                    Value::null(ValType::FuncRef));
    ASSERT_TRUE(table.ok());
    Linker linker;
    linker.define("env", "table", Extern::of(*table));
    auto inst = linker.instantiate(store, module);
    ASSERT_FALSE(inst.ok());
    EXPECT_EQ(inst.error().kind, ErrorKind::Trap);
    EXPECT_NE(inst.error().message.find("out of bounds table access"), std::string::npos);
    // The first element segment was applied: load8 of the failed instance is in the table.
    auto entry = (*table)->get(0);
    ASSERT_TRUE(entry.ok());
    Func* load8 = reinterpret_cast<Func*>(static_cast<uintptr_t>(entry->bits));
    ASSERT_NE(load8, nullptr);
    Value at[] = {Value::i32(16)};
    auto byte = store.call(load8, at);
    ASSERT_TRUE(byte.ok()) << byte.error().to_string();
    EXPECT_EQ((*byte)[0].as_i32(), 0);
}

} // namespace
} // namespace cirrus::wasm
