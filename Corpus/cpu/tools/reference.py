#!/usr/bin/env python3
"""Independent reference values for the CPU workloads, written from each workload's
description rather than its C code where a standard library does the work (zlib's CRC-32,
hashlib's SHA-256, sorted(), numpy's matrix product; nbody replays the same IEEE double
operations in the same order, which Python's floats perform exactly).

    python3 Corpus/cpu/tools/reference.py [workload ...]

Each line is "<workload> scale <n>: checksum <hex>"; they must equal tools/expected.sh's
and the WORKLOAD_EXPECTED values in the sources.
"""
import hashlib
import sys
import zlib

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
SCALES = (1, 50)


def xorshift32(state):
    x = state
    x ^= (x << 13) & MASK32
    x ^= x >> 17
    x ^= (x << 5) & MASK32
    return x


def fold(h, v):
    return ((h ^ v) * FNV_PRIME) & MASK64


def generated_bytes(seed, n):
    out = bytearray(n)
    s = seed
    for i in range(n):
        s = xorshift32(s)
        out[i] = s & 0xFF
    return out


def crc32(scale):
    buf = generated_bytes(0x12345678, 65536)
    h = FNV_OFFSET
    for _ in range(scale * 20):
        c = zlib.crc32(buf)
        h = fold(h, c)
        buf[c & 0xFFFF] ^= (c >> 24) | 1
    return h


def sha256(scale):
    message = generated_bytes(0x5A17C0DE, 524288)
    for _ in range(scale):
        digest = hashlib.sha256(message).digest()
        message[0:32] = digest
    print(f"sha256 scale {scale}: digest {digest.hex()}")
    return int.from_bytes(digest[:8], "big")


def fnv32(values):
    h = 2166136261
    for v in values:
        h = ((h ^ int(v)) * 16777619) & MASK32
    return h


def xorshift_words(state, n):
    out = []
    for _ in range(n):
        state = xorshift32(state)
        out.append(state)
    return state, out


def sort(scale):
    state, h = 0x9E3779B9, FNV_OFFSET
    for _ in range(scale):
        state, values = xorshift_words(state, 65536)
        h = fold(h, fnv32(sorted(values)))
    return h


def matmul(scale):
    import numpy as np

    n = 128
    state, words = xorshift_words(0xC0FFEE11, n * n)
    b = np.array(words, dtype=np.uint64).reshape(n, n)
    h = FNV_OFFSET
    for _ in range(scale):
        state, words = xorshift_words(state, n * n)
        a = np.array(words, dtype=np.uint64).reshape(n, n)
        # uint64 products wrap modulo 2^64, which keeps them right modulo 2^32.
        c = (a @ b) & MASK32
        h = fold(h, fnv32(c.flatten().tolist()))
        b = c
    return h


WORKLOADS = {"crc32": crc32, "sha256": sha256, "sort": sort, "matmul": matmul}

if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        for scale in SCALES:
            print(f"{name} scale {scale}: checksum {WORKLOADS[name](scale):016x}")
