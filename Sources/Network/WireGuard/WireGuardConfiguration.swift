import Crypto
import Foundation

/// A Curve25519 key or a preshared key as `wg` writes them: 32 bytes in base64 (44 characters).
public struct WireGuardKey: Sendable, Hashable, CustomStringConvertible {
    public static let length = 32
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == Self.length)
        self.bytes = bytes
    }

    /// Nil unless `text` is base64 for exactly 32 bytes, as `wg` checks.
    public init?(base64 text: String) {
        guard text.count == 44, let data = Data(base64Encoded: text), data.count == Self.length else { return nil }
        bytes = Array(data)
    }

    public var base64: String { Data(bytes).base64EncodedString() }
    public var description: String { base64 }

    /// A new random private key (`wg genkey`).
    public static func generatePrivate() -> WireGuardKey { WireGuardKey(Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation)) }

    /// The public key of this private key (`wg pubkey`).
    public var publicKey: WireGuardKey {
        // A 32-byte raw representation is always accepted (X25519 clamps it).
        let key = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
        return WireGuardKey(Array(key.publicKey.rawRepresentation))
    }
}

/// An IPv4 or IPv6 prefix as AllowedIPs lists them: `10.0.0.0/24`, `fd00::/64`, a bare address
/// being a host route.
public struct IPPrefix: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes, with the bits past `length` cleared.
    public let address: [UInt8]
    public let length: Int

    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPPrefix.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maximum).contains(given), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = given
        }
        self.length = length
        self.address = address.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
    }

    /// The address bytes of a dotted IPv4 or an IPv6 address, nil for anything else.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            // SAFETY: reads the 16 bytes of a local in6_addr that inet_pton filled.
            return withUnsafeBytes(of: &storage) { Array($0) }
        }
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        // SAFETY: reads the 4 bytes of a local in_addr that inet_pton filled.
        return withUnsafeBytes(of: &storage) { Array($0) }
    }

    public func contains(_ other: [UInt8]) -> Bool {
        guard other.count == address.count else { return false }
        var remaining = length
        for index in address.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if other[index] & mask != address[index] { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = address.count == 4 ? AF_INET : AF_INET6
        // SAFETY: `address` holds 4 or 16 bytes, as `family` says; `text` has room for either text form.
        _ = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(cString: text) + "/\(length)"
    }
}

/// One `[Peer]` section.
public struct WireGuardPeerConfiguration: Sendable, Equatable {
    public var publicKey: WireGuardKey
    /// All zeros when none is given, as the protocol says.
    public var presharedKey: WireGuardKey
    public var allowedIPs: [IPPrefix]
    /// Where to send until the peer is heard from (it roams to wherever authenticated packets come from).
    public var endpoint: SocketEndpoint?
    /// Seconds between keepalives sent whatever the traffic (to keep NAT state), nil for off.
    public var persistentKeepalive: Int?

    public init(publicKey: WireGuardKey, presharedKey: WireGuardKey = WireGuardKey([UInt8](repeating: 0, count: 32)),
                allowedIPs: [IPPrefix], endpoint: SocketEndpoint? = nil, persistentKeepalive: Int? = nil) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.allowedIPs = allowedIPs
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
    }
}

public struct WireGuardConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ line: Int, _ why: String) { description = line > 0 ? "line \(line): \(why)" : why }
}

/// The configuration file `wg setconf` reads (wg(8), "CONFIGURATION FILE FORMAT"): an `[Interface]`
/// with PrivateKey and ListenPort, and `[Peer]`s with PublicKey, PresharedKey, AllowedIPs,
/// Endpoint and PersistentKeepalive. Keys are case-insensitive, `#` starts a comment. Endpoints
/// are IPv4 `ADDRESS:PORT` here (no host names); wg-quick's own keys (Address, DNS, MTU…) and
/// FwMark are refused by name, as `wg setconf` refuses them.
public struct WireGuardConfiguration: Sendable, Equatable {
    public var privateKey: WireGuardKey
    public var listenPort: UInt16?
    public var peers: [WireGuardPeerConfiguration]

    public init(privateKey: WireGuardKey, listenPort: UInt16? = nil, peers: [WireGuardPeerConfiguration]) {
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.peers = peers
    }

