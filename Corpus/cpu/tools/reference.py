#!/usr/bin/env python3
"""Independent reference values for the CPU workloads, written from each workload's
description rather than its C code: a standard library does the work where one can (zlib's CRC-32,
hashlib's SHA-256, sorted(), numpy's matrix product, slices for memops), bytecode's program is
modelled directly without an interpreter, and nbody replays the same IEEE double
operations in the same order, which Python's floats perform exactly.

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
    for _ in range(scale * 32):
        c = zlib.crc32(buf)
        h = fold(h, c)
        buf[c & 0xFFFF] ^= (c >> 24) | 1
    return h


def sha256(scale):
    message = generated_bytes(0x5A17C0DE, 262144)
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

    n = 160
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


def nbody(scale):
    import math
    import struct

    pi, days = 3.141592653589793, 365.24
    solar = 4.0 * pi * pi
    initial = [
        (0, 0, 0, 0, 0, 0, 1),
        (4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04),
        (8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04),
        (1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05),
        (1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05),
    ]
    n = len(initial)
    x = [float(b[0]) for b in initial]
    y = [float(b[1]) for b in initial]
    z = [float(b[2]) for b in initial]
    vx = [b[3] * days for b in initial]
    vy = [b[4] * days for b in initial]
    vz = [b[5] * days for b in initial]
    m = [b[6] * solar for b in initial]
    px = py = pz = 0.0
    for i in range(n):
        px = px + vx[i] * m[i]
        py = py + vy[i] * m[i]
        pz = pz + vz[i] * m[i]
    vx[0], vy[0], vz[0] = -px / solar, -py / solar, -pz / solar
    dt = 0.01
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    sqrt = math.sqrt
    for _ in range(scale * 500):
        for i, j in pairs:
            dx, dy, dz = x[i] - x[j], y[i] - y[j], z[i] - z[j]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            vx[i] = vx[i] - dx * m[j] * mag
            vy[i] = vy[i] - dy * m[j] * mag
            vz[i] = vz[i] - dz * m[j] * mag
            vx[j] = vx[j] + dx * m[i] * mag
            vy[j] = vy[j] + dy * m[i] * mag
            vz[j] = vz[j] + dz * m[i] * mag
        for i in range(n):
            x[i] = x[i] + dt * vx[i]
            y[i] = y[i] + dt * vy[i]
            z[i] = z[i] + dt * vz[i]
    e = 0.0
    for i in range(n):
        e = e + 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i])
        for j in range(i + 1, n):
            dx, dy, dz = x[i] - x[j], y[i] - y[j], z[i] - z[j]
            e = e - m[i] * m[j] / sqrt(dx * dx + dy * dy + dz * dz)
    print(f"nbody scale {scale}: energy {e!r}")
    return struct.unpack("<Q", struct.pack("<d", e))[0]


def bytecode(scale):
    """What the stack-machine program in bytecode.c computes, written directly."""
    size, seed, h = 8192, 0x2545F491, FNV_OFFSET
    for _ in range(scale):
        text, state = bytearray(size), seed
        for i in range(size):
            state = (state * 1103515245 + 12345) & MASK32
            r = (state >> 16) & 31
            text[i] = 97 + r if r < 26 else 32
        i = words = 0
        while i < size:
            if text[i] == 32:
                i += 1
                continue
            start = i
            while i < size and text[i] != 32:
                i += 1
            words += 1
            text[start:i] = text[start:i][::-1]
        djb = 5381
        for c in text:
            djb = ((djb * 33) & MASK32) ^ c
        vowels = sum(text.count(v) for v in b"aeiou")
        seed = djb ^ ((words << 16) & MASK32) ^ vowels
        h = fold(h, seed)
    return h


def memops(scale):
    size = 1 << 20

    def fnv32_bytes(h, data):
        for c in data:
            h = ((h ^ c) * 16777619) & MASK32
        return h

    state = 0x1B873593
    a = bytearray(size)
    for i in range(size):
        state = xorshift32(state)
        a[i] = state & 0xFF
    b = bytearray(size)
    h = FNV_OFFSET
    for _ in range(scale):
        for _ in range(200):
            state, (choice, length, src, dst) = xorshift_words(state, 4)
            length = (length & 0xFFFF) + 1
            src &= size // 2 - 1
            dst &= size // 2 - 1
            if choice & 4:
                src &= ~7
                dst &= ~7
            kind = choice & 3
            if kind == 0:
                b[dst:dst + length] = a[src:src + length]
            elif kind == 1:
                a[dst:dst + length] = b[src:src + length]
            elif kind == 2:
                a[dst:dst + length] = bytes([(choice >> 8) & 0xFF]) * length
            else:
                a[dst:dst + length] = a[src:src + length]
        sample = fnv32_bytes(fnv32_bytes(2166136261, a[::4096]), b[::4096])
        h = fold(h, sample)
    h = fold(h, fnv32_bytes(2166136261, a))
    return fold(h, fnv32_bytes(2166136261, b))


WORKLOADS = {"crc32": crc32, "sha256": sha256, "sort": sort, "matmul": matmul, "nbody": nbody, "bytecode": bytecode, "memops": memops}

if __name__ == "__main__":
    for name in sys.argv[1:] or WORKLOADS:
        for scale in SCALES:
            print(f"{name} scale {scale}: checksum {WORKLOADS[name](scale):016x}")
