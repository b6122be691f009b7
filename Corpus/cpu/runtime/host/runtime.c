/*
 * Hosted runtime for the CPU-bound workloads: builds them as ordinary programs for the build
 * machine (any C compiler and libc), which is how tools/expected.sh computes the checksums the
 * bare-metal builds must reproduce. Same interface as runtime/rv64/runtime.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

void wl_putc(char c) {
    putchar(c);
}

_Noreturn void wl_exit(int status) {
    fflush(stdout);
    exit(status);
}

int main(void) {
    workload_main();
}
