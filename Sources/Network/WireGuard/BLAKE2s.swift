/// BLAKE2s (RFC 7693): the hash WireGuard builds its HASH, MAC, HMAC and KDF on. swift-crypto has
/// no BLAKE2, so it is written here from RFC 7693 §3 and checked against its test vectors.
public struct BLAKE2s: Sendable {
    /// Bytes a block holds (RFC 7693 §2.1, bb for BLAKE2s).
    public static let blockLength = 64
    /// The longest digest and key (nn and kk at most 32).
    public static let maximumDigestLength = 32
    public static let maximumKeyLength = 32

    // RFC 7693 §2.6: the same IV as SHA-256.
    static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]
    // RFC 7693 §2.7: the message word schedule, one row per round (BLAKE2s has 10 rounds).
    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var h: [UInt32]
    private var buffer: [UInt8] = []
    private var byteCount: UInt64 = 0
    private let digestLength: Int

    /// A hash of `digestLength` bytes (1...32), keyed when `key` is not empty (RFC 7693 §3.3: the
    /// key, zero-padded to a block, is the first block).
    public init(digestLength: Int = 32, key: [UInt8] = []) {
        precondition((1...Self.maximumDigestLength).contains(digestLength) && key.count <= Self.maximumKeyLength)
        self.digestLength = digestLength
        h = Self.iv
        // Parameter block word 0: digest length, key length, fanout 1, depth 1 (§2.5).
        h[0] ^= 0x0101_0000 ^ UInt32(key.count) << 8 ^ UInt32(digestLength)
        if !key.isEmpty { buffer = key + [UInt8](repeating: 0, count: Self.blockLength - key.count) }
    }

    public mutating func update<C: Collection<UInt8>>(_ data: C) {
        for byte in data {
            // A full buffer is compressed only once more input follows: the last block is special.
            if buffer.count == Self.blockLength {
                byteCount += UInt64(Self.blockLength)
                compress(last: false)
                buffer.removeAll(keepingCapacity: true)
            }
            buffer.append(byte)
        }
    }

    public mutating func finalize() -> [UInt8] {
        byteCount += UInt64(buffer.count)
        buffer += [UInt8](repeating: 0, count: Self.blockLength - buffer.count)
        compress(last: true)
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in h { for shift in stride(from: 0, to: 32, by: 8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
        return Array(digest[0..<digestLength])
    }

    /// The digest of `data` in one call.
    public static func hash<C: Collection<UInt8>>(_ data: C, digestLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        var hasher = BLAKE2s(digestLength: digestLength, key: key)
        hasher.update(data)
        return hasher.finalize()
    }

    // RFC 7693 §3.2, function F, on the 64 bytes in `buffer`.
    private mutating func compress(last: Bool) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            m[i] = UInt32(buffer[4 * i]) | UInt32(buffer[4 * i + 1]) << 8 | UInt32(buffer[4 * i + 2]) << 16 | UInt32(buffer[4 * i + 3]) << 24
        }
        var v = h + Self.iv
        v[12] ^= UInt32(truncatingIfNeeded: byteCount)
        v[13] ^= UInt32(truncatingIfNeeded: byteCount >> 32)
        if last { v[14] = ~v[14] }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        // §3.1, function G with BLAKE2s's rotations (16, 12, 8, 7).
        func mix(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
            v[a] = v[a] &+ v[b] &+ x; v[d] = rotr(v[d] ^ v[a], 16)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 12)
            v[a] = v[a] &+ v[b] &+ y; v[d] = rotr(v[d] ^ v[a], 8)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 7)
        }
        for round in 0..<10 {
            let s = Self.sigma[round]
            mix(0, 4, 8, 12, m[s[0]], m[s[1]])
            mix(1, 5, 9, 13, m[s[2]], m[s[3]])
            mix(2, 6, 10, 14, m[s[4]], m[s[5]])
            mix(3, 7, 11, 15, m[s[6]], m[s[7]])
            mix(0, 5, 10, 15, m[s[8]], m[s[9]])
            mix(1, 6, 11, 12, m[s[10]], m[s[11]])
            mix(2, 7, 8, 13, m[s[12]], m[s[13]])
            mix(3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for i in 0..<8 { h[i] ^= v[i] ^ v[i + 8] }
    }
}

/// The keyed-hash constructions of the WireGuard protocol page ("Cryptography" and "Handshake"):
/// HASH, MAC (keyed BLAKE2s, 16 bytes), HMAC (RFC 2104 over BLAKE2s) and the HKDF-style KDF that
/// the handshake chains its keys with.
public enum WireGuardHash {
    /// HASH(input): unkeyed BLAKE2s-256.
    public static func hash(_ parts: [UInt8]...) -> [UInt8] {
        var hasher = BLAKE2s()
        for part in parts { hasher.update(part) }
        return hasher.finalize()
    }

    /// MAC(key, input): keyed BLAKE2s with a 16-byte digest (mac1, mac2, cookies).
    public static func mac(key: [UInt8], _ input: [UInt8]) -> [UInt8] {
        BLAKE2s.hash(input, digestLength: 16, key: key)
    }

    /// HMAC(key, input) with BLAKE2s-256 as the hash (RFC 2104; block 64 bytes). WireGuard uses
    /// HMAC rather than BLAKE2s's own keying here, as Noise's HKDF requires.
    public static func hmac(key: [UInt8], _ input: [UInt8]) -> [UInt8] {
        var block = key.count > BLAKE2s.blockLength ? BLAKE2s.hash(key) : key
        block += [UInt8](repeating: 0, count: BLAKE2s.blockLength - block.count)
        var inner = BLAKE2s()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(input)
        var outer = BLAKE2s()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// KDFn(key, input) (Noise's HKDF, n = 1...3): τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1),
    /// τi = HMAC(τ0, τi−1 ‖ i).
    public static func kdf(_ count: Int, key: [UInt8], _ input: [UInt8]) -> [[UInt8]] {
        precondition((1...3).contains(count))
        let secret = hmac(key: key, input)
        var outputs: [[UInt8]] = []
        var previous: [UInt8] = []
        for i in 1...count {
            previous = hmac(key: secret, previous + [UInt8(i)])
            outputs.append(previous)
        }
        return outputs
    }
}
