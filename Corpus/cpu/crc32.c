/*
 * crc32 — table-driven CRC-32 over a generated buffer.
 *
 * The CRC is the one of IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, initial value
 * and final XOR 0xFFFFFFFF, one table lookup per byte (the classic Sarwate algorithm). What
 * it exercises: byte loads, a dependent table load per byte, shifts and XORs.
 *
 * Each round makes PASSES passes over a 64 KiB buffer; after each pass the buffer is
 * changed at a place chosen by that pass's CRC, so every pass depends on the one before.
 * The checksum folds every pass's CRC. Expected values: tools/reference.py (Python's
 * zlib.crc32), cross-checked by a host build (tools/expected.sh).
 */
#include "workload.h"

#define BUFFER_SIZE 65536u      /* power of two: a CRC masks to an index */
#define PASSES 32               /* per round */
#define CRC32_POLY_REFLECTED 0xEDB88320u
#define BUFFER_SEED 0x12345678u

static uint32_t table[256];
static uint8_t buffer[BUFFER_SIZE];

static void make_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
        table[n] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

_Noreturn void workload_main(void) {
    make_table();
    uint32_t state = BUFFER_SEED;
    for (size_t i = 0; i < BUFFER_SIZE; i++) buffer[i] = (uint8_t)wl_xorshift32(&state);
    uint64_t checksum = WL_FNV_OFFSET;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (int pass = 0; pass < PASSES; pass++) {
            uint32_t c = crc32(buffer, BUFFER_SIZE);
            checksum = wl_fold(checksum, c);
            /* Change one byte (never by 0) so the next pass sees different data. */
            buffer[c & (BUFFER_SIZE - 1)] ^= (uint8_t)((c >> 24) | 1);
        }
    }
    wl_finish("crc32" WORKLOAD_SUFFIX, checksum,
              WORKLOAD_EXPECTED(0x9a9d92a2b8e9e563ull, 0x753c1e2c98d5d016ull));
}
