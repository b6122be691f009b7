import Crypto
import Foundation

/// The constants of the WireGuard protocol (whitepaper §5.4 and §6, and the protocol page).
public enum WireGuardProtocol {
    static let construction = Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8)
    static let identifier = Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8)
    static let labelMAC1 = Array("mac1----".utf8)
    static let labelCookie = Array("cookie--".utf8)

    public static let initiationType: UInt8 = 1
    public static let responseType: UInt8 = 2
    public static let cookieReplyType: UInt8 = 3
    public static let transportType: UInt8 = 4

    /// type, reserved (4) + sender (4) + ephemeral (32) + static (32+16) + timestamp (12+16) + mac1 + mac2 (16 each).
    public static let initiationLength = 148
    /// type, reserved (4) + sender (4) + receiver (4) + ephemeral (32) + empty (0+16) + mac1 + mac2.
    public static let responseLength = 92
    /// type, reserved (4) + receiver (4) + nonce (24) + cookie (16+16).
    public static let cookieReplyLength = 64
    /// type, reserved (4) + receiver (4) + counter (8): the transport header before the ciphertext.
    public static let transportHeaderLength = 16
    /// The transport header and the tag: an encrypted keepalive.
    public static let minimumTransportLength = 32

    // Whitepaper §6.1 ("Timers & Stateless UX"): the timer constants, in nanoseconds or messages.
    public static let rekeyAfterMessages: UInt64 = 1 << 60
    public static let rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    public static let rekeyAfterTime: Int64 = 120 * second
    public static let rejectAfterTime: Int64 = 180 * second
    public static let rekeyAttemptTime: Int64 = 90 * second
    public static let rekeyTimeout: Int64 = 5 * second
    public static let keepaliveTimeout: Int64 = 10 * second
    /// How long a cookie secret, and a cookie a peer received, are good for (§5.4.7).
    public static let cookieRefreshTime: Int64 = 120 * second
    /// At most one initiation per peer per 1/50 s is processed (whitepaper §5.1's flood limit, wireguard-go's rate).
    public static let initiationMinimumInterval: Int64 = second / 50
    /// Bits of the sliding replay window (RFC 6479's shape): counters this far behind the newest are still taken once.
    public static let replayWindow: UInt64 = 2048
    public static let second: Int64 = 1_000_000_000

    /// TAI64N (whitepaper §5.4.2): 8 bytes big-endian of 2^62 + 10 + Unix seconds, 4 of nanoseconds.
    public static func tai64n(seconds: Int64, nanoseconds: Int32) -> [UInt8] {
        let label = UInt64(0x4000_0000_0000_000a) &+ UInt64(bitPattern: seconds)
        return (0..<8).map { UInt8(truncatingIfNeeded: label >> (56 - 8 * UInt64($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: nanoseconds) >> (24 - 8 * UInt32($0))) }
    }

    static func littleEndian32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
    static func littleEndian64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
    static func readLittleEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
    static func readLittleEndian64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    /// Compares MACs without an early exit, so timing tells an attacker nothing.
    static func constantTimeEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// AEAD(key, counter, plaintext, aad): ChaCha20-Poly1305 with a nonce of 32 zero bits and the
    /// 64-bit little-endian counter (§5.4).
    static func seal(key: SymmetricKey, counter: UInt64, _ plaintext: [UInt8], authenticating aad: [UInt8]) -> [UInt8] {
        // A 12-byte nonce is always valid, and ChaChaPoly sealing only fails on a bad nonce size.
        let nonce = try! ChaChaPoly.Nonce(data: [0, 0, 0, 0] + littleEndian64(counter))
        let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func open(key: SymmetricKey, counter: UInt64, _ sealed: ArraySlice<UInt8>, authenticating aad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= 16, let nonce = try? ChaChaPoly.Nonce(data: [0, 0, 0, 0] + littleEndian64(counter)),
              let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: sealed.dropLast(16), tag: sealed.suffix(16)),
              let plain = try? ChaChaPoly.open(box, using: key, authenticating: aad) else { return nil }
        return Array(plain)
    }

    /// DH(private, public): X25519; nil for a public key of small order (an all-zero result), which the protocol rejects.
    static func dh(_ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: [UInt8]) -> [UInt8]? {
        guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey),
              let shared = try? privateKey.sharedSecretFromKeyAgreement(with: peer) else { return nil }
        // SAFETY: copies the shared secret's bytes out while the secret is alive.
        let bytes = shared.withUnsafeBytes { Array($0) }
        return bytes.allSatisfy { $0 == 0 } ? nil : bytes
    }
}

/// A sliding window of counters already taken (whitepaper §5.4.6): a counter newer than any seen
/// moves the window; one inside it is taken once; one older than the window is refused.
struct ReplayWindow {
    private var bits = [UInt64](repeating: 0, count: Int(WireGuardProtocol.replayWindow / 64))
    private var newest: UInt64?

    /// Records `counter`; false when it was seen already, is too old, or is past REJECT_AFTER_MESSAGES.
    mutating func accept(_ counter: UInt64) -> Bool {
        let size = WireGuardProtocol.replayWindow
        guard counter < WireGuardProtocol.rejectAfterMessages else { return false }
        if let newest, counter <= newest {
            guard newest - counter < size else { return false }
        } else {
            // Clear the slots of the counters skipped over (all of them after a long jump).
            let start = newest.map { $0 + 1 } ?? 0
            if counter - start >= size {
                for i in bits.indices { bits[i] = 0 }
            } else {
                var skipped = start
                while skipped < counter {
                    let slot = skipped % size
                    bits[Int(slot / 64)] &= ~(1 << (slot % 64))
                    skipped += 1
                }
            }
            newest = counter
            let slot = counter % size
            bits[Int(slot / 64)] |= 1 << (slot % 64)
            return true
        }
        let slot = counter % size
        let mask: UInt64 = 1 << (slot % 64)
        guard bits[Int(slot / 64)] & mask == 0 else { return false }
        bits[Int(slot / 64)] |= mask
        return true
    }
}
