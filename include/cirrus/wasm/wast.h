// Running WebAssembly spec test scripts (.wast): the `spectest` host module the scripts import
// from, and a runner that converts a script with wabt's `wast2json` and executes its commands
// (module, register, invoke/get, assert_return, assert_trap, assert_invalid, ...) against the
// engine. The runner is what `cirrus wast` and the `spec.core.*` ctests use.
#pragma once

#include "cirrus/support/result.h"
#include "cirrus/wasm/engine.h"

#include <cstdint>
#include <iosfwd>
#include <string>

namespace cirrus::wasm {

// Defines the host module `spectest` in `linker`, with its objects allocated in `store`, as the
// reference interpreter provides it: the functions print, print_i32, print_i64, print_f32,
// print_f64, print_i32_f32 and print_f64_f64; the immutable globals global_i32 and global_i64
// (666) and global_f32 and global_f64 (666.6); `table` (10..20 funcref) and `memory` (1..2
// pages). The print functions write their arguments to `print_to`, or nowhere when it is null.
Result<void> define_spectest(Store& store, Linker& linker, std::ostream* print_to = nullptr);

namespace wast {

// How many script commands passed, failed and were skipped (text modules, v128 values).
struct Tally {
    uint64_t passed = 0;
    uint64_t failed = 0;
    uint64_t skipped = 0;

    Tally& operator+=(const Tally& other) {
        passed += other.passed;
        failed += other.failed;
        skipped += other.skipped;
        return *this;
    }
    // "N passed, M failed, K skipped", the closing line of a run.
    std::string to_string() const;
};

struct Options {
    // The wast2json program (wabt), looked up in PATH unless it contains a slash; empty means
    // the one found when cirrus was configured, or else `wast2json` from PATH.
    std::string wast2json;
    // Print every command as it runs, not only the failures.
    bool verbose = false;
    // Where the spectest print functions write; null to stay quiet.
    std::ostream* print_to = nullptr;
};

// Runs the script at `path`: converts it with wast2json into a fresh temporary folder (removed
// afterwards), executes every command in one store, and writes a report line for each failure
// ("file.wast:LINE: what was expected, what happened") to `out`. An Error means the script
// could not be run at all (unreadable, wast2json failed, unexpected JSON).
Result<Tally> run_file(const std::string& path, const Options& options, std::ostream& out);

} // namespace wast
} // namespace cirrus::wasm
