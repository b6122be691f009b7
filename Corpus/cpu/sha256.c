/*
 * sha256 — SHA-256 (FIPS 180-4) of a generated message, chained over rounds.
 *
 * What it exercises: 32-bit rotates, shifts, adds and boolean functions with long dependency
 * chains — the compression function of FIPS 180-4 §6.2.2 — plus big-endian word assembly.
 *
 * The message is MESSAGE_SIZE bytes from xorshift32. Each round hashes the whole message and
 * writes the digest over its first 32 bytes, so round n+1 hashes a message that depends on
 * round n. The final digest is compared in full against the one Python's hashlib computes
 * (tools/reference.py); the printed checksum is the digest's first 8 bytes, big-endian.
 */
#include "workload.h"

#define MESSAGE_SIZE 262144u   /* 4096 blocks of 64 bytes per round */
#define MESSAGE_SEED 0x5a17c0deu
#define BLOCK_SIZE 64
#define DIGEST_SIZE 32

/* FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 §5.3.3: initial hash value. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint8_t message[MESSAGE_SIZE];

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *block) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) {
        const uint8_t *p = block + 4 * t;
        w[t] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    }
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* FIPS 180-4 §5.1.1 padding: 0x80, zeros, then the bit length as a 64-bit big-endian number. */
static void sha256(const uint8_t *data, uint32_t length, uint8_t digest[DIGEST_SIZE]) {
    uint32_t h[8];
    for (int i = 0; i < 8; i++) h[i] = H0[i];
    uint32_t whole = length / BLOCK_SIZE * BLOCK_SIZE;
    for (uint32_t offset = 0; offset < whole; offset += BLOCK_SIZE) compress(h, data + offset);
    uint8_t tail[2 * BLOCK_SIZE];
    uint32_t rest = length - whole;
    for (uint32_t i = 0; i < sizeof tail; i++) tail[i] = 0;
    for (uint32_t i = 0; i < rest; i++) tail[i] = data[whole + i];
    tail[rest] = 0x80;
    uint32_t tail_length = rest + 1 + 8 <= BLOCK_SIZE ? BLOCK_SIZE : 2 * BLOCK_SIZE;
    uint32_t bits_high = length >> 29, bits_low = length << 3;
    for (int i = 0; i < 4; i++) {
        tail[tail_length - 8 + i] = (uint8_t)(bits_high >> (24 - 8 * i));
        tail[tail_length - 4 + i] = (uint8_t)(bits_low >> (24 - 8 * i));
    }
    for (uint32_t offset = 0; offset < tail_length; offset += BLOCK_SIZE) compress(h, tail + offset);
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
    }
}

/* The final digest from hashlib.sha256 (tools/reference.py), as lowercase hex. */
static const char expected_hex[2 * DIGEST_SIZE + 1] = WORKLOAD_EXPECTED(
    "572e52420826d2e3abdf05736731f3b712ebe88a257b40f2ebfcc6aa7c9c203a",
    "0bb0425a8ad286a92e57ec288b31e0941250c7b517af23a465d2d7f16d1386aa");

_Noreturn void workload_main(void) {
    uint32_t state = MESSAGE_SEED;
    for (uint32_t i = 0; i < MESSAGE_SIZE; i++) message[i] = (uint8_t)wl_xorshift32(&state);
    uint8_t digest[DIGEST_SIZE];
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        sha256(message, MESSAGE_SIZE, digest);
        for (int i = 0; i < DIGEST_SIZE; i++) message[i] = digest[i];
    }
    int ok = 1;
    uint64_t checksum = 0;
    for (int i = 0; i < DIGEST_SIZE; i++) {
        if ("0123456789abcdef"[digest[i] >> 4] != expected_hex[2 * i] ||
            "0123456789abcdef"[digest[i] & 0xf] != expected_hex[2 * i + 1]) ok = 0;
        if (i < 8) checksum = (checksum << 8) | digest[i];
    }
    wl_finish_verified("sha256" WORKLOAD_SUFFIX, checksum, ok);
}
