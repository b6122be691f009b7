/*
 * matmul — integer matrix multiplication, C = A × B modulo 2^32.
 *
 * What it exercises: 32-bit multiply-accumulate with strided and streaming loads (i-k-j loop
 * order, so the inner loop walks rows of B and C).
 *
 * Each round multiplies a fresh pseudo-random A by B, where B is the previous round's product
 * (a random matrix in round 0), and folds a 32-bit FNV-1a hash of C into the checksum.
 * Unsigned arithmetic wraps by definition, as numpy's does in tools/reference.py.
 */
#include "workload.h"

#define N 160
#define DATA_SEED 0xc0ffee11u
#define FNV32_OFFSET 2166136261u
#define FNV32_PRIME 16777619u

static uint32_t a[N][N], b[N][N], c[N][N];

static void multiply(void) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            uint32_t aik = a[i][k];
            for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
        }
    }
}

_Noreturn void workload_main(void) {
    uint32_t state = DATA_SEED;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) b[i][j] = wl_xorshift32(&state);
    uint64_t checksum = WL_FNV_OFFSET;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) a[i][j] = wl_xorshift32(&state);
        multiply();
        uint32_t hash = FNV32_OFFSET;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                hash = (hash ^ c[i][j]) * FNV32_PRIME;
                b[i][j] = c[i][j];
            }
        }
        checksum = wl_fold(checksum, hash);
    }
    wl_finish("matmul" WORKLOAD_SUFFIX, checksum,
              WORKLOAD_EXPECTED(0x2602344681e23e12ull, 0x416d52a94028000eull));
}
