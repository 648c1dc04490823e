// The native column: every kernel compiled by the host C compiler (-O2) and linked in here,
// called through the same `run(n)` entry point the wasm build exports.
//
//   kernels_native --list                 one line per kernel: "<name> <default n> <smoke n>"
//   kernels_native <kernel> [n|-] [reps]  runs it, prints the runner line (see timing.h)
#include "timing.h"

#include <cstdlib>
#include <cstring>

// CMake renames each kernel's entry points (-Drun=<kernel>_run ...); kernel_list.h is the
// generated list of kernels, KERNEL(name) once each.
#define KERNEL(name)                                                                               \
    extern "C" int64_t name##_run(int32_t n);                                                      \
    extern "C" int32_t name##_bench_n(void);                                                       \
    extern "C" int32_t name##_smoke_n(void);
#include "kernel_list.h"
#undef KERNEL

namespace {

struct NativeKernel {
    const char* name;
    int64_t (*run)(int32_t);
    int32_t (*default_n)();
    int32_t (*smoke_n)();
};

constexpr NativeKernel kernels[] = {
#define KERNEL(name) {#name, name##_run, name##_bench_n, name##_smoke_n},
#include "kernel_list.h"
#undef KERNEL
};

int usage() {
    std::fprintf(stderr, "usage: kernels_native --list | kernels_native <kernel> [n|-] [reps]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    if (std::strcmp(argv[1], "--list") == 0) {
        for (const NativeKernel& k : kernels) {
            std::printf("%s %d %d\n", k.name, k.default_n(), k.smoke_n());
        }
        return 0;
    }
    const NativeKernel* kernel = nullptr;
    for (const NativeKernel& k : kernels) {
        if (std::strcmp(k.name, argv[1]) == 0) kernel = &k;
    }
    if (!kernel) {
        std::fprintf(stderr, "kernels_native: no kernel named '%s'\n", argv[1]);
        return usage();
    }
    bool use_default = argc <= 2 || argv[2][0] == '\0' || std::strcmp(argv[2], "-") == 0;
    int32_t n = use_default ? kernel->default_n() : std::atoi(argv[2]);
    int reps = argc > 3 ? std::atoi(argv[3]) : 5;
    if (reps < 1) return usage();

    cirrus::bench::Measurement timings;
    int64_t checksum = 0;
    for (int i = 0; i < reps; ++i) {
        auto start = cirrus::bench::Stamp::now();
        int64_t result = kernel->run(n);
        timings.add(start);
        if (i > 0 && result != checksum) {
            std::fprintf(stderr, "kernels_native: %s gave %lld, then %lld\n", kernel->name,
                         static_cast<long long>(checksum), static_cast<long long>(result));
            return 1;
        }
        checksum = result;
    }
    cirrus::bench::print_result(static_cast<uint64_t>(checksum), n, timings);
    return 0;
}
