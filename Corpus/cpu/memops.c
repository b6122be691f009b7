/*
 * memops — the workload's own memcpy, memmove and memset over megabyte buffers.
 *
 * What it exercises: load/store bandwidth with word-wide accesses when source and
 * destination share alignment, byte accesses when they do not, and backward copies for
 * overlapping moves — the mix a C library's string functions see. The routines are written
 * here (the runtime's memcpy is never called: -ffreestanding stops the compiler from
 * turning these loops into library calls).
 *
 * Each round performs OPERATIONS operations chosen by xorshift32 (the state carries over
 * rounds): copy A to B, copy B to A, fill part of A, or move within A with overlap. Lengths
 * are 1..64 KiB; half the operations are word-aligned. After each round 256 sampled bytes are
 * hashed into the checksum, and at the end both buffers are hashed whole. Expected values:
 * tools/reference.py does the same operations with Python slices.
 */
#include "workload.h"

#define BUFFER_BYTES (1u << 20)
#define OPERATIONS 200              /* per round */
#define OFFSET_MASK (BUFFER_BYTES / 2 - 1)  /* offset + 64 KiB length stays inside the buffer */
#define LENGTH_MASK 0xffffu
#define SAMPLE_STRIDE 4096u
#define DATA_SEED 0x1b873593u
#define FNV32_OFFSET 2166136261u
#define FNV32_PRIME 16777619u

typedef size_t word;                /* the machine's natural width: 8 bytes on RV64, 4 on Thumb */
#define WORD_BYTES sizeof(word)

/* Declared as words so word-wide access is well defined; bytes are reached through char pointers. */
static word a_words[BUFFER_BYTES / sizeof(word)];
static word b_words[BUFFER_BYTES / sizeof(word)];

static void copy_forward(unsigned char *d, const unsigned char *s, size_t n) {
    if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD_BYTES - 1)) == 0) {
        while (n && ((uintptr_t)d & (WORD_BYTES - 1))) { *d++ = *s++; n--; }
        word *dw = (word *)d;
        const word *sw = (const word *)s;
        for (; n >= 4 * WORD_BYTES; n -= 4 * WORD_BYTES, dw += 4, sw += 4) {
            word w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3];
            dw[0] = w0; dw[1] = w1; dw[2] = w2; dw[3] = w3;
        }
        for (; n >= WORD_BYTES; n -= WORD_BYTES) *dw++ = *sw++;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--) *d++ = *s++;
}

static void copy_backward(unsigned char *d, const unsigned char *s, size_t n) {
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & (WORD_BYTES - 1)) == 0) {
        while (n && ((uintptr_t)d & (WORD_BYTES - 1))) { *--d = *--s; n--; }
        word *dw = (word *)d;
        const word *sw = (const word *)s;
        for (; n >= WORD_BYTES; n -= WORD_BYTES) *--dw = *--sw;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--) *--d = *--s;
}

/* memmove: copies forward unless the destination starts inside the source. */
static void move_bytes(unsigned char *d, const unsigned char *s, size_t n) {
    if (d <= s || d >= s + n) copy_forward(d, s, n);
    else copy_backward(d, s, n);
}

static void fill_bytes(unsigned char *d, unsigned char value, size_t n) {
    while (n && ((uintptr_t)d & (WORD_BYTES - 1))) { *d++ = value; n--; }
    word pattern = value;
    for (size_t i = 1; i < WORD_BYTES; i++) pattern = (pattern << 8) | value;
    word *dw = (word *)d;
    for (; n >= 4 * WORD_BYTES; n -= 4 * WORD_BYTES, dw += 4) {
        dw[0] = pattern; dw[1] = pattern; dw[2] = pattern; dw[3] = pattern;
    }
    for (; n >= WORD_BYTES; n -= WORD_BYTES) *dw++ = pattern;
    d = (unsigned char *)dw;
    while (n--) *d++ = value;
}

static uint32_t hash_bytes(uint32_t hash, const unsigned char *p, size_t n, size_t stride) {
    for (size_t i = 0; i < n; i += stride) hash = (hash ^ p[i]) * FNV32_PRIME;
    return hash;
}

_Noreturn void workload_main(void) {
    unsigned char *a = (unsigned char *)a_words, *b = (unsigned char *)b_words;
    uint32_t state = DATA_SEED;
    for (size_t i = 0; i < BUFFER_BYTES; i++) a[i] = (unsigned char)wl_xorshift32(&state);
    uint64_t checksum = WL_FNV_OFFSET;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (int op = 0; op < OPERATIONS; op++) {
            uint32_t choice = wl_xorshift32(&state);
            uint32_t length = (wl_xorshift32(&state) & LENGTH_MASK) + 1;
            uint32_t from = wl_xorshift32(&state) & OFFSET_MASK;
            uint32_t to = wl_xorshift32(&state) & OFFSET_MASK;
            if (choice & 4) {   /* half the operations: both ends word-aligned (8 works for 4 too) */
                from &= ~7u;
                to &= ~7u;
            }
            switch (choice & 3) {
            case 0: copy_forward(b + to, a + from, length); break;
            case 1: copy_forward(a + to, b + from, length); break;
            case 2: fill_bytes(a + to, (unsigned char)(choice >> 8), length); break;
            default: move_bytes(a + to, a + from, length); break;
            }
        }
        uint32_t sample = hash_bytes(FNV32_OFFSET, a, BUFFER_BYTES, SAMPLE_STRIDE);
        sample = hash_bytes(sample, b, BUFFER_BYTES, SAMPLE_STRIDE);
        checksum = wl_fold(checksum, sample);
    }
    checksum = wl_fold(checksum, hash_bytes(FNV32_OFFSET, a, BUFFER_BYTES, 1));
    checksum = wl_fold(checksum, hash_bytes(FNV32_OFFSET, b, BUFFER_BYTES, 1));
    wl_finish("memops" WORKLOAD_SUFFIX, checksum,
              WORKLOAD_EXPECTED(0x14df414e59564377ull, 0x22ef750a24fbd56bull));
}
