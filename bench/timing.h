// Timing shared by the kernel runners: call a kernel `reps` times, keep every duration, and
// report the minimum and the median in the one-line `key=value` form run_kernels.sh parses.
// Each call is timed twice: wall time, and the calling thread's CPU time, which other
// processes on a busy machine cannot inflate by taking the core away (the kernels are
// single-threaded and do no I/O, so the two agree on a quiet machine).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
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

// A point in time on both clocks.
struct Stamp {
    std::chrono::steady_clock::time_point wall;
    double cpu_ms;

    static Stamp now() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return {std::chrono::steady_clock::now(), ts.tv_sec * 1e3 + ts.tv_nsec / 1e6};
    }
};

inline double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// Wall and CPU times of repeated calls.
struct Measurement {
    Timings wall;
    Timings cpu;

    void add(const Stamp& start) {
        Stamp end = Stamp::now();
        wall.ms.push_back(std::chrono::duration<double, std::milli>(end.wall - start.wall).count());
        cpu.ms.push_back(end.cpu_ms - start.cpu_ms);
    }
};

inline std::string join_ms(const Timings& t) {
    std::string all;
    for (double v : t.ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.3f", all.empty() ? "" : ",", v);
        all += buf;
    }
    return all;
}

// The line run_kernels.sh reads: "checksum=… n=… reps=… min_ms=… median_ms=… cpu_min_ms=…
// cpu_median_ms=… all_ms=a,b,c all_cpu_ms=a,b,c" followed by `extra` ("compile_ms=…" etc.).
inline void print_result(uint64_t checksum, int32_t n, const Measurement& m,
                         const std::string& extra = "") {
    std::printf("checksum=%llu n=%d reps=%zu min_ms=%.3f median_ms=%.3f cpu_min_ms=%.3f "
                "cpu_median_ms=%.3f all_ms=%s all_cpu_ms=%s%s%s\n",
                static_cast<unsigned long long>(checksum), n, m.wall.ms.size(), m.wall.min(),
                m.wall.median(), m.cpu.min(), m.cpu.median(), join_ms(m.wall).c_str(),
                join_ms(m.cpu).c_str(), extra.empty() ? "" : " ", extra.c_str());
}

} // namespace cirrus::bench