    public static func parse(_ text: String) throws(WireGuardConfigurationError) -> WireGuardConfiguration {
        enum Section { case none, interface, peer }
        var section = Section.none
        var privateKey: WireGuardKey?
        var listenPort: UInt16?
        var sawInterface = false
        var peers: [WireGuardPeerConfiguration] = []
        var peerKey: WireGuardKey?
        var peerPSK: WireGuardKey?
        var peerAllowed: [IPPrefix] = []
        var peerEndpoint: SocketEndpoint?
        var peerKeepalive: Int?
        var peerStart = 0

        func finishPeer() throws(WireGuardConfigurationError) {
            guard section == .peer else { return }
            guard let key = peerKey else { throw WireGuardConfigurationError(peerStart, "a [Peer] needs a PublicKey") }
            guard !peers.contains(where: { $0.publicKey == key }) else { throw WireGuardConfigurationError(peerStart, "peer \(key) is given twice") }
            peers.append(WireGuardPeerConfiguration(publicKey: key, presharedKey: peerPSK ?? WireGuardKey([UInt8](repeating: 0, count: 32)),
                                                    allowedIPs: peerAllowed, endpoint: peerEndpoint, persistentKeepalive: peerKeepalive))
            peerKey = nil; peerPSK = nil; peerAllowed = []; peerEndpoint = nil; peerKeepalive = nil
        }

        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                try finishPeer()
                switch trimmed.lowercased() {
                case "[interface]":
                    guard !sawInterface else { throw WireGuardConfigurationError(number, "a second [Interface]") }
                    sawInterface = true
                    section = .interface
                case "[peer]":
                    section = .peer
                    peerStart = number
                default: throw WireGuardConfigurationError(number, "unknown section \(trimmed)")
                }
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else { throw WireGuardConfigurationError(number, "'\(trimmed)' is not Key = Value") }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            func keyValue() throws(WireGuardConfigurationError) -> WireGuardKey {
                guard let parsed = WireGuardKey(base64: value) else { throw WireGuardConfigurationError(number, "'\(value)' is not a base64 key of 32 bytes") }
                return parsed
            }
            switch (section, key) {
            case (.none, _): throw WireGuardConfigurationError(number, "'\(key)' outside a section")
            case (.interface, "privatekey"): privateKey = try keyValue()
            case (.interface, "listenport"):
                guard let port = UInt16(value) else { throw WireGuardConfigurationError(number, "ListenPort '\(value)' is not a port number") }
                listenPort = port
            case (.interface, "address"), (.interface, "dns"), (.interface, "mtu"), (.interface, "table"), (.interface, "preup"),
                 (.interface, "postup"), (.interface, "predown"), (.interface, "postdown"), (.interface, "saveconfig"):
                throw WireGuardConfigurationError(number, "'\(key)' is a wg-quick key, not one of wg's (strip it, as `wg-quick strip` does)")
            case (.peer, "publickey"): peerKey = try keyValue()
            case (.peer, "presharedkey"): peerPSK = try keyValue()
            case (.peer, "allowedips"):
                for item in value.split(separator: ",") {
                    let text = item.trimmingCharacters(in: .whitespaces)
                    guard let prefix = IPPrefix(parsing: text) else { throw WireGuardConfigurationError(number, "'\(text)' is not an IP address or prefix") }
                    peerAllowed.append(prefix)
                }
            case (.peer, "endpoint"):
                let parts = value.split(separator: ":")
                guard parts.count == 2, let port = UInt16(parts[1]), port > 0, IPPrefix.parseAddress(String(parts[0]))?.count == 4 else {
                    throw WireGuardConfigurationError(number, "Endpoint '\(value)' is not IPv4-ADDRESS:PORT")
                }
                peerEndpoint = SocketEndpoint(host: String(parts[0]), port: port)
            case (.peer, "persistentkeepalive"):
                if value.lowercased() == "off" { peerKeepalive = nil; break }
                guard let seconds = Int(value), (0...65535).contains(seconds) else {
                    throw WireGuardConfigurationError(number, "PersistentKeepalive '\(value)' is not off or 0...65535 seconds")
                }
                peerKeepalive = seconds == 0 ? nil : seconds
            default: throw WireGuardConfigurationError(number, "unknown key '\(key)' in [\(section == .interface ? "Interface" : "Peer")]")
            }
        }
        try finishPeer()
        guard let privateKey else { throw WireGuardConfigurationError(0, "the [Interface] needs a PrivateKey") }
        // Cryptokey routing needs each prefix to name one peer (wg moves a repeated one to the last peer; we refuse it).
        var seen: [IPPrefix: WireGuardKey] = [:]
        for peer in peers {
            for prefix in peer.allowedIPs {
                if let other = seen[prefix], other != peer.publicKey { throw WireGuardConfigurationError(0, "AllowedIPs \(prefix) is given to two peers") }
                seen[prefix] = peer.publicKey
            }
        }
        return WireGuardConfiguration(privateKey: privateKey, listenPort: listenPort, peers: peers)
    }
}
