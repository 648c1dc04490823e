// The interpreter: executes the pre-decoded code of validated functions (see validator.cpp
// for the code form). One Interpreter belongs to one Store and owns its value stack and call
// frames; wasm-to-wasm calls do not recurse on the native stack.
#pragma once

#include "cirrus/wasm/engine.h"
#include "jit/jit.h"
#include "module_data.h"

#include <memory>
#include <optional>
#include <vector>

namespace cirrus::wasm::detail {

class Interpreter {
public:
    Interpreter(Store& store, const EngineConfig& config);

    // Calls `func` with its arguments in args_and_results[0..params); on success the results
    // are in args_and_results[0..results).
    Result<void> call(Func* func, uint64_t* args_and_results);

    // A slot area above everything in use, for a call's arguments and results.
    uint64_t* scratch() { return stack_top_; }
    uint64_t* stack_end() { return stack_.get() + stack_slots_; }

    static Result<void> call_host(Store& store, Instance* caller, Func* func, uint64_t* slots);

private:
    friend struct JitRuntime;
    struct Frame {
        const uint32_t* ret_pc;
        uint64_t* fp;
        const FuncCode* code;
        Instance* instance;
    };

    Result<void> run(Func* func, uint64_t* fp);
    Error make_trap(ErrorKind kind, std::string message, const FuncCode* code, Instance* inst,
                    size_t entry_depth);

    Store& store_;
    // Not value-initialised: a new store must not touch megabytes it may never use (the
    // pages are mapped on first use). Every slot is written before it is read.
    std::unique_ptr<uint64_t[]> stack_;
    size_t stack_slots_;
    uint64_t* stack_top_;
    // Call frames, as many as the call depth limit; like the value stack, never initialised.
    std::unique_ptr<Frame[]> frames_;
    Frame* frame_top_;
    Frame* frame_end_;
    size_t depth() const { return static_cast<size_t>(frame_top_ - frames_.get()); }

    // The JIT tier (src/wasm/jit/): what compiled code reads of this store, a trap on its way
    // out of compiled code, and the per-instance data compiled code reads.
    JitContext jit_ctx_{};
    std::optional<Error> jit_error_;
    std::vector<std::unique_ptr<JitInstanceData>> jit_instances_;
    // Frames of compiled code that trapped below an interpreted caller: they go first in the
    // backtrace make_trap builds.
    std::vector<std::string> carried_backtrace_;
    uint32_t call_jit(Func* callee, uint64_t* fp, ErrorKind& kind, std::string& message);
};

// Name of a function for backtraces: "module!name", or "module!func[N]" without a name.
std::string describe_function(const Instance* instance, uint32_t func_index);

} // namespace cirrus::wasm::detail
