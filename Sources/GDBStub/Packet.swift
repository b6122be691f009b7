/// The framing of gdb's remote serial protocol (the gdb manual, "Remote Protocol" → "Overview"):
/// a packet is `$` payload `#` and two hex digits, the payload's byte sum modulo 256; the
/// receiver answers `+` (good) or `-` (resend) unless no-ack mode is on. Binary data escapes
/// `#`, `$`, `}` and `*` as `}` followed by the byte XOR 0x20. A lone 0x03 outside a packet is
/// the user's interrupt (Ctrl-C).
public enum Packet {
    static let start = UInt8(ascii: "$")
    static let end = UInt8(ascii: "#")
    static let escape = UInt8(ascii: "}")
    static let repeatMark = UInt8(ascii: "*")
    static let escapeXor: UInt8 = 0x20
    /// The interrupt byte gdb sends for Ctrl-C.
    public static let interrupt: UInt8 = 0x03

    /// The checksum of a payload as it travels (escapes included).
    public static func checksum(_ payload: some Sequence<UInt8>) -> UInt8 {
        payload.reduce(0) { $0 &+ $1 }
    }

    /// `$payload#xx`. The payload must already be escaped if it holds binary data.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        [start] + payload + [end] + Hex.byte(checksum(payload))
    }

    /// Binary data with the four special bytes escaped (for `qXfer` replies).
    public static func escaped(_ data: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for byte in data {
            if byte == start || byte == end || byte == escape || byte == repeatMark {
                out += [escape, byte ^ escapeXor]
            } else {
                out.append(byte)
            }
        }
        return out
    }

    /// Binary data from an escaped payload (the data of an `X` packet); nil when it ends in a
    /// lone escape byte.
    public static func unescaped(_ data: some Sequence<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var escaping = false
        for byte in data {
            if escaping {
                out.append(byte ^ escapeXor)
                escaping = false
            } else if byte == escape {
                escaping = true
            } else {
                out.append(byte)
            }
        }
        return escaping ? nil : out
    }
}

/// Splits the byte stream from gdb into acknowledgements, interrupts and packets, checking each
/// packet's checksum. Bytes outside a packet that mean nothing are skipped, as gdb's own reader
/// does; a packet longer than `maximumLength` is dropped and reported as corrupt (gdb resends).
public struct PacketReader {
    public enum Event: Equatable, Sendable {
        /// A payload whose checksum matched (still escaped, as it travelled).
        case packet([UInt8])
        /// A packet whose checksum did not match, had no valid checksum digits, or was too long.
        case corrupt
        /// `+`: gdb received our last packet.
        case acknowledged
        /// `-`: gdb wants our last packet again.
        case resendRequested
        /// 0x03 outside a packet.
        case interrupt
    }

    private enum State {
        case idle
        case payload
        case checksum(first: UInt8?)
    }

    public let maximumLength: Int
    private var state = State.idle
    private var payload: [UInt8] = []
    private var overflowed = false

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// The events the bytes complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            switch state {
            case .idle:
                switch byte {
                case Packet.start: beginPacket()
                case UInt8(ascii: "+"): events.append(.acknowledged)
                case UInt8(ascii: "-"): events.append(.resendRequested)
                case Packet.interrupt: events.append(.interrupt)
                default: break
                }
            case .payload:
                if byte == Packet.end {
                    state = .checksum(first: nil)
                } else if byte == Packet.start {
                    // A new packet before this one ended: the earlier one was cut off.
                    events.append(.corrupt)
                    beginPacket()
                } else if payload.count < maximumLength {
                    payload.append(byte)
                } else {
                    overflowed = true
                }
            case .checksum(let first):
                guard let high = first else {
                    state = .checksum(first: byte)
                    continue
                }
                state = .idle
                if !overflowed, let expected = Hex.value(of: [high, byte]), expected == UInt64(Packet.checksum(payload)) {
                    events.append(.packet(payload))
                } else {
                    events.append(.corrupt)
                }
                payload = []
            }
        }
        return events
    }

    private mutating func beginPacket() {
        state = .payload
        payload = []
        overflowed = false
    }
}

/// Hexadecimal as the protocol writes it: lower-case digits, registers and memory as bytes in
/// target (little-endian) order, numbers (addresses, lengths, thread ids) most significant first.
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// Two digits for `byte`.
    public static func byte(_ byte: UInt8) -> [UInt8] {
        [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]]
    }

    /// Two digits per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for b in bytes { out += byte(b) }
        return out
    }

    /// `value`'s low `width` bytes, least significant first (a register in a `g` or `p` reply).
    public static func littleEndian(_ value: UInt64, width: Int) -> [UInt8] {
        encode((0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
    }

    /// A number without leading zeros (at least one digit).
    public static func number(_ value: UInt64) -> [UInt8] {
        Array(String(value, radix: 16).utf8)
    }

    /// A number with at least `width` digits.
    public static func number(_ value: UInt64, width: Int) -> [UInt8] {
        let digits = number(value)
        return [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - digits.count)) + digits
    }

    /// The value of one digit, or nil.
    static func digit(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt64(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// A number, most significant digit first: 1 to 16 digits, nothing else.
    public static func value(of text: some Collection<UInt8>) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var v: UInt64 = 0
        for c in text {
            guard let d = digit(c) else { return nil }
            v = v << 4 | d
        }
        return v
    }

    /// Bytes from pairs of digits; nil on an odd count or a non-digit.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var high: UInt64?
        for c in text {
            guard let d = digit(c) else { return nil }
            if let h = high {
                out.append(UInt8(h << 4 | d))
                high = nil
            } else {
                high = d
            }
        }
        return out
    }

    /// A little-endian register value from its bytes' digits (1 to 8 bytes).
    public static func littleEndianValue(of text: some Collection<UInt8>) -> UInt64? {
        guard let bytes = decode(text), !bytes.isEmpty, bytes.count <= 8 else { return nil }
        return bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
}
