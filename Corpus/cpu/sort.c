/*
 * sort — bottom-up merge sort of pseudo-random 32-bit integers.
 *
 * What it exercises: unpredictable compare-and-branch, streaming loads and stores between two
 * buffers, and loop control; no multiplication or division in the hot loop.
 *
 * Each round fills COUNT values from xorshift32 (the generator state carries over, so each
 * round sorts different data), sorts them, checks that the result is in order, and folds a
 * 32-bit FNV-1a hash of the sorted array (prime 16777619) into the checksum. Expected values:
 * tools/reference.py (Python's sorted()), cross-checked by a host build.
 */
#include "workload.h"

#define COUNT 65536u
#define DATA_SEED 0x9e3779b9u
#define FNV32_OFFSET 2166136261u
#define FNV32_PRIME 16777619u

static uint32_t values[COUNT];
static uint32_t scratch[COUNT];

/* Merges the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi); stable. */
static void merge(uint32_t *dst, const uint32_t *src, uint32_t lo, uint32_t mid, uint32_t hi) {
    uint32_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
    while (i < mid) dst[k++] = src[i++];
    while (j < hi) dst[k++] = src[j++];
}

/* Sorts values[] using scratch[]; returns where the sorted data ended up. */
static uint32_t *merge_sort(void) {
    uint32_t *src = values, *dst = scratch;
    for (uint32_t width = 1; width < COUNT; width *= 2) {
        for (uint32_t lo = 0; lo < COUNT; lo += 2 * width) {
            uint32_t mid = lo + width < COUNT ? lo + width : COUNT;
            uint32_t hi = lo + 2 * width < COUNT ? lo + 2 * width : COUNT;
            merge(dst, src, lo, mid, hi);
        }
        uint32_t *t = src; src = dst; dst = t;
    }
    return src;
}

_Noreturn void workload_main(void) {
    uint32_t state = DATA_SEED;
    uint64_t checksum = WL_FNV_OFFSET;
    int ok = 1;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (uint32_t i = 0; i < COUNT; i++) values[i] = wl_xorshift32(&state);
        const uint32_t *sorted = merge_sort();
        uint32_t hash = FNV32_OFFSET;
        for (uint32_t i = 0; i < COUNT; i++) {
            if (i > 0 && sorted[i - 1] > sorted[i]) ok = 0;
            hash = (hash ^ sorted[i]) * FNV32_PRIME;
        }
        checksum = wl_fold(checksum, hash);
    }
    /* An unsorted result fails even if the hash happened to collide. */
    wl_finish_verified("sort" WORKLOAD_SUFFIX, checksum,
                       ok && checksum == WORKLOAD_EXPECTED(0xa2eebc14476ff132ull, 0x685969a5874b2cd6ull));
}
