// Compiling a module: IR for every function (translate.cpp), LLVM's O2 pipeline, then native
// code through one process-wide ORC LLJIT. Each module gets its own JITDylib, removed (code
// freed) when the JitModule goes; the LLJIT itself lives until the process ends.
#include "../module_data.h"
#include "jit.h"
#include "translate.h"

#include <chrono>
#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <mutex>

namespace cirrus::wasm::detail {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct GlobalJit {
    std::unique_ptr<llvm::orc::LLJIT> jit;
    std::optional<llvm::orc::JITTargetMachineBuilder> machine;
    std::string error;
    std::atomic<uint64_t> next_dylib{0};
};

// Created on first use and never destroyed: code of modules still alive at exit must stay
// valid, and LLVM's own teardown order at exit is not ours to manage.
GlobalJit& global_jit() {
    static GlobalJit* g = [] {
        auto* g = new GlobalJit;
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
        auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
        if (!jtmb) {
            g->error = llvm::toString(jtmb.takeError());
            return g;
        }
        jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
        g->machine = *jtmb;
        auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
        if (!jit) {
            g->error = llvm::toString(jit.takeError());
            return g;
        }
        g->jit = std::move(*jit);
        return g;
    }();
    return *g;
}

std::string function_symbol(uint32_t func_index) {
    return fmt::format("wasm_f{}", func_index);
}

// LLVM's default O2 pipeline (inlining, SROA/mem2reg, GVN, LICM, loop passes, vectorisers)
// tuned for the host CPU.
void optimize(llvm::Module& module, llvm::TargetMachine& tm) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(&tm);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(module, mam);
}

} // namespace

std::shared_ptr<const JitModule> JitModule::compile(const ModuleData& m, uint32_t max_words) {
    auto out = std::shared_ptr<JitModule>(new JitModule);
    const size_t n = m.code.size();
    out->entries_.assign(n, nullptr);
    out->interpreted_ = static_cast<uint32_t>(n);
    GlobalJit& g = global_jit();
    if (!g.jit) {
        out->fallback_reason_ = "LLVM JIT unavailable: " + g.error;
        return out;
    }
    if (n == 0) return out;

    auto start = Clock::now();
    auto context = std::make_unique<llvm::LLVMContext>();
    auto module = std::make_unique<llvm::Module>("wasm", *context);
    auto tm = g.machine->createTargetMachine();
    if (!tm) {
        out->fallback_reason_ = llvm::toString(tm.takeError());
        return out;
    }
    module->setDataLayout((*tm)->createDataLayout());
    module->setTargetTriple((*tm)->getTargetTriple().str());

    llvm::Type* ptr = llvm::PointerType::getUnqual(*context);
    auto* fn_type =
        llvm::FunctionType::get(llvm::Type::getInt32Ty(*context), {ptr, ptr, ptr}, false);
    std::vector<llvm::Function*> fns(n);
    for (size_t i = 0; i < n; ++i) {
        if (m.code[i].code.size() > max_words) {
            if (out->fallback_reason_.empty())
                out->fallback_reason_ =
                    fmt::format("function {}: {} code words, more than the limit of {}",
                                m.code[i].func_index, m.code[i].code.size(), max_words);
            continue;
        }
        fns[i] = llvm::Function::Create(fn_type, llvm::Function::ExternalLinkage,
                                        function_symbol(m.code[i].func_index), *module);
        fns[i]->addFnAttr(llvm::Attribute::NoUnwind);
        for (unsigned a = 0; a < 3; ++a) fns[i]->addParamAttr(a, llvm::Attribute::NoAlias);
    }
    // Translate; a function that fails is deleted and its callers go through the runtime
    // (which runs it in the interpreter). Failures are rare, so simply translate again.
    std::vector<bool> ok(n, false);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; ++i) {
            if (!fns[i] || !fns[i]->empty()) continue;
            std::string why;
            if (translate_function(m, m.code[i], fns[i], fns, why)) {
                ok[i] = true;
                continue;
            }
            if (out->fallback_reason_.empty())
                out->fallback_reason_ = fmt::format("function {}: {}", m.code[i].func_index, why);
            // Drop this function and every body already translated (they may call it
            // directly); the loop translates them again with an indirect call.
            for (size_t j = 0; j < n; ++j) {
                if (fns[j] && !fns[j]->empty()) {
                    fns[j]->deleteBody();
                    ok[j] = false;
                }
            }
            fns[i]->eraseFromParent();
            fns[i] = nullptr;
            changed = true;
            break;
        }
    }
    std::string verify_errors;
    llvm::raw_string_ostream verify_out(verify_errors);
    if (llvm::verifyModule(*module, &verify_out)) {
        out->fallback_reason_ =
            "internal error: the generated IR does not verify: " + verify_errors.substr(0, 300);
        return out;
    }
    optimize(*module, **tm);
    out->translate_ms_ = ms_since(start);

    auto codegen_start = Clock::now();
    auto& es = g.jit->getExecutionSession();
    auto dylib = g.jit->createJITDylib(fmt::format("cirrus.module.{}", g.next_dylib++));
    if (!dylib) {
        out->fallback_reason_ = llvm::toString(dylib.takeError());
        return out;
    }
    out->dylib_ = &*dylib;
    if (auto err = g.jit->addIRModule(
            *dylib, llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
        out->fallback_reason_ = llvm::toString(std::move(err));
        return out;
    }
    uint32_t compiled = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!ok[i]) continue;
        auto sym = g.jit->lookup(*dylib, function_symbol(m.code[i].func_index));
        if (!sym) {
            out->fallback_reason_ = llvm::toString(sym.takeError());
            std::fill(out->entries_.begin(), out->entries_.end(), nullptr);
            compiled = 0;
            break;
        }
        out->entries_[i] = sym->toPtr<void*>();
        ++compiled;
    }
    (void)es;
    out->compiled_ = compiled;
    out->interpreted_ = static_cast<uint32_t>(n) - compiled;
    out->codegen_ms_ = ms_since(codegen_start);
    return out;
}

JitModule::~JitModule() {
    if (!dylib_) return;
    GlobalJit& g = global_jit();
    if (auto err =
            g.jit->getExecutionSession().removeJITDylib(*static_cast<llvm::orc::JITDylib*>(dylib_)))
        llvm::consumeError(std::move(err));
}

} // namespace cirrus::wasm::detail
