import Testing
@testable import Network

/// The hand-written primitives under WireGuard, against published vectors: BLAKE2s (RFC 7693 and
/// BLAKE2's keyed known answers, which WireGuard's own self-test checks), HMAC-BLAKE2s and the
/// KDF, HChaCha20 and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha).
struct WireGuardCryptoTests {
    static func hex(_ text: String) -> [UInt8] {
        let clean = text.filter { !$0.isWhitespace }
        return stride(from: 0, to: clean.count, by: 2).map {
            let start = clean.index(clean.startIndex, offsetBy: $0)
            return UInt8(clean[start..<clean.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    /// RFC 7693 Appendix B: BLAKE2s-256("abc").
    @Test func blake2sOfABC() {
        #expect(BLAKE2s.hash(Array("abc".utf8)) == Self.hex("508C5E8C327C14E2E1A72BA34EEB452F37458B209ED63A294D999B4C86675982"))
    }

    /// RFC 7693 Appendix E: the self-test's hash over every digest length 16/20/28/32 and input
    /// length 0/3/64/65/255/1024, unkeyed and keyed, of its pseudo-random sequences.
    @Test func blake2sSelfTestOfRFC7693AppendixE() {
        func sequence(_ length: Int, seed: UInt32) -> [UInt8] {
            var a = 0xDEAD_4BAD &* seed, b: UInt32 = 1
            return (0..<length).map { _ in
                let t = a &+ b
                a = b
                b = t
                return UInt8(t >> 24)
            }
        }
        var grand = BLAKE2s()
        for digestLength in [16, 20, 28, 32] {
            for inputLength in [0, 3, 64, 65, 255, 1024] {
                let input = sequence(inputLength, seed: UInt32(inputLength))
                grand.update(BLAKE2s.hash(input, digestLength: digestLength))
                grand.update(BLAKE2s.hash(input, digestLength: digestLength, key: sequence(digestLength, seed: UInt32(digestLength))))
            }
        }
        #expect(grand.finalize() == Self.hex("6A411F08CE25ADCDFB02ABA641451CEC53C598B24F4FC787FBDC88797F4C1DFE"))
    }

    /// BLAKE2's keyed known answers (key 00..1f, input 00..n-1), the vectors WireGuard's
    /// blake2s self-test runs: lengths 0, 64 (one exact block) and 255.
    @Test(arguments: [
        (0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"),
        (64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"),
        (255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"),
    ])
    func blake2sKeyedKnownAnswers(length: Int, digest: String) {
        let key = (0..<32).map { UInt8($0) }
        #expect(BLAKE2s.hash((0..<length).map { UInt8($0) }, key: key) == Self.hex(digest))
        // Fed a byte at a time, the same digest: block boundaries are handled in update.
        var hasher = BLAKE2s(key: key)
        for byte in 0..<length { hasher.update([UInt8(byte)]) }
        #expect(hasher.finalize() == Self.hex(digest))
    }

    /// HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256), against Python's hmac with hashlib.blake2s.
    @Test func hmacBLAKE2s() {
        #expect(WireGuardHash.hmac(key: Array("key".utf8), Array("The quick brown fox".utf8))
                == Self.hex("8717096fc5e7ac53d11d990acd4380c9ddd7bd8da5d8b5bc29855e6c98a866a4"))
        // The KDF's outputs are the HMAC chain of the protocol page: τ1 = HMAC(τ0, 1), τ2 = HMAC(τ0, τ1 ‖ 2).
        let secret = WireGuardHash.hmac(key: [1, 2, 3], [4, 5])
        let outputs = WireGuardHash.kdf(3, key: [1, 2, 3], [4, 5])
        #expect(outputs[0] == WireGuardHash.hmac(key: secret, [1]))
        #expect(outputs[1] == WireGuardHash.hmac(key: secret, outputs[0] + [2]))
        #expect(outputs[2] == WireGuardHash.hmac(key: secret, outputs[1] + [3]))
    }

    /// The handshake's first two values (HASH of the construction, then of it with the
    /// identifier), as every WireGuard implementation starts from them.
    @Test func initialChainingKeyIsTheHashOfTheConstruction() {
        #expect(WireGuardHash.hash(WireGuardProtocol.construction)
                == Self.hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"))
    }

    /// draft-irtf-cfrg-xchacha-03 §2.2.1: the HChaCha20 test vector.
    @Test func hChaCha20() {
        let subkey = XChaCha20Poly1305.hChaCha20(key: (0..<32).map { UInt8($0) }, nonce: Self.hex("000000090000004a0000000031415927"))
        #expect(subkey == Self.hex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"))
    }

    /// draft-irtf-cfrg-xchacha-03 Appendix A.3.1: XChaCha20-Poly1305 of the "sunscreen" text.
    @Test func xChaCha20Poly1305() throws {
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let aad = Self.hex("50515253c0c1c2c3c4c5c6c7")
        let key = Self.hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = Self.hex("404142434445464748494a4b4c4d4e4f5051525354555657")
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        #expect(Array(sealed.suffix(16)) == Self.hex("c0875924c1c7987947deafd8780acf49"))
        #expect(Array(sealed.prefix(16)) == Self.hex("bd6d179d3e83d43b9576579493c0e939"))
        #expect(XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: aad) == plaintext)
        var forged = sealed
        forged[3] ^= 1
        #expect(XChaCha20Poly1305.open(forged, key: key, nonce: nonce, authenticating: aad) == nil)
    }
}
