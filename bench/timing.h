// Timing shared by the kernel runners: call a kernel `reps` times, keep every duration, and
// report the minimum and the median in the one-line `key=value` form run_kernels.sh parses.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cirrus::bench {

struct Timings {
    std::vector<double> ms; // one entry per repetition, in call order

    double min() const { return *std::min_element(ms.begin(), ms.end()); }
    double median() const {
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        size_t mid = sorted.size() / 2;
        return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
};

inline double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// The line run_kernels.sh reads: "checksum=… n=… reps=… min_ms=… median_ms=… all_ms=a,b,c"
// followed by `extra` ("compile_ms=…" and the like).
inline void print_result(uint64_t checksum, int32_t n, const Timings& t,
                         const std::string& extra = "") {
    std::string all;
    for (double v : t.ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.3f", all.empty() ? "" : ",", v);
        all += buf;
    }
    std::printf("checksum=%llu n=%d reps=%zu min_ms=%.3f median_ms=%.3f all_ms=%s%s%s\n",
                static_cast<unsigned long long>(checksum), n, t.ms.size(), t.min(), t.median(),
                all.c_str(), extra.empty() ? "" : " ", extra.c_str());
}

} // namespace cirrus::bench
