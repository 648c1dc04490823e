// An example WASI 0.2 command for `cirrus run`: ordinary C on wasi-libc, made a component
// with the wasi_snapshot_preview1 command adapter. It greets the name given in the NAME
// environment variable (none is inherited: pass `--env NAME=...`), echoes its arguments,
// and shows that the filesystem is denied unless a directory is granted with `--dir`.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

// The adapter allocates through the module's cabi_realloc; pointing it at malloc keeps the
// adapter's allocations apart from the ones Debian's wasi-libc malloc hands out.
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                 size_t align, size_t new_size) {
    (void)old_size;
    (void)align;
    return realloc(ptr, new_size);
}

int main(int argc, char** argv) {
    const char* name = getenv("NAME");
    printf("Hello, %s!\n", name ? name : "world");
    for (int i = 1; i < argc; i++) printf("argument %d: %s\n", i, argv[i]);

    time_t now = time(NULL);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    printf("the host's clock says %s\n", stamp);

    FILE* f = fopen("notes.txt", "r");
    printf("opening notes.txt: %s\n", f ? "allowed" : "denied (no directory granted)");
    if (f) fclose(f);
    return 0;
}
