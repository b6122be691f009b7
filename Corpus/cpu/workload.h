/*
 * workload.h — the portable side of the CPU-bound workload corpus.
 *
 * Every workload (Corpus/cpu/<name>.c) is plain, freestanding C: it includes only this header
 * (and the compiler's own <stdint.h>/<stddef.h>), never libc, and no inline assembly. The
 * machine-specific part — start-up code, the console, how the program ends — lives in a
 * runtime under Corpus/cpu/runtime/<target>/ that provides the three functions declared
 * below. That split is what lets the same sources be built for RV64 now, for ARMv6-M Thumb
 * later (the emulation mode), and for the build host (to compute expected checksums).
 *
 * Output contract (the harness compares it across machines and modes):
 *     <name>: checksum <16 lowercase hex digits>
 *     PASS <name>                     (then power off with status 0)
 * or, when the checksum is not the one computed beforehand,
 *     FAIL <name>                     (then exit with status 1)
 *
 * Scale: WORKLOAD_SCALE is the number of rounds of each workload's unit of work. The full
 * build uses WORKLOAD_SCALE_FULL rounds (about 0.5–1.5 s on QEMU TCG); the "-small" build
 * one round, about 1/50 of the work, for tests. Each round depends on the one before it,
 * so the compiler cannot fold rounds together and the checksum covers every round.
 * Expected checksums are recorded for exactly these two scales (see tools/expected.sh).
 */
#ifndef VIRTBENCH_CPU_WORKLOAD_H
#define VIRTBENCH_CPU_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WORKLOAD_SCALE_FULL  50
#define WORKLOAD_SCALE_SMALL 1

#ifndef WORKLOAD_SCALE
#define WORKLOAD_SCALE WORKLOAD_SCALE_FULL
#endif

#if WORKLOAD_SCALE == WORKLOAD_SCALE_FULL
#define WORKLOAD_SUFFIX ""
/* Picks the checksum computed beforehand for the scale being built. */
#define WORKLOAD_EXPECTED(full, small) (full)
#elif WORKLOAD_SCALE == WORKLOAD_SCALE_SMALL
#define WORKLOAD_SUFFIX "-small"
#define WORKLOAD_EXPECTED(full, small) (small)
#else
#error "WORKLOAD_SCALE must be WORKLOAD_SCALE_FULL or WORKLOAD_SCALE_SMALL: expected checksums exist only for those"
#endif

/* ---- provided by the runtime ------------------------------------------------------- */

/* Writes one byte to the console. */
void wl_putc(char c);
/* Ends the program: status 0 is a pass, anything else a failure with that exit status. */
_Noreturn void wl_exit(int status);

/* ---- provided by the workload ------------------------------------------------------ */

/* Runs the workload and ends through wl_finish; the runtime calls it once. */
_Noreturn void workload_main(void);

/* ---- shared helpers ---------------------------------------------------------------- */

static inline void wl_puts(const char *s) {
    while (*s) wl_putc(*s++);
}

static inline void wl_put_hex64(uint64_t v) {
    for (int shift = 60; shift >= 0; shift -= 4) wl_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* Prints the checksum line and the verdict `ok`, then ends the program. For workloads whose
 * result is checked more fully than one 64-bit value (sha256 compares the whole digest). */
static inline _Noreturn void wl_finish_verified(const char *name, uint64_t checksum, int ok) {
    wl_puts(name);
    wl_puts(": checksum ");
    wl_put_hex64(checksum);
    wl_putc('\n');
    wl_puts(ok ? "PASS " : "FAIL ");
    wl_puts(name);
    wl_putc('\n');
    wl_exit(ok ? 0 : 1);
}

/* Prints the checksum line and whether it equals the value computed beforehand, then ends. */
static inline _Noreturn void wl_finish(const char *name, uint64_t checksum, uint64_t expected) {
    wl_finish_verified(name, checksum, checksum == expected);
}

/* Marsaglia's xorshift32 ("Xorshift RNGs", J. Stat. Software 8(14), 2003; shifts 13, 17, 5):
 * 32-bit only, so it costs the same on RV64 and on a Cortex-M0. The state must not be 0. */
static inline uint32_t wl_xorshift32(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* FNV-1a style 64-bit fold (offset basis 0xcbf29ce484222325, prime 0x100000001b3), applied to
 * whole 64-bit values; used outside hot loops to combine per-round results into a checksum. */
#define WL_FNV_OFFSET 0xcbf29ce484222325ull
#define WL_FNV_PRIME  0x100000001b3ull
static inline uint64_t wl_fold(uint64_t hash, uint64_t value) {
    return (hash ^ value) * WL_FNV_PRIME;
}

#endif
