import Crypto
import Foundation

/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2): ChaCha20-Poly1305 under a subkey derived by
/// HChaCha20 from the key and the nonce's first 16 bytes, with the last 8 bytes as the nonce.
/// WireGuard encrypts cookie replies with it. swift-crypto does the AEAD; HChaCha20 is here.
public enum XChaCha20Poly1305 {
    public static let nonceLength = 24
    public static let tagLength = 16

    /// HChaCha20 (draft §2.2): the ChaCha20 state of constants, key and 16-byte nonce, twenty
    /// rounds, no final addition; the first and last rows are the subkey.
    public static func hChaCha20(key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(key.count == 32 && nonce.count == 16)
        func word(_ bytes: [UInt8], _ i: Int) -> UInt32 {
            UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
        }
        // RFC 8439 §2.3: "expand 32-byte k".
        var s: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
        s += (0..<8).map { word(key, $0) }
        s += (0..<4).map { word(nonce, $0) }
        func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
        func quarterRound(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            s[a] = s[a] &+ s[b]; s[d] = rotl(s[d] ^ s[a], 16)
            s[c] = s[c] &+ s[d]; s[b] = rotl(s[b] ^ s[c], 12)
            s[a] = s[a] &+ s[b]; s[d] = rotl(s[d] ^ s[a], 8)
            s[c] = s[c] &+ s[d]; s[b] = rotl(s[b] ^ s[c], 7)
        }
        for _ in 0..<10 {
            quarterRound(0, 4, 8, 12); quarterRound(1, 5, 9, 13); quarterRound(2, 6, 10, 14); quarterRound(3, 7, 11, 15)
            quarterRound(0, 5, 10, 15); quarterRound(1, 6, 11, 12); quarterRound(2, 7, 8, 13); quarterRound(3, 4, 9, 14)
        }
        var out: [UInt8] = []
        for i in [0, 1, 2, 3, 12, 13, 14, 15] { for shift in [0, 8, 16, 24] as [UInt32] { out.append(UInt8(truncatingIfNeeded: s[i] >> shift)) } }
        return out
    }

    /// The subkey and the 12-byte ChaCha20-Poly1305 nonce (4 zero bytes, then the last 8).
    static func derived(key: [UInt8], nonce: [UInt8]) throws -> (SymmetricKey, ChaChaPoly.Nonce) {
        precondition(key.count == 32 && nonce.count == nonceLength)
        let subkey = hChaCha20(key: key, nonce: Array(nonce[0..<16]))
        return (SymmetricKey(data: subkey), try ChaChaPoly.Nonce(data: [0, 0, 0, 0] + nonce[16..<24]))
    }

    /// Ciphertext followed by the 16-byte tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] {
        let (subkey, chachaNonce) = try derived(key: key, nonce: nonce)
        let box = try ChaChaPoly.seal(plaintext, using: subkey, nonce: chachaNonce, authenticating: aad)
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// The plaintext, or nil when the tag does not authenticate.
    public static func open(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) -> [UInt8]? {
        guard sealed.count >= tagLength, let (subkey, chachaNonce) = try? derived(key: key, nonce: nonce),
              let box = try? ChaChaPoly.SealedBox(nonce: chachaNonce, ciphertext: sealed.dropLast(tagLength), tag: sealed.suffix(tagLength)),
              let plain = try? ChaChaPoly.open(box, using: subkey, authenticating: aad) else { return nil }
        return Array(plain)
    }
}
