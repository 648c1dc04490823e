// A wasi:cli/command guest in C (wasi-libc, wasi_snapshot_preview1 through jco's command
// adapter) for the WASI host tests. argv[1] picks what it does:
//   hello    prints its arguments, its environment, and checks of the clocks and random
//   fail     writes to stderr and exits with status 7
//   fs       tries to open files and prints what it read or how that failed
//   cat      copies stdin to stdout
//   loop     never returns (for the deadline test)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

// The adapter allocates through the module's cabi_realloc; without one it takes memory that
// Debian's wasi-libc malloc also hands out. Giving it malloc's memory keeps them apart.
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                 size_t align, size_t new_size) {
    (void)old_size;
    (void)align;
    return realloc(ptr, new_size);
}

static int hello(int argc, char** argv) {
    printf("hello from the guest\n");
    for (int i = 0; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
    for (char** e = environ; *e; e++) printf("env %s\n", *e);

    struct timespec a, b, wall;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    clock_gettime(CLOCK_REALTIME, &wall);
    int mono_ok = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    printf("monotonic %s\n", mono_ok ? "ok" : "went backwards");
    // 2020-01-01T00:00:00Z
    printf("wall clock %s\n", wall.tv_sec > 1577836800 ? "ok" : "too early");

    struct timespec nap = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long slept_ms = (long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("sleep %s\n", slept_ms >= 20 ? "ok" : "too short");

    unsigned char r1[32], r2[32];
    arc4random_buf(r1, sizeof r1);
    arc4random_buf(r2, sizeof r2);
    printf("random %s\n", memcmp(r1, r2, sizeof r1) != 0 ? "ok" : "repeats");
    return 0;
}

static int fs(void) {
    const char* paths[] = {"/etc/passwd", "data.txt", "../x"};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        int fd = open(paths[i], O_RDONLY);
        if (fd >= 0) {
            char buf[64] = {0};
            ssize_t n = read(fd, buf, sizeof buf - 1);
            printf("open %s: read %s\n", paths[i], n >= 0 ? buf : "failed");
            close(fd);
        } else {
            printf("open %s: %s\n", paths[i], errno == ENOTCAPABLE ? "ENOTCAPABLE"
                                             : errno == ENOENT   ? "ENOENT"
                                             : errno == EACCES   ? "EACCES"
                                             : errno == EPERM    ? "EPERM"
                                                                 : "other");
        }
    }
    return 0;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "hello";
    if (strcmp(mode, "hello") == 0) return hello(argc, argv);
    if (strcmp(mode, "fail") == 0) {
        fprintf(stderr, "the guest failed on purpose\n");
        return 7;
    }
    if (strcmp(mode, "fs") == 0) return fs();
    if (strcmp(mode, "cat") == 0) {
        char buf[256];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
        return ferror(stdin) ? 1 : 0;
    }
    if (strcmp(mode, "loop") == 0) {
        volatile unsigned long n = 0;
        for (;;) n++;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
